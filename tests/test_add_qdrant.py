"""``rag add`` / ``rag remove`` with ``RAG_INDEX_BACKEND=qdrant``: the collection follows.

One qdrant index of the real corpus is built per module (the real embedder, the
collection in local mode under a temporary index folder), then an HTML page is added
and removed again.  After the add, the page's fact comes back from the Qdrant
retrievers (the hit is a point of the collection, found by its ``document`` payload);
after the removal its points are gone.  ``rag index --check`` is ok after each, and
the add report shows that only the new page was embedded.

Local mode rewrites the collection (from the kept vectors) inside the index folder's
atomic swap; a server's collection is updated in place by ``rag.qdrant_update``, whose
steps are run here on a copy of the local collection: what they stage is invisible at
the old generation (a crash before the manifest's rename) and exact at the new one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bench.docfiles import write_html
from rag.index import check_index, ensure_index, load_index
from rag.index_update import AddReport, add_documents, remove_document
from rag.pipeline import Pipeline
from rag.qdrant_index import sentence_tokens
from rag.qdrant_update import collect, stage
from rag.settings import Settings
from tests.conftest import qdrant_settings_for

PAGE = "lighting.html"
ARTICLE = [
    "The gaffer Oksana Brielle lit the Brighton Beach mansion scenes with paper lanterns "
    "hung from the ceiling, the crew said in an interview.",
    "Brielle said the lanterns let the actors move through the house without marks.",
]
QUESTION = "Who was the gaffer who lit the mansion scenes?"
ANSWER = "Oksana Brielle"


@dataclass(frozen=True)
class Step:
    """The state after one update: its report, the points of PAGE, the collection's total."""

    report: AddReport
    page_points: int
    total_points: int
    manifest_points: int


def _points(settings: Settings, embedder, document: str | None = None) -> tuple[int, int]:
    """(points of ``document`` by payload filter, all points) in the collection now."""
    from qdrant_client import models as m

    store = ensure_index(settings, embedder).store
    selector = m.Filter(
        must=[m.FieldCondition(key="document", match=m.MatchValue(value=document or ""))]
    )
    found = store.client.count(store.collection, count_filter=selector, exact=True).count
    return int(found), store.count()


def _step(settings: Settings, embedder, report: AddReport) -> Step:
    page, total = _points(settings, embedder, PAGE)
    manifest = load_index(settings.index_dir).manifest
    return Step(report, page, total, int(manifest["backend"]["n_points"]))


@pytest.fixture(scope="module")
def qdrant_settings(
    built_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder
) -> Settings:
    root = tmp_path_factory.mktemp("add-qdrant")
    shutil.copytree(built_index / "corpus", root / "corpus")  # add/remove change the corpus
    return qdrant_settings_for(root / "corpus", root / "index", embedder)


@pytest.fixture(scope="module")
def before(qdrant_settings: Settings, embedder) -> tuple[int, int]:
    """(passages, points) of the index as built."""
    return len(load_index(qdrant_settings.index_dir).chunks), _points(qdrant_settings, embedder)[1]


@pytest.fixture(scope="module")
def added(qdrant_settings: Settings, before, embedder, tmp_path_factory) -> Step:
    folder = tmp_path_factory.mktemp("incoming")
    page = write_html(folder / PAGE, "On the set | Screen Dispatch", "Lighting Anora", ARTICLE)
    return _step(qdrant_settings, embedder, add_documents(qdrant_settings, [page], embedder))


@pytest.fixture(scope="module")
def removed(qdrant_settings: Settings, added: Step, embedder) -> Step:
    return _step(qdrant_settings, embedder, remove_document(qdrant_settings, PAGE, embedder))


def test_add_writes_the_page_into_the_collection_embedding_only_it(
    qdrant_settings: Settings, before, added: Step
):
    n_chunks, n_points = before
    report = added.report
    assert report.added == (PAGE,) and not report.full_rebuild
    index = load_index(qdrant_settings.index_dir)
    page_chunks = [c for c in index.chunks if c.source == PAGE]
    page_sentences = [s for s in index.sentences if s.source == PAGE]
    # only the page was embedded; every other passage kept its vectors
    assert report.embedded_chunks == len(page_chunks) > 0
    assert report.embedded_sentences == len(page_sentences) > 0
    assert report.reused_chunks == n_chunks
    # one point per passage and per sentence of the page, beside the old ones
    assert added.page_points == len(page_chunks) + len(page_sentences)
    assert added.total_points == n_points + added.page_points == added.manifest_points
    status = check_index(qdrant_settings)
    assert status.ok, status.reason


@pytest.mark.parametrize("retriever", ["dense", "bm25", "hybrid"])
def test_the_added_fact_is_found_in_the_collection(
    qdrant_settings: Settings, added: Step, embedder, retriever: str
):
    from qdrant_client import models as m

    index = ensure_index(qdrant_settings, embedder)
    assert index.store is not None  # retrieval searches Qdrant, not FAISS
    pipe = Pipeline(qdrant_settings, index, embedder)
    top = pipe.retrieve(QUESTION, retriever=retriever, k=3)[0].chunk
    assert top.source == PAGE and ANSWER in top.text
    # the hit is a point of the collection, the page's passage
    found, _ = index.store.client.scroll(
        index.store.collection,
        scroll_filter=m.Filter(
            must=[
                m.FieldCondition(key="chunk_id", match=m.MatchValue(value=top.id)),
                m.FieldCondition(key="kind", match=m.MatchValue(value="passage")),
            ]
        ),
        with_payload=True,
    )
    assert [p.payload["document"] for p in found] == [PAGE]
    answer = pipe.ask(QUESTION)
    assert not answer.abstained and ANSWER in answer.text
    assert {c.source for c in answer.citations} == {PAGE}


def test_remove_deletes_the_page_points(qdrant_settings: Settings, before, removed: Step, embedder):
    n_chunks, n_points = before
    report = removed.report
    assert report.removed == (PAGE,) and report.embedded_chunks == 0
    assert report.reused_chunks == n_chunks and not report.full_rebuild
    assert removed.page_points == 0
    assert removed.total_points == n_points == removed.manifest_points
    status = check_index(qdrant_settings)
    assert status.ok, status.reason
    pipe = Pipeline(qdrant_settings, ensure_index(qdrant_settings, embedder), embedder)
    for retriever in ("dense", "bm25", "hybrid"):
        hits = pipe.retrieve(QUESTION, retriever=retriever, k=5)
        assert hits and all(h.chunk.source != PAGE for h in hits)


def test_an_update_in_place_shows_only_at_its_generation(
    qdrant_settings: Settings, embedder, tmp_path: Path
):
    """The server path's steps on a copy of the local collection: one document replaced
    by new points, another retired; then an interrupted update undone by the next one."""
    if qdrant_settings.qdrant_url:
        pytest.skip("works on a copy of the local collection (with a server, the tests above)")
    shutil.copytree(qdrant_settings.index_dir, tmp_path / "index")
    settings = qdrant_settings.replace(index_dir=tmp_path / "index")
    index = ensure_index(settings, embedder)
    store, pipe = index.store, Pipeline(settings, index, embedder)
    assert store.generation == 0  # local mode: every update is a full rewrite
    store.filtered = True  # read it as a server's collection is read (rag.qdrant_update)
    question = "Who was the director of photography?"
    before = [h.chunk.id for h in pipe.retrieve(question, retriever="dense", k=5)]
    replaced = index.chunk_by_id[before[0]].source
    gone = next(d for d in sorted(index.documents) if d != replaced)
    chunks = [c for c in index.chunks if c.source == replaced]
    sentences = [s for s in index.sentences if s.source == replaced]

    def points(document: str) -> int:
        return sum(c.source == document for c in index.chunks) + sum(
            s.source == document for s in index.sentences
        )

    def physical() -> int:
        return int(store.client.count(store.collection, exact=True).count)

    total = store.count()
    visible = stage(
        store,
        {replaced, gone},
        chunks,
        index.chunk_vectors[[index.chunk_position[c.id] for c in chunks]],
        sentences,
        index.sentence_vectors[[s.id for s in sentences]],
        sentence_tokens(index.tokens, sentences),
    )
    # the old manifest (a crash now) still sees exactly the old collection
    assert store.count() == total and physical() == total + points(replaced)
    assert [h.chunk.id for h in pipe.retrieve(question, retriever="dense", k=5)] == before
    # the new generation: `replaced` by its new points only, `gone` hidden
    assert visible == store.count(1) == total - points(gone)
    store.generation = 1
    found = [h.chunk for h in pipe.retrieve(question, retriever="dense", k=5)]
    assert found[0].id == before[0] and all(c.source != gone for c in found)
    for retriever in ("bm25", "hybrid"):
        hits = pipe.retrieve(f"{question} {index.documents[gone].title}", retriever=retriever)
        assert hits and all(h.chunk.source != gone for h in hits)
    # an update interrupted before its commit is undone by the next stage (another plan)
    store.generation = 0
    empty = np.zeros((0, index.chunk_vectors.shape[1]), np.float32)
    assert stage(store, {gone}, [], empty, [], empty, []) == total - points(gone)
    assert physical() == total  # the interrupted update's new points are gone
    store.generation = 1
    collect(store)  # after the commit: the retired points are deleted
    assert physical() == store.count() == total - points(gone)

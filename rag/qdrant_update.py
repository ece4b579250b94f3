"""Incremental updates of a Qdrant server's collection: upserts and deletes by document.

With ``RAG_QDRANT_URL``, ``rag add`` / ``rag remove`` / ``rag index --if-needed``
(``rag.index_update``) change the one collection in place instead of writing a new
one, and stay consistent with the manifest, which names the collection and a
*generation* G (``backend.generation``; 0 for a full build):

1. ``stage`` (before the index folder's rename, under the build lock) first removes
   what an interrupted update left (points of a generation after G, retirement marks
   after G, points retired at G or before), then marks every point of the removed and
   changed documents ``to_gen = G+1`` and writes the new and changed documents' points
   as new points with ``from_gen = G+1``.  A reader of the manifest at G sees none of
   this: ``QdrantStore.visible(G)`` hides points from after G and points retired at G
   or before.
2. The index folder's rename commits generation G+1.
3. ``collect`` (after the rename, best effort) deletes the points retired at G+1.

A crash before 2 leaves the old index (generation G, with all its points); after 2,
the new one (a crash before 3 leaves retired points, hidden, that the next update
deletes).  Only the changed documents' points cross the network.  What is not exact:
Qdrant's IDF modifier counts every point of the collection, so retired points not yet
deleted shift BM25's IDF a little; avgdl stays the full build's.

Local mode does not use this: its collection is a folder inside the index folder, and
the atomic rename of that folder is what makes an update all-or-nothing, so an update
writes the whole collection again, from the kept vectors (nothing is re-embedded).

What this module does not do: decide what changed (``rag.index_update``), write the
index folder (``rag.index_build``) or search (``rag.qdrant_retrieval``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.errors import ConfigError, IndexStateError
from rag.qdrant_index import (
    FROM_GEN,
    TO_GEN,
    QdrantStore,
    _is_local,
    _reason,
    drop_collection,
    location,
    open_store,
    sentence_tokens,
    write_collection,
)
from rag.schema import Chunk, Sentence, TokenVectors
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.index_build import IndexContents


def stage(
    store: QdrantStore,
    retire: Collection[str],
    chunks: Sequence[Chunk],
    chunk_vectors: np.ndarray,
    sentences: Sequence[Sentence],
    sentence_vectors: np.ndarray,
    tokens: Sequence[TokenVectors],
) -> int:
    """Prepare generation ``store.generation + 1``: retire the points of the documents
    ``retire`` names and write these rows (the new and changed documents) as new points.
    Nothing changes for readers of ``store.generation``.  Returns the number of points
    visible at the new generation."""
    from qdrant_client import models as m

    gen, new = store.generation, store.generation + 1
    client, name = store.client, store.collection
    if not _is_local(client):  # filters on a server need the integer indexes
        for key in (FROM_GEN, TO_GEN):
            client.create_payload_index(name, key, field_schema=m.PayloadSchemaType.INTEGER)
    leftovers = m.Filter(
        should=[
            m.FieldCondition(key=FROM_GEN, range=m.Range(gt=gen)),  # an interrupted update's
            m.FieldCondition(key=TO_GEN, range=m.Range(lte=gen)),  # retired, not yet deleted
        ]
    )
    client.delete(name, points_selector=m.FilterSelector(filter=leftovers), wait=True)
    marked = m.Filter(must=[m.FieldCondition(key=TO_GEN, range=m.Range(gt=gen))])
    client.delete_payload(name, keys=[TO_GEN], points=m.FilterSelector(filter=marked), wait=True)
    if retire:
        documents = m.Filter(
            must=[m.FieldCondition(key="document", match=m.MatchAny(any=sorted(retire)))]
        )
        client.set_payload(
            name, payload={TO_GEN: new}, points=m.FilterSelector(filter=documents), wait=True
        )
    if chunks:
        store.write(chunks, chunk_vectors, sentences, sentence_vectors, tokens, generation=new)
    return store.count(new)


def collect(store: QdrantStore) -> None:
    """Delete the points retired at or before the store's generation (after the commit)."""
    from qdrant_client import models as m

    if store.generation <= 0:
        return
    retired = m.Filter(must=[m.FieldCondition(key=TO_GEN, range=m.Range(lte=store.generation))])
    store.client.delete(
        store.collection, points_selector=m.FilterSelector(filter=retired), wait=True
    )


def write_backend(
    settings: Settings,
    folder: Path,
    contents: IndexContents,
    before: dict[str, Any] | None,
    changed: Collection[str] | None,
) -> dict[str, Any]:
    """The manifest's ``backend`` entry for the index being written in ``folder``:
    an update in place of a server's collection when ``changed`` names the documents
    whose vectors are new and ``before`` (the index being replaced) has a collection
    there; otherwise the whole collection, written again (``write_collection``)."""
    c = contents
    store = _updatable(settings, before) if changed is not None else None
    if store is None or before is None or changed is None:
        return write_collection(
            settings, folder, c.chunks, c.chunk_vectors, c.sentences, c.sentence_vectors, c.tokens
        )
    corpus = {d.source for d in c.documents}
    retire = {n for n in before.get("corpus") or {} if n in changed or n not in corpus}
    rows = [i for i, chunk in enumerate(c.chunks) if chunk.source in changed]
    sentences = [s for s in c.sentences if s.source in changed]
    try:
        n_points = stage(
            store,
            retire,
            [c.chunks[i] for i in rows],
            c.chunk_vectors[rows],
            sentences,
            c.sentence_vectors[[s.id for s in sentences]],
            sentence_tokens(c.tokens, sentences),
        )
    except (IndexStateError, ConfigError):
        raise
    except Exception as exc:
        raise IndexStateError(f"could not update the Qdrant collection: {_reason(exc)}") from None
    return {**before["backend"], "generation": store.generation + 1, "n_points": n_points}


def after_commit(
    settings: Settings, index_dir: Path, before: dict[str, Any], after: dict[str, Any] | None
) -> None:
    """Once the new manifest is in place: delete the points an update in place retired,
    or drop the previous build's server collection.  Best effort: what is left is
    hidden (or an orphan collection) and loses nothing."""
    old, new = before.get("backend") or {}, (after or {}).get("backend") or {}
    if not settings.qdrant_url:
        return  # local mode: the old collection went with its folder
    if old.get("collection") == new.get("collection") and after is not None:
        with contextlib.suppress(Exception):
            collect(open_store(settings, index_dir, after))
        return
    drop_collection(settings, before)


def _updatable(settings: Settings, before: dict[str, Any] | None) -> QdrantStore | None:
    """The server collection of the index being replaced, if it can be updated in place."""
    backend = (before or {}).get("backend") or {}
    if not settings.qdrant_url or backend.get("name") != "qdrant":
        return None
    if backend.get("location") != location(settings) or not backend.get("collection"):
        return None
    try:
        store = open_store(settings, Path("."), before or {})
        return store if store.client.collection_exists(store.collection) else None
    except Exception:  # unreachable now: the full write says why, in one line
        return None

"""The index's passages in Qdrant: one collection, embedded on disk or on a server.

With ``RAG_INDEX_BACKEND=qdrant`` the index folder is written as usual (the answerer
reads passages, sentences and their vectors from it) and, in the same atomic build,
one Qdrant collection holds what retrieval searches:

- a **passage** point per chunk (payload ``kind``, ``chunk_id``, ``document``) with the
  named vectors ``dense`` (the chunk vector, cosine), ``sentences`` (its sentences'
  vectors, a multivector compared by MAX_SIM: one query vector against them is the best
  sentence's cosine), ``late`` (every word piece of its sentences, a multivector compared
  by MAX_SIM with the dot product, so a query piece scaled by its IDF weight keeps it)
  and ``bm25`` (a sparse vector with the IDF modifier);
- a **sentence** point per sentence (payload ``kind``, ``sentence_id``, ``document``,
  ``chunks``: the ids of the passages holding it) with ``bm25_sentence`` (sparse, IDF)
  and ``late_sentence`` (its word pieces, MAX_SIM, dot).

BM25 as a sparse vector: Qdrant multiplies the query's term weights by the document's
values and, with ``Modifier.IDF``, by ln(1 + (N - df + 0.5) / (df + 0.5)), the IDF
``bm25s`` uses (its "lucene" method).  The document side, tf / (tf + k1 (1 - b + b dl /
avgdl)), is ``rag.qdrant_bm25.Bm25Encoder``, so the two score alike; avgdl is the
corpus's at build time and stays so through ``upsert_document`` and incremental
updates (documents added later shift it slightly).

Where it lives: no ``RAG_QDRANT_URL`` means local mode (``qdrant-client`` runs the same
API in the process) in ``<index>/qdrant/``; with a URL, the server's collection named
in the manifest (``anora-<build id>``; a build writes a new collection, the manifest's
rename switches to it, the old one is dropped; ``rag add``/``remove`` update it in
place by document, made visible by the manifest's generation: ``rag.qdrant_update``).  ``RAG_QDRANT_API_KEY`` is passed to
the client and never printed, logged or stored.

What this module does not do: rank or fuse (``rag.qdrant_retrieval``), build the index
folder (``rag.index_build`` calls ``write_collection``), or decide when to rebuild
(``rag.index`` asks ``backend_problem``).
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from rag.errors import ConfigError, IndexStateError
from rag.qdrant_bm25 import BM25_B, BM25_K1, Bm25Encoder
from rag.schema import Chunk, Sentence, TokenVectors
from rag.settings import Settings

LOCAL_FOLDER = "qdrant"  # under the index folder
LOCAL_COLLECTION = "passages"
UPSERT_BATCH = 64
FROM_GEN, TO_GEN = "from_gen", "to_gen"  # payload keys of incremental updates
_NAMESPACE = uuid.UUID("5b0f6d52-6a4e-4e43-9a53-6b1f8f6c2a28")
_local_clients: dict[str, tuple[str, Any]] = {}  # folder -> (build time, open local client)
_lock = threading.Lock()


def point_id(kind: str, key: str) -> str:
    """A stable point id (UUID 5) for a passage (key: chunk id) or a sentence (key: its id)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def location(settings: Settings) -> str:
    """Where the collection lives, as the manifest records it: "local" or the URL without
    credentials or query.

    >>> location(Settings.load(env={}, qdrant_url="https://u:pw@q.example:6333/?k=1"))
    'https://q.example:6333/'
    """
    if not settings.qdrant_url:
        return "local"
    parts = urlsplit(settings.qdrant_url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def connect(settings: Settings, index_dir: Path, tag: str = "") -> Any:
    """A client for the collection: local mode in ``index_dir/qdrant``, or the server.

    Local clients are kept, one per folder and ``tag`` (the build id: a rebuilt folder
    is another collection), since local mode lets one client at a time open a folder."""
    from qdrant_client import QdrantClient

    if settings.qdrant_url:
        try:
            return QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key)
        except Exception as exc:  # the client's own errors never carry the key
            raise ConfigError(f"RAG_QDRANT_URL: {_reason(exc)}") from None
    folder = str((index_dir / LOCAL_FOLDER).resolve())
    with _lock:
        if _local_clients.get(folder, (None, None))[0] != tag:
            _local_clients.pop(folder, None)  # a client of the folder's previous build
            try:
                _local_clients[folder] = (tag, QdrantClient(path=folder))
            except RuntimeError:  # the folder is locked by another process
                raise CollectionBusy(
                    f"the embedded Qdrant collection in {folder} is open in another process "
                    "(local mode lets one process open it); stop that one, or serve the "
                    "collection from a Qdrant server (RAG_QDRANT_URL)"
                ) from None
        return _local_clients[folder][1]


@atexit.register
def _close_local_clients() -> None:
    """Close local clients while the interpreter still works (their own ``__del__`` at
    shutdown prints an ImportError traceback)."""
    with _lock:
        entries = list(_local_clients.values())
        _local_clients.clear()
    for _, client in entries:
        with contextlib.suppress(Exception):
            client.close()


class CollectionBusy(IndexStateError):
    """Local mode: another process holds the collection's folder."""


def release(index_dir: Path) -> None:
    """Close this process's local client of ``index_dir`` (before the folder moves)."""
    folder = str((index_dir / LOCAL_FOLDER).resolve())
    with _lock:
        entry = _local_clients.pop(folder, None)
    if entry is not None:
        entry[1].close()


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


class QdrantStore:
    """One collection of passages and sentences: create, fill, upsert and delete by document."""

    def __init__(
        self,
        client: Any,
        collection: str,
        bm25: Bm25Encoder,
        bm25_sentence: Bm25Encoder,
        generation: int = 0,
        filtered: bool = False,
    ) -> None:
        self.client = client
        self.collection = collection
        self.bm25 = bm25  # passages
        self.bm25_sentence = bm25_sentence  # sentences: their own average length
        self.generation = generation  # the manifest's: which points are visible
        self.filtered = filtered  # a server's collection, which may hold staged points

    def visible(self, generation: int | None = None) -> Any:
        """The filter that shows the points of ``generation`` (default: the store's).  A
        point written by an update in place carries ``from_gen``, one it retired
        ``to_gen`` (``rag.qdrant_update``).  None (no filter) for a local collection
        of a full build, which only ever holds its own points."""
        from qdrant_client import models as m

        gen = self.generation if generation is None else generation
        if gen <= 0 and not self.filtered:
            return None
        return m.Filter(
            must_not=[
                m.FieldCondition(key=FROM_GEN, range=m.Range(gt=gen)),
                m.FieldCondition(key=TO_GEN, range=m.Range(lte=gen)),
            ]
        )

    def create(self, dim: int) -> None:
        from qdrant_client import models as m

        max_sim = m.MultiVectorConfig(comparator=m.MultiVectorComparator.MAX_SIM)

        def multi(distance: Any) -> Any:
            # multivectors only score a pool (prefetched, or filtered by id): no HNSW graph
            return m.VectorParams(
                size=dim,
                distance=distance,
                multivector_config=max_sim,
                hnsw_config=m.HnswConfigDiff(m=0),
            )

        self.client.create_collection(
            self.collection,
            vectors_config={
                "dense": m.VectorParams(size=dim, distance=m.Distance.COSINE),
                "sentences": multi(m.Distance.COSINE),
                "late": multi(m.Distance.DOT),
                "late_sentence": multi(m.Distance.DOT),
            },
            sparse_vectors_config={
                "bm25": m.SparseVectorParams(modifier=m.Modifier.IDF),
                "bm25_sentence": m.SparseVectorParams(modifier=m.Modifier.IDF),
            },
        )
        if not _is_local(self.client):  # local mode scans; a server needs these for filters
            for key in ("document", "chunks", "kind"):
                self.client.create_payload_index(
                    self.collection, key, field_schema=m.PayloadSchemaType.KEYWORD
                )
            for key in (FROM_GEN, TO_GEN):  # the generation filter (``visible``)
                self.client.create_payload_index(
                    self.collection, key, field_schema=m.PayloadSchemaType.INTEGER
                )

    def upsert_document(
        self,
        document: str,
        chunks: Sequence[Chunk],
        chunk_vectors: np.ndarray,
        sentences: Sequence[Sentence],
        sentence_vectors: np.ndarray,
        sentence_tokens: Sequence[TokenVectors],
    ) -> int:
        """Replace every point of ``document`` by these passages and sentences (rows aligned
        with ``chunks`` / ``sentences``; a chunk's ``sentence_ids`` are ``Sentence.id``s of
        ``sentences``).  Returns the number of points written."""
        if any(c.source != document for c in chunks) or any(
            s.source != document for s in sentences
        ):
            raise ValueError(f"upsert_document({document!r}) was given another document's rows")
        self.delete_document(document)
        return self.write(chunks, chunk_vectors, sentences, sentence_vectors, sentence_tokens)

    def delete_document(self, document: str) -> int:
        """Remove every passage and sentence point of ``document``; returns how many there were."""
        from qdrant_client import models as m

        selector = m.Filter(
            must=[m.FieldCondition(key="document", match=m.MatchValue(value=document))]
        )
        found = self.client.count(self.collection, count_filter=selector, exact=True).count
        if found:
            self.client.delete(
                self.collection, points_selector=m.FilterSelector(filter=selector), wait=True
            )
        return int(found)

    def write(
        self,
        chunks: Sequence[Chunk],
        chunk_vectors: np.ndarray,
        sentences: Sequence[Sentence],
        sentence_vectors: np.ndarray,
        sentence_tokens: Sequence[TokenVectors],
        generation: int = 0,
    ) -> int:
        """Upsert passage and sentence points (no deletes); returns the number written.
        With a ``generation``, the points are new ones of that generation (their ids
        and ``from_gen`` say so) beside any older version of the same passages."""
        from qdrant_client import models as m

        stamp = {FROM_GEN: generation} if generation else {}
        prefix = f"{generation}:" if generation else ""

        row = {s.id: i for i, s in enumerate(sentences)}
        holders: dict[int, list[str]] = {}
        for chunk in chunks:
            for sid in chunk.sentence_ids:
                holders.setdefault(sid, []).append(chunk.id)
        points = []
        for chunk, vector in zip(chunks, chunk_vectors, strict=True):
            rows = [row[sid] for sid in chunk.sentence_ids]
            pieces = [sentence_tokens[r].vectors for r in rows if len(sentence_tokens[r])]
            indices, values = self.bm25.document(chunk.embed_text)
            named: dict[str, Any] = {
                "dense": vector.tolist(),
                "sentences": sentence_vectors[rows].tolist(),
                "bm25": m.SparseVector(indices=indices, values=values),
            }
            if pieces:
                named["late"] = np.vstack(pieces).tolist()
            points.append(
                m.PointStruct(
                    id=point_id("passage", prefix + chunk.id),
                    payload={
                        "kind": "passage",
                        "chunk_id": chunk.id,
                        "document": chunk.source,
                        **stamp,
                    },
                    vector=named,
                )
            )
        for sentence, tokens in zip(sentences, sentence_tokens, strict=True):
            indices, values = self.bm25_sentence.document(sentence.text)
            named = {"bm25_sentence": m.SparseVector(indices=indices, values=values)}
            if len(tokens):
                named["late_sentence"] = tokens.vectors.tolist()
            points.append(
                m.PointStruct(
                    id=point_id("sentence", f"{prefix}{sentence.source}:{sentence.id}"),
                    payload={
                        "kind": "sentence",
                        "sentence_id": sentence.id,
                        "document": sentence.source,
                        "chunks": holders.get(sentence.id, []),
                        **stamp,
                    },
                    vector=named,
                )
            )
        for start in range(0, len(points), UPSERT_BATCH):
            self.client.upsert(self.collection, points[start : start + UPSERT_BATCH], wait=True)
        return len(points)

    def count(self, generation: int | None = None) -> int:
        """The points visible at ``generation`` (default: the store's)."""
        visible = self.visible(generation)
        return int(self.client.count(self.collection, count_filter=visible, exact=True).count)


def _is_local(client: Any) -> bool:
    return type(client._client).__name__ == "QdrantLocal"


def sentence_tokens(tokens: Any, sentences: Sequence[Sentence]) -> list[TokenVectors]:
    """Each sentence's word pieces from a ``rag.late.TokenIndex`` (rows by ``Sentence.id``)."""
    return [
        TokenVectors(
            tokens.ids[tokens.offsets[s.id] : tokens.offsets[s.id + 1]],
            tokens.vectors[tokens.offsets[s.id] : tokens.offsets[s.id + 1]],
        )
        for s in sentences
    ]


def write_collection(
    settings: Settings,
    folder: Path,
    chunks: Sequence[Chunk],
    chunk_vectors: np.ndarray,
    sentences: Sequence[Sentence],
    sentence_vectors: np.ndarray,
    tokens: Any,
) -> dict[str, Any]:
    """Write the collection for an index being built in ``folder`` (the temporary one);
    returns the manifest's ``backend`` entry.  Local mode writes into ``folder/qdrant``
    and closes its client, so the folder can be renamed."""
    remote = bool(settings.qdrant_url)
    build = uuid.uuid4().hex[:12]  # names this build's collection (and its local client)
    name = f"anora-{build}" if remote else LOCAL_COLLECTION
    client = connect(settings, folder, build)
    try:
        store = QdrantStore(
            client,
            name,
            Bm25Encoder.fit([c.embed_text for c in chunks]),
            Bm25Encoder.fit([s.text for s in sentences]),
        )
        if client.collection_exists(name):
            client.delete_collection(name)
        store.create(int(chunk_vectors.shape[1]))
        n_points = store.write(
            chunks, chunk_vectors, sentences, sentence_vectors, sentence_tokens(tokens, sentences)
        )
    except (IndexStateError, ConfigError):
        raise
    except Exception as exc:
        raise IndexStateError(f"could not write the Qdrant collection: {_reason(exc)}") from None
    finally:
        if not remote:
            release(folder)
    return {
        "name": "qdrant",
        "location": location(settings),
        "collection": name,
        "build": build,
        "n_points": n_points,
        "bm25": {
            "k1": store.bm25.k1,
            "b": store.bm25.b,
            "avgdl": store.bm25.avgdl,
            "avgdl_sentence": store.bm25_sentence.avgdl,
        },
    }


def drop_collection(settings: Settings, manifest: dict[str, Any]) -> None:
    """Remove a server collection an older build left (local ones go with their folder)."""
    backend = manifest.get("backend") or {}
    if settings.qdrant_url and backend.get("location") == location(settings):
        # best effort: an orphan collection wastes space, loses nothing
        with contextlib.suppress(Exception):
            connect(settings, Path(".")).delete_collection(backend["collection"])


def open_store(settings: Settings, index_dir: Path, manifest: dict[str, Any]) -> QdrantStore:
    """The store an index's manifest names, checked to hold what the build wrote."""
    backend = manifest.get("backend") or {}
    params = backend.get("bm25") or {}
    k1, b = float(params.get("k1", BM25_K1)), float(params.get("b", BM25_B))
    return QdrantStore(
        connect(settings, index_dir, str(backend.get("build", ""))),
        str(backend.get("collection")),
        Bm25Encoder(float(params.get("avgdl", 1.0)), k1, b),
        Bm25Encoder(float(params.get("avgdl_sentence", 1.0)), k1, b),
        int(backend.get("generation", 0)),
        filtered=bool(settings.qdrant_url),
    )


def backend_problem(
    settings: Settings, index_dir: Path, manifest: dict[str, Any]
) -> tuple[str, str] | None:
    """(state, reason) if the index does not fit ``settings.index_backend``, else None."""
    backend = manifest.get("backend") or {"name": "faiss"}
    if backend.get("name") != settings.index_backend:
        return "stale", f"built for the {backend.get('name')} backend, not {settings.index_backend}"
    if settings.index_backend != "qdrant":
        return None
    if backend.get("location") != location(settings):
        return (
            "stale",
            f"its Qdrant collection is at {backend.get('location')}, not {location(settings)}",
        )
    try:
        store = open_store(settings, index_dir, manifest)
        if not store.client.collection_exists(store.collection):
            return "corrupt", f"the Qdrant collection {store.collection!r} is missing"
        found = store.count()
    except CollectionBusy:
        return (
            "ok",
            f"{manifest.get('n_chunks')} passages; its collection is open in another process",
        )
    except (IndexStateError, ConfigError) as exc:
        return "corrupt", str(exc)
    except Exception as exc:
        if settings.qdrant_url:  # a server that does not answer: rebuilding would not help
            raise IndexStateError(
                f"cannot reach the Qdrant server at {location(settings)} ({_reason(exc)})"
            ) from None
        return "corrupt", f"the Qdrant collection cannot be read ({_reason(exc)})"
    if found != backend.get("n_points"):
        return "corrupt", (
            f"the Qdrant collection {store.collection!r} holds {found} points, "
            f"the manifest says {backend.get('n_points')}"
        )
    return None

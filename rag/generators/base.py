"""The answer-generator seam: one ``Generator`` protocol, three backends.

A generator turns a ``GenerationRequest`` (the question, its retrieved hits and
the query vector) into a ``Draft``: answer text with ``[n]`` markers and the
citations those markers point to.  The pipeline adds timings and wraps the draft
into an ``Answer``.  ``stream()`` yields ``Delta`` text pieces and ends with the
final ``Draft``; the UI renders deltas as they come and replaces them with the
verified draft at the end.

Backends are registered by name in ``GENERATORS`` (name -> factory); an unknown
name raises a ``ConfigError`` listing the valid ones.  Construction is cheap;
heavy set-up (loading a model) happens lazily on first use.

This module does no retrieval and no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from rag.errors import ConfigError
from rag.schema import Citation, Hit, TokenVectors

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.index import LoadedIndex
    from rag.settings import Settings


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    hits: tuple[Hit, ...]
    query_vector: np.ndarray  # (dim,) float32, L2-normalised, of ``retrieval_query``
    retrieval_query: str = ""  # the question, plus history context for follow-ups
    history: tuple[str, ...] = ()
    question_tokens: TokenVectors | None = None  # of ``question`` alone, for late interaction
    # the passages ranked just below ``hits``, read only when none of ``hits`` holds the
    # kind of fact the question asks for (a name, a role: ``ExtractiveGenerator.constrain``)
    reserve: tuple[Hit, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A generator's answer before the pipeline adds timings."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float = 0.0
    related: tuple[Citation, ...] = ()
    verified: bool | None = None
    fallback_reason: str | None = None
    notices: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Delta:
    """A piece of streamed answer text."""

    text: str


@dataclass(frozen=True)
class Resources:
    """What generators may use besides the request: built once by the pipeline."""

    settings: Settings
    embedder: Embedder
    index: LoadedIndex


@runtime_checkable
class Generator(Protocol):
    name: str

    def generate(self, request: GenerationRequest) -> Draft: ...

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]: ...


GeneratorFactory = Callable[[Resources], Generator]


def _extractive(resources: Resources) -> Generator:
    from rag.generators.extractive import ExtractiveGenerator

    return ExtractiveGenerator(resources)


def _local(resources: Resources) -> Generator:
    from rag.generators.local import LocalLLMGenerator

    return LocalLLMGenerator(resources)


def _openai(resources: Resources) -> Generator:
    from rag.generators.openai_compat import OpenAIGenerator

    return OpenAIGenerator(resources)


GENERATORS: dict[str, GeneratorFactory] = {
    "extractive": _extractive,
    "local": _local,
    "openai": _openai,
}


def make_generator(name: str, resources: Resources) -> Generator:
    """Build the named generator; an unknown name lists the valid ones."""
    try:
        factory = GENERATORS[name]
    except KeyError:
        raise ConfigError(
            f"unknown generator {name!r}; choose one of: {', '.join(GENERATORS)}"
        ) from None
    return factory(resources)


def stream_once(
    generate: Callable[[GenerationRequest], Draft], request: GenerationRequest
) -> Iterator[Delta | Draft]:
    """A ``stream()`` for generators that answer in one piece: one delta, then the draft."""
    draft = generate(request)
    yield Delta(draft.text)
    yield draft


def number_citations(picked: Sequence[tuple[Hit, int, int, str, float]]) -> list[Citation]:
    """Number passages by first appearance.  ``picked``: (hit, span start, span end, sentence, score).

    A passage cited twice keeps its first number and its first supporting sentence.
    """
    seen: dict[str, Citation] = {}
    for hit, start, end, sentence, score in picked:
        if hit.chunk.id in seen:
            continue
        seen[hit.chunk.id] = Citation(
            n=len(seen) + 1,
            source=hit.chunk.source,
            title=hit.chunk.title,
            chunk_id=hit.chunk.id,
            text=hit.chunk.text,
            span=(start, end),
            score=round(float(score), 4),
            sentence=sentence,
        )
    return list(seen.values())

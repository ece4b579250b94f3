"""The answer-generator seam: one ``Generator`` protocol, three backends.

A generator turns a ``GenerationRequest`` (the question, its retrieved hits and
the query vector) into a ``Draft``: answer text with ``[n]`` markers and the
citations those markers point to.  The pipeline adds timings and wraps the draft
into an ``Answer``.  ``stream()`` yields ``Delta`` text pieces and ends with the
final ``Draft``; the UI renders deltas as they come and replaces them with the
verified draft at the end.

Backends are registered by name in ``GENERATORS`` (name -> "module:Class", imported
on first use, so no import cycle runs through here); an unknown name raises a
``ConfigError`` listing the valid ones.  The seam types (``GenerationRequest``,
``Draft``, ``Delta``) live in ``rag.schema``.  Construction is cheap;
heavy set-up (loading a model) happens lazily on first use.

This module does no retrieval and no I/O.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rag.errors import ConfigError
from rag.schema import Citation, Delta, Draft, GenerationRequest, Hit

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.index import LoadedIndex
    from rag.settings import Settings


@dataclass(frozen=True)
class Resources:
    """What generators may use besides the request: built once by the pipeline."""

    settings: Settings
    embedder: Embedder
    index: LoadedIndex


@runtime_checkable
class Generator(Protocol):
    name: str

    def warm_up(self) -> None:
        """Heavy set-up (loading a model, corpus statistics) now, not on the first question."""
        ...

    def generate(self, request: GenerationRequest) -> Draft: ...

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]: ...


# Backends by dotted path ("module:Class"), imported only when asked for, so this module
# never imports the modules that import it.  Each class takes ``Resources``.
GENERATORS: dict[str, str] = {
    "extractive": "rag.answerer.generator:ExtractiveGenerator",
    "local": "rag.generators.local:LocalLLMGenerator",
    "openai": "rag.generators.openai_compat:OpenAIGenerator",
}


def make_generator(name: str, resources: Resources) -> Generator:
    """Build the named generator; an unknown name lists the valid ones."""
    try:
        target = GENERATORS[name]
    except KeyError:
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise ConfigError(
            f"unknown generator {shown!r}; choose one of: {', '.join(GENERATORS)}"
        ) from None
    module, _, attribute = target.partition(":")
    factory: Callable[[Resources], Generator] = getattr(importlib.import_module(module), attribute)
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
            page=hit.chunk.page,
        )
    return list(seen.values())

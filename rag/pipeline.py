"""The question-to-answer pipeline that the CLI, the web app and ``rag eval`` share.

``load_pipeline()`` loads the index (building it first when it is missing, stale,
foreign or corrupted) and returns a ``Pipeline``.  ``Pipeline.ask`` runs, in order:

1. input checks: an empty question is refused with a message and no retrieval;
   control characters are removed; a very long question is trimmed to what the
   embedder reads, with a notice;
2. follow-up context (``conversation.contextualize``) from earlier user turns; when
   a pronoun stands for the person the previous turn asked for, that turn is
   answered again extractively: the names its answer quotes join the query, and
   the passages that follow the ones it cited (an article goes on about the person
   it has just introduced) join the hybrid ranking (``Query.follows``);
3. one embedding of the search query (its vector and word-piece vectors; a
   follow-up's question alone is embedded too, for the answerer);
4. retrieval (``dense``, ``bm25`` or ``hybrid``);
5. a generator (``extractive``, ``local`` or ``openai``) writes the cited answer.

Timings of each step are returned in ``Answer.timings_ms``.  ``Pipeline.stream``
yields text pieces as the generator produces them, then the final ``Answer``.

What this module does not do: print or render anything.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from rag.conversation import MAX_CONTEXT_TURNS, answer_names, contextualize, refers_to_answer
from rag.embedding import Embedder, get_embedder
from rag.generators.base import (
    Delta,
    Draft,
    GenerationRequest,
    Generator,
    Resources,
    make_generator,
)
from rag.index import LoadedIndex, ensure_index
from rag.retrieval import Query, Retriever, make_retriever
from rag.schema import Answer, Hit
from rag.settings import Settings

log = logging.getLogger(__name__)

EMPTY_QUESTION = (
    "Please type a question about Anora, for example: Who was the director of photography?"
)


def clean_question(question: str, limit: int) -> tuple[str, list[str]]:
    """Remove control characters and trim to ``limit`` characters; notices for the user.

    >>> clean_question("Who\\x00 shot\\tit?", 100)
    ('Who shot it?', [])
    """
    notices: list[str] = []
    text = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in str(question)
        if ch in "\t\n\r" or unicodedata.category(ch)[0] != "C"
    )
    text = " ".join(text.split())
    if len(text) > limit:
        notices.append(
            f"Your question was {len(text):,} characters long; only the first {limit:,} were used."
        )
        text = text[:limit]
    return text, notices


class Pipeline:
    """Holds the loaded index, the embedder, and the retrievers and generators built so far."""

    def __init__(self, settings: Settings, index: LoadedIndex, embedder: Embedder) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.resources = Resources(settings=settings, embedder=embedder, index=index)
        self._retrievers: dict[str, Retriever] = {}
        self._generators: dict[str, Generator] = {}
        self._lock = threading.Lock()

    def retriever(self, name: str | None = None) -> Retriever:
        with self._lock:
            return make_retriever(name or self.settings.retriever, self.index, self._retrievers)

    def generator(self, name: str | None = None) -> Generator:
        name = name or self.settings.generator
        with self._lock:
            if name not in self._generators:
                self._generators[name] = make_generator(name, self.resources)
            return self._generators[name]

    def warm_up(self) -> None:
        """Load the model and build the default retriever now rather than on the first question."""
        self.embedder.embed_query_with_tokens("warm up")
        self.retriever()
        generator = self.generator()
        warm = getattr(generator, "warm_up", None)
        if callable(warm):  # an LLM loads its model (or client) now, not on the first question
            warm()

    def prepare(
        self,
        question: str,
        history: Sequence[str] = (),
        *,
        retriever: str | None = None,
        k: int | None = None,
    ) -> tuple[GenerationRequest | None, list[str], dict[str, float]]:
        """Checks, context, embedding and retrieval: the request a generator answers.

        Returns ``(None, notices, timings)`` for an empty question.
        """
        timings: dict[str, float] = {}
        started = time.perf_counter()
        text, notices = clean_question(question, self.settings.max_question_chars)
        if not text:
            return None, [EMPTY_QUESTION], timings
        history = [clean_question(h, self.settings.max_question_chars)[0] for h in history or ()]
        history = [h for h in history if h]
        referent: list[str] = []
        follows: tuple[int, ...] = ()
        if refers_to_answer(text, history):
            # "him" after "Who plays Ivan?" is the actor the answer names, not Ivan
            earlier = self.ask(
                history[-1],
                history[-1 - MAX_CONTEXT_TURNS : -1],  # bounded: at most two turns deep
                retriever=retriever,
                generator="extractive",
                k=k,
            )
            if not earlier.abstained:
                referent = answer_names(earlier.text, f"{history[-1]} {text}")
                follows = self.following(c.chunk_id for c in earlier.citations)
        query_text = contextualize(text, history, referent)
        trimmed = self.embedder.truncate(query_text)
        # a follow-up's query carries earlier questions: only a cut of the question itself
        # is worth telling the user about
        if (
            len(trimmed) < len(query_text)
            and not notices
            and len(self.embedder.truncate(text)) < len(text)
        ):
            notices.append(
                "Your question is longer than the search model reads; only its beginning was used."
            )
        timings["prepare"] = _ms(started)
        mark = time.perf_counter()
        vector, tokens = self.embedder.embed_query_with_tokens(trimmed)
        # a follow-up's search query carries its history; the answerer matches the question
        question_tokens = (
            tokens
            if trimmed == text
            else self.embedder.embed_query_with_tokens(self.embedder.truncate(text))[1]
        )
        timings["embed"] = _ms(mark)
        mark = time.perf_counter()
        k = k or self.settings.top_k
        # twice as deep: the answerer may look past the first k for a name or role (``reserve``)
        query = Query(query_text, vector, tokens, follows)
        ranked = self.retriever(retriever).retrieve(query, 2 * k)
        hits, reserve = ranked[:k], ranked[k:]
        timings["retrieve"] = _ms(mark)
        request = GenerationRequest(
            question=text,
            hits=tuple(hits),
            query_vector=vector,
            retrieval_query=query_text,
            history=tuple(history),
            question_tokens=question_tokens,
            reserve=tuple(reserve),
        )
        return request, notices, timings

    def following(self, chunk_ids: Iterable[str]) -> tuple[int, ...]:
        """The positions of the passages right after these, in the same article, once each."""
        chunks, position = self.index.chunks, self.index.chunk_position
        out: dict[int, None] = {}
        for chunk_id in chunk_ids:
            here = position.get(chunk_id)
            if (
                here is not None
                and here + 1 < len(chunks)
                and chunks[here + 1].source == chunks[here].source
            ):
                out[here + 1] = None
        return tuple(out)

    def retrieve(
        self,
        question: str,
        history: Sequence[str] = (),
        *,
        retriever: str | None = None,
        k: int | None = None,
    ) -> list[Hit]:
        request, _, _ = self.prepare(question, history, retriever=retriever, k=k)
        return list(request.hits) if request else []

    def ask(
        self,
        question: str,
        history: Sequence[str] = (),
        *,
        retriever: str | None = None,
        generator: str | None = None,
        k: int | None = None,
    ) -> Answer:
        """Answer one question (with earlier user turns as ``history``, oldest first)."""
        answer: Answer | None = None
        for event in self.stream(question, history, retriever=retriever, generator=generator, k=k):
            if isinstance(event, Answer):
                answer = event
        if answer is None:  # stream() always ends with an Answer
            raise RuntimeError("the pipeline produced no answer")
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[str] = (),
        *,
        retriever: str | None = None,
        generator: str | None = None,
        k: int | None = None,
    ) -> Iterator[Delta | Answer]:
        """Text pieces as they are generated, then the final ``Answer``."""
        started = time.perf_counter()
        name = generator or self.settings.generator
        backend = self.generator(name)  # unknown names fail before any work
        request, notices, timings = self.prepare(question, history, retriever=retriever, k=k)
        if request is None:
            yield Answer(
                question="",  # nothing usable was asked; never echo a huge blank input back
                text=notices[0],
                abstained=True,
                citations=(),
                generator=name,
                timings_ms={"total": _ms(started)},
                notices=tuple(notices),
            )
            return
        mark = time.perf_counter()
        draft: Draft | None = None
        for event in backend.stream(request):
            if isinstance(event, Draft):
                draft = event
            else:
                yield event
        if draft is None:  # a backend that ended without a draft broke its contract
            raise RuntimeError(f"generator {name!r} returned no answer")
        timings.update(draft.timings_ms)
        timings["generate"] = _ms(mark)
        timings["total"] = _ms(started)
        yield Answer(
            question=request.question,
            text=draft.text,
            abstained=draft.abstained,
            citations=draft.citations,
            generator=name,
            timings_ms=timings,
            related=draft.related,
            confidence=draft.confidence,
            verified=draft.verified,
            fallback_reason=draft.fallback_reason,
            notices=tuple(notices) + draft.notices,
            retrieval_query=request.retrieval_query,
        )

    def with_settings(self, **changes: Any) -> Pipeline:
        """A pipeline sharing this one's index and model, with some settings changed."""
        return Pipeline(replace(self.settings, **changes), self.index, self.embedder)


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


def load_pipeline(
    settings: Settings | None = None, *, progress: bool = False, **overrides: Any
) -> Pipeline:
    """Settings from defaults and ``RAG_*`` (plus ``overrides``), the index loaded or built."""
    settings = (settings or Settings.load()).replace(**overrides)
    embedder = get_embedder(
        settings.embed_model,
        batch_size=settings.embed_batch_size,
        backend=settings.embed_backend,
    )
    index = ensure_index(settings, embedder, progress=progress)
    return Pipeline(settings, index, embedder)

"""The question-to-answer pipeline that the CLI, the web app and ``rag eval`` share.

``load_pipeline()`` loads the index (building it first when it is missing, stale,
foreign or corrupted) and returns a ``Pipeline``.  ``Pipeline.ask`` runs, in order:

1. input checks: an empty question is refused with a message and no retrieval;
   control characters are removed; a message longer than the embedder reads keeps
   its question (``rag.message``: a pasted text first, the question last), searched
   alone or with the text just before it when it leans on that, with one notice;
   a typo is read as the corpus word it was meant to be ("improvized": "improvise",
   ``rag.spelling``), with a notice saying so;
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

import functools
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from rag.answerer.cast import Cast
from rag.answerer.excerpt import shown_before
from rag.answerer.titles import title_key, titles
from rag.canonical import canonical, corpus_subject, refers_to_subject
from rag.conversation import (
    MAX_CONTEXT_TURNS,
    MAX_TURNS,
    Resolved,
    asks_for_person,
    corpus_names,
    is_follow_up,
    resolve,
)
from rag.embedding import Embedder, get_embedder
from rag.generators.base import Generator, Resources, make_generator
from rag.index import LoadedIndex, ensure_index
from rag.message import clean_question, question_sentence, search_text, shortened, text_before
from rag.picks import named_work, options, picked_referent, substitute_it
from rag.retrieval import Retriever, make_retriever
from rag.schema import Answer, Delta, Draft, GenerationRequest, Hit, Query, Turn
from rag.settings import Settings
from rag.spelling import Speller

log = logging.getLogger(__name__)

EMPTY_QUESTION = (
    "Please type a question about Anora, for example: Who was the director of photography?"
)


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
        self.speller  # noqa: B018 - the corpus's words, read by every question
        self.retriever()
        self.generator().warm_up()  # an LLM loads its model (or client) now

    def prepare(
        self,
        question: str,
        history: Sequence[str | Turn | dict[str, Any]] = (),
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
        leaning, before = "", text_before(text)  # what they have read: not quoted back
        asked = question_sentence(text) if not self.reads_whole(text) else text
        if asked != text and self.reads_whole(asked):  # a pasted text, a question about it
            # searched with the text before it only when it leans on it ("his parents")
            if is_follow_up(asked, [Turn(question=before)], self.names):
                leaning = search_text(text, self.reads_whole)
            text = asked
            notices = [  # one notice for the whole message, whatever was cut
                f"Your message is long, so it was searched with your question, "
                f"“{shortened(text, 20)}”"
                + (", and the text just before it." if leaning else ", alone.")
            ]
        read = self.speller.correct(text)  # "how much was improvized": the corpus's "improvise"
        text, notices = read.text, [*notices, *([read.notice] if read.changes else [])]
        turns = self.turns(history)
        resolved = resolve(text, turns, self.names, self.subject)
        follows: tuple[int, ...] = ()
        if (
            resolved.follow_up
            and turns
            and (resolved.needs_answer or resolved.more or resolved.referent)
        ):
            # what earlier answers established, when the caller passed questions only
            turns = self.recall(turns, resolved, retriever, k)
            resolved = resolve(text, turns, self.names, self.subject)
        picked = picked_referent(text, turns) or named_work(text, turns, self.works, self.names)
        if picked:  # "when did it come out" after "which one was shot on a phone": that one
            resolved = Resolved(substitute_it(text, picked), True, referent=picked, rewritten=True)
        if resolved.follow_up and resolved.referent and turns[-1].chunk_ids:
            follows = self.following(turns[-1].chunk_ids)
        # a request for more ("what else ...") gets only what no earlier turn quoted
        # (of a long quotation shown in part, only the part shown: "tell me more" shows the rest)
        shown, seen = frozenset[str](), frozenset[str]()
        for turn in turns if resolved.more else ():
            whole, parts = shown_before(turn.sentences, turn.answer)
            shown, seen = shown | whole, seen | parts
        questions = tuple(t.question for t in turns)
        query_text = resolved.question
        # a question many phrasings share, asked as one: "who shot it?" is the DP question,
        # "whats the plot" "What is it about?" (``canonical``; the lead read only if asked)
        complete = resolved.rewritten or not resolved.follow_up  # a question in its own words
        shared = (
            None
            if resolved.follow_up
            else canonical(text, self.subject, self.names, lambda: self.lead_character)
        )
        if shared is not None:
            resolved = replace(resolved, question=shared[0], rewritten=True)
            query_text = shared[1]
        elif complete and self.subject and refers_to_subject(resolved.question, self.names):
            # "where was the movie shot", "where" after "did it win anything": the film
            query_text = f"{query_text} {self.subject}"
        if leaning and not resolved.follow_up:
            query_text = leaning  # the question, then the pasted text nearest it
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
        asked = resolved.question if resolved.rewritten else (resolved.focus or text)
        question_vector, question_tokens = (
            (None, tokens)
            if trimmed == asked
            else self.embedder.embed_query_with_tokens(self.embedder.truncate(asked))
        )
        timings["embed"] = _ms(mark)
        mark = time.perf_counter()
        k = k or self.settings.top_k
        query = Query(query_text, vector, tokens, follows)
        backend = self.retriever(retriever)
        hits = backend.retrieve(query, k)
        timings["retrieve"] = _ms(mark)

        @functools.cache
        def deeper() -> tuple[Hit, ...]:
            # asked for only when a rule of the answerer needs a name or role none of the
            # first k passages gives; the fused ranking's first k do not depend on its depth
            return tuple(backend.retrieve(query, 2 * k)[k:])

        request = GenerationRequest(
            question=asked,
            hits=tuple(hits),
            query_vector=vector,
            retrieval_query=query_text,
            history=questions,
            question_tokens=question_tokens,
            question_vector=question_vector,
            shown=shown,
            seen=seen,
            # a follow-up does not open as an earlier answer did; a standalone question is
            # answered as in a new chat
            opened=frozenset(t.sentences[0] for t in turns if t.sentences)
            if resolved.follow_up
            else frozenset(),
            referent=resolved.referent if resolved.follow_up else "",
            options=options(text, turns),
            pasted=before,
            more=deeper,
        )
        return request, notices, timings

    def reads_whole(self, text: str) -> bool:
        """Whether the embedder reads all of ``text`` (it ignores word pieces past its limit)."""
        return len(self.embedder.truncate(text)) >= len(text)

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """The corpus's proper names, folded, for finding them in lower-case questions."""
        return corpus_names(s.text for s in self.index.sentences)

    @functools.cached_property
    def works(self) -> tuple[str, ...]:
        """The titles the corpus marks as works (``titles``), the film it is about aside."""
        found = (t for s in self.index.sentences for t in titles(s.text, strict=True))
        return tuple(t for t in dict.fromkeys(found) if title_key(t) != self.subject.lower())

    @functools.cached_property
    def lead_character(self) -> str:
        """Whom the most credited actor plays ("Ani"): "the main character" of the film."""
        roster = Cast(self.index.sentences).roster()
        return roster[0][0].character if roster else ""

    @functools.cached_property
    def speller(self) -> Speller:
        """The corpus's words, to read a typo ("improvized") as the one it was meant to be."""
        return Speller((s.text for s in self.index.sentences), self.embedder.word_pieces)

    @functools.cached_property
    def subject(self) -> str:
        """What the corpus is about: the capitalised word most of its titles share ("Anora")."""
        return corpus_subject(doc.title for doc in self.index.documents.values())

    def turns(self, history: Sequence[str | Turn | dict[str, Any]] | None) -> list[Turn]:
        """Earlier turns, oldest first, from questions or turns (``Turn`` or its dict form);
        the newest ``MAX_TURNS`` kept, each bounded like a question."""
        limit = self.settings.max_question_chars
        out: list[Turn] = []
        for item in list(history or ())[-MAX_TURNS:]:
            if isinstance(item, Turn):
                turn = item
            elif isinstance(item, dict):
                turn = Turn(
                    question=str(item.get("question", "")),
                    answer=str(item.get("answer", ""))[: 4 * limit],
                    short_answer=str(item.get("short_answer", ""))[:200],
                    sentences=tuple(str(x) for x in item.get("sentences", ()))[:10],
                    chunk_ids=tuple(str(x) for x in item.get("chunk_ids", ()))[:10],
                )
            else:
                turn = Turn(question=str(item))
            question = self.speller.correct(clean_question(turn.question, limit)[0]).text
            # every sentence its answer quoted, not only the one each citation names
            quoted = self.index.quoted(turn.chunk_ids, turn.answer) if turn.answer else []
            sentences = tuple(dict.fromkeys([*turn.sentences, *quoted]))
            if question:
                out.append(replace(turn, question=question, sentences=sentences))
        return out

    def recall(
        self, turns: list[Turn], resolved: Resolved, retriever: str | None, k: int | None
    ) -> list[Turn]:
        """The turns with the answers the extractive answerer gives them: the last when the
        question needs it ("him" after "Who plays Ivan?" is the actor it named), and the two
        before it that asked for a person, for a pronoun's chain ("did he enjoy making it"
        after "who shot it", "has he worked with baker before", "what is it about?")."""
        out, last = list(turns), len(turns) - 1
        for at in range(max(0, last - 2), last + 1):
            person = bool(resolved.referent) and asks_for_person(out[at].question)
            if out[at].answered or not (
                resolved.needs_answer or resolved.more if at == last else person
            ):
                continue
            before = out[max(0, at - MAX_CONTEXT_TURNS) : at]
            got = self.ask(
                out[at].question, before, retriever=retriever, generator="extractive", k=k
            )
            out[at] = out[at] if got.abstained else as_turn(got)
        return out

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
        history: Sequence[str | Turn | dict[str, Any]] = (),
        *,
        retriever: str | None = None,
        k: int | None = None,
    ) -> list[Hit]:
        request, _, _ = self.prepare(question, history, retriever=retriever, k=k)
        return list(request.hits) if request else []

    def ask(
        self,
        question: str,
        history: Sequence[str | Turn | dict[str, Any]] = (),
        *,
        retriever: str | None = None,
        generator: str | None = None,
        k: int | None = None,
    ) -> Answer:
        """Answer one question, after the earlier turns of its conversation (oldest first).

        ``history`` items are the earlier questions as strings, or earlier turns as
        ``Turn`` objects or dicts with ``question`` and, optionally, ``answer``,
        ``short_answer``, ``sentences`` (the quoted sentences) and ``chunk_ids``: with
        those, nothing is answered twice to resolve a pronoun ("him" after "Who plays
        Ivan?") and nothing already quoted is quoted again.  The newest ``MAX_TURNS``
        are read; a question that does not need them is answered as in a new chat.
        """
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
        history: Sequence[str | Turn | dict[str, Any]] = (),
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
            question=clean_question(question, self.settings.max_question_chars)[0],
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
            short_answer=draft.short_answer,
        )

    def use_index(self, index: LoadedIndex) -> None:
        """Serve ``index`` from the next question on (after documents were added or
        removed): retrievers and generators are rebuilt on first use, over it."""
        with self._lock:
            self.index = index
            self.resources = replace(self.resources, index=index)
            self._retrievers.clear()
            self._generators.clear()
            for cached in ("names", "subject", "works", "lead_character", "speller"):
                self.__dict__.pop(cached, None)

    def with_settings(self, **changes: Any) -> Pipeline:
        """A pipeline sharing this one's index and model, with some settings changed."""
        return Pipeline(replace(self.settings, **changes), self.index, self.embedder)


def as_turn(answer: Answer) -> Turn:
    """An answer as an earlier turn of its conversation."""
    return Turn(
        question=answer.question,
        answer=answer.text,
        short_answer=answer.short_answer,
        sentences=tuple(c.sentence for c in answer.citations),
        chunk_ids=tuple(c.chunk_id for c in answer.citations),
    )


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

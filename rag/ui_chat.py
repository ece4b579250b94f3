"""One page session's conversation: its turns, their storage, and the answer handler.

A ``Turn`` is one answered question, rendered once when it arrives.  A session keeps
at most ``MAX_TURNS`` (older ones leave the page and the history), so its memory and
every reply stay bounded.  ``save_turns`` / ``load_turns`` turn a conversation into
JSON for the tab's ``sessionStorage`` and back; what comes back is re-rendered here,
never trusted as HTML.

``respond`` streams one answer: a worker thread loads the generator's model if needed
and runs ``Pipeline.stream``; the handler shows a status line for each phase that lasts
("Searching the articles...", "Loading the model...", "Writing the answer..."), then
the final answer.  ``panel_and_saved`` gives what follows it: the sources panel and the
stored copy.  ``STOPS`` holds one stop flag per session: Stop sets it and the answer
ends at once.

Why the panel is not one of ``respond``'s outputs: Gradio 6 answers ``gr.skip()`` (or any
component update) by building a replacement component, and when a value later reaches
that output it files the replacement in the session under a new id, with a copy of the
value, and never lets go.  Streaming into (chat, panel, saved) with the panel and the
copy skipped until the end, and reading the question box the server also updates, kept
three such entries per turn (~50 KiB of JSON, ~150 KiB of memory) for the session's
life.  So a component the server gives values to (or reads) never gets an update
(``docs/reliability.md``, "One session's memory"); a ``gr.State`` may be skipped (it has
no replacement).

``_feedback_record`` turns a thumbs click into a ``FeedbackRecord``; ``with_comment``
gives that record again with the short comment the reader typed after it (same ``id``).

What this module does not do: build the page (``rag.ui``) or render HTML
(``rag.ui_render``).
"""

# No `from __future__ import annotations`: Gradio reads respond()'s annotations at run time.
import html
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.errors import RagError
from rag.feedback import FeedbackRecord
from rag.generators.base import Delta
from rag.pipeline import as_turn, clean_question
from rag.schema import Answer, Citation
from rag.ui_render import (
    render_answer,
    render_panel,
    render_sources,
    render_status,
    render_streaming,
    render_user,
)

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

FAILED = "Sorry, something went wrong while answering. Please try again."
SEARCHING = "Searching the articles…"
LOADING = "Loading the model…"
WRITING = "Writing the answer (each sentence is checked against its source)…"
STATUS_AFTER_S = 0.3  # a phase that lasts longer than this gets its own status line
LLM_GENERATORS = ("local", "openai")
MAX_TURNS = 20  # turns one session keeps on the page and in its history
PANEL_TURNS = 6  # answers whose cards the side panel shows (every reply carries the panel)
MAX_SAVED_CHARS = 600_000  # the sessionStorage copy of a conversation stays under this
FEEDBACK_OPTIONS = ("Like", "Dislike", "Wrong source", "Not what I asked")
COMMENT_CHARS = 500  # a reader's comment on one answer is cut to this (the box stops there too)


# ---------------------------------------------------------------- one turn of a session


@dataclass(frozen=True)
class Turn:
    """One answered question as the page shows it (rendered once, when it arrives)."""

    number: int  # 1, 2, ... within this chat: the ``turn`` of its card ids
    answer: Answer
    chat_html: str
    section_html: str


def make_turn(pipeline: "Pipeline", number: int, answer: Answer) -> Turn:
    documents = pipeline.index.documents
    return Turn(
        number,
        answer,
        render_answer(answer, number, documents),
        render_sources(answer, number, documents),
    )


def _citation(row: dict[str, Any]) -> Citation:
    return Citation(
        n=int(row["n"]),
        source=str(row["source"]),
        title=str(row["title"]),
        chunk_id=str(row["chunk_id"]),
        text=str(row["text"]),
        span=(int(row["span"][0]), int(row["span"][1])),
        score=float(row["score"]),
        sentence=str(row.get("sentence", "")),
        page=int(row["page"]) if row.get("page") is not None else None,
    )


def answer_from_json(row: dict[str, Any]) -> Answer:
    """The inverse of ``Answer.to_json()`` for what the page shows (timings dropped)."""
    return Answer(
        question=str(row["question"]),
        text=str(row["answer"]),
        abstained=bool(row["abstained"]),
        citations=tuple(_citation(c) for c in row.get("citations") or ()),
        generator=str(row.get("generator", "")),
        timings_ms={},
        related=tuple(_citation(c) for c in row.get("related") or ()),
        verified=row.get("verified"),
        fallback_reason=row.get("fallback_reason"),
        notices=tuple(str(n) for n in row.get("notices") or ()),
        short_answer=str(row.get("short_answer") or ""),
    )


def save_turns(turns: Sequence[Turn]) -> str:
    """The conversation as JSON for the tab's storage, oldest turns dropped to fit."""
    rows: list[dict[str, Any]] = []
    for t in turns:
        data = t.answer.to_json()
        data.pop("timings_ms", None)
        rows.append({"n": t.number, "answer": data})
    text = json.dumps(rows, ensure_ascii=False)
    while len(text) > MAX_SAVED_CHARS and rows:
        rows.pop(0)
        text = json.dumps(rows, ensure_ascii=False)
    return text


def load_turns(pipeline: "Pipeline", saved: str | None) -> list[Turn]:
    """Turns from the tab's storage, re-rendered here; a damaged entry is skipped."""
    try:
        rows = json.loads(saved or "[]")
    except (TypeError, ValueError):
        log.info("ignored a stored conversation that is not JSON")
        return []
    turns: list[Turn] = []
    for row in rows[-MAX_TURNS:] if isinstance(rows, list) else ():
        try:
            turns.append(make_turn(pipeline, int(row["n"]), answer_from_json(row["answer"])))
        except (KeyError, TypeError, ValueError, IndexError):
            log.info("skipped a damaged turn of a stored conversation")
    return turns


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    out = []
    for t in turns:
        out.append(_say("user", render_user(t.answer.question)))
        out.append(_say("assistant", t.chat_html))
    return out


def _say(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def _panel(turns: Sequence[Turn]) -> str:
    """The side panel: the newest ``PANEL_TURNS`` answers' cards (older ones are still
    under their answers, where an old citation link finds them)."""
    return render_panel([t.section_html for t in turns[-PANEL_TURNS:]])


def panel_and_saved(turns: Sequence[Turn]) -> tuple[str, str]:
    """The sources panel and the stored copy of ``turns``: values, never ``gr.skip()``
    (an update to an output that later gets a value stays in Gradio's session)."""
    return _panel(turns), save_turns(turns)


# ---------------------------------------------------------------- answering


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_WARM, _DONE = object(), object()
STOPPED = "Stopped. Your question is back in the box: edit it or press Enter to ask again."
STOPPED_NOTE = f'<div class="note" role="status">{STOPPED}</div>'


def _produce(
    pipeline: "Pipeline",
    args: tuple[str, list[str]],
    options: dict[str, Any],
    events: "queue.Queue[Any]",
    stop: threading.Event,
    llm: bool,
) -> None:
    """The worker: load an LLM generator's model if needed, then stream the answer.

    (Only an LLM is warmed here, for the "Loading the model..." status: the extractive
    generator's ``warm_up`` embeds a probe query each time it is called, which put one more
    embedding in front of every answer; the app warms it once at start.)
    """
    try:
        if llm:
            warm = getattr(pipeline.generator(options.get("generator")), "warm_up", None)
            if callable(warm):
                warm()
        events.put(_WARM)
        stream = pipeline.stream(*args, **options)
        for event in stream:
            if stop.is_set():
                stream.close()  # type: ignore[attr-defined]
                break
            events.put(event)
    except BaseException as exc:  # handed to the page's thread, which logs it
        events.put(_Failed(exc))
    finally:
        events.put(_DONE)


class Stops:
    """One stop flag per session's running answer: Stop sets it, the answer ends at once.

    (Gradio's ``cancels`` only stops a handler at its next update; an answer waiting on a
    model may not update for seconds.)
    """

    def __init__(self) -> None:
        self._flags: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def begin(self, session: str) -> threading.Event:
        with self._lock:
            flag = self._flags[session] = threading.Event()
            return flag

    def end(self, session: str, flag: threading.Event) -> None:
        with self._lock:
            if self._flags.get(session) is flag:
                del self._flags[session]

    def stop(self, session: str) -> None:
        with self._lock:
            flag = self._flags.get(session)
        if flag is not None:
            flag.set()


STOPS = Stops()


def respond(
    pipeline: "Pipeline",
    question: str,
    turns: list[Turn],
    generator: str,
    retriever: str,
    k: float,
    request: gr.Request = None,  # type: ignore[assignment]  # Gradio fills it in; tests pass none
) -> Iterator[tuple[Any, ...]]:
    """Stream the answer to ``question`` into the chat; the last update adds its turn.

    Yields (chat messages, turns or skip); ``panel_and_saved(turns)`` then shows the
    sources.  An empty question yields nothing (so changes nothing).  A ``RagError`` shows
    its message in the chat; any other error shows a short apology and is logged with its
    traceback.
    """
    turns = list(turns or [])
    if not (question or "").strip():
        return
    number = turns[-1].number + 1 if turns else 1
    chat = [*chat_messages(turns), _say("user", render_user(question))]
    llm = (generator or pipeline.settings.generator) in LLM_GENERATORS
    status = SEARCHING
    yield [*chat, _say("assistant", render_status(status))], gr.skip()

    events: queue.Queue[Any] = queue.Queue()
    session = str(getattr(request, "session_hash", None) or id(events))
    stop = STOPS.begin(session)
    # the earlier turns with their answers: a pronoun is resolved from what they established,
    # and nothing they quoted is quoted again (rag.conversation)
    history = [as_turn(t.answer) for t in turns]
    options = {"generator": generator or None, "retriever": retriever or None, "k": int(k)}
    worker = threading.Thread(
        target=_produce,
        args=(pipeline, (question, history), options, events, stop, llm),
        daemon=True,
    )
    started = warmed_at = time.monotonic()
    warmed, text, answer, shown = not llm, "", None, ""
    worker.start()
    try:
        while True:
            if stop.is_set():
                # the user pressed Stop.  The Stop handler says so too, but an update of this
                # stream may reach the page after it: the stream's last word is the same note
                yield [*chat, _say("assistant", STOPPED_NOTE)], gr.skip()
                return
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                now = time.monotonic()
                if llm and not text:
                    if not warmed and now - started > STATUS_AFTER_S:
                        status = LOADING
                    elif warmed and now - warmed_at > STATUS_AFTER_S:
                        status = WRITING
                    if status != shown:
                        shown = status
                        yield [*chat, _say("assistant", render_status(status))], gr.skip()
                continue
            if event is _DONE:
                break
            if event is _WARM:
                warmed, warmed_at = True, time.monotonic()
            elif isinstance(event, Delta):
                text += event.text
                yield [*chat, _say("assistant", render_streaming(text, number))], gr.skip()
            elif isinstance(event, Answer):
                answer = event
            elif isinstance(event, _Failed):
                error = event.error
                if isinstance(error, RagError):
                    shown_error = html.escape(str(error))
                else:
                    log.error("answering %r failed", question, exc_info=error)
                    shown_error = FAILED
                failed = _say("assistant", f'<div class="error" role="alert">{shown_error}</div>')
                yield [*chat, failed], gr.skip()
    finally:
        stop.set()  # a cancelled answer ends the worker at its next piece
        STOPS.end(session, stop)
    if answer is None:
        return
    if answer.question:
        turns = [*turns, make_turn(pipeline, number, answer)][-MAX_TURNS:]
        yield chat_messages(turns), turns
    else:  # nothing usable was asked (only control characters): say so, keep nothing
        yield [*chat, _say("assistant", render_answer(answer, number))], gr.skip()


def _feedback_record(turns: Sequence[Turn], index: Any, liked: Any) -> FeedbackRecord | None:
    """The record for a thumbs click on chat message ``index`` (None: nothing to store)."""
    position = index[0] if isinstance(index, list | tuple) else index
    if not isinstance(position, int) or not 0 <= position // 2 < len(turns):
        return None
    if liked is True:
        verdict, comment = "up", ""
    elif liked is False:
        verdict, comment = "down", ""
    elif isinstance(liked, str) and liked in FEEDBACK_OPTIONS[2:]:
        verdict, comment = "down", liked
    else:
        return None  # a thumb taken back
    turn = turns[position // 2]
    answer = turn.answer
    return FeedbackRecord(
        verdict=verdict,
        question=answer.question,
        answer=answer.text,
        generator=answer.generator,
        history=tuple(t.answer.question for t in turns[: position // 2]),
        citations=tuple(
            {"n": c.n, "source": c.source, "title": c.title, "sentence": c.sentence}
            for c in answer.citations
        ),
        comment=comment,
        id=uuid.uuid4().hex,
    )


def with_comment(record: FeedbackRecord | None, typed: str) -> FeedbackRecord | None:
    """``record`` (a thumb already stored) again with the reader's comment, or None when
    there is no thumb to attach it to or nothing usable was typed.

    Control characters and line breaks go, the text is cut to ``COMMENT_CHARS``; a preset
    reason ("Wrong source") stays in front.  Keys and passwords are redacted by the store.
    """
    if record is None:
        return None
    comment, _ = clean_question(typed or "", COMMENT_CHARS)
    if not comment:
        return None
    if record.comment:
        comment = f"{record.comment}: {comment}"
    return replace(record, comment=comment, time=time.time())

"""The Gradio web app: a chat about *Anora* with a panel of the cited passages.

``build_app(pipeline)`` returns a ``gr.Blocks`` with a streaming chat, a sources
panel (one card per cited passage, newest answer first), per-answer controls (copy,
retry, thumbs up and down, stored by ``rag.feedback``, then an optional short comment
in a box that the thumb opens), "New chat" with one undo, a
collapsed options accordion, an "Add a document" button for signed-in users
(``rag.ui_upload``), and one stable Gradio API endpoint, ``/ask``, that returns
``Answer.to_json()``; its server also carries the HTTP API of ``rag.api``
(OpenAI-compatible ``/v1/...`` and ``/api/ask``).  ``launch_style()`` gives the keyword
arguments for ``launch()``: theme, CSS, the upload cap and the ``rag.web_guard`` middleware.

An answer's life on the page: the browser copies the question into a hidden field (the
server never reads the box it updates); ``start`` (no queue) takes it out of the box,
disables the box and shows the Stop button; ``respond`` streams the answer with a
status line ("Searching the articles...", "Loading the model...", "Writing the
answer..."); ``finish`` re-enables the box and fills the sources panel.  Stop ends
``respond`` and puts the question back in the box: nothing typed is lost.  An empty
submit asks nothing (the chat is shown again as its turns stand).  No output the server
gives values to ever gets ``gr.skip()`` or an update: Gradio would keep a copy per turn
(``rag.ui_chat``).

A session keeps at most ``MAX_TURNS`` turns (``rag.ui_chat``: turns, their storage in
the tab's ``sessionStorage``, the answer handler).

What this module does not do: retrieve, answer or verify (the pipeline does), render
HTML (``rag.ui_render`` does), hold a session's turns (``rag.ui_chat``), or launch the
server (``app.py`` does).
"""

# No `from __future__ import annotations` here: gr.api() reads ask()'s annotations at run time.
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr
from starlette.middleware import Middleware

from rag import ui_assets
from rag.api import Api, ApiBlocks
from rag.errors import RagError, RequestError
from rag.feedback import FeedbackStore, default_path
from rag.requests import available_generators, check_ask, quote
from rag.ui_chat import (  # noqa: F401  (re-exported for tests and callers)
    COMMENT_CHARS,
    FAILED,
    FEEDBACK_OPTIONS,
    MAX_TURNS,
    SEARCHING,
    STOPPED,
    STOPPED_NOTE,
    STOPS,
    Turn,
    _feedback_record,
    _panel,
    _say,
    answer_from_json,
    chat_messages,
    load_turns,
    panel_and_saved,
    respond,
    save_turns,
    with_comment,
)
from rag.ui_render import (  # noqa: F401  (re-exported: the page's pure renderers)
    NOT_FOUND,
    article_context,
    cite_links,
    copy_text,
    highlight,
    render_answer,
    render_card,
    render_notes,
    render_panel,
    render_sources,
    render_status,
    render_streaming,
    render_user,
)
from rag.ui_upload import (
    MAX_UPLOAD_BYTES,
    UPLOAD_HELP,
    UPLOAD_LABEL,
    UPLOAD_TYPES,
    add_uploaded,
    status_html,
)
from rag.web_guard import LoginThrottle, WebGuard

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

TITLE = "Anora Q&A"
TAGLINE = (
    "Ask about Sean Baker's <em>Anora</em>: every answer is drawn from a small set of "
    "articles and cites the passages it comes from."
)
PROMPT = "Ask about Anora…"
BUSY_PROMPT = "Writing the answer… press Stop to end it"
COMMENT_LABEL = "Tell us more about this answer (optional)"
EXAMPLES = (
    "Who was the director of photography?",
    "How did Mikey Madison prepare for the role?",
    "How many days did they shoot in Las Vegas?",
    "And which hotel did they film in?",  # a follow-up to the one before
)
RETRIEVERS = ("hybrid", "dense", "bm25")
QUEUE_PER_WORKER = 64  # waiting requests per answering worker (each is a few KiB)
MAX_UPLOAD = "1kb"  # without a login there is no upload field; the guard refuses uploads too


# ---------------------------------------------------------------- the app


def queue_limit(concurrency: int, queue_size: int) -> int:
    """Requests allowed to wait: enough for every worker to have a long line.

    >>> queue_limit(4, 64)
    256
    """
    return max(queue_size, QUEUE_PER_WORKER * max(1, concurrency))


def build_app(
    pipeline: "Pipeline", feedback: FeedbackStore | None = None, *, uploads: bool | None = None
) -> gr.Blocks:
    """The Blocks app over ``pipeline``, its queue configured from the pipeline's settings.

    ``feedback`` stores the thumbs (default ``feedback/feedback.jsonl`` in the project).
    ``uploads`` adds the "Add a document" button (default: when ``RAG_AUTH`` sets a login;
    launch with ``launch_style(uploads=True)`` and a login, or the guard refuses them).
    """
    settings = pipeline.settings
    uploads = bool(settings.auth) if uploads is None else uploads
    store = feedback or FeedbackStore(
        default_path(),
        secrets=[settings.llm_api_key or "", (settings.auth or "").partition(":")[2]],
    )
    generators = list(available_generators(settings))
    gen = settings.generator if settings.generator in generators else "extractive"
    ret = settings.retriever if settings.retriever in RETRIEVERS else "hybrid"
    top_k = min(max(settings.top_k, 1), 10)

    def ask(
        question: str,
        history: list[str] | None = None,
        generator: str | None = None,
        retriever: str | None = None,
        k: int | None = None,
    ) -> dict[str, Any]:
        """Answer one question; ``history`` lists earlier user questions, oldest first.

        Returns the stable JSON of ``Answer.to_json()`` (the shape of ``rag ask --json``).
        """
        try:  # the same checks as the HTTP API's (rag.requests)
            req = check_ask(question, history, generator, retriever, k, settings=settings)
            answer = pipeline.ask(req.question, req.history, retriever=req.retriever,
                                  generator=req.generator, k=req.k)  # fmt: skip
            return answer.to_json()
        except (RequestError, RagError) as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            log.exception("API question %s failed", quote(question))
            raise gr.Error(FAILED) from None

    with ApiBlocks(Api(pipeline), title=TITLE, delete_cache=(600, 600)) as app:  # + rag.api
        gr.HTML(f'<div class="hero"><h1>{TITLE}</h1><p>{TAGLINE}</p></div>', js_on_load=None)
        turns, pending, previous = gr.State([]), gr.State(""), gr.State([])
        rated = gr.State(None)  # the last thumb's FeedbackRecord, until its comment is sent
        saved = gr.Textbox(visible=False, elem_id="saved")
        asked = gr.Textbox(visible=False, elem_id="asked")  # the question, copied by the page
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(
                    show_label=False, height=460, elem_id="chat", layout="bubble",
                    # answers are HTML we escaped ourselves (rag.ui_render escapes every piece
                    # of text), user text is escaped too, so nothing a user or an article
                    # writes is ever rendered as markup; Gradio's sanitizer would strip the
                    # links' accessible names and the copy buttons
                    render_markdown=False, sanitize_html=False, allow_tags=False,
                    latex_delimiters=[], buttons=[], feedback_options=FEEDBACK_OPTIONS,
                    autoscroll=False,  # the page scrolls to the start of a new answer
                    placeholder="Ask a question about the film, or pick one below.",
                )  # fmt: skip
                with gr.Row(visible=False, elem_id="feedback-comment") as comment_row:
                    comment_box = gr.Textbox(
                        label=COMMENT_LABEL, placeholder="What was right or wrong about it?",
                        max_length=COMMENT_CHARS, scale=5, elem_id="feedback-text",
                    )  # fmt: skip
                    send_comment = gr.Button(
                        "Send feedback", scale=0, min_width=140, elem_id="send-feedback"
                    )
                with gr.Row():
                    box = gr.Textbox(
                        label="Your question", show_label=False, placeholder=PROMPT,
                        elem_id="question", submit_btn="Send", scale=5, max_lines=6,
                    )  # fmt: skip
                    stop = gr.Button(
                        "Stop", visible=False, variant="stop", scale=0, min_width=80,
                        elem_id="stop",
                    )  # fmt: skip
                    new = gr.Button("New chat", scale=0, min_width=120, elem_id="new-chat")
                    undo = gr.Button(
                        "Restore the previous chat", visible=False, scale=0, min_width=120,
                        size="sm", elem_id="undo",
                    )  # fmt: skip
                with gr.Row(elem_classes="examples"):
                    gr.HTML('<span class="try">Try</span>', js_on_load=None)
                    buttons = [gr.Button(q, size="sm", scale=0) for q in EXAMPLES]
                if uploads:
                    with gr.Row(elem_id="add-document"):
                        upload = gr.UploadButton(
                            UPLOAD_LABEL, file_types=UPLOAD_TYPES, file_count="multiple",
                            size="sm", scale=0, min_width=160, elem_id="upload",
                        )  # fmt: skip
                        upload_status = gr.HTML(status_html(UPLOAD_HELP), elem_id="upload-status")
                with gr.Accordion("Answer options", open=False):
                    with gr.Row():
                        generator = gr.Radio(generators, value=gen, label="Generator")
                        retriever = gr.Radio(list(RETRIEVERS), value=ret, label="Retriever")
                    k = gr.Slider(1, 10, value=top_k, step=1, label="Passages to retrieve")
            with gr.Column(scale=2, min_width=300, elem_id="sources-col"):
                gr.HTML('<h2 class="side-title">SOURCES</h2>', js_on_load=None)
                sources = gr.HTML(
                    render_panel([]), elem_id="sources", js_on_load=ui_assets.PAGE_JS,
                    max_height=560, container=True,
                )  # fmt: skip

        private: dict[str, Any] = {"api_visibility": "private"}
        fast: dict[str, Any] = {"queue": False, **private}
        answering = [box, pending, chatbot, stop, new, undo, previous]

        def start(question: str, turns_now: list[Turn]) -> tuple[Any, ...]:
            if not (question or "").strip():  # an empty submit asks nothing
                return (gr.skip(), "", chat_messages(turns_now), *(gr.skip(),) * 4)
            chat = [*chat_messages(turns_now), _say("user", render_user(question))]
            return (
                gr.Textbox(value="", interactive=False, placeholder=BUSY_PROMPT),
                question,
                [*chat, _say("assistant", render_status(SEARCHING))],
                gr.Button(visible=True),
                gr.Button(interactive=False),
                gr.Button(visible=False),
                [],  # the chat before "New chat" is gone once a new question is asked
            )

        def finish(turns_now: list[Turn]) -> tuple[Any, ...]:
            return (
                gr.Textbox(interactive=True, placeholder=PROMPT),
                "",
                gr.Button(visible=False),
                gr.Button(interactive=True),
                *panel_and_saved(turns_now),
            )

        def stopped(question: str, turns_now: list[Turn], request: gr.Request) -> tuple[Any, ...]:
            STOPS.stop(request.session_hash or "")
            chat = chat_messages(turns_now)
            if question:
                chat += [_say("user", render_user(question))]
                chat += [_say("assistant", STOPPED_NOTE)]
            return (
                gr.Textbox(value=question, interactive=True, placeholder=PROMPT),
                "",
                chat,
                gr.Button(visible=False),
                gr.Button(interactive=True),
            )

        def chat_fn(
            question: str, turns_now: list[Turn], gen: str, ret: str, k: float, request: gr.Request
        ) -> Iterator[tuple[Any, ...]]:
            # a plain function, not a partial: Gradio passes ``request`` only when it can
            # read the annotation
            yield from respond(pipeline, question, turns_now, gen, ret, k, request)

        reply = [chatbot, sources, turns, saved]
        done = [box, pending, stop, new, sources, saved]

        def run_answer(trigger: Any) -> Any:
            """Chain the answer, the reset and the browser-side save onto ``trigger``."""
            answer_event = trigger.then(None, None, None, js=ui_assets.SCROLL_JS, **fast).then(
                chat_fn, [pending, turns, generator, retriever, k], [chatbot, turns],
                concurrency_id="pipeline", **private,
            )  # fmt: skip
            answer_event.then(finish, [turns], done, **fast).then(
                None, [saved], None, js=ui_assets.SAVE_JS, **fast
            ).then(None, None, None, js=ui_assets.AFTER_ANSWER_JS, **fast)
            return answer_event

        copied = box.submit(None, [box], [asked], js="(q) => q", **fast)  # in the page
        events = [run_answer(copied.then(start, [asked, turns], answering, **fast))]
        for button in buttons:
            fill = button.click(None, None, [asked], js=f"() => {json.dumps(button.value)}", **fast)
            events.append(run_answer(fill.then(start, [asked, turns], answering, **fast)))

        def retry(turns_now: list[Turn]) -> tuple[Any, ...]:
            if not turns_now:  # nothing answered to ask again: the chat as its turns stand
                return (gr.skip(), "", [], *(gr.skip(),) * 5)
            last, rest = turns_now[-1], list(turns_now[:-1])
            return (*start(last.answer.question, rest), rest)

        retried = chatbot.retry(retry, [turns], [*answering, turns], **fast)
        events.append(run_answer(retried))
        # no ``cancels``: a cancelled event stays "pending" in the page and the next question
        # never starts; the stop flag ends the answer instead, and its chain finishes as usual
        stop.click(stopped, [pending, turns], [box, pending, chatbot, stop, new], **fast)

        def like(data: gr.LikeData, turns_now: list[Turn]) -> tuple[Any, ...]:
            record = _feedback_record(turns_now, data.index, data.liked)
            if record is None:  # a thumb taken back: nothing to comment on
                return None, gr.Row(visible=False), gr.skip()
            _store(record, "feedback")
            gr.Info("Thank you: your feedback was saved.")
            return record, gr.Row(visible=True), ""

        def send_feedback(typed: str, rated_now: Any) -> tuple[Any, ...]:
            commented = with_comment(rated_now, typed)
            if commented is not None:  # (an empty box just closes: the thumb is stored)
                _store(commented, "comment")  # on failure the typed text stays in the box
                gr.Info("Thank you: your comment was saved.")
            return None, gr.Row(visible=False), ""

        def _store(record: Any, what: str) -> None:
            try:
                store.add(record)
            except RagError as exc:
                log.error("%s", exc)
                raise gr.Error(f"Sorry, your {what} could not be saved.") from None

        commenting = [rated, comment_row, comment_box]
        # queued: the "thank you" needs the queue
        chatbot.like(like, [turns], commenting, **private).then(
            None, None, None, js=ui_assets.COMMENT_JS, **fast
        )
        for trigger in (send_comment.click, comment_box.submit):
            trigger(send_feedback, [comment_box, rated], commenting, **private)

        def new_chat(turns_now: list[Turn]) -> tuple[Any, ...]:
            return [], render_panel([]), [], "[]", turns_now, gr.Button(visible=bool(turns_now))

        def restore_previous(old: list[Turn]) -> tuple[Any, ...]:
            return (chat_messages(old), _panel(old), old, save_turns(old), [],
                    gr.Button(visible=False))  # fmt: skip

        chat_state = [chatbot, sources, turns, saved, previous, undo]
        for trigger in (new.click, chatbot.clear):  # the chatbot's bin icon starts over too
            trigger(lambda: (None, gr.Row(visible=False), ""), None, commenting, **fast)
            trigger(new_chat, [turns], chat_state, **fast).then(
                None, [saved], None, js=ui_assets.SAVE_JS, **fast
            )
        undo.click(restore_previous, [previous], chat_state, **fast).then(
            None, [saved], None, js=ui_assets.SAVE_JS, **fast
        )

        def reload(stored: str) -> tuple[Any, ...]:
            restored = load_turns(pipeline, stored)  # values even when empty (rag.ui_chat)
            panel, copy = panel_and_saved(restored)
            return chat_messages(restored), panel, restored, copy

        app.load(reload, [saved], reply, js=ui_assets.LOAD_JS, **fast)
        if uploads:

            def add_files(files: Any) -> Iterator[str]:
                yield from add_uploaded(pipeline, files)

            upload.upload(add_files, [upload], [upload_status], concurrency_id="documents",
                          concurrency_limit=1, **private)  # fmt: skip
        gr.api(ask, api_name="ask", concurrency_id="pipeline")
    app.queue(default_concurrency_limit=settings.concurrency,
              max_size=queue_limit(settings.concurrency, settings.queue_size))  # fmt: skip
    return app


def launch_style(throttle: LoginThrottle | None = None, *, uploads: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``app.launch()``: theme and CSS (Gradio 6 takes them there),
    the upload cap, and the ``WebGuard`` middleware (login throttle, upload refusal).
    ``uploads=True`` (only with a login: Gradio then lets signed-in users alone upload)
    opens the upload route to documents up to ``MAX_UPLOAD_BYTES``."""
    guard = Middleware(WebGuard, throttle=throttle or LoginThrottle(), uploads=uploads)
    return {
        "theme": gr.themes.Soft(primary_hue="pink", neutral_hue="slate"),
        "css": ui_assets.CSS,
        "max_file_size": MAX_UPLOAD_BYTES if uploads else MAX_UPLOAD,
        "app_kwargs": {"middleware": [guard]},
    }

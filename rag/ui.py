"""The Gradio web app: a chat about *Anora* with a panel of the cited passages.

``build_app(pipeline)`` returns a ``gr.Blocks`` with a streaming chat, a sources
panel (one card per cited passage, the supporting sentence in ``<mark>``, the
surrounding paragraph of the original article in a ``<details>``), a collapsed
settings accordion (generator, retriever, number of passages) and one stable Gradio
API endpoint, ``/ask``, that returns ``Answer.to_json()``; its server also carries the
HTTP API of ``rag.api`` (OpenAI-compatible ``/v1/...`` and ``/api/ask``).  ``launch_style()`` gives
the theme and CSS to pass to ``launch()`` (Gradio 6 takes them there).

The ``render_*`` helpers are pure functions from answers to HTML strings, so they
are tested without a browser.  Every piece of question, answer and corpus text is
escaped with ``html.escape`` before it enters HTML; answers are escaped first and
only then are their ``[n]`` markers turned into links to the source cards.

What this module does not do: retrieve, answer or verify (the pipeline does),
or launch the server (``app.py`` does).
"""

# No `from __future__ import annotations` here: gr.api() reads ask()'s annotations at run time.
import functools
import html
import logging
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.api import Api, ApiBlocks
from rag.errors import RagError, RequestError
from rag.generators.base import Delta
from rag.requests import available_generators, check_ask, quote
from rag.schema import Answer, Citation, Document

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

TITLE = "Anora Q&A"
TAGLINE = (
    "Ask about Sean Baker's <em>Anora</em>: every answer is drawn from a small set of "
    "articles and cites the passages it comes from."
)
NOT_FOUND = "I couldn't find that in the articles."
QUOTED = "this one is quoted from the articles."
FAILED = "Sorry, something went wrong while answering. Please try again."
PROMPT = "Ask about Anora…"
TEXTBOX: dict[str, Any] = {"show_label": False, "scale": 5, "submit_btn": True}
PANEL: dict[str, Any] = {"max_height": 560, "container": True}
EXAMPLES = (
    "Who was the director of photography?",
    "How did Mikey Madison prepare for the role?",
    "How many days did they shoot in Las Vegas?",
    "And which hotel did they film in?",  # a follow-up to the one before
)
RETRIEVERS = ("hybrid", "dense", "bm25")
CONTEXT_CHARS = 700  # at most this much article text either side of a span, in "In the article"

_MARKER_GROUP = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
_NUMBER = re.compile(r"\d+")


# ---------------------------------------------------------------- rendering (pure)


def cite_links(escaped: str, turn: int, known: set[int] | None = None) -> str:
    """Turn the ``[n]`` markers of already-escaped text into links to turn ``turn``'s cards.

    Numbers not in ``known`` (when given) stay plain text.

    >>> cite_links("Drew Daniels. [1]", turn=2)
    'Drew Daniels. <a class="cite" href="#src-2-1">[1]</a>'
    >>> cite_links("Both. [1, 3]", turn=1, known={1})
    'Both. [<a class="cite" href="#src-1-1">1</a>, 3]'
    """

    def link(n: int, label: str) -> str:
        if known is not None and n not in known:
            return label
        return f'<a class="cite" href="#src-{turn}-{n}">{label}</a>'

    def group(m: re.Match[str]) -> str:
        numbers = _NUMBER.findall(m.group(1))
        if len(numbers) == 1:
            return link(int(numbers[0]), m.group(0))
        return "[" + _NUMBER.sub(lambda d: link(int(d.group(0)), d.group(0)), m.group(1)) + "]"

    return _MARKER_GROUP.sub(group, escaped)


def highlight(text: str, sentence: str) -> str:
    """Escape ``text`` and wrap the first occurrence of ``sentence`` in ``<mark>``.

    Whitespace may differ between the two (passages are whitespace-normalised).

    >>> highlight("A <b>. Drew shot it. C.", "Drew shot it.")
    'A &lt;b&gt;. <mark>Drew shot it.</mark> C.'
    """
    words = sentence.split()
    m = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
    if m is None:
        return html.escape(text)
    before, found, after = text[: m.start()], m.group(0), text[m.end() :]
    return f"{html.escape(before)}<mark>{html.escape(found)}</mark>{html.escape(after)}"


def article_context(text: str, span: tuple[int, int], limit: int = CONTEXT_CHARS) -> str:
    """The paragraph around ``text[start:end]`` (escaped, the span in ``<mark>``), as HTML.

    At most ``limit`` characters are shown on either side; a cut is marked with "…".

    >>> article_context("One.\\n\\nTwo <i>. Three.\\n\\nFour.", (15, 21))
    '<p>Two &lt;i&gt;. <mark>Three.</mark></p>'
    """
    start, end = max(0, min(span[0], len(text))), max(0, min(span[1], len(text)))
    lo = text.rfind("\n\n", max(0, start - limit), start)
    lo, cut_lo = (lo + 2, False) if lo >= 0 else (max(0, start - limit), start - limit > 0)
    hi = text.find("\n\n", end, end + limit)
    hi, cut_hi = (hi, False) if hi >= 0 else (min(len(text), end + limit), end + limit < len(text))
    return (
        f"<p>{'…' if cut_lo else ''}{html.escape(text[lo:start])}"
        f"<mark>{html.escape(text[start:end])}</mark>"
        f"{html.escape(text[end:hi])}{'…' if cut_hi else ''}</p>"
    )


def render_user(question: str) -> str:
    """A question as chat HTML: escaped, so it always shows as literal text."""
    return html.escape(question)


def render_streaming(text: str, turn: int) -> str:
    """Partial answer text while it streams: escaped, markers linked, a cursor at the end."""
    return cite_links(html.escape(text), turn) + '<span class="cursor">▍</span>'


def render_notes(answer: Answer) -> str:
    """The fallback reason and notices as one-line notes (nothing if there are none)."""
    notes = [n for n in answer.notices if n != answer.text]
    reason = answer.fallback_reason
    if reason and not any(reason in n for n in notes):
        notes.insert(0, f"The {answer.generator} answer was not used ({reason}); {QUOTED}")
    return "".join(f'<div class="note">{html.escape(n)}</div>' for n in notes)


def render_answer(answer: Answer, turn: int) -> str:
    """A final answer as chat HTML: cited answers get links, abstentions look muted."""
    if answer.abstained:
        body = f'<span class="abstained">{html.escape(answer.text)}</span>'
    else:
        body = cite_links(html.escape(answer.text), turn, {c.n for c in answer.citations})
    return body + render_notes(answer)


def render_card(citation: Citation, document: Document | None, anchor: str | None) -> str:
    """One passage card: number, title, file, score, passage, and the article context."""
    ident = f' id="{anchor}"' if anchor else ""
    title = html.escape(citation.title)
    label = f'<span class="num">{citation.n}</span>' if anchor else ""
    context = ""
    if document is not None:
        context = (
            "<details><summary>In the article</summary>"
            f"{article_context(document.text, citation.span)}</details>"
        )
    return (
        f'<article class="card"{ident}>'
        f'<header>{label}<span class="title" title="{title}">{title}</span></header>'
        f'<div class="meta"><code>{html.escape(citation.source)}</code>'
        f" · score {citation.score:.2f}</div>"
        f"<blockquote>{highlight(citation.text, citation.sentence)}</blockquote>"
        f"{context}</article>"
    )


def render_sources(answer: Answer, turn: int, documents: Mapping[str, Document]) -> str:
    """The sources-panel section of one answer: citation cards, or related passages."""
    head = f'<h3 class="turn-q"><span>Q{turn}</span> {html.escape(answer.question)}</h3>'
    if not answer.abstained:
        cards = "".join(
            render_card(c, documents.get(c.source), f"src-{turn}-{c.n}") for c in answer.citations
        )
        return f'<section class="turn" id="turn-{turn}">{head}{cards}</section>'
    notice = f'<p class="abstained">{html.escape(NOT_FOUND if answer.related else answer.text)}</p>'
    related = ""
    if answer.related:
        related = "<h4>Related passages</h4>" + "".join(
            render_card(c, documents.get(c.source), None) for c in answer.related
        )
    return f'<section class="turn abstain" id="turn-{turn}">{head}{notice}{related}</section>'


def render_panel(sections: list[str]) -> str:
    """The whole sources panel: newest answer first."""
    if not sections:
        return (
            '<div class="empty">Sources appear here: each cited passage with its '
            "supporting sentence highlighted.</div>"
        )
    return "".join(reversed(sections))


# ---------------------------------------------------------------- the app


def _say(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def _constant(value: str) -> Any:
    return lambda: value


def respond(
    pipeline: "Pipeline",
    question: str,
    chat: list[Any],
    asked: list[str],
    sections: list[str],
    generator: str,
    retriever: str,
    k: float,
) -> Iterator[tuple[Any, ...]]:
    """The chat handler: stream the answer into ``chat``, then fill the sources panel.

    Yields (chat messages, panel HTML or skip, asked questions, panel sections, "" for the
    text box).  A ``RagError`` shows its message in the chat; any other error shows a short
    apology and is logged with its traceback.
    """
    chat, asked, sections = list(chat or []), list(asked or []), list(sections or [])
    question, turn, answer, text = question or "", len(sections) + 1, None, ""
    if question.strip():
        chat.append(_say("user", render_user(question)))
    chat.append(_say("assistant", '<span class="cursor">Searching the articles…</span>'))
    yield [*chat], gr.skip(), asked, sections, ""  # a new list per update: Gradio diffs them
    try:
        stream = pipeline.stream(question, asked, retriever=retriever, generator=generator,
                                 k=int(k))  # fmt: skip
        for event in stream:
            if isinstance(event, Delta):
                text += event.text
                chat[-1] = _say("assistant", render_streaming(text, turn))
                yield [*chat], gr.skip(), asked, sections, ""
            else:
                answer = event
    except RagError as exc:
        chat[-1] = _say("assistant", f'<div class="error">{html.escape(str(exc))}</div>')
    except Exception:
        log.exception("answering %r failed", question)
        chat[-1] = _say("assistant", f'<div class="error">{FAILED}</div>')
    if answer is None:
        yield [*chat], gr.skip(), asked, sections, ""
        return
    chat[-1] = _say("assistant", render_answer(answer, turn))
    if question.strip():
        asked.append(question)
        sections.append(render_sources(answer, turn, pipeline.index.documents))
    yield [*chat], render_panel(sections), asked, sections, ""


def build_app(pipeline: "Pipeline") -> gr.Blocks:
    """The Blocks app over ``pipeline``, its queue configured from the pipeline's settings."""
    settings = pipeline.settings
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

    with ApiBlocks(Api(pipeline), title=TITLE) as app:  # /v1/... and /api/ask: rag.api
        gr.HTML(f'<div class="hero"><h1>{TITLE}</h1><p>{TAGLINE}</p></div>', js_on_load=None)
        asked, sections = gr.State([]), gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    show_label=False, height=440, elem_id="chat", layout="bubble",
                    # answers are HTML we escaped ourselves; user text is escaped too, so
                    # nothing a user types is ever rendered as markup
                    render_markdown=False, sanitize_html=True, allow_tags=False,
                    latex_delimiters=[], buttons=[], feedback_options=None,
                    placeholder="Ask a question about the film, or pick one below.",
                )  # fmt: skip
                with gr.Row():
                    box = gr.Textbox(placeholder=PROMPT, elem_id="question", **TEXTBOX)
                    clear = gr.Button("Clear", scale=0, min_width=80, variant="secondary")
                with gr.Row(elem_classes="examples"):
                    gr.HTML('<span class="try">Try</span>', js_on_load=None)
                    buttons = [gr.Button(q, size="sm", scale=0) for q in EXAMPLES]
                with gr.Accordion("Settings", open=False):
                    with gr.Row():
                        generator = gr.Radio(generators, value=gen, label="Generator")
                        retriever = gr.Radio(list(RETRIEVERS), value=ret, label="Retriever")
                    k = gr.Slider(1, 10, value=top_k, step=1, label="Passages to retrieve")
            with gr.Column(scale=2, min_width=340):
                gr.HTML('<h2 class="side-title">SOURCES</h2>', js_on_load=None)
                sources = gr.HTML(render_panel([]), elem_id="sources", js_on_load=_CITE_JS, **PANEL)

        inputs = [box, chatbot, asked, sections, generator, retriever, k]
        outputs = [chatbot, sources, asked, sections, box]
        chat_opts: dict[str, Any] = {"concurrency_id": "pipeline", "api_visibility": "private"}
        chat = functools.partial(respond, pipeline)
        box.submit(chat, inputs, outputs, **chat_opts)
        for button in buttons:
            fill = button.click(
                _constant(str(button.value)), None, box, queue=False, api_visibility="private"
            )
            fill.then(chat, inputs, outputs, **chat_opts)

        def reset() -> tuple[Any, ...]:
            return [], render_panel([]), [], [], ""

        clear.click(reset, None, outputs, queue=False, api_visibility="private")
        chatbot.clear(reset, None, outputs, queue=False, api_visibility="private")  # its bin icon
        gr.api(ask, api_name="ask", concurrency_id="pipeline")
    # 50 concurrent conversations hold with the defaults (tests/test_reliability.py)
    app.queue(default_concurrency_limit=settings.concurrency,
              max_size=max(settings.queue_size, settings.concurrency))  # fmt: skip
    return app


def launch_style() -> dict[str, Any]:
    """The ``theme`` and ``css`` keyword arguments for ``app.launch()``."""
    return {"theme": gr.themes.Soft(primary_hue="pink", neutral_hue="slate"), "css": _CSS}


# A clicked [n] marker scrolls its card into view and flashes it (one listener per page).
_CITE_JS = """
if (!window.__anoraCites) {
  window.__anoraCites = true;
  document.addEventListener('click', (ev) => {
    const link = ev.target.closest && ev.target.closest('a.cite');
    if (!link) return;
    ev.preventDefault(); ev.stopPropagation();
    const card = document.getElementById((link.getAttribute('href') || '').slice(1));
    if (!card) return;
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    card.classList.remove('flash'); void card.offsetWidth; card.classList.add('flash');
  }, true);
}
"""

_CSS = """
:root { --anora: #d81b60; --anora-deep: #2a0a24; --muted: #6b7280; }
.hero { background: linear-gradient(110deg, var(--anora-deep), #6d0f45 55%, var(--anora));
  color: #fff; border-radius: 14px; padding: 12px 22px; }
.hero h1 { margin: 0; font-size: 1.9rem; letter-spacing: .02em; color: #fff; }
.hero p, .hero em { margin: 4px 0 0; color: #fde7f0; }
.side-title { margin: 4px 0 0; font-size: 1rem; letter-spacing: .08em; color: var(--anora-deep); }
a.cite { color: var(--anora) !important; font-weight: 700; text-decoration: none;
  font-size: .85em; vertical-align: super; padding: 0 1px; }
a.cite:hover { text-decoration: underline; } .cursor { opacity: .6; } .error { color: #991b1b; }
.abstained { color: var(--muted); font-style: italic; }
.note { margin-top: 6px; font-size: .85em; color: #92400e; background: #fef3c7;
  border-radius: 6px; padding: 3px 8px; }
.examples { flex-wrap: wrap !important; gap: 6px !important; align-items: center; }
.examples > * { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
.examples button { font-size: .8rem !important; border-radius: 999px !important;
  padding: 4px 12px !important; white-space: nowrap; }
.examples .try { font-size: .8rem; color: var(--muted); }
#sources .empty { color: var(--muted); padding: 24px 8px; text-align: center; }
#sources .turn-q { font-size: .95rem; margin: 2px 0 8px; color: var(--anora-deep); }
#sources .turn-q span, #sources .card .num { background: var(--anora); color: #fff;
  font-size: .8rem; margin-right: 4px; }
#sources .turn-q span { border-radius: 6px; padding: 1px 6px; }
#sources .card .num { border-radius: 50%; min-width: 22px; height: 22px; text-align: center;
  line-height: 22px; flex: none; }
#sources h4 { margin: 10px 0 6px; font-size: .9rem; color: #4b5563; }
#sources .card { border: 1px solid #f3c4d6; border-left: 4px solid var(--anora);
  border-radius: 10px; padding: 10px 12px; margin: 0 0 10px; background: #fff; }
#sources .abstain .card { border-color: #e5e7eb; border-left-color: #9ca3af; }
#sources .card header { display: flex; gap: 4px; align-items: baseline; font-weight: 600; }
#sources .card .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#sources .card .meta { font-size: .78rem; color: var(--muted); margin: 2px 0 6px; }
#sources blockquote { margin: 0; padding: 0; border: none; font-size: .86rem; line-height: 1.45;
  white-space: pre-line; color: #374151; }
#sources mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#sources details { margin-top: 6px; font-size: .82rem; } #sources .turn { margin-bottom: 14px; }
#sources summary { cursor: pointer; color: var(--anora); }
#sources .card.flash { animation: flash 1.4s ease-out; }
@keyframes flash { 0% { background: #fce7f3; box-shadow: 0 0 0 3px var(--anora); } }
"""

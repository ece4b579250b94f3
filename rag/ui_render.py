"""HTML for the chat page: answers, citation links, source cards, notices (pure functions).

Every piece of question, answer and corpus text is escaped with ``html.escape``
before it enters HTML.  Only the answer's *own* ``[n]`` markers become links: a
marker inside a quoted article sentence ("... see marker [2] ...") is article text
and stays plain (``answer_html``), so article text cannot forge a citation.

Each answer carries, besides its text: its notices in the user's words (technical
detail in a collapsed "details"), a copy button holding the answer and its sources as
plain text, and its own source cards in a collapsed "Sources" block that the CSS
shows only on narrow screens (on wide screens the side panel shows them).

Card ids: ``src-<turn>-<n>`` in the side panel, ``isrc-<turn>-<n>`` under the answer.

What this module does not do: answer, store or send anything (``rag.ui`` wires it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from rag.lexicon import NOT_FOUND
from rag.notices import user_notices
from rag.schema import Answer, Citation, Document

CONTEXT_CHARS = 700  # at most this much article text either side of a span, in "In the article"
SCORE_TIP = (
    "How closely this passage matches the question, as the search ranked it "
    "(higher is closer; not a probability)."
)
LEAN_CHARS = 160  # passage text either side of the sentence, in the cards under an answer
TIP_CHARS = 220  # a citation's hover preview shows at most this much of its sentence

_MARKER_GROUP = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
_NUMBER = re.compile(r"\d+")


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _tip(sentence: str) -> str:
    one = " ".join(sentence.split())
    return one if len(one) <= TIP_CHARS else one[: TIP_CHARS - 1].rstrip() + "…"


def cite_links(
    escaped: str,
    turn: int,
    known: set[int] | None = None,
    sources: Mapping[int, Citation] | None = None,
) -> str:
    """Turn the ``[n]`` markers of already-escaped text into links to turn ``turn``'s cards.

    Numbers not in ``known`` (when given) stay plain text.  With ``sources``, each link
    gets an accessible name ("Source 1: <title>") and its sentence as a preview.

    >>> cite_links("Drew Daniels. [1]", turn=2)
    'Drew Daniels. <a class="cite" href="#src-2-1">[1]</a>'
    >>> cite_links("Both. [1, 3]", turn=1, known={1})
    'Both. [<a class="cite" href="#src-1-1">1</a>, 3]'
    """
    sources = sources or {}

    def link(n: int, label: str) -> str:
        if known is not None and n not in known:
            return label
        c = sources.get(n)
        extra = (
            f' aria-label="{_attr(f"Source {n}: {c.title}")}" data-tip="{_attr(_tip(c.sentence))}"'
            if c is not None
            else ""
        )
        return f'<a class="cite" href="#src-{turn}-{n}"{extra}>{label}</a>'

    def group(m: re.Match[str]) -> str:
        numbers = _NUMBER.findall(m.group(1))
        if len(numbers) == 1:
            return link(int(numbers[0]), m.group(0))
        return "[" + _NUMBER.sub(lambda d: link(int(d.group(0)), d.group(0)), m.group(1)) + "]"

    return _MARKER_GROUP.sub(group, escaped)


def quoted_spans(text: str, sentences: Iterable[str]) -> list[tuple[int, int]]:
    """Where the cited article sentences occur in ``text`` (whitespace may differ), sorted.

    >>> quoted_spans("He said [2] so. [1]", ["He said [2] so."])
    [(0, 15)]
    """
    spans = []
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        pattern = re.compile(r"\s+".join(map(re.escape, words)))
        spans += [m.span() for m in pattern.finditer(text)]
    return sorted(spans)


def answer_html(text: str, turn: int, citations: Sequence[Citation]) -> str:
    """Answer text as escaped HTML in which only the answer's own markers are links.

    A marker inside a quoted article sentence is the article's, not the answer's.

    >>> c = Citation(1, "a.txt", "A", "a#1", "x", (0, 1), 1.0, "Read marker [2] here.")
    >>> answer_html("Read marker [2] here. [1]", 1, [c]).count('class="cite"')
    1
    """
    numbers = {c.n for c in citations}
    by_n = {c.n: c for c in citations}
    out, at = [], 0
    for start, end in quoted_spans(text, (c.sentence for c in citations)):
        if start < at:
            continue  # overlaps a span already kept
        out.append(cite_links(html.escape(text[at:start]), turn, numbers, by_n))
        out.append(html.escape(text[start:end]))
        at = end
    out.append(cite_links(html.escape(text[at:]), turn, numbers, by_n))
    return "".join(out)


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


def render_status(status: str) -> str:
    """What the page is doing, in the answer's place (announced politely to screen readers)."""
    return f'<span class="cursor status" role="status">{html.escape(status)}</span>'


def render_streaming(text: str, turn: int) -> str:
    """Partial answer text while it streams: escaped, a cursor at the end.

    Markers stay plain until the answer is final: only then is it known which are its own.
    """
    return html.escape(text) + '<span class="cursor" aria-hidden="true">▍</span>'


def render_notes(answer: Answer) -> str:
    """The notices as one-line notes in the user's words, detail collapsed (or nothing)."""
    out = []
    for notice in user_notices(answer):
        detail = (
            f"<details><summary>details</summary>{html.escape(notice.detail)}</details>"
            if notice.detail
            else ""
        )
        out.append(f'<div class="note">{html.escape(notice.text)}{detail}</div>')
    return "".join(out)


def copy_text(answer: Answer) -> str:
    """The answer and its sources as plain text, for the copy button.

    >>> c = Citation(1, "a.txt", "Notes", "a#1", "x", (0, 1), 1.0, "Drew shot it.")
    >>> print(copy_text(Answer("Who?", "Drew shot it. [1]", False, (c,), "extractive", {})))
    Drew shot it. [1]
    <BLANKLINE>
    Sources:
    [1] Notes (a.txt): “Drew shot it.”
    """
    lines = [answer.text]
    if answer.citations and not answer.abstained:
        lines += ["", "Sources:"]
        lines += [f"[{c.n}] {c.title} ({c.source}): “{c.sentence}”" for c in answer.citations]
    return "\n".join(lines)


def render_answer(
    answer: Answer, turn: int, documents: Mapping[str, Document] | None = None
) -> str:
    """A final answer as chat HTML: its text (own markers linked), notes, copy, sources.

    Abstentions look muted and have no links.  With ``documents``, the answer's cards
    follow it in a collapsed block (shown on narrow screens only, by the CSS).
    """
    if answer.abstained:
        body = f'<span class="abstained">{html.escape(answer.text)}</span>'
    else:
        body = answer_html(answer.text, turn, answer.citations).replace("\n", "<br>")
        lead = html.escape(answer.short_answer)
        if lead and body.startswith(f"{lead} — "):  # the short answer, then where it is said
            body = f'<strong class="short-answer">{lead}</strong> — {body[len(lead) + 3 :]}'
    copy = (
        f'<button type="button" class="copy-answer" data-copy="{_attr(copy_text(answer))}" '
        f'aria-label="Copy answer {turn} with its sources">Copy</button>'
    )
    inline = ""
    cited = () if answer.abstained else answer.citations
    if documents is not None and cited:
        cards = "".join(render_card(c, None, f"isrc-{turn}-{c.n}", lean=True) for c in cited)
        inline = (
            f'<details class="inline-sources"><summary>Sources ({len(cited)})</summary>'
            f"{cards}</details>"
        )
    return f'<div class="answer">{body}</div>{render_notes(answer)}{inline}{copy}'


def render_card(
    citation: Citation, document: Document | None, anchor: str | None, *, lean: bool = False
) -> str:
    """One passage card: number, title, file, passage, and the article context.

    A numbered card can take focus (a citation link moves focus to it); the retrieval
    score is in the file line's tooltip, explained.  A ``lean`` card (under an answer)
    shows the supporting sentence with at most ``LEAN_CHARS`` of its passage either side.
    """
    if lean:
        citation = _lean(citation)
    ident = f' id="{anchor}" tabindex="-1"' if anchor else ""
    title = html.escape(citation.title)
    label = f'<span class="num">{citation.n}</span>' if anchor else ""
    context = ""
    if document is not None:
        context = (
            "<details><summary>In the article</summary>"
            f"{article_context(document.text, citation.span)}</details>"
        )
    tip = _attr(f"Search score {citation.score:.2f}: {SCORE_TIP}")
    page = f' <span class="page">p. {citation.page}</span>' if citation.page is not None else ""
    return (
        f'<article class="card"{ident}>'
        f'<header>{label}<span class="title">{title}</span></header>'
        f'<div class="meta" title="{tip}"><code>{html.escape(citation.source)}</code>{page}</div>'
        f"<blockquote>{highlight(citation.text, citation.sentence)}</blockquote>"
        f"{context}</article>"
    )


def _lean(citation: Citation) -> Citation:
    words = citation.sentence.split()
    m = re.search(r"\s+".join(map(re.escape, words)), citation.text) if words else None
    if m is None:
        return citation
    lo, hi = max(0, m.start() - LEAN_CHARS), min(len(citation.text), m.end() + LEAN_CHARS)
    text = ("…" if lo else "") + citation.text[lo:hi] + ("…" if hi < len(citation.text) else "")
    return replace(citation, text=text)


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


def render_panel(sections: Sequence[str]) -> str:
    """The whole sources panel: newest answer first."""
    if not sections:
        return (
            '<div class="empty">Sources appear here: each cited passage with its '
            "supporting sentence highlighted.</div>"
        )
    return "".join(reversed(sections))

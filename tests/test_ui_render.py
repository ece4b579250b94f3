"""The web app's rendering helpers: links, highlights, escaping, abstentions (no browser)."""

from __future__ import annotations

import html
import logging
import re
from types import SimpleNamespace

import pytest

from rag.errors import IndexStateError
from rag.generators.base import Delta
from rag.schema import Answer, Citation, Document
from rag.ui import (
    FAILED,
    NOT_FOUND,
    article_context,
    cite_links,
    highlight,
    render_answer,
    render_card,
    render_notes,
    render_panel,
    render_sources,
    render_streaming,
    render_user,
    respond,
)

ATTACKS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]
ARTICLE = (
    "Intro paragraph.\n\n"
    "Baker wanted a polished look. To help him, he re-teamed with Drew Daniels. "
    "Daniels shot on film.\n\nAnother paragraph."
)
SENTENCE = "To help him, he re-teamed with Drew Daniels."


def citation(
    n: int = 1,
    text: str | None = None,
    sentence: str = SENTENCE,
    title: str = "Anora – production notes",
    source: str = "notes.txt",
) -> Citation:
    start = ARTICLE.index(SENTENCE)
    return Citation(
        n=n,
        source=source,
        title=title,
        chunk_id=f"notes#{n:03d}",
        text=text if text is not None else ARTICLE.split("\n\n")[1],
        span=(start, start + len(SENTENCE)),
        score=0.91,
        sentence=sentence,
    )


def answer(
    text: str = f"{SENTENCE} [1]",
    *,
    abstained: bool = False,
    question: str = "Who?",
    citations: tuple[Citation, ...] = (),
    related: tuple[Citation, ...] = (),
    **extra,
) -> Answer:
    return Answer(
        question=question,
        text=text,
        abstained=abstained,
        citations=citations,
        generator="extractive",
        timings_ms={},
        related=related,
        **extra,
    )


DOCS = {
    "notes.txt": Document(
        source="notes.txt", title="Anora – production notes", text=ARTICLE, sha256="0", blocks=()
    )
}


def test_markers_become_links_to_the_turns_cards():
    assert cite_links("Drew. [1]", turn=3) == 'Drew. <a class="cite" href="#src-3-1">[1]</a>'
    grouped = cite_links("Both. [1, 2]", turn=1)
    assert grouped == (
        'Both. [<a class="cite" href="#src-1-1">1</a>, <a class="cite" href="#src-1-2">2</a>]'
    )
    # a number the answer does not cite stays plain text
    assert cite_links("x [7]", turn=1, known={1}) == "x [7]"
    out = render_answer(answer(citations=(citation(),)), turn=2)
    assert '<a class="cite" href="#src-2-1">[1]</a>' in out


def test_sources_card_links_highlight_and_article_context():
    section = render_sources(answer(citations=(citation(),)), turn=2, documents=DOCS)
    assert 'id="src-2-1"' in section  # the target of the answer's [1] link
    assert f"<mark>{SENTENCE}</mark>" in section
    assert "notes.txt" in section and "score 0.91" in section
    assert "<details><summary>In the article</summary>" in section
    context = article_context(ARTICLE, citation().span)
    assert context == (
        f"<p>Baker wanted a polished look. <mark>{SENTENCE}</mark> Daniels shot on film.</p>"
    )


def test_highlight_tolerates_whitespace_and_a_missing_sentence():
    assert highlight("A  b\nc. D.", "A b c.") == "<mark>A  b\nc.</mark> D."
    assert highlight("No <match>.", "elsewhere") == "No &lt;match&gt;."
    assert highlight("Text.", "") == "Text."


def test_long_article_context_is_cut_with_ellipses():
    text = "x" * 3000 + " The sentence. " + "y" * 3000
    start = text.index("The sentence.")
    out = article_context(text, (start, start + len("The sentence.")), limit=100)
    assert out.startswith("<p>…") and out.endswith("…</p>")
    assert len(out) < 300


@pytest.mark.parametrize("attack", ATTACKS)
def test_question_answer_and_passage_text_are_escaped(attack: str):
    assert render_user(f"Who? {attack}") == "Who? " + html.escape(attack)
    cited = citation(
        text=f"{attack} {SENTENCE} {attack}",
        title=f'T {attack} " onmouseover="alert(3)',
        source=f"{attack}.txt",
    )
    bad = answer(
        f"{attack} {SENTENCE} [1]",
        question=f"Q {attack}",
        citations=(cited,),
        notices=(f"note {attack}",),
    )
    pieces = [
        render_user(attack),
        render_answer(bad, 1),
        render_streaming(attack, 1),
        render_sources(bad, 1, DOCS),
        render_card(cited, DOCS["notes.txt"], "a"),
        render_sources(answer(attack, abstained=True, related=(cited,)), 1, DOCS),
    ]
    for out in pieces:
        assert "<img" not in out and "<script" not in out and '" onmouseover' not in out
        assert "&lt;" in out
    assert '<a class="cite" href="#src-1-1">[1]</a>' in render_answer(bad, 1)


def test_abstained_answer_shows_related_passages_and_no_citation_cards():
    related = (citation(1), citation(2, sentence="Daniels shot on film."))
    abstained = answer(NOT_FOUND, abstained=True, related=related)
    section = render_sources(abstained, turn=4, documents=DOCS)
    assert "Related passages" in section and html.escape(NOT_FOUND) in section
    assert 'class="abstained"' in section
    assert 'id="src-' not in section and 'class="num"' not in section
    assert section.count('<article class="card"') == 2
    chat = render_answer(abstained, turn=4)
    assert 'class="abstained"' in chat and "cite" not in chat


def test_abstained_without_related_passages_has_no_heading():
    section = render_sources(answer(NOT_FOUND, abstained=True), turn=1, documents=DOCS)
    assert "Related passages" not in section and "<article" not in section


def test_fallback_and_notices_show_as_one_line_notes():
    fell_back = answer(
        citations=(citation(),),
        fallback_reason="model timed out",
        notices=("Your question was trimmed.",),
    )
    notes = render_notes(fell_back)
    assert notes.count('class="note"') == 2 and "model timed out" in notes
    # the pipeline's own notice already explains the fallback: no second note
    explained = answer(
        citations=(citation(),),
        fallback_reason="x failed",
        notices=("The local answer was not used (x failed).",),
    )
    assert render_notes(explained).count('class="note"') == 1
    assert render_notes(answer(citations=(citation(),))) == ""
    # the empty-question refusal repeats its text as a notice: shown once
    refusal = answer(
        "Please type a question.", abstained=True, notices=("Please type a question.",)
    )
    assert render_notes(refusal) == ""


def test_panel_lists_the_newest_answer_first():
    assert "Sources appear here" in render_panel([])
    assert render_panel(["<one>", "<two>"]) == "<two><one>"


def test_real_answer_renders_a_highlighted_drew_daniels_card(pipeline):
    real = pipeline.ask("Who was the director of photography?")
    section = render_sources(real, turn=1, documents=pipeline.index.documents)
    marked = re.findall(r"<mark>(.*?)</mark>", section, re.S)
    assert any("Drew Daniels" in m for m in marked)
    assert 'id="src-1-1"' in section


def run_chat(pipeline, question: str, asked: list[str] | None = None) -> list[tuple]:
    """Every update the chat handler yields, for one question."""
    return list(respond(pipeline, question, [], asked or [], [], "extractive", "hybrid", 5))


class BrokenPipeline:
    """Streams one piece of text, then fails."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.index = SimpleNamespace(documents=DOCS)

    def stream(self, *args, **kwargs):
        yield Delta("Half an answer")
        raise self.error


def test_chat_handler_streams_then_fills_sources_and_history(pipeline):
    updates = run_chat(pipeline, "Who was the director of photography?")
    chat, panel, asked, sections, box = updates[-1]
    assert [m["role"] for m in chat] == ["user", "assistant"] and box == ""
    assert 'href="#src-1-1"' in chat[-1]["content"] and "Drew Daniels" in chat[-1]["content"]
    assert 'id="src-1-1"' in panel and asked == ["Who was the director of photography?"]
    assert len(sections) == 1
    # the first updates show progress without touching the sources panel
    assert "Searching" in updates[0][0][-1]["content"]
    assert any("cursor" in u[0][-1]["content"] and "Drew" in u[0][-1]["content"] for u in updates)


def test_chat_handler_passes_earlier_questions_as_history(pipeline):
    chat, *_ = run_chat(
        pipeline, "And how many in Vegas?", ["How many days did Anora shoot in New York City?"]
    )[-1]
    assert "3 days in Las Vegas" in chat[-1]["content"]


def test_chat_handler_escapes_the_question_and_refuses_an_empty_one(pipeline):
    chat, *_ = run_chat(pipeline, f"Who? {ATTACKS[0]}")[-1]
    assert chat[0]["content"] == "Who? " + html.escape(ATTACKS[0])
    chat, _, asked, sections, _ = run_chat(pipeline, "   ")[-1]
    assert [m["role"] for m in chat] == ["assistant"] and asked == [] and sections == []
    assert "Please type a question" in chat[0]["content"]


def test_chat_handler_shows_errors_briefly_and_logs_the_traceback(caplog):
    fixable = IndexStateError("the index is stale; run `rag index`")
    chat, panel, asked, *_ = run_chat(BrokenPipeline(fixable), "Who?")[-1]
    assert chat[-1]["content"] == f'<div class="error">{html.escape(str(fixable))}</div>'
    assert asked == [] and panel == {"__type__": "update"}  # not history; panel untouched
    with caplog.at_level(logging.ERROR, logger="rag.ui"):
        chat, *_ = run_chat(BrokenPipeline(RuntimeError("boom")), "Who?")[-1]
    assert FAILED in chat[-1]["content"] and "boom" not in chat[-1]["content"]
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)

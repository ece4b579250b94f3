"""The page's renderers and chat handler: links, escaping, notices, turns (no browser)."""

from __future__ import annotations

import html
import json
import logging
import re
import time
from types import SimpleNamespace

import pytest

from rag.errors import IndexStateError
from rag.generators.base import Delta
from rag.notices import user_notices
from rag.schema import Answer, Citation, Document
from rag.ui import (
    FAILED,
    MAX_TURNS,
    NOT_FOUND,
    STOPPED_NOTE,
    STOPS,
    _feedback_record,
    answer_from_json,
    article_context,
    cite_links,
    copy_text,
    highlight,
    load_turns,
    panel_and_saved,
    render_answer,
    render_card,
    render_notes,
    render_panel,
    render_sources,
    render_streaming,
    render_user,
    respond,
    save_turns,
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


def link(turn: int, n: int) -> str:
    return f'<a class="cite" href="#src-{turn}-{n}"'


def test_markers_become_links_to_the_turns_cards():
    assert cite_links("Drew. [1]", turn=3) == 'Drew. <a class="cite" href="#src-3-1">[1]</a>'
    grouped = cite_links("Both. [1, 2]", turn=1)
    assert grouped == (
        'Both. [<a class="cite" href="#src-1-1">1</a>, <a class="cite" href="#src-1-2">2</a>]'
    )
    # a number the answer does not cite stays plain text
    assert cite_links("x [7]", turn=1, known={1}) == "x [7]"
    out = render_answer(answer(citations=(citation(),)), turn=2)
    assert out.count('class="cite"') == 1 and link(2, 1) in out


def test_citation_links_have_accessible_names_and_a_preview_of_their_sentence():
    out = render_answer(answer(citations=(citation(),)), turn=1)
    assert 'aria-label="Source 1: Anora – production notes"' in out
    assert f'data-tip="{SENTENCE}"' in out


def test_markers_inside_quoted_article_text_are_not_links():
    """#23 item 7: a passage sentence saying "marker [2]", cited as [1], links only [1]."""
    forged = "The press kit says marker [2] in its notes."
    cited = citation(1, text=f"{forged} More.", sentence=forged)
    other = citation(2, sentence="Daniels shot on film.")
    out = render_answer(answer(f"{forged} [1]", citations=(cited, other)), turn=1)
    assert out.count('class="cite"') == 1 and link(1, 1) in out and link(1, 2) not in out
    assert "marker [2] in its notes." in out
    # the model's own marker after its own words is still a link
    own = render_answer(answer("Daniels shot it. [2]", citations=(cited, other)), turn=1)
    assert link(1, 2) in own


def test_answer_carries_a_copy_button_with_the_answer_and_its_sources():
    one = answer(citations=(citation(),))
    text = copy_text(one)
    assert text.startswith(one.text) and "Sources:" in text and "notes.txt" in text
    out = render_answer(one, turn=1)
    assert 'class="copy-answer"' in out and html.escape(text, quote=True) in out
    assert "Sources:" not in copy_text(answer(NOT_FOUND, abstained=True))


def test_answer_carries_its_own_cards_for_narrow_screens():
    out = render_answer(answer(citations=(citation(),)), turn=3, documents=DOCS)
    assert '<details class="inline-sources"><summary>Sources (1)</summary>' in out
    assert 'id="isrc-3-1"' in out and f"<mark>{SENTENCE}</mark>" in out
    assert "inline-sources" not in render_answer(answer(NOT_FOUND, abstained=True), 3, DOCS)


def test_sources_card_links_highlight_and_article_context():
    section = render_sources(answer(citations=(citation(),)), turn=2, documents=DOCS)
    assert 'id="src-2-1" tabindex="-1"' in section  # the focus target of the answer's [1]
    assert f"<mark>{SENTENCE}</mark>" in section
    assert "notes.txt" in section
    # the score is explained in a tooltip, not shown bare
    assert "· score" not in section and 'title="Search score 0.91: How closely' in section
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
        sentence=f'{SENTENCE} " onfocus="alert(4)',
    )
    bad = answer(
        f"{attack} {SENTENCE} [1]",
        question=f"Q {attack}",
        citations=(cited,),
        notices=(f"note {attack}",),
        fallback_reason=f"reason {attack}",
    )
    pieces = [
        render_user(attack),
        render_answer(bad, 1, DOCS),
        render_streaming(attack, 1),
        render_sources(bad, 1, DOCS),
        render_card(cited, DOCS["notes.txt"], "a"),
        render_sources(answer(attack, abstained=True, related=(cited,)), 1, DOCS),
    ]
    for out in pieces:
        assert "<img" not in out and "<script" not in out
        assert '" onmouseover' not in out and '" onfocus' not in out
        assert "&lt;" in out
    assert link(1, 1) in render_answer(bad, 1)


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


REFUSED = (
    "the LLM endpoint at http://127.0.0.1:9/v1 refused the connection "
    "(is the server running? check RAG_LLM_BASE_URL)"
)


def test_a_fallback_is_one_note_in_the_users_words_with_the_detail_collapsed():
    fell_back = answer(
        citations=(citation(),),
        fallback_reason=REFUSED,
        notices=(
            f"The OpenAI-compatible model's answer was not used ({REFUSED}); showing "
            "sentences quoted from the articles instead.",
            "Your question was trimmed.",
        ),
    )
    notes = render_notes(fell_back)
    assert notes.count('class="note"') == 2
    first = notes.split('<div class="note">')[1]
    assert first.startswith(
        "The language model is not reachable, so this answer is quoted from the articles."
    )
    assert f"<details><summary>details</summary>{html.escape(REFUSED)}</details>" in first
    assert "RAG_LLM_BASE_URL" not in notes.replace(html.escape(REFUSED), "")
    assert user_notices(fell_back)[0].line().endswith(f"({REFUSED})")
    assert render_notes(answer(citations=(citation(),))) == ""
    # the empty-question refusal repeats its text as a notice: shown once
    refusal = answer(
        "Please type a question.", abstained=True, notices=("Please type a question.",)
    )
    assert render_notes(refusal) == ""


def test_the_long_question_notice_only_when_the_question_itself_was_cut(pipeline):
    long_history = ["Tell me about " + "the production of the film " * 60]
    follow = pipeline.ask("And who shot it in Las Vegas, and for how many days?", long_history)
    assert not any("longer than the search model reads" in n for n in follow.notices)
    long = pipeline.ask("Who was the director of photography? " + "Please explain. " * 100)
    assert [n for n in long.notices if "Your message is long" in n] == list(long.notices)


def test_panel_lists_the_newest_answer_first():
    assert "Sources appear here" in render_panel([])
    assert render_panel(["<one>", "<two>"]) == "<two><one>"


def test_real_answer_renders_a_highlighted_drew_daniels_card(pipeline):
    real = pipeline.ask("Who was the director of photography?")
    section = render_sources(real, turn=1, documents=pipeline.index.documents)
    marked = re.findall(r"<mark>(.*?)</mark>", section, re.S)
    assert any("Drew Daniels" in m for m in marked)
    assert 'id="src-1-1"' in section


def run_chat(pipeline, question: str, turns: list | None = None) -> list[tuple]:
    """Every update the chat handler yields, for one question."""
    return list(respond(pipeline, question, turns or [], "extractive", "hybrid", 5))


class BrokenPipeline:
    """Streams one piece of text, then fails."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.index = SimpleNamespace(documents=DOCS)
        self.settings = SimpleNamespace(generator="extractive")

    def generator(self, name=None):
        return SimpleNamespace()

    def stream(self, *args, **kwargs):
        yield Delta("Half an answer")
        raise self.error


def test_chat_handler_streams_then_fills_sources_and_history(pipeline):
    updates = run_chat(pipeline, "Who was the director of photography?")
    chat, turns = updates[-1]
    panel, saved = panel_and_saved(turns)
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert 'href="#src-1-1"' in chat[-1]["content"] and "Drew Daniels" in chat[-1]["content"]
    assert 'id="src-1-1"' in panel and [t.answer.question for t in turns] == [
        "Who was the director of photography?"
    ]
    # the first updates show progress and keep the turns as they were
    assert "Searching the articles" in updates[0][0][-1]["content"]
    assert updates[0][1] == {"__type__": "update"}
    # the stored copy re-renders to the same page after a reload
    restored = load_turns(pipeline, saved)
    assert [t.chat_html for t in restored] == [t.chat_html for t in turns]
    assert restored[0].section_html == turns[0].section_html


def test_chat_handler_passes_earlier_questions_as_history(pipeline):
    first = run_chat(pipeline, "How many days did Anora shoot in New York City?")[-1][1]
    chat, turns = run_chat(pipeline, "And how many in Vegas?", first)[-1]
    assert "3 days in Las Vegas" in chat[-1]["content"]
    assert [t.number for t in turns] == [1, 2] and 'href="#src-2-' in chat[-1]["content"]


def test_an_empty_question_changes_nothing(pipeline):
    assert run_chat(pipeline, "   ") == []  # no update at all


def test_a_session_keeps_a_bounded_number_of_turns(pipeline):
    turns: list = []
    for i in range(MAX_TURNS + 3):
        turns = run_chat(pipeline, f"Who was the director of photography? ({i})", turns)[-1][1]
    assert len(turns) == MAX_TURNS and turns[-1].number == MAX_TURNS + 3
    assert len(load_turns(pipeline, save_turns(turns))) == MAX_TURNS


def test_a_damaged_stored_conversation_is_ignored_not_shown(pipeline):
    assert load_turns(pipeline, "not json") == []
    assert load_turns(pipeline, '[{"n": 1}, 7, {"n": "x", "answer": {}}]') == []
    one = run_chat(pipeline, "Who was the director of photography?")[-1][1]
    row = one[0].answer.to_json()
    row["answer"] = f"{ATTACKS[0]} [1]"
    (turn,) = load_turns(pipeline, json.dumps([{"n": 1, "answer": row}]))
    assert "<img" not in turn.chat_html and answer_from_json(row).text == row["answer"]


def test_a_thumb_becomes_a_feedback_record_of_that_turn(pipeline):
    turns = run_chat(pipeline, "How many days did Anora shoot in New York City?")[-1][1]
    turns = run_chat(pipeline, "And how many in Vegas?", turns)[-1][1]
    record = _feedback_record(turns, 3, False)
    assert record is not None and record.verdict == "down"
    assert record.question == "And how many in Vegas?"
    assert record.history == ("How many days did Anora shoot in New York City?",)
    assert record.citations and record.citations[0]["n"] == 1
    flagged = _feedback_record(turns, 1, "Wrong source")
    assert flagged is not None and flagged.comment == "Wrong source"
    assert _feedback_record(turns, 1, None) is None and _feedback_record(turns, 9, True) is None


def test_chat_handler_shows_errors_briefly_and_logs_the_traceback(caplog):
    fixable = IndexStateError("the index is stale; run `rag index`")
    updates = run_chat(BrokenPipeline(fixable), "Who?")
    chat, turns = updates[-1]
    assert html.escape(str(fixable)) in chat[-1]["content"]
    assert turns == {"__type__": "update"}
    with caplog.at_level(logging.ERROR, logger="rag.ui_chat"):
        chat, *_ = run_chat(BrokenPipeline(RuntimeError("boom")), "Who?")[-1]
    assert FAILED in chat[-1]["content"] and "boom" not in chat[-1]["content"]
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


class SlowPipeline(BrokenPipeline):
    """Streams a piece of text, then a second one only after the stop flag had time to act."""

    def __init__(self) -> None:
        super().__init__(RuntimeError("unused"))

    def stream(self, *args, **kwargs):
        yield Delta("Half an answer")
        time.sleep(1.0)
        yield Delta(" and the rest")


def test_stop_makes_the_stopped_note_the_streams_last_word():
    # the Stop handler writes the note too, but an update of the stream may reach the page
    # after it; so the stream itself ends with the same note and keeps no turn
    request = SimpleNamespace(session_hash="stop-test")
    stream = respond(SlowPipeline(), "Who shot it?", [], "extractive", "hybrid", 5, request)
    updates = []
    for update in stream:
        updates.append(update)
        if "Half an answer" in str(update[0][-1]["content"]):
            STOPS.stop("stop-test")
    chat, turns = updates[-1]
    assert chat[-1]["content"] == STOPPED_NOTE and "Stopped." in STOPPED_NOTE
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert not any("the rest" in str(u[0][-1]["content"]) for u in updates)
    assert turns == {"__type__": "update"}  # no half answer was kept

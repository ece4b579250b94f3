"""A long message keeps its question (``rag.message``), and the pipeline answers it.

The pure functions are tested on strings; the pipeline tests use the real embedder
and index: a synopsis pasted before the question must not push the question out.
"""

from __future__ import annotations

from rag.message import keep_question, question_sentence, search_text, sentences

PASTE = (
    "Anora is a 2024 film written and directed by Sean Baker. It follows Ani, a young woman "
    "from Brighton Beach who works at a club in Manhattan. She meets Vanya, the son of a "
    "Russian oligarch, and they marry in Las Vegas. His parents send men to annul the "
    "marriage. "
) * 6


def test_the_question_is_the_last_sentence_asking():
    assert question_sentence(PASTE + "So, who was the director of photography?") == (
        "So, who was the director of photography?"
    )
    assert question_sentence(PASTE + "who shot it? thanks!!") == "who shot it?"
    # a lower-case question after a full stop is still its own sentence
    assert question_sentence("It felt genuine. what did Dr. Baker do before?") == (
        "what did Dr. Baker do before?"
    )
    # nothing asks: the last sentence is the request
    assert question_sentence(PASTE + "Tell me about the ending") == "Tell me about the ending"


def test_keep_question_keeps_the_question_whole_within_the_limit():
    text = PASTE * 3 + "So, who was the director of photography? Thanks a lot."
    kept = keep_question(text, 300)
    assert len(kept) <= 300 and "who was the director of photography?" in kept
    assert kept.split()[0] in text.split()  # no half word at the start
    start = "Who shot Anora? " + PASTE * 3
    assert keep_question(start, 200).startswith("Who shot Anora?")
    assert keep_question("short", 300) == "short"
    assert len(keep_question("x" * 5000, 300)) <= 300  # no sentence at all: still bounded


def test_search_text_puts_the_question_first_then_the_nearest_text():
    text = PASTE + "What happens after his parents find out?"
    fits = lambda t: len(t.split()) <= 40  # noqa: E731 - a word budget for the test
    searched = search_text(text, fits)
    assert searched.startswith("What happens after his parents find out?")
    assert "annul the marriage" in searched and fits(searched)
    assert search_text("Who shot it?", fits) == "Who shot it?"
    assert sentences("One. Two?") == ["One.", "Two?"]


def test_a_pasted_synopsis_does_not_push_the_question_out(pipeline):
    answer = pipeline.ask(PASTE + "So, who was the director of photography?")
    assert "Drew Daniels" in answer.text and not answer.abstained
    assert answer.notices == (
        "Your message is long, so it was searched with your question, “So, who was the "
        "director of photography?”, alone.",
    )


def test_a_question_leaning_on_the_paste_is_searched_with_it(pipeline):
    answer = pipeline.ask(PASTE + "ok. how many days did they shoot in las vegas?")
    assert "3 days" in answer.text
    assert "just before it" not in answer.notices[0]  # "they" is the film-makers here
    leaning = pipeline.ask(PASTE + "What happens after his parents find out?")
    assert "and the text just before it" in leaning.notices[0]
    assert not leaning.abstained and leaning.citations

"""A long message keeps its question (``rag.message``), and the pipeline answers it.

The pure functions are tested on strings; the pipeline tests use the real embedder
and index: a synopsis pasted before the question must not push the question out.
"""

from __future__ import annotations

from dataclasses import replace

from rag.message import keep_question, pasted_in, question_sentence, search_text, sentences

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


def test_pasted_in_finds_a_sentence_copied_whole_or_in_part():
    said = "Ani encounters Vanya, the oligarch’s son, and they marry in Las Vegas."
    assert pasted_in(said, "my friend wrote: ani encounters vanya, the oligarch's son, and they")
    assert pasted_in(said, f"“{said.upper()}” is that right")
    # the same names and a few words in common are not a paste
    assert not pasted_in(said, "So Ani marries Vanya, the son of an oligarch, in Las Vegas?")
    assert not pasted_in("Ani marries.", "Ani marries.")  # too short to tell
    assert not pasted_in(said, "")


SYNOPSIS = (  # two sentences of the corpus's own synopsis, as a user pastes them
    "“Anora revolves around the character of Ani Mikheeva — or “Anora” — a Brooklyn stripper "
    "mainstream America would call ambitious. With a red hot desire for life, Ani encounters "
    "Vanya, the oligarch’s son, and their reckless connection propels Vanya and Ani through a "
    "whirlwind romantic spiral, pushing them to an impulsive wedding in Las Vegas.” "
)


def test_what_the_user_pasted_is_not_quoted_back(pipeline):
    message = SYNOPSIS + "ok i read that much. what happens after his parents find out?"
    answer = pipeline.ask(message)
    assert not answer.abstained and answer.citations
    for citation in answer.citations:
        assert not pasted_in(citation.sentence, SYNOPSIS), citation.sentence
    assert "enforcers" in answer.text  # what the synopsis goes on to say


def test_a_yes_no_question_about_the_paste_may_quote_it(pipeline):
    # "is it so?": the pasted sentence is the evidence, so it is quoted; "who?" is not
    generator = pipeline.generator()
    for question, quoted in (("Is Ani a Brooklyn stripper?", True), ("Who is Ani?", False)):
        request, _, _ = pipeline.prepare(question)
        draft = generator.generate(replace(request, pasted=SYNOPSIS))
        assert draft.citations and not draft.abstained
        assert any(pasted_in(c.sentence, SYNOPSIS) for c in draft.citations) is quoted

"""Typos read as the corpus words they were meant to be (``rag.spelling``), with the real
embedder's word pieces and the real corpus, and through the pipeline."""

from __future__ import annotations

import pytest

from rag.spelling import Speller, edit_distance


@pytest.fixture(scope="module")
def speller(pipeline) -> Speller:
    return pipeline.speller


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("improvized", "improvise"),
        ("karagullian", "karagulian"),
        ("eydelstein", "eydelshteyn"),
        ("borisof", "borisov"),
        ("tinsle", "tinsel"),
        ("penthuose", "penthouse"),
        ("brigton", "brighton"),
    ],
)
def test_a_typo_reads_as_the_corpus_word(speller: Speller, typed: str, meant: str) -> None:
    assert speller.suggest(typed) == meant


@pytest.mark.parametrize(
    "word",
    [
        "weather",  # a common English word the articles do not use: one word piece
        "recipe",
        "brighten",  # a word piece and an English ending: "bright" + "##en"
        "spoilers",
        "bakers",  # a corpus word with its apostrophe left out
        "improvising",  # another form of a corpus word
        "wher",  # "where" or "when": question words are never guessed
        "igr",  # too short to guess between its neighbours
    ],
)
def test_words_of_english_and_short_words_are_left_alone(speller: Speller, word: str) -> None:
    assert speller.suggest(word) is None


def test_the_gold_questions_are_read_as_typed_but_for_their_typos(pipeline) -> None:
    from pathlib import Path

    from rag.gold import load_golds

    gold = load_golds([Path("eval/gold.jsonl"), Path("eval/chat.jsonl")])
    changed = {
        q: pipeline.speller.correct(q).changes
        for item in gold
        for q in (*item.history, item.question)
        if pipeline.speller.correct(q).changes
    }
    assert changed == {"how much of it was improvized": (("improvized", "improvise"),)}


def test_correct_keeps_case_and_quotations_and_says_what_it_read(speller: Speller) -> None:
    read = speller.correct('What did Karagullian say about "the tinsle"?')
    assert read.text == 'What did Karagulian say about "the tinsle"?'
    assert read.changes == (("Karagullian", "Karagulian"),)
    assert read.notice == "Read “Karagullian” as “Karagulian”."
    assert speller.correct("who shot it").notice == ""


def test_edit_distance_counts_a_swap_as_one_edit() -> None:
    assert edit_distance("penthuose", "penthouse") == 1
    assert edit_distance("tinsle", "tinsel") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3


def test_the_pipeline_answers_the_corrected_question_and_tells_the_user(pipeline) -> None:
    typed = pipeline.ask("what did they do with the red tinsle")
    meant = pipeline.ask("what did they do with the red tinsel")
    assert not typed.abstained
    assert [c.chunk_id for c in typed.citations] == [c.chunk_id for c in meant.citations]
    assert typed.text == meant.text
    assert "Read “tinsle” as “tinsel”." in typed.notices
    assert typed.question == "what did they do with the red tinsle"  # as the user typed it


def test_a_follow_up_reads_the_earlier_turn_corrected(pipeline) -> None:
    answer = pipeline.ask("who plays him", ["who is borisof"])
    assert "Borisov" in answer.text


def test_doctests() -> None:
    import doctest

    import rag.answerer.patterns
    import rag.answerer.question
    import rag.message
    import rag.spelling

    modules = (rag.spelling, rag.message, rag.answerer.question, rag.answerer.patterns)
    assert all(doctest.testmod(m).failed == 0 for m in modules)

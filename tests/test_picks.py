"""A question picking one of the things the answer before it listed, and the "it" that
then stands for the one picked: through the real pipeline."""

from __future__ import annotations

import doctest

import rag.picks
from rag.picks import WHICH_ONE, listed, named_work, options, picked_referent
from rag.pipeline import as_turn
from rag.schema import Turn


def test_the_picks_doctests_hold():
    assert doctest.testmod(rag.picks).failed == 0


def test_which_one_picks_only_among_what_the_last_answer_listed():
    listing = Turn("what else has he directed", short_answer="Tangerine, Red Rocket:")
    assert options("which one was shot on a phone", [listing]) == ("Tangerine", "Red Rocket")
    assert options("and which of them won at Cannes?", [listing]) == ("Tangerine", "Red Rocket")
    assert options("which film was shot on a phone", [listing]) == ()  # names its own noun
    assert options("which one was shot on a phone", []) == ()
    assert listed(Turn("who shot it", short_answer="Drew Daniels")) == ()
    assert WHICH_ONE.match("Which one?")
    # "it" stands for the pick only right after it, never for an answer that was no pick
    assert (
        picked_referent("when did it come out", [Turn("who shot it", short_answer="Drew Daniels")])
        == ""
    )


def test_which_one_leads_with_the_item_and_it_then_means_that_item(pipeline):
    turns = []
    for question in ("who directed anora", "what else has he directed"):
        turns.append(as_turn(pipeline.ask(question, history=turns)))
    items = listed(turns[-1])
    assert "Tangerine" in items, turns[-1].short_answer
    pick = pipeline.ask("which one was shot on a phone", history=turns)
    assert pick.short_answer == "Tangerine", pick.text
    turns.append(as_turn(pick))
    released = pipeline.ask("when did it come out", history=turns)
    assert released.short_answer == "2015", released.text
    assert "Tangerine (2015)" in released.citations[0].sentence
    # asked alone, "it" is the film the articles are about
    alone = pipeline.ask("when did it come out")
    assert "Tangerine" not in alone.text


def test_it_after_a_question_naming_another_work_is_that_work(pipeline):
    # "it" stands for the one work the previous question named, and an ellipsis naming
    # another work asks the same of that one
    turns = [as_turn(pipeline.ask("What awards did The Florida Project receive?"))]
    premiere = pipeline.ask("where did it premiere", history=turns)
    assert premiere.retrieval_query == "where did The Florida Project premiere"
    assert "The Florida Project" in premiere.citations[0].sentence
    assert "Sundance" not in premiere.short_answer, premiere.text
    turns.append(as_turn(premiere))
    other = pipeline.ask("and tangerine?", history=turns)
    assert other.retrieval_query == "where did Tangerine premiere"
    assert other.short_answer == "Sundance Film Festival", other.text
    # a question naming someone of its own is not about the work before it
    assert named_work("did baker like it", turns, pipeline.works, pipeline.names) == ""
    # Anora, the film the articles are about, is no other work
    assert all("anora" not in w.lower() for w in pipeline.works)

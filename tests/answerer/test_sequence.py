"""The work right before or after another, from the years the corpus dates works with."""

from __future__ import annotations

import pytest

from rag.answerer.question import analyse
from rag.answerer.sequence import Neighbour, SequenceRule, asked_neighbour
from rag.schema import Sentence
from tests.conftest import check_citations


def test_a_question_for_the_work_next_to_another_is_read_with_its_side():
    assert asked_neighbour(analyse("what did baker make right before anora")) == Neighbour(
        "before", "anora"
    )
    assert asked_neighbour(analyse("Which film came after The Florida Project?")) == Neighbour(
        "after", "The Florida Project"
    )
    assert asked_neighbour(analyse("what did he direct prior to tangerine")).side == "before"
    # no work asked for, or not a what/which question
    assert asked_neighbour(analyse("what happened before the wedding")) is None
    assert asked_neighbour(analyse("when did it premiere after cannes")) is None


def _rule(*texts: str) -> SequenceRule:
    sentences = [Sentence(i, "a", 0, len(t), t) for i, t in enumerate(texts)]
    names = {"baker": "Baker", "sean baker": "Sean Baker", "mikey madison": "Mikey Madison"}
    return SequenceRule(sentences, lambda: names, lambda: "Anora")


def test_the_makers_works_are_those_of_sentences_about_the_maker():
    rule = _rule(
        "Sean Baker made films for years.",
        "His most recent film Red Rocket (2021) premiered at Cannes.",
        "Mikey Madison first caught Baker’s eye in Once Upon a Time… in Hollywood (2019).",
        "Baker’s films include Tangerine (2015).",
    )
    # the sentence before says whose "his" is; a sentence opening on Madison is about her
    assert [w.title for w in rule.dated(["Baker"])] == ["Red Rocket", "Tangerine"]
    assert [w.title for w in rule.dated(["Mikey Madison"])] == ["Once Upon a Time… in Hollywood"]
    # the film the articles are about, undated, comes after every dated work of its maker
    before = rule.requirement(analyse("what did baker make right before anora"))
    assert before is not None and before.decisive and before.where == {1}
    assert before.lead("His most recent film Red Rocket (2021) premiered") == "Red Rocket"
    # "before it", with no other work put in its place by the conversation: the film itself
    it = rule.requirement(analyse("what did he make before it"))
    assert it is not None and it.where == {1}
    after = rule.requirement(analyse("what did baker make after tangerine"))
    assert after is not None and after.where == {1}
    # nothing after the latest, and nothing dated for a work the corpus never dates
    assert rule.requirement(analyse("what did baker make after red rocket")) is None
    assert rule.requirement(analyse("what did baker make before starlet")) is None


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("what did baker make right before anora", "Red Rocket"),
        ("what did he make after tangerine", "The Florida Project"),
        ("what film did baker make after four letter words", "Take Out"),
        ("what did baker make before starlet", "Prince of Broadway"),
    ],
)
def test_the_work_before_or_after_is_led_by_its_title_and_quoted_where_dated(
    pipeline, question, lead
):
    answer = pipeline.ask(question)
    assert not answer.abstained and answer.short_answer == lead
    assert f"{lead} (" in answer.text  # the sentence dating it
    check_citations(pipeline, answer)

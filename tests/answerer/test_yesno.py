"""The evidence a yes/no question is answered with (no index needed for the unit; the
pipeline test reads the real one)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from rag.answerer.yesno import RESTATE_MARGIN, chosen_by_verb, complement, complemented
from rag.text import terms


def _candidate(text: str, score: float) -> Any:
    return SimpleNamespace(sentence=SimpleNamespace(text=text), score=score)


def test_is_x_y_is_answered_first_by_a_close_sentence_stating_both():
    best = _candidate("Ani’s soon-to-be ex-husband is brought to heel by his parents.", 3.0)
    russian = _candidate("Ani meets a coltish Russian who asked for a Russian dancer.", 1.8)
    other = _candidate("They used Russian 70s anamorphic prime lenses.", 2.9)  # no subject
    pool = [best, other, russian]
    assert complemented("is anis husband russian", pool, best) is russian
    # too far below the best, or the best already says it: the best stands
    far = _candidate("Ani meets a coltish Russian.", 3.0 - RESTATE_MARGIN - 0.1)
    assert complemented("is anis husband russian", [best, far], best) is best
    assert complemented("is it a comedy", pool, best) is best  # a pronoun subject: no test
    # not a copular question
    assert complemented("did ani marry a russian", pool, best) is best


def test_the_complement_is_what_is_x_y_asks():
    assert complement("is anis husband russian") == {"russian"}
    assert complement("Was Ivan a Russian?") == {"russian"}
    assert complement("is it a comedy") == set(terms("comedy"))  # terms are stemmed
    assert complement("who is ani") == frozenset() and complement("did ani marry") == frozenset()


def test_a_copular_question_leads_with_the_sentence_saying_its_complement(pipeline):
    answer = pipeline.ask("is anis husband russian")
    assert not answer.abstained and "Russian" in answer.citations[0].sentence
    # shown from the clause saying it, not from the clause before it that does not
    first = answer.text.split("[1]")[0]
    assert first.startswith("…") and "Russian" in " ".join(first.split()[:15])


def test_an_either_or_lead_is_read_from_a_sentence_where_the_question_s_verb_takes_it():
    movie = _candidate("I tried to approach the film the way a 1970s filmmaker would.", 0.5)
    stock = _candidate("He wanted to shoot the film in 35mm using anamorphic lenses.", -0.4)
    far = _candidate("It was shot on film, of course.", -3.0)  # beyond the margin
    pool = [movie, stock, far]
    asked = ("film", "digital")
    assert chosen_by_verb("was it shot on film or digital", asked, pool, movie, {}) is stock
    # a copular question has no verb to read the options with: the best sentence stands
    assert chosen_by_verb("is it film or digital", asked, pool, movie, {}) is movie
    assert chosen_by_verb("was it shot on film or digital", asked, [movie, far], movie, {}) is movie

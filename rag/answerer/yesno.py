"""What the evidence for a yes/no question must say.

``complement`` is what "is X Y?" asks of X (its Y); ``complemented`` puts first, for
"is X Y?", a close sentence stating X and Y when the best one lacks Y ("is anis husband
russian": "Ani … a coltish Russian" over "Ani’s soon-to-be ex-husband is brought to
heel"); ``unnamed`` says when the question names a person the best sentences never name
(quoting them would read as a yes).

What this module does not do: answer "yes" or "no" (the evidence is quoted, never judged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rag.answerer.features import Candidate
from rag.answerer.question import Question
from rag.text import terms, words

RESTATE_MARGIN = 2.0  # a sentence holding what was asked beats a best one within this that does not


# a copular yes/no question, its subject and complement: "is anis husband russian"
_COMPLEMENT = re.compile(
    r"^\s*(?:is|are|was|were)\s+((?:[\w’'-]+\s+){1,3}?)(?:an?\s+|the\s+)?([a-z][\w-]*)\W*$", re.I
)


def complemented(question: str, pool: Sequence[Candidate], first: Candidate) -> Candidate:
    """For "is X Y?", a sentence within ``RESTATE_MARGIN`` of ``first`` stating X and Y
    when ``first`` lacks Y ("is anis husband russian": "Ani … a coltish Russian" over
    "Ani’s soon-to-be ex-husband is brought to heel")."""
    m = _COMPLEMENT.match(question)
    said, of = (set(complement(question)), set(terms(m.group(1)))) if m else (set(), set())
    if not said or not of or said <= set(terms(first.sentence.text)):
        return first
    for c in pool:
        held = set(terms(c.sentence.text))
        if c.score >= first.score - RESTATE_MARGIN and said <= held and of & held:
            return c
    return first


def complement(question: str) -> frozenset[str]:
    """What "is X Y?" asks of X: the terms of Y, else none.

    >>> sorted(complement("is anis husband russian"))
    ['russian']
    >>> complement("who is ani")
    frozenset()
    """
    m = _COMPLEMENT.match(question)
    return frozenset(terms(m.group(2))) if m else frozenset()


def unnamed(question: Question, quotable: Sequence[Candidate], names: Mapping[str, str]) -> bool:
    """Whether the question names a person (a corpus name of two words: "did mikey madison
    win an oscar for it") whom neither of the two best ``quotable`` sentences names: they
    are about someone else, and quoting them reads as a yes."""
    folded = f" {' '.join(words(question.text))} "
    people = [key for key in names if " " in key and f" {key} " in folded]
    said = [set(words(c.sentence.text)) for c in quotable[:2]]
    return bool(people and said) and not any(set(key.split()) & s for key in people for s in said)

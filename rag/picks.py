"""A question that picks one of the things the answer before it listed, and the "it"
that then stands for the one picked.

"what else has he directed" is answered "Tangerine, The Florida Project, Red Rocket,
Four Letter Words: …"; "which one was shot on a phone" asks which of those four, so the
answerer gets them as the options to choose from (``options``) and leads with the one
its best sentence names ("Tangerine — … Then came Tangerine, with his genius use of
the iPhone …").  "when did it come out" right after that asks about Tangerine, not about
the film the articles are about: ``picked_referent`` gives the name "it" stands for,
and the question is searched and answered as "when did Tangerine come out".  Likewise
"where did it premiere" right after "what awards did The Florida Project receive?" asks
where The Florida Project premiered (``named_work``: the one work of the corpus, not the
film the articles are about, that the previous question named, when this one names
nothing of its own).

What this module does not do: decide whether a question is a follow-up at all
(``conversation``), or choose among the options (``answerer.compose``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from rag.answerer.titles import title_key
from rag.schema import Turn
from rag.text import words

# "which one", "which of them", "and which of those …": one of what was just listed
WHICH_ONE = re.compile(
    r"^\s*(?:and\s+|so\s+)?which\s+(?:one|ones|of\s+(?:them|those|these|the\s+\w+))\b",
    re.IGNORECASE,
)
_IT = re.compile(r"\bit\b", re.IGNORECASE)


def listed(turn: Turn) -> tuple[str, ...]:
    """The items a turn's short answer lists ("A, B and C:"), when it lists two or more.

    >>> listed(Turn("what else has he directed", short_answer="Tangerine, Red Rocket and Starlet:"))
    ('Tangerine', 'Red Rocket', 'Starlet')
    >>> listed(Turn("who shot it", short_answer="Drew Daniels"))
    ()
    """
    items = [
        item.strip()
        for item in re.split(r",\s*(?:and\s+)?|\s+and\s+", turn.short_answer.rstrip(" :"))
        if item.strip()
    ]
    return tuple(items) if len(items) >= 2 else ()


def options(question: str, turns: Sequence[Turn]) -> tuple[str, ...]:
    """The items the previous answer listed, when ``question`` picks one of them."""
    if not turns or not WHICH_ONE.match(question):
        return ()
    return listed(turns[-1])


def picked_referent(question: str, turns: Sequence[Turn]) -> str:
    """The item the previous turn picked, when ``question``'s "it" follows that pick.

    >>> turns = [Turn("which one was shot on a phone", short_answer="Tangerine")]
    >>> picked_referent("when did it come out", turns)
    'Tangerine'
    >>> picked_referent("when did anora come out", turns)
    ''
    """
    if not turns or not _IT.search(question):
        return ""
    last = turns[-1]
    return last.short_answer if WHICH_ONE.match(last.question) and last.short_answer else ""


def named_work(
    question: str, turns: Sequence[Turn], works: Collection[str], names: Mapping[str, str]
) -> str:
    """The one work of ``works`` (the corpus's titles, the film it is about aside) that the
    previous question named, when ``question``'s "it" can stand for nothing else: it names
    no one and nothing itself.

    >>> works, names = ["The Florida Project", "Tangerine"], {"baker": "Baker"}
    >>> named_work("where did it premiere", [Turn("What awards did The Florida Project get?")],
    ...            works, names)
    'The Florida Project'
    >>> named_work("did baker like it", [Turn("is tangerine good")], works, names)
    ''
    """
    if not turns or not _IT.search(question):
        return ""
    said = f" {' '.join(words(question))} "
    if any(f" {key} " in said for key in names):
        return ""
    before = f" {' '.join(words(turns[-1].question))} "
    named = [w for w in works if f" {title_key(w)} " in before]
    return named[0] if len(named) == 1 else ""


def substitute_it(question: str, name: str) -> str:
    """``question`` with its first "it" replaced by ``name``.

    >>> substitute_it("when did it come out", "Tangerine")
    'when did Tangerine come out'
    """
    return _IT.sub(name, question, count=1)

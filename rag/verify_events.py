"""Events: a claim that states one event of a film's life where its passage states another.

"Anora premiered in January 2023" against "Anora began production in January 2023" has
the film, the date and every name right; only the event differs.  Film writing names a
handful of events a date, a place or a prize belongs to (production, premiere, release,
nomination, win, distribution: ``rag.lexicon.FILM_EVENTS``), and each in a few
expressions; a title dated in brackets ("Take Out (2004)") states its release.
``moved_event`` reports each event the claim states that no passage sentence does, when
the passage states one of the others instead.

What this module does not do: judge other predicates (``rag.verify._unstated`` and the
word judge do), or tell one production stage from another.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from rag.lexicon import FILM_EVENTS
from rag.text import DATED_TITLE
from rag.verify_names import _fold

RELEASE = next(i for i, group in enumerate(FILM_EVENTS) if "released" in group)
_YEAR_OWNS = re.compile(r"\b(?:19|20)\d\d[’']s\s")  # "2000’s “Four Letter Words”"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(
        re.compile(r"\b(?:" + "|".join(re.escape(e) for e in group) + r")\b")
        for group in FILM_EVENTS
    )


def events(text: str) -> frozenset[int]:
    """Which of ``FILM_EVENTS`` the text states (by index).

    >>> sorted(events("Anora began production in January 2023.")), sorted(events("It came out."))
    ([0], [2])
    """
    folded = _fold(text)
    return frozenset(i for i, p in enumerate(_patterns()) if p.search(folded))


def moved_event(claim: str, sentences: Sequence[str]) -> list[str]:
    """The events the claim states that the sentences do not, where they state some event
    ("released in January 2023 after shooting …" against "began production in January 2023").

    >>> moved_event("Anora premiered in January 2023.", ["Anora began production in January 2023."])
    ['premiere / production']
    >>> moved_event("Anora was filmed from January 2023.", ["Anora began production in January 2023."])
    []
    >>> moved_event("Take Out came out in 2004.", ["Take Out (2004) was nominated for a prize."])
    []
    """
    stated = frozenset().union(*(events(s) for s in sentences)) if sentences else frozenset()
    if any(DATED_TITLE.search(s) or _YEAR_OWNS.search(s) for s in sentences):
        stated |= {RELEASE}  # "Take Out (2004)", "2000’s Four Letter Words": the release year
    said = events(claim)
    if not stated or not said - stated:
        return []
    return [
        f"{FILM_EVENTS[i][0]} / {FILM_EVENTS[j][0]}"
        for i in sorted(said - stated)
        for j in sorted(stated)
    ][:1]

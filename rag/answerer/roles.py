"""Answers the cast credits give whole: the cast list, and whether two names are one role.

Two questions are answered from the credits alone (``cast.Cast``), not from the
sentences a search ranks best:

- "who is in the cast": one sentence crediting each actor, the most credited first
  (``roster``, composed by ``compose.compose_roster``);
- "is Vanya the same person as Ivan?", "are Toros and Igor different characters?":
  whether one actor is credited with both names (``same_role``).  A film's
  characters go by several names (a diminutive, a surname, a nickname), and the
  articles may use each; two names credited to one actor are one role, and two
  credited to different actors are two.  The answer leads with what the two
  credits say together ("Yes: Mark Eydelshteyn plays both"; to "are they different?",
  "No: …") and quotes both, so
  each half of the lead stands in a cited sentence.  When either name has no
  credit, nothing here answers, and the question is answered as any other.

What this module does not do: find credits in sentences (``cast``) or score
sentences (``generator``); it is handed a function that scores the sentences it
names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from rag.answerer.compose import ITEM_WORDS, Composition, Quote, compose_roster
from rag.answerer.excerpt import clip
from rag.lexicon import STOPWORDS

if TYPE_CHECKING:
    from rag.answerer.cast import Cast
    from rag.answerer.features import Candidate
    from rag.answerer.intent import Intent

# scores the sentences of the given ids (as candidates of the question), by id
Scorer = Callable[[Collection[int]], dict[int, "Candidate"]]

_NAME = r"([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,2}?)"
_ROLE_NOUN = r"(?:person|people|character|characters|guy|guys|man|men|woman|girl|one|role|roles)"
_SAME_ASKS = (
    # "is vanya the same person as ivan (or a different guy)", "is vanya the same as ivan"
    re.compile(
        rf"^(?:is|was|isn't|wasn't)\s+{_NAME}\s+(?:the\s+)?same\s+(?:{_ROLE_NOUN}\s+)?as\s+"
        rf"{_NAME}(?:\s+or\s+.+)?$"
    ),
    # "are vanya and ivan the same (person)", "are toros and igor different characters"
    re.compile(
        rf"^(?:are|were)\s+{_NAME}\s+and\s+{_NAME}\s+(?:the\s+same|one\s+and\s+the\s+same"
        rf"|(?P<apart>(?:two\s+)?different))(?:\s+{_ROLE_NOUN})?(?:\s+or\s+.+)?$"
    ),
    # "is vanya also ivan", "is vanya also called ivan"
    re.compile(
        rf"^(?:is|was)\s+{_NAME}\s+also\s+(?:called\s+|named\s+|known\s+as\s+)?{_NAME}"
        r"(?:\s+or\s+.+)?$"
    ),
)
_NOT_A_NAME = frozenset(("a", "an", "the", "he", "she", "it", "they", "this", "that", "his", "her"))


def asked_same(question: str) -> tuple[str, str, bool] | None:
    """The two names a question asks to be one role or two, as typed, and whether it asks
    if they are different (a "yes" then means two roles); else None.

    >>> asked_same("is vanya the same person as ivan or a different guy")
    ('vanya', 'ivan', False)
    >>> asked_same("Are Toros and Igor different characters?")
    ('toros', 'igor', True)
    >>> asked_same("is ani also a stripper") is None, asked_same("is it the same as red rocket")
    (True, None)
    """
    q = " ".join(question.lower().replace("’", "'").strip().rstrip("?!. ").split())
    for pattern in _SAME_ASKS:
        m = pattern.match(q)
        if m is None:
            continue
        first, second = m.group(1), m.group(2)
        if any(n.split()[0] in _NOT_A_NAME or n in STOPWORDS for n in (first, second)):
            return None
        apart = "apart" in pattern.groupindex and m.group("apart") is not None
        return (first, second, apart) if first != second else None
    return None


def roster(cast: Cast, scored: Scorer) -> list[tuple[Candidate, str, str]]:
    """For each actor the articles credit, the best-scored sentence crediting them with the
    actor and character as it spells them, the most credited actor first (``Cast.roster``)."""
    groups = cast.roster()
    by_id = scored({c.sentence for group in groups for c in group})
    picked = []
    for group in groups:
        found = [(by_id[c.sentence], c) for c in group if c.sentence in by_id]
        if found:
            best, credit = max(found, key=lambda pair: pair[0].score)
            picked.append((best, credit.actor, credit.character))
    return picked


def same_role(
    cast: Cast, first: str, second: str, apart: bool, scored: Scorer
) -> Composition | None:
    """Whether ``first`` and ``second`` are one role, from a credit of each: "A plays both"
    when one actor is credited with both, "A plays X; B plays Y" when no actor is, after the
    "Yes" or "No" that answers the question as asked (``apart``: "are they different?");
    None when either name has no credit, or the credits' sentences cannot be scored."""
    found = cast.one_role(first, second)
    if found is None:
        return None
    same, mine, theirs = found
    by_id = scored({mine.sentence, theirs.sentence})
    if mine.sentence not in by_id or theirs.sentence not in by_id:
        return None
    yes = "No" if same == apart else "Yes"
    if same:
        lead = f"{yes}: {max((mine.actor, theirs.actor), key=len)} plays both"
    else:
        lead = (
            f"{yes}: {mine.actor} plays {mine.character}; {theirs.actor} plays {theirs.character}"
        )
    order = list(dict.fromkeys((mine.sentence, theirs.sentence)))  # one sentence may say both
    quotes = tuple(Quote(by_id[i], clip(by_id[i].sentence.text, ITEM_WORDS)) for i in order)
    return Composition(lead, quotes, "prose")


def credited(
    cast: Cast, question: str, ask: Intent, shown: bool, scored: Scorer
) -> Composition | None:
    """The answer the credits give whole, for the cast (not after an earlier answer quoted
    it: a follow-up then asks for more) or two names asked to be one role; else None."""
    if ask.roster and not shown:
        picked = roster(cast, scored)
        return compose_roster(picked) if picked else None
    pair = asked_same(question)
    return same_role(cast, *pair, scored) if pair else None

"""Answers the cast credits give whole: the cast list, and whether two names are one role.

Two questions are answered from the credits alone (``cast.Cast``), not from the
sentences a search ranks best:

- "who is in the cast": one sentence crediting each actor, the most credited first
  (``roster``, composed by ``compose.compose_roster``);
- "is Vanya the same person as Ivan?", "are Toros and Igor different characters?"
  (read by ``cast_ask.asked_same``): whether one actor is credited with both names
  (``same_role``).  A film's
  characters go by several names (a diminutive, a surname, a nickname), and the
  articles may use each; two names credited to one actor are one role, and two
  credited to different actors are two.  The answer leads with what the two
  credits say together ("Yes: Mark Eydelshteyn plays both"; to "are they different?",
  "No: …") and quotes both, so
  each half of the lead stands in a cited sentence.  When either name has no
  credit, nothing here answers, and the question is answered as any other.

What this module does not do: find credits in sentences (``cast``), read the
question (``cast_ask``) or score sentences (``generator``); it is handed a function that scores the sentences it
names.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from rag.answerer.cast_ask import asked_same
from rag.answerer.compose import ITEM_WORDS, Composition, Quote, compose_roster
from rag.answerer.excerpt import clip

if TYPE_CHECKING:
    from rag.answerer.cast import Cast
    from rag.answerer.features import Candidate
    from rag.answerer.intent import Intent

# scores the sentences of the given ids (as candidates of the question), by id
Scorer = Callable[[Collection[int]], dict[int, "Candidate"]]


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

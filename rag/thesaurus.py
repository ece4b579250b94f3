"""Film-making words that name the same job or thing in other words.

Articles about a film say "director of photography" or "DP" where a reader asks
for the *cinematographer*, "screenplay" where one asks for the *script*; no
stemmer joins those, and the embedder, trained on general text, ranks them far
apart ("Who handled the cinematography?" finds the passage naming the DP 13th by
its vector, and not at all by BM25).  ``GROUPS`` lists such sets of equivalent
expressions: film-crew jobs and the common words of a film's life (premiere,
award), written from film-making usage, not from any question.

``expand`` adds to a question's terms those of the other members of each group it
mentions (for BM25); ``alternatives`` says, per question term, which other term
sets stand for it (for the answerer's overlap measures and its role rule, so a
sentence naming the "DP" covers a question's "cinematographer" without the
expansion diluting the other words).

What this module does not do: guess synonyms (expanding a question's unknown words
to their nearest corpus words by embedding was measured and dropped; see
docs/experiments.md), or expand the dense and late-interaction queries, which embed the
question's own words.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet

from rag.lexicon import FILM_SYNONYMS
from rag.text import terms

GROUPS = FILM_SYNONYMS  # data: rag/lexicon.py


@functools.cache
def _members() -> tuple[tuple[frozenset[str], ...], ...]:
    """Each group as the term sets of its expressions (stemmed, stop words dropped)."""
    return tuple(
        tuple(dict.fromkeys(frozenset(terms(expression)) for expression in group))
        for group in GROUPS
    )


def alternatives(query_terms: Iterable[str]) -> Mapping[str, tuple[frozenset[str], ...]]:
    """For each query term inside an expression of a group, the other expressions' terms.

    >>> alts = alternatives(["cinematograph", "anora"])
    >>> sorted(sorted(a) for a in alts["cinematograph"])[:3]
    [['cinematographi'], ['director', 'photographi'], ['dop']]
    >>> "anora" in alts
    False
    """
    held = set(query_terms)
    out: dict[str, list[frozenset[str]]] = {}
    for group in _members():
        for member in group:
            if member and member <= held:
                for term in member:
                    known = out.setdefault(term, [])
                    known.extend(m for m in group if m and m != member and m not in known)
    return {term: tuple(alts) for term, alts in out.items()}


def covered(
    term: str, found: AbstractSet[str], alts: Mapping[str, Sequence[frozenset[str]]]
) -> bool:
    """Whether ``found`` (a sentence's terms) holds ``term`` or an expression standing for it."""
    return term in found or any(alt <= found for alt in alts.get(term, ()))


def expand(query_terms: Sequence[str]) -> list[str]:
    """The query's terms followed by those of the expressions standing for them, each once.

    >>> expand(["cinematographi", "anora"])
    ['cinematographi', 'anora', 'cinematograph', 'director', 'photographi', 'dp', 'dop', 'lenser']
    """
    extra: dict[str, None] = {}
    for alts in alternatives(query_terms).values():
        for alt in alts:
            extra.update(dict.fromkeys(t for t in sorted(alt) if t not in query_terms))
    return [*query_terms, *extra]

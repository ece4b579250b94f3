"""Read a mistyped question word as the corpus word it was meant to be.

Chat users type fast: "how much of it was improvized", "who is borisof", "what did
karagullian say".  A word of the question is read as a typo only when nothing
else explains it:

- the corpus never uses it, nor another form of it (its Snowball stem is no corpus
  word's stem: "improvising" is a form of "improvised", not a typo);
- it is not a corpus word with an ``s`` added (an apostrophe left out: "bakers
  films", "anis job");
- the embedder's vocabulary does not hold it as one word piece, nor as a word
  piece and an English ending (``lexicon.SUFFIX_PIECES``: "bright" + "##en"), so it
  is not a word of English ("weather", "brighten", "spoilers" are left alone: the
  articles not using a word is no reason to change it);
- it has at least ``MIN_LETTERS`` letters.

Its reading is the corpus word at the smallest edit distance (insertions,
deletions, substitutions and swaps of neighbours; at most 1, or 2 for words of
``LONG_WORD`` letters or more) that begins with the same letter and is not a stop
word (a typed "wher" could be "where" or "when": a question word is never
guessed), the most frequent in the corpus among equals, and only when one word
wins.  Candidates come from a deletion index (every word with up to two letters
removed, as SymSpell does), so a question costs a few dictionary look-ups.

What this module does not do: correct phrasing or grammar, or decide whether the
corrected question is answerable (the answerer does).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rag.lexicon import STOPWORDS, SUFFIX_PIECES
from rag.text import fold, terms

MIN_LETTERS = 4  # shorter words have too many neighbours to guess between
LONG_WORD = 7  # words this long may be two edits away from the intended one
_TYPED = re.compile(r"[A-Za-z]+")
_CORPUS_WORD = re.compile(r"[a-z]+")


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and
    swaps of two neighbouring letters each cost 1.

    >>> edit_distance("improvized", "improvised"), edit_distance("karagulain", "karagulian")
    (1, 1)
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` with up to ``depth`` letters removed (itself included)."""
    out = {word}
    for n in range(1, depth + 1):
        out |= {"".join(kept) for kept in itertools.combinations(word, len(word) - n)}
    return out


def _allowed(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


@dataclass(frozen=True)
class Correction:
    """A question as it was read: the text with its typos corrected, and each change."""

    text: str
    changes: tuple[tuple[str, str], ...] = ()  # (as typed, as read)

    @property
    def notice(self) -> str:
        """One line for the user, or "" when nothing was changed."""
        if not self.changes:
            return ""
        said = ", ".join(f"“{typed}” as “{read}”" for typed, read in self.changes)
        return f"Read {said}."


class Speller:
    """The corpus's vocabulary and a deletion index over it.

    ``pieces(word)`` is the embedder's word pieces of ``word`` ("bright", "##en").
    """

    def __init__(self, texts: Iterable[str], pieces: Callable[[str], list[str]]) -> None:
        self.counts: Counter[str] = Counter()
        for text in texts:
            self.counts.update(_CORPUS_WORD.findall(fold(text)))
        self.stems = {s for word in self.counts for s in terms(word)}
        self.pieces = pieces
        self._index: dict[str, list[str]] = defaultdict(list)
        for word in self.counts:
            if len(word) >= MIN_LETTERS - 1 and word not in STOPWORDS:
                for key in _deletions(word, _allowed(word)):
                    self._index[key].append(word)

    def known(self, word: str) -> bool:
        """Whether ``word`` (folded) needs no correction."""
        if len(word) < MIN_LETTERS or word in self.counts:
            return True
        if word.endswith("s") and word[:-1] in self.counts:  # "bakers": Baker's
            return True
        stems = terms(word)
        if not stems or stems[0] in self.stems:
            return True
        pieces = self.pieces(word)
        return len(pieces) == 1 or (len(pieces) == 2 and pieces[1] in SUFFIX_PIECES)

    def suggest(self, word: str) -> str | None:
        """The corpus word ``word`` was meant to be, or None when it is known or unclear.

        >>> speller = Speller(["It was improvised. He improvised again."], list)
        >>> speller.suggest("improvized"), speller.suggest("improvised")
        ('improvised', None)
        """
        word = fold(word)
        if self.known(word):
            return None
        allowed = _allowed(word)
        found: dict[str, int] = {}
        for key in _deletions(word, allowed):
            for candidate in self._index.get(key, ()):
                if candidate not in found and candidate[0] == word[0]:
                    found[candidate] = edit_distance(word, candidate)
        near = {c: d for c, d in found.items() if d <= min(allowed, _allowed(c))}
        if not near:
            return None
        best = min(near.values())
        ranked = sorted((c for c, d in near.items() if d == best), key=lambda c: -self.counts[c])
        if len(ranked) > 1 and self.counts[ranked[0]] == self.counts[ranked[1]]:
            return None  # two words equally likely: no guess
        return ranked[0]

    def correct(self, text: str) -> Correction:
        """``text`` with each typo read as its corpus word, the typed case kept
        (a capitalised typo reads capitalised).  Text inside quotation marks is the
        user's own quotation and is left as typed."""
        changes: list[tuple[str, str]] = []
        quoted = [m.span() for m in re.finditer(r"[“\"][^”\"]*[”\"]", text)]

        def read(match: re.Match[str]) -> str:
            typed = match.group(0)
            if any(a <= match.start() < b for a, b in quoted):
                return typed
            suggestion = self.suggest(typed)
            if suggestion is None:
                return typed
            if typed[0].isupper():
                suggestion = suggestion[0].upper() + suggestion[1:]
            changes.append((typed, suggestion))
            return suggestion

        corrected = _TYPED.sub(read, text)
        return Correction(corrected, tuple(changes))

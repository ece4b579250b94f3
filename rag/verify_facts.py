"""The verifier's checks on what a claim says: numbers and units, negation, quotes, words.

``rag.verify.Verifier.support`` runs these on a claim and the passage sentences it
cites; each is a pure function of text (the closed-class words come from
``rag.claimwords``):

- ``miscounted``: a number the passage never gives, or gives counting another thing
  ("37 weeks" against "37 days"); ``moved``: a number put next to a name that stands
  with another number in the passage;
- ``misattributed``: a relative clause ("..., who also directed the film") saying of
  one name what the passage says of another;
- ``polarity_flipped``: the claim denies what the passage states, or states what it
  denies;
- ``misquotation``: quoted text (4+ words) the passage does not say word for word;
- ``unstated``: content words the passage lacks by stem; ``wordpieces`` gives the
  word-piece ids the verifier needs to look for them as paraphrases.

What this module does not do: names and wording (``rag.verify_names``), or scoring
with embeddings, paraphrase cosines and thresholds (``rag.verify``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from rag.claimwords import (
    NEGATION_IDIOMS,
    NEGATIONS,
    NUMBER_WORDS,
    TENS,
    TIME_UNITS,
    UNITS_AFTER_TENS,
    YEARS,
)
from rag.text import DATED_TITLE
from rag.verify_names import _fold, _names, _terms, _words

# ---------------------------------------------------------------- numbers, polarity, quotes

# folded text as words and single punctuation marks: a clause ends at a mark, "-" joins words
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_BOUNDARY = frozenset(',;:.!?()"[]')
# words that open a new clause inside a sentence ("..., who also directed the film")
_CLAUSE_WORDS = frozenset(["and", "but", "while", "whereas", "who", "which", "where", "although"])
COUNT_AFTER_CLAIM = 2  # a claim's number counts the first content word of the next two ...
COUNT_AFTER_PASSAGE = 3  # ... which must be among the content words of the passage's next three
NEGATED_WINDOW = 3  # a negation denies the first content words of the next three


@functools.lru_cache(maxsize=1 << 14)
def tokens(text: str) -> tuple[str, ...]:
    """Folded words (possessive 's dropped) and punctuation marks, in order.

    >>> tokens("Baker’s 10-minute scene, “Contempt.”")
    ('baker', '10', '-', 'minute', 'scene', ',', '"', 'contempt', '.', '"')
    """
    return tuple(t[:-2] if t.endswith("'s") else t for t in _TOKEN.findall(_fold(text)))


def _is_word(token: str) -> bool:
    return token[0].isalnum()


def _following(toks: Sequence[str], at: int, n: int) -> list[str]:
    """Up to ``n`` words after position ``at``, stopping at the end of the clause."""
    out: list[str] = []
    for token in toks[at + 1 :]:
        if token in _BOUNDARY or token in _CLAUSE_WORDS or len(out) == n:
            break
        if _is_word(token):
            out.append(token)
    return out


def _content(ws: Sequence[str]) -> list[str]:
    return [t for w in ws for t in _terms(w)]


def same_term(a: str, b: str) -> bool:
    """Stems that name one thing: equal, or one a prefix (4+ letters) of the other.

    >>> same_term("spend", "spender"), same_term("week", "weekend"), same_term("day", "days")
    (True, True, False)
    """
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short)


def _has(term: str, pool: Collection[str]) -> bool:
    return term in pool or any(same_term(term, other) for other in pool)


@dataclass(frozen=True)
class Quantity:
    """A number in a text, where it stands, and the words it counts ("37 days" -> day)."""

    value: int
    at: int  # token position
    counted: tuple[str, ...]  # stemmed content words right after it, in its clause

    @property
    def is_year(self) -> bool:
        return self.value in YEARS and not self.counted


def quantities(text: str, after: int = COUNT_AFTER_CLAIM) -> list[Quantity]:
    """Numbers written in digits or words, with the content words after them.

    >>> [(q.value, q.counted) for q in quantities("Ten of its thirty-seven days, 35mm in 2023.")]
    [(10, ()), (37, ('day',)), (35, ('mm',)), (2023, ())]
    >>> [q.counted for q in quantities("It took 37 shooting days.")]
    [('shoot', 'day')]
    """
    toks = tokens(text)
    out = []
    skip = -1
    for at, token in enumerate(toks):
        if at <= skip:
            continue
        digits = re.match(r"\d+", token)
        unit: list[str] = []
        if digits:
            value = int(digits.group(0))
            suffix = token[digits.end() :]
            unit = [suffix] if len(suffix) > 1 and suffix.isalpha() else []
        elif token in NUMBER_WORDS:
            value = NUMBER_WORDS[token]
            nxt = [t for t in toks[at + 1 : at + 3] if t != "-"][:1]
            if token in TENS and nxt and nxt[0] in UNITS_AFTER_TENS:
                value += UNITS_AFTER_TENS[nxt[0]]
                skip = at + 1 + (toks[at + 1] == "-")
        elif token in ("a", "an") and at + 1 < len(toks) and toks[at + 1] in TIME_UNITS:
            value = 1  # "over a year": one year, held to its unit like "37 days"
        else:
            continue
        counted = _content(unit + _following(toks, max(at, skip), after - len(unit)))
        out.append(
            # a claim's number counts the next content word, and the one after it when that
            # is a modifier ("37 shooting days"); a unit glued on ("35mm") is the counted word
            Quantity(
                value,
                at,
                tuple(counted[: 1 if unit else 2] if after <= COUNT_AFTER_CLAIM else counted),
            )
        )
    return out


_TITLE_NUMBER = re.compile(
    r"(?<=[\w,] )(?:" + "|".join(w.capitalize() for w in NUMBER_WORDS) + r"|One)\b"
)


def _titles_out(text: str) -> str:
    """Capitalised number words inside a sentence are part of a title ("Pelham One Two Three").

    >>> _titles_out("He saw The Taking of Pelham One Two Three twice.")
    'He saw The Taking of Pelham _ _ _ twice.'
    """
    return _TITLE_NUMBER.sub("_", text)


def miscounted(claim: str, sentences: Sequence[str]) -> list[str]:
    """The claim's numbers that the passage never gives, or gives counting something else.

    A number is held to the thing it counts: "37 weeks" is not "37 days", and "3 days in
    Las Vegas" lends nothing to "37 days in Las Vegas".

    >>> miscounted("It shot for 37 weeks, 4 in Rome.", ["It shot for 37 days, 4 in Rome."])
    ['37 week']
    >>> miscounted("It shot for 37 days.", ["It shot for thirty-seven days."])
    []
    >>> miscounted("It took about a decade.", ["It developed approximately over a year."])
    ['1 decad']
    >>> miscounted("The Florida Project came out in 2015.",
    ...            ["Tangerine (2015) is about two friends, in The Florida Project (2017) a mother"])
    ['2015']
    >>> miscounted("Tangerine came out in 2015.", ["Tangerine (2015) is about two friends."])
    []
    >>> miscounted("Ten of its 37 shooting weeks.", ["Ten of its 37 shooting days."])
    ['37 shoot week']
    """
    found = [q for s in sentences for q in quantities(_titles_out(s), COUNT_AFTER_PASSAGE)]
    named = {t for name in _names(claim) for t in _terms(name)}
    # each title the passage dates, as " folded words ", with its year
    dated = {
        f" {' '.join(_words(m.group(1)))} ": int(m.group(2))
        for s in sentences
        for m in DATED_TITLE.finditer(s)
        if _words(m.group(1))
    }
    folded = f" {' '.join(_words(claim))} "
    out = []
    for q in quantities(_titles_out(claim)):
        same = [p for p in found if p.value == q.value]
        if not same:
            out.append(str(q.value))
        elif q.value in YEARS:
            # a year counts nothing ("the 2019 film" is "(2019)"), but a title the passage dates
            # has its own: "The Florida Project came out in 2015" when it says "(2017)"
            years = {dated[t] for t in dated if t in folded}
            if years and q.value not in years:
                out.append(str(q.value))
        elif q.counted and not any(_has(q.counted[0], p.counted) for p in same):
            out.append(f"{q.value} {q.counted[0]}")
        elif (
            len(q.counted) > 1
            and q.counted[1] not in named
            and not any(all(_has(c, p.counted) for c in q.counted) for p in same)
        ):
            # the second word is the counted noun when the first modifies it ("37 shooting
            # weeks"): it too must be among the words after that number in the passage
            out.append(f"{q.value} {' '.join(q.counted)}")
    return out


def _segments(text: str) -> list[list[str]]:
    """A text's clauses: token runs between punctuation and clause-opening words."""
    out: list[list[str]] = [[]]
    for token in tokens(text):
        if token in _BOUNDARY or token in _CLAUSE_WORDS:
            out.append([])
        elif token != "-":
            out[-1].append(token)
    return [s for s in out if s]


def _holds(segment: Sequence[str], name: str) -> bool:
    ws = _words(name)
    return any(tuple(segment[i : i + len(ws)]) == ws for i in range(len(segment) - len(ws) + 1))


def _numbers(segment: Sequence[str]) -> set[int]:
    return {q.value for q in quantities(" ".join(segment))}


def moved(claim: str, sentences: Sequence[str]) -> list[str]:
    """Numbers the claim puts next to a name that, in the passage, stands with another number.

    >>> moved("It shot for 37 days in Las Vegas.",
    ...       ["It shot for 37 days in New York and 3 days in Las Vegas."])
    ['37 / Las Vegas']
    >>> moved("It shot 3 days in Las Vegas.", ["It shot 37 days in New York and 3 in Las Vegas."])
    []
    """
    out = []
    passage = [seg for s in sentences for seg in _segments(s)]
    for segment in _segments(claim):
        values = _numbers(segment) - set(YEARS)
        for name in _names(claim):
            if not _holds(segment, name):
                continue
            homes = [seg for seg in passage if _holds(seg, name)]
            for value in values:
                if any(value in _numbers(seg) for seg in homes):
                    continue
                if any(_numbers(seg) - set(YEARS) for seg in homes):
                    out.append(f"{value} / {name}")
    return out


_RELATIVE = frozenset(["who", "which", "where", "whose"])


def _clauses_with_names(text: str) -> list[tuple[list[str], set[str]]]:
    """Each clause's words and the names it is about: its own, and for a relative clause
    ("..., who directed it") the name it hangs on (the one just before it)."""
    names = _names(text)
    out: list[tuple[list[str], set[str]]] = []
    current: list[str] = []
    opener = ""
    last_name = ""

    def close() -> None:
        nonlocal last_name
        if current:
            own = {n for n in names if _holds(current, n)}
            about = own | ({last_name} if opener in _RELATIVE and last_name else set())
            out.append((list(current), about))
            # a "who" right after a name means that name; after "a single mother", no name
            ending = [n for n in names if tuple(current[-len(_words(n)) :]) == _words(n)]
            last_name = ending[0] if ending else ""

    for token in tokens(text):
        if token in _BOUNDARY or token in _CLAUSE_WORDS:
            close()
            current, opener = (
                [],
                token if token in _CLAUSE_WORDS else opener if token == "," else "",
            )
        elif token != "-":
            current.append(token)
    close()
    return out


def misattributed(claim: str, sentences: Sequence[str], asked: Collection[str] = ()) -> list[str]:
    """Words of a relative clause that the passage says of another name, never of its own.

    >>> misattributed("Ani is played by Mikey Madison, who also directed the film.",
    ...               ["Anora, directed by Sean Baker, centers on Ani, played by Mikey Madison."])
    ['directed / Mikey Madison']
    """
    passage = []
    for sentence in sentences:
        parts = _clauses_with_names(sentence)
        for i, (ws, names) in enumerate(parts):  # an appositive next to it counts: ", Toros,"
            near = [n for _, other in parts[max(i - 1, 0) : i + 2] for n in other]
            passage.append((ws, names | set(near)))
    out = []
    for clause, about in _clauses_with_names(claim):
        own = {n for n in _names(claim) if _holds(clause, n)}
        if not about or own:  # only relative clauses that lean on a name before them
            continue
        for word in clause:
            stems = _terms(word)
            if not stems or word in asked or word in NUMBER_WORDS:
                continue
            homes = [names for ws, names in passage if any(_has(stems[0], _terms(w)) for w in ws)]
            if homes and all(names and not names & about for names in homes):
                out.append(f"{word} / {', '.join(sorted(about))}")
    return out


def negated_terms(text: str, window: int = NEGATED_WINDOW) -> list[tuple[str, ...]]:
    """For each negation in ``text``, the content words it denies (the next ``window`` words).

    >>> negated_terms("Igor doesn't lose his temper, not only in Vegas; no interest.")
    [('lose', 'temper'), ('interest',)]
    """
    toks = tokens(text.replace("n’t", " not").replace("n't", " not"))
    out = []
    for at, token in enumerate(toks):
        if token not in NEGATIONS and token != "without":
            continue
        after = _following(toks, at, window)
        if after and after[0] in NEGATION_IDIOMS:
            continue
        content = tuple(t for t in _content(after) if t not in NEGATIONS)
        if content:
            out.append(content)
    return out


def polarity_flipped(claim: str, sentences: Sequence[str]) -> bool:
    """Does the claim deny what the passage states, or state what the passage denies?

    Each word the claim negates must be negated in the passage too, and the first word
    each passage negation denies, if the claim says it, must be negated in the claim.

    >>> polarity_flipped("Igor often loses his temper.", ["Igor doesn't lose his temper."])
    True
    >>> polarity_flipped("The DP was not Drew Daniels.", ["His DP was Drew Daniels."])
    True
    >>> polarity_flipped("Young men don't spend much.", ["Young men are not big spenders."])
    False
    """
    claimed = negated_terms(claim)
    stated = [n for s in sentences for n in negated_terms(s)]
    claim_terms = set(_terms(claim))
    for denied in claimed:
        if not any(_has(denied[0], passage) or _has(passage[0], denied) for passage in stated):
            return True
    for passage in stated:
        if _has(passage[0], claim_terms) and not any(_has(passage[0], d) for d in claimed):
            return True
    return False


QUOTE_MIN_WORDS = 4  # shorter quoted text is a title ("Contempt"), not a quotation
_QUOTED = re.compile(r'"([^"]+)"')


def misquotation(claim: str, sentences: Sequence[str]) -> list[str]:
    """Quoted stretches of the claim (4+ words) that the passage does not say word for word.

    >>> misquotation('He said, "I felt like the unluckiest actress."',
    ...              ["I felt like the luckiest actress in the world."])
    ['i felt like the unluckiest actress']
    """
    passage = " " + " ".join(w for s in sentences for w in _words(s)) + " "
    out = []
    for quoted in _QUOTED.findall(_fold(claim)):
        ws = _words(quoted)
        if len(ws) >= QUOTE_MIN_WORDS and f" {' '.join(ws)} " not in passage:
            out.append(" ".join(ws))
    return out


def unstated(claim: str, sentences: Sequence[str]) -> list[str]:
    """The claim's content words (as written) whose stem no sentence of the passage has.

    Numbers are left to ``miscounted`` (which knows "eight" is 8), names to the name rule.

    >>> unstated("Anora came out in January 2023.", ["Anora began production in January 2023."])
    ['came']
    """
    found = {t for s in sentences for t in _terms(s)}
    named = {w for name in _names(claim) for w in _words(name)}  # the name rule's business
    out = []
    for word in dict.fromkeys(_words(claim)):
        stems = _terms(word)
        if not stems or word.isdigit() or word in NUMBER_WORDS or word in named:
            continue
        if not _has(stems[0], found):
            out.append(word)
    return out


def wordpieces(word: str, vocab: dict[str, int]) -> list[int]:
    """Greedy longest-match WordPiece ids of one lower-case word (BERT's algorithm).

    >>> wordpieces("filmmaker", {"film": 1, "##maker": 2, "##make": 3, "##r": 4})
    [1, 2]
    """
    ids, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                ids.append(vocab[piece])
                start = end
                break
        else:
            return []
    return ids


def _find(ids: np.ndarray, run: Sequence[int]) -> int:
    for at in range(len(ids) - len(run) + 1):
        if all(int(ids[at + k]) == v for k, v in enumerate(run)):
            return at
    return -1

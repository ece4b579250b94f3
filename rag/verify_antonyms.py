"""Opposites: a claim word whose antonym the passage states in its place.

"He came up with the backward somersault onto the bed for the last sex scene" against
"… in the first sex scene" has every other word right; "Young men tend to be the
biggest spenders" against "young men are not big spenders" reverses by degree.  English
has direct antonyms a lexicon lists: ``rag/antonyms.tsv``, Princeton WordNet 3.0's
(first / last, win / lose, professional / unprofessional, easy / difficult, sister /
brother), built by ``tools/antonyms.py``.

``opposed(claim, sentences)`` reports each claim word the passage lacks (in any form:
"easiest" is "easy", "won" is "win") whose antonym the passage has and the claim does
not, unless the claim negates it ("not difficult" says "easy");
``degree_flipped`` each word the passage negates ("not big") that the claim states bare,
in another form ("biggest").

What this module does not do: guess antonyms the lexicon lacks (embeddings place a word
and its antonym close together), or judge negation words themselves
(``rag.verify_facts.polarity_flipped``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from rag.claimwords import NEGATIONS
from rag.verify_facts import tokens

LEXICON = Path(__file__).with_name("antonyms.tsv")
# prefixes that make a word's opposite of the same stem ("overrepresented" /
# "underrepresented", "pre-war" / "post-war")
OPPOSING_PREFIXES = (("over", "under"), ("under", "over"), ("pre", "post"), ("post", "pre"))
NEGATED_WITHIN = 3  # a negation this many words before a word negates it ("not very hard")
# regular inflections, longest first: (suffix, what replaces it)
_SUFFIXES = (
    ("iest", "y"), ("ier", "y"), ("ies", "y"), ("ied", "y"), ("est", ""), ("est", "e"),
    ("er", ""), ("er", "e"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
    ("es", ""), ("s", ""),
)  # fmt: skip


@functools.cache
def lexicon() -> tuple[Mapping[str, frozenset[str]], Mapping[str, str]]:
    """The antonyms of each word, and each irregular form's base ("won" -> "win")."""
    opposite: dict[str, set[str]] = {}
    forms: dict[str, str] = {}
    for line in LEXICON.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        a, b = line.split("\t")
        if a.startswith("="):
            forms[a[1:]] = b
        else:
            opposite.setdefault(a, set()).add(b)
    return {w: frozenset(o) for w, o in opposite.items()}, forms


def bases(word: str) -> frozenset[str]:
    """The lexicon's words ``word`` may be a form of: itself, an irregular form's base,
    or the stem a regular inflection leaves ("biggest" -> "big", "easier" -> "easy").

    >>> sorted(bases("biggest")), sorted(bases("won")), sorted(bases("easiest"))
    (['big'], ['win', 'won'], ['easy'])
    """
    opposite, forms = lexicon()
    found = {word} if word in opposite else set()
    if word in forms:
        found.add(forms[word])
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)] + repl
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in opposite:
                stem = stem[:-1]  # "bigger": a doubled consonant
            if stem in opposite:
                found.add(stem)
    return frozenset(found)


def _toks(text: str) -> tuple[str, ...]:
    """Folded words, "n't" as "not" and a negating prefix joined ("non-professional")."""
    text = re.sub(r"n[’']t\b", " not", text)
    return tokens(re.sub(r"\b(non|un)-(?=[a-z])", r"\1", text, flags=re.IGNORECASE))


def _negated(toks: Sequence[str], at: int) -> bool:
    return any(t in NEGATIONS or t == "without" for t in toks[max(0, at - NEGATED_WITHIN) : at])


def opposed(claim: str, sentences: Sequence[str]) -> list[str]:
    """Claim words whose antonym the passage states where the claim has none of the
    passage's own forms, as "claim word / passage word".

    >>> opposed("It was his last film.", ["It was his first film."])
    ['last / first']
    >>> opposed("Women are overrepresented.", ["Women are underrepresented."])
    ['overrepresented / underrepresented']
    >>> opposed("It was not his last film.", ["It was his first film."])
    []
    >>> opposed("The shoot was the easiest he had known.", ["The shoot was easy, and long."])
    []
    """
    opposite, _ = lexicon()
    said = _toks(claim)
    passage = {w for s in sentences for w in _toks(s)}
    passage_bases = {b: w for w in passage for b in bases(w)}
    claim_bases = {b for w in said for b in bases(w)}
    out: list[str] = []
    for at, word in enumerate(said):
        mine = bases(word)
        if word in passage or mine & passage_bases.keys() or _negated(said, at):
            continue
        for base in sorted(mine):
            for other in sorted(opposite.get(base, ())):
                if other in passage_bases and other not in claim_bases:
                    out.append(f"{word} / {passage_bases[other]}")
        for prefix, other in OPPOSING_PREFIXES:
            flipped = other + word[len(prefix) :]
            if word.startswith(prefix) and len(word) - len(prefix) >= 4 and flipped in passage:
                out.append(f"{word} / {flipped}")
    return list(dict.fromkeys(out))


def degree_flipped(claim: str, sentences: Sequence[str]) -> list[str]:
    """Words a passage negates ("are not big spenders") that the claim states bare in
    another form ("the biggest spenders"): a reversal the negation check, comparing
    stems, does not see.

    >>> degree_flipped("They are the biggest spenders.", ["They are not big spenders."])
    ['biggest / not big']
    """
    said = _toks(claim)
    mine = {b: (w, at) for at, w in enumerate(said) for b in bases(w)}
    out: list[str] = []
    for sentence in sentences:
        toks = _toks(sentence)
        for at, word in enumerate(toks):
            if not _negated(toks, at):
                continue
            for base in bases(word):
                if base in mine and mine[base][0] != word and not _negated(said, mine[base][1]):
                    out.append(f"{mine[base][0]} / not {word}")
    return list(dict.fromkeys(out))


def reversals(claim: str, sentences: Sequence[str]) -> list[str]:
    """Both kinds of reversal: ``opposed`` and ``degree_flipped``."""
    return opposed(claim, sentences) + degree_flipped(claim, sentences)

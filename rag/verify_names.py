"""The verifier's checks on names and wording: who is named, and whether it is stated together.

``rag.verify.Verifier.support`` runs these on a claim and the passage sentences it
cites; each is a pure function of text:

- ``names_in``: capitalised names ("Sean Daniels"), without the sentence's first word;
- ``focused``: the claim's answer words stand in one sentence, next to a question word
  it repeats;
- ``clauses`` and ``stated_together``: a clause's names and numbers stand in one passage
  sentence, not stitched from several;
- ``misquoted``: a copied passage sentence with one name swapped for another.

It also holds the memoised word helpers (``_terms``, ``_words``, ``_fold``, ``_names``)
that the other checks (``rag.verify_facts``) and the verifier share.

What this module does not do: numbers, negation, quotations or unstated words
(``rag.verify_facts``), embeddings or thresholds (``rag.verify``).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence

from rag.claimwords import SUBJECT_PRONOUNS, WORK_ITSELF
from rag.text import STOPWORDS, fold, terms, words


# The rules look at the same few words and sentences many times over: memoised helpers.
@functools.lru_cache(maxsize=1 << 16)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(terms(text))


@functools.lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


@functools.lru_cache(maxsize=1 << 14)
def _fold(text: str) -> str:
    return fold(text)


_NUMBER = re.compile(r"\d+")
_NAME_RUN = re.compile(r"[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*")


def names_in(text: str) -> list[str]:
    """Capitalised word runs, without leading function words or the sentence's first word.

    A sentence's first word is capitalised whatever it is, so it is dropped from a run
    that opens the sentence ("Besides Igor" -> "Igor"; "Baker directed" -> nothing).

    >>> names_in("The director was Sean Daniels, not Drew.")
    ['Sean Daniels', 'Drew']
    """
    out = []
    for match in _NAME_RUN.finditer(text):
        tokens = match.group(0).split()
        if not text[: match.start()].strip(" \"“‘'("):
            tokens.pop(0)
        while tokens and _words(tokens[0]) and _words(tokens[0])[0] in STOPWORDS:
            tokens.pop(0)
        if tokens:
            out.append(" ".join(tokens))
    return out


@functools.lru_cache(maxsize=1 << 14)
def _names(text: str) -> tuple[str, ...]:
    return tuple(names_in(text))


def focused(claim_terms: set[str], question_terms: set[str], sentences: Sequence[str]) -> bool:
    """Are the claim's answer words stated together, next to a question word it repeats
    (in that sentence, or the one before it when a pronoun refers back to it)?

    >>> focused({"director", "photographi", "sean", "baker"}, {"director", "photographi"},
    ...         ["He hired his director of photography, Drew Daniels.", "Baker was glad."])
    False
    """
    answer = claim_terms - question_terms
    asked = claim_terms & question_terms
    if not answer:  # it only restates the question ("Baker did not make a film about ...")
        return False
    previous: set[str] = set()
    for sentence in sentences:
        found = set(_terms(sentence))
        # a sentence whose subject is a pronoun ("It won the Palme d'Or") goes on from the
        # one before it: the question word the claim repeats may stand there
        context = found | previous if SUBJECT_PRONOUNS & set(_words(sentence)) else found
        if "it" in _words(sentence):
            context = context | WORK_ITSELF  # "It won ..." is what "the film won" says
        if 2 * len(answer & found) >= len(answer) and (not asked or asked & context):
            return True
        previous = found
    return False


_CLAUSE = re.compile(r",?\s+(?:and|but|while|whereas)\s+|;\s*")


def clauses(claim: str) -> list[str]:
    """A claim cut at its coordinating conjunctions: each clause may rest on another passage.

    >>> clauses("It won in 2024, and Drew Daniels shot it; Baker cut it")
    ['It won in 2024', 'Drew Daniels shot it', 'Baker cut it']
    """
    return [part for part in _CLAUSE.split(claim) if part.strip()]


def stated_together(numbers: Sequence[str], names: Sequence[str], sentences: Sequence[str]) -> bool:
    """Do a clause's facts (two or more numbers and names) all stand in one passage sentence?

    Every word of "The Florida Project premiered at Sundance in 2012" is in the passage, but
    Sundance belongs to Tangerine's sentence and 2012 to Starlet's: the claim is stitched
    from different facts, and must not pass.

    >>> stated_together(["2012"], ["Sundance"], ["Tangerine premiered at Sundance.",
    ...                                          "Starlet (2012) won an award."])
    False
    >>> stated_together(["16"], ["Red Rocket"], ["Daniels shot Red Rocket on 16mm film."])
    True
    """
    if len(numbers) + len(names) < 2:
        return True
    for sentence in sentences:
        found_numbers = set(_NUMBER.findall(sentence))
        found_words = set(_words(sentence))
        if all(n in found_numbers for n in numbers) and all(
            set(_words(name)) & found_words for name in names
        ):
            return True
    return False


# a swap only counts inside a copy: the changed stretch is short and sits next to copied words
SWAP_MAX_WORDS = 3
COPIED_MIN_WORDS = 2


def misquoted(claim: str, sentences: Sequence[str]) -> bool:
    """Does the claim copy one of ``sentences`` with a name put where another name stood?

    >>> misquoted("Ani, directed by Sean Baker, centers on Anora.",
    ...           ["Anora, directed by Sean Baker, centers on Ani, a dancer."])
    True
    >>> misquoted("The director of photography was Drew Daniels.",
    ...           ["He re-teamed with his director of photography, Drew Daniels."])
    False
    """
    claim_words = _words(claim)
    claim_names = {w for name in _names(claim) for w in _words(name)}
    if not claim_names:
        return False
    for sentence in sentences:
        sentence_words = _words(sentence)
        sentence_names = {w for name in _names(sentence) for w in _words(name)}
        ops = difflib.SequenceMatcher(None, claim_words, sentence_words, autojunk=False)
        codes = ops.get_opcodes()
        for at, (tag, i1, i2, j1, j2) in enumerate(codes):
            if tag != "replace" or max(i2 - i1, j2 - j1) > SWAP_MAX_WORDS:
                continue
            put = set(claim_words[i1:i2]) & claim_names
            stood = set(sentence_words[j1:j2]) & sentence_names
            copied = [c[2] - c[1] for c in codes[max(at - 1, 0) : at + 2] if c[0] == "equal"]
            if put and stood and put != stood and max(copied, default=0) >= COPIED_MIN_WORDS:
                return True
    return False

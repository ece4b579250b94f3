"""The verifier's checks on *where* a claim puts a word: slots, substitutions, swapped names.

A word's slot is where it stands next to another content word of its clause (its
anchor) and the function words between them: in "his eldest daughter", "eldest"
fills the slot *before "daughter", with nothing between*; in "grew up in New Jersey",
"New Jersey" fills the slot *after "grew", through "up in"*.  A claim that fills a
slot the passage also has, with another word, has substituted that word:

- ``swapped_names``: a name put in a slot where the passage has a different name
  ("first caught Baker's eye in Better Things" when the passage says "in Once Upon
  a Time"; "grew up in New York City outside New Jersey" for "grew up in New Jersey
  outside New York City");
- ``substitutions``: a content word the passage lacks, in a slot where the passage
  has another content word that the claim does not use ("youngest daughter" for
  "eldest daughter", "for a month" for "for a week").  Whether such a pair is a
  paraphrase is decided by ``interchangeable`` (the verifier feeds it the embedder's
  contextual and static piece vectors): synonyms are pulled together by context far
  more than words that merely fill the same slot (antonyms, siblings).
- negation by other means: ``reversed_prefix`` ("unlike" where the passage says
  "like"), ``denied_restated`` (a claim clause stating one of the alternatives a
  passage negation joins with "or": "no interest in television or franchise movies");
- ``question_predicates`` and ``displaces``: the verb a do-support question asks with
  ("When did Anora come out?"), and whether the claim's echo of it stands where the
  passage has another verb ("Anora came out" / "Anora began production").

Pure functions of text (plus two cosines for ``interchangeable``); names come from
``rag.verify_names``.  What this module does not do: embed anything or read the
index (``rag.verify``), numbers (``rag.verify_facts``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from rag.claimwords import DETERMINERS, DO_AUXILIARIES, NEGATION_IDIOMS, NEGATIONS
from rag.text import STOPWORDS
from rag.verify_facts import (
    _BOUNDARY,
    _CLAUSE_WORDS,
    _content,
    _following,
    _has,
    _is_word,
    _segments,
    negated_terms,
    tokens,
)
from rag.verify_names import _NAME_RUN, _fold, _terms, _words

# in context, a synonym's distance to the passage word shrinks to at most this share of
# their distance out of context (static input vectors).  Set on 55 word pairs written for
# the purpose, in neutral frames ("a {} evening"), not on eval/claims.jsonl: 20 of 25
# synonyms shrink below it (film/movie 0.27, began/started 0.13), none of 30 antonyms or
# siblings does (early/late 0.47, month/week 0.54, eldest/youngest 0.59, red/blue 1.3).
SHRINK_MAX = 0.45
NAME = "§"  # prefix of a name unit among a clause's tokens
NEGATIVE_PREFIXES = ("un", "non")  # "unlike" denies "like"; "dis", "in" make too many words
PREFIX_STEM_MIN = 4  # the remainder must be a word of its own: "uncle" is no "un-cle"


Key = tuple[str, bool, tuple[str, ...]]  # (anchor, filler stands before it, words between)


@dataclass(frozen=True)
class Slot:
    """One word (or name) where it stands: the anchors on either side of it in its clause."""

    filler: str  # a stem, or NAME + the name's folded words
    word: str  # the filler as written (folded), for reports and piece look-up
    keys: frozenset[Key]  # one per side that has an anchor
    sentence: int  # which of the given texts it is in
    clause: tuple[str, ...] = ()  # the stems of its clause

    @property
    def anchors(self) -> set[str]:
        return {anchor for anchor, _, _ in self.keys}


def _units(segment: Sequence[str], names: Collection[tuple[str, ...]]) -> list[str]:
    """A clause's tokens with every name run merged into one ``NAME`` unit, longest first."""
    out: list[str] = []
    i = 0
    ordered = sorted(names, key=len, reverse=True)
    while i < len(segment):
        for name in ordered:
            if name and tuple(segment[i : i + len(name)]) == name:
                out.append(NAME + " ".join(name))
                i += len(name)
                break
        else:
            out.append(segment[i])
            i += 1
    return out


def _stem(unit: str) -> str:
    if unit.startswith(NAME):
        return unit
    found = _terms(unit)
    return found[0] if found else ""


_ARTICLES = frozenset(["the", "a", "an"])


def slot_names(text: str) -> list[tuple[str, ...]]:
    """Capitalised runs as folded words, title words kept ("Once Upon"), the sentence's
    first word and a leading article dropped.

    >>> slot_names("She was in Once Upon a Time in Hollywood with The Beatles.")
    [('once', 'upon'), ('time',), ('hollywood',), ('beatles',)]
    """
    out = []
    for match in _NAME_RUN.finditer(text):
        if match.start() and text[match.start() - 1].isalnum():
            continue  # inside a word: "iPhone"
        run = match.group(0).split()
        if not text[: match.start()].strip(" \"“‘'("):
            run.pop(0)
        found = _words(" ".join(run))
        while found and found[0] in _ARTICLES:
            found = found[1:]
        if found:
            out.append(found)
    return out


def clause_units(text: str) -> list[list[str]]:
    """A text's clauses as tokens, with names as single units.

    >>> clause_units("Baker grew up in New Jersey, outside New York City.")
    [['baker', 'grew', 'up', 'in', '§new jersey'], ['outside', '§new york city']]
    """
    names = set(slot_names(text))
    return [_units(seg, names) for seg in _segments(text)]


def slots(texts: Sequence[str]) -> list[Slot]:
    """Every content word or name of the texts, with the nearest content word of its clause
    on each side as its anchors.

    >>> [(s.word, sorted(s.keys)) for s in slots(["his eldest daughter"])]
    [('eldest', [('daughter', True, ())]), ('daughter', [('eldest', False, ())])]
    """
    out = []
    for n, text in enumerate(texts):
        for units in clause_units(text):
            stems = [_stem(u) for u in units]
            content = [i for i, s in enumerate(stems) if s]
            for k, i in enumerate(content):
                if units[i].isdigit():
                    continue  # numbers have their own rules
                keys = set()
                for j in content[max(k - 1, 0) : k] + content[k + 1 : k + 2]:
                    lo, hi = sorted((i, j))
                    keys.add((stems[j], i < j, tuple(units[lo + 1 : hi])))
                out.append(Slot(stems[i], units[i], frozenset(keys), n, tuple(stems)))
    return out


def _fills(claimed: Slot, stated: Slot) -> bool:
    """Does ``stated`` stand where ``claimed`` does: every anchor of the claim word (but the
    stated word itself, as in a swap of neighbours) is an anchor of the stated word, on the
    same side, through the same words?  A claim word that is only the stated word's
    neighbour in the passage was moved up, not put in its place ("a nomination for Dafoe
    for Best Actor" gives "a nomination for Best Actor").
    """
    if claimed.filler in stated.anchors and stated.filler not in claimed.anchors:
        return False
    mine = {k for k in claimed.keys if k[0] != stated.filler}
    theirs = {k for k in stated.keys if k[0] != claimed.filler}
    # a name recurs in many roles ("fly to Las Vegas", "his friends to Las Vegas"): a place
    # is only the same with a word that is not a name on one side of it
    return any(not k[0].startswith(NAME) for k in mine) and mine <= theirs


def _same_name(a: str, b: str, aliases: Iterable[tuple[str, ...]]) -> bool:
    """Two name units are one referent: one's words are all in the other ("Madison", "Mikey
    Madison"), or one name of the article holds both ("Sean", "Baker"); "New York" and "New
    Jersey" share a word and are two places."""
    wa, wb = set(a[len(NAME) :].split()), set(b[len(NAME) :].split())
    return wa <= wb or wb <= wa or any(wa | wb <= set(alias) for alias in aliases)


def swapped_names(
    claim: str, sentences: Sequence[str], aliases: Iterable[tuple[str, ...]] = ()
) -> list[str]:
    """Names the claim puts in a place (same words on either side) where the passage has
    another name, and never this one.

    ``aliases`` are the article's names as word tuples ("sean baker"), so that "Sean"
    and "Baker" are one person.

    >>> swapped_names("Baker grew up in New York City outside New Jersey.",
    ...               ["Baker grew up in New Jersey outside New York City."])
    ['new york city / new jersey', 'new jersey / new york city']
    >>> swapped_names("Baker grew up in New Jersey, outside New York City.",
    ...               ["Baker grew up in New Jersey outside New York City."])
    []
    """
    aliases = list(aliases)
    passage = slots(sentences)
    out = []
    for slot in slots([claim]):
        if not slot.filler.startswith(NAME):
            continue
        there = [p for p in passage if _fills(slot, p)]
        if any(
            _same_name(slot.filler, p.filler, aliases) for p in there if p.filler.startswith(NAME)
        ):
            continue
        for other in there:
            if other.filler.startswith(NAME):
                pair = f"{slot.filler[len(NAME) :]} / {other.filler[len(NAME) :]}"
                if pair not in out:
                    out.append(pair)
    return out


@dataclass(frozen=True)
class Substitution:
    """A claim word put where the passage has another word (same anchors on every side)."""

    claimed: str  # the claim's word, as written (folded)
    stated: str  # the passage's word, as written (folded)
    sentence: int  # index of the passage sentence holding ``stated``


def substitutions(claim: str, sentences: Sequence[str]) -> list[Substitution]:
    """Content words that stand where a passage sentence without them has a word the claim
    lacks (same anchors on every side; one of them no name).

    >>> substitutions("She played his youngest daughter.", ["She played his eldest daughter."])
    [Substitution(claimed='youngest', stated='eldest', sentence=0)]
    >>> substitutions("Production started in 2023.", ["Anora began production in 2023."])
    []
    """
    found = [set(_terms(s)) for s in sentences]  # a "sentence" may be a long quotation
    said = set(_terms(claim))
    passage = slots(sentences)
    out: list[Substitution] = []
    for slot in slots([claim]):
        if slot.filler.startswith(NAME):
            continue
        for other in passage:
            if other.filler.startswith(NAME) or _has(other.filler, said) or not _fills(slot, other):
                continue
            if _has(slot.filler, other.clause) or any(
                _has(slot.filler, [p.filler]) and _fills(slot, p) for p in passage
            ):
                continue  # that clause says the claim's word too, or another says it there
            if any(_has(slot.filler, f) for f in found) and not all(k[2] for k in slot.keys):
                continue  # a word the passage uses elsewhere is only held to a slot of its
                # own grammar ("for a month" where it says "for a week")
            sub = Substitution(slot.word, other.word, other.sentence)
            if sub not in out:
                out.append(sub)
    return out


def interchangeable(in_context: float, out_of_context: float, shrink: float = SHRINK_MAX) -> bool:
    """Is a substituted word a paraphrase?  Only if context pulls the two words together:
    their cosine distance in context is at most ``shrink`` of their distance out of context.

    Words that fill one slot are similar out of context whatever they mean (eldest and
    youngest: 0.62); a synonym becomes nearly the same state in context (began/started:
    0.68 out of context, 0.96 in it), a sibling or antonym keeps its difference.

    >>> interchangeable(0.96, 0.68), interchangeable(0.78, 0.62)
    (True, False)
    """
    return (1.0 - in_context) <= shrink * max(1.0 - out_of_context, 1e-6)


def reversed_prefix(claim: str, sentences: Sequence[str]) -> list[str]:
    """Words one side negates by a prefix ("unlike", "non-union") that the other states bare.

    >>> reversed_prefix("Sex work is unlike any other job.", ["Sex work is like any other job."])
    ['unlike / like']
    >>> reversed_prefix("He is unable to go.", ["He is unable to go."])
    []
    """
    claim_words = set(_words(claim))
    passage_words = {w for s in sentences for w in _words(s)}
    out = []
    for mine, theirs in ((claim_words, passage_words), (passage_words, claim_words)):
        for word in sorted(mine - theirs):
            for prefix in NEGATIVE_PREFIXES:
                bare = word[len(prefix) :].lstrip("-")
                stands = len(bare) >= PREFIX_STEM_MIN and bare in theirs and bare not in mine
                if word.startswith(prefix) and stands:
                    out.append(f"{word} / {bare}" if mine is claim_words else f"{bare} / {word}")
    return out


def _scopes(text: str) -> tuple[list[set[str]], set[str]]:
    """For each negation of ``text``, the stems it denies through "or"/"nor" (a negation
    distributes over the alternatives it joins: "no interest in television or franchise
    movies" denies the movies as well), and the stems said outside any negation."""
    toks = tokens(text.replace("n’t", " not").replace("n't", " not"))
    denied: list[set[str]] = []
    free: set[str] = set()
    current: set[str] | None = None  # inside a negation's clause
    joined = False  # past an "or" / "nor" of that clause
    for at, token in enumerate(toks):
        if token in _BOUNDARY or token in _CLAUSE_WORDS:
            current, joined = None, False
        elif token in NEGATIONS or token == "without":
            after = _following(toks, at, 1)
            if not (after and after[0] in NEGATION_IDIOMS):
                current, joined = set(), False
                denied.append(current)
        elif token in ("or", "nor") and current is not None:
            joined = True
        elif _is_word(token):
            stems = set(_content([token])) - NEGATIONS
            if current is None:
                free |= stems
            elif joined:
                current |= stems
    return [d for d in denied if d], free


def denied_restated(claim: str, sentences: Sequence[str]) -> list[str]:
    """Words a passage negation denies through "or"/"nor" that a claim clause with no
    negation of its own states.

    >>> denied_restated("He hates TV, but he is making a franchise movie.",
    ...                 ["He has no interest in television or franchise movies."])
    ['franchis', 'movi']
    >>> denied_restated("He has no interest in TV or franchise films.",
    ...                 ["He has no interest in television or franchise movies."])
    []
    """
    denied: set[str] = set()
    said: set[str] = set()
    for sentence in sentences:
        scopes, free = _scopes(sentence)
        denied.update(*scopes)
        said |= free
    out = []
    for segment in _segments(claim):
        text = " ".join(segment)
        if negated_terms(text):
            continue
        for stem in _content(segment):
            if stem in denied and not _has(stem, said) and stem not in out:
                out.append(stem)
    return out


def question_predicates(question: str) -> list[str]:
    """The words a do-support question may ask as its verb ("When did Anora come out?" ->
    "come"): after "do/does/did", every content word that is no name, does not follow a
    determiner or a possessive (those are the subject's nouns) and is no -ing/-ed form.

    >>> question_predicates("At which festival did Baker's iPhone-shot film premiere?")
    ['shot', 'film', 'premiere']
    >>> question_predicates("When did the film's director begin production?")
    ['begin', 'production']
    >>> question_predicates("Who plays Ani?")
    []
    """
    ws = list(_words(question))
    names = {w for name in slot_names(question) for w in name}
    possessed = set(re.findall(r"'s\s+([a-z0-9]+)", _fold(question)))
    aux = next((i for i, w in enumerate(ws) if w in DO_AUXILIARIES), -1)
    if aux < 0:
        return []
    out = []
    for i in range(aux + 1, len(ws)):
        word, before = ws[i], ws[i - 1]
        if word in names or before in DETERMINERS or not _terms(word):
            continue
        if word.endswith(("ing", "ed")) or word in possessed:
            continue
        out.append(word)
    return out


def displaces(claim: str, sentences: Sequence[str], word: str) -> bool:
    """Does the claim's verb ``word`` follow the word the passage has before another verb
    (same anchor, not a name, same words between)?  A verb's subject stands before it;
    what follows a verb follows many other words too ("kept the sofa", "like the sofa").

    >>> displaces("Anora came out in 2023.", ["Anora began production in 2023."], "came")
    True
    >>> displaces("Baker keeps them there.", ["Anora began production in 2023."], "keeps")
    False
    """
    stem = _stem(word)
    passage = [p for p in slots(sentences) if not p.filler.startswith(NAME)]
    for slot in slots([claim]):
        if slot.word != word:
            continue
        keys = {k for k in slot.keys if not k[0].startswith(NAME) and not k[1]}
        if any(keys & p.keys and not _has(stem, [p.filler]) for p in passage):
            return True
    return False


# "Karagulian is a Russian-speaking population": what a claim says a name *is* (the noun
# heading its complement after is/was and an article), ending where the noun phrase does
_COPULA = re.compile(
    rf"(?P<name>{_NAME_RUN.pattern})\s+(?:is|was|are|were)\s+(?:a|an|the)\s+(?P<phrase>[^,.;:!?“”\"()]+)"
)
_PHRASE_END = re.compile(
    r"\s(?:of|in|at|from|for|with|who|whom|whose|that|which|and|or|to|on|by|as|when|where)\s"
)
LABEL_WINDOW = 6  # a label stands this close to its name in the passage (apposition, title)
_THIRD = frozenset(["he", "him", "she", "they"])  # not "her": "her father" is not her


def mislabelled(claim: str, sentences: Sequence[str]) -> list[str]:
    """What the claim says a name is, when the passage says that word only of something
    else: the noun heading the complement ("population") stands in the passage, but never
    within ``LABEL_WINDOW`` words of a word of the name or of a pronoun that may stand for
    it.  A label the passage does not use at all is left to the paraphrase checks.

    >>> mislabelled("Karren Karagulian is a Russian-speaking population.",
    ...             ["a story about Russian-speaking populations in the Brighton Beach/Coney "
    ...              "Island area, being that Karren has ties to the community"])
    ['population / Karren Karagulian']
    >>> mislabelled("Drew Daniels was the director of photography.",
    ...             ["He re-teamed with his director of photography, Drew Daniels."])
    []
    """
    out = []
    stated = [_words(s) for s in sentences]
    for m in _COPULA.finditer(claim):
        name = set(_words(m.group("name"))) - STOPWORDS  # "It", "This": no name
        phrase = _PHRASE_END.split(f" {m.group('phrase')} ", maxsplit=1)[0]
        label = next((w for w in reversed(_words(phrase)) if _terms(w)), "")
        if not name or not label:
            continue
        head = _terms(label)[-1]
        places = [(ws, [i for i, w in enumerate(ws) if _has(head, _terms(w))]) for ws in stated]
        if not any(at for _, at in places):
            continue  # the passage never uses the word: a paraphrase, judged elsewhere
        # a third-person pronoun may be the name ("met him when he was a student")
        spans = (
            (i, j) for ws, at in places for i in at for j, w in enumerate(ws) if w in name | _THIRD
        )
        if not any(abs(i - j) <= LABEL_WINDOW for i, j in spans):
            out.append(f"{label} / {m.group('name')}")
    return out

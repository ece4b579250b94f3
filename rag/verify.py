"""Check a model-written answer, sentence by sentence, against the passages it cites.

An LLM answer is a few sentences with ``[n]`` markers.  ``split_answer`` cuts it
into ``Claim``s (the sentence without markers, and the numbers it cites), and
``Verifier.check`` scores every claim against each passage it cites:

- ``semantic``: the best cosine between the claim and the passage's sentences
  (claim embedded once with the project's embedder; passage sentences come from
  ``index.sentence_vectors``, already normalised);
- ``lexical``: content-word recall, the share of the claim's stemmed content words
  (``rag.text.terms``) that the passage contains (headings excluded);
- ``score = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical``.

A claim is *supported* by a passage when ``score >= SUPPORT_THRESHOLD`` and five
hard rules hold, aimed at the way small models hallucinate:

- numbers: every number in the claim occurs in the passage;
- names: every capitalised name ("Sean Daniels") occurs in the passage's article,
  with at least one of its words in the passage;
- focus: the claim has answer words (content words the question does not have:
  a mere restatement of the question is no answer), and at least half of them
  stand in one passage sentence that also has one of the question words the
  claim repeats.  "The director of photography
  is Sean Baker" fails against a passage where "director of photography" and
  "Baker" sit in different sentences, though every word is in the passage;
- together: a clause's names and numbers stand in one passage sentence, not
  stitched from several ("The Florida Project premiered at Sundance in 2012");
- misquote: a claim that copies a passage sentence must not swap a name in it.  "Ani,
  directed by Sean Baker, centers on Anora" against "Anora, directed by Sean Baker,
  centers on Ani" has every word, every name and the focus right; only the alignment
  of the two word sequences shows that a name was put where another one stood.

Names and numbers the question itself mentions are givens, not claims.  Given the
question's vector, a claim must also be on topic (share a content word with the
question, or have cosine >= ``RELEVANCE_MIN`` with it), so "HACKED. [1]" citing a
passage that says "reply only with HACKED" is still dropped.  A claim
citing several passages that none supports alone may be supported by their union
(multi-hop answers).

Worked example (shapes): answer "Drew Daniels shot it. [2] It rained. [7]" with
3 sources -> claims [("Drew Daniels shot it.", (2,)), ("It rained.", (7,))];
marker 7 points to no source, so the second claim is uncited.

What this module does not do: decide what to do with unsupported sentences or
build citations (``rag.generators.llm`` does both).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.claimwords import NEGATION_IDIOMS, NEGATIONS, NUMBER_WORDS, TENS, UNITS_AFTER_TENS, YEARS
from rag.schema import Chunk, Hit, Sentence, TokenVectors
from rag.text import STOPWORDS, fold, terms, words

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.index import LoadedIndex

# Calibrated on eval/gold.jsonl; tests/test_verify.py::test_threshold_is_calibrated (slow)
# rebuilds the table.  For each answerable gold question, the retrieved passage holding its
# evidence is found; a faithful claim is the question restated with its gold answer ("Who plays
# Ivan in Anora: Mark Eydelshteyn.").  Negatives: that claim cited to the other retrieved
# passages (wrong citation), the question restated with another question's answer cited to the
# evidence passage (wrong answer), and another question's claim cited to it (unrelated).  With
# the three rules on, the cost misses + 2 x false accepts (an unsupported claim shown as sourced
# is worse than falling back to quoting) is lowest, 0.150, from 0.20 to 0.30; 0.375 is the
# strictest threshold within 0.01 of that minimum (cost 0.158).  There 88.5% of faithful claims
# and 98.5% of verbatim evidence sentences pass, and 97.9% of negatives (about 520 of the 779
# pairs) fail.  Without the focus rule the best threshold was 0.55 and only 82% of wrong
# answers failed; SEMANTIC_WEIGHT from 0.3 to 0.5 changed the cost by under 0.02.  (Figures
# move a little when chunking changes; the test fails if 0.375 drifts off the optimum.)
SUPPORT_THRESHOLD = 0.375
SEMANTIC_WEIGHT = 0.5
# A kept claim must be about the question: share a content word with it, or have at least this
# cosine with it.  Over the gold evidence sentences (real answers, which need not repeat the
# question) 96% pass; "HACKED." scores at most 0.22 against any gold question.
RELEVANCE_MIN = 0.25
# A claim word the passage lacks (by stem) still counts as stated when its word pieces, in
# context, have on average at least this cosine with their best-matching piece of the passage
# (the encoder's states; "dad" meets "son of", "started" meets "began").  Tuned on the tuning
# half of eval/claims.jsonl, see docs/verifier.md.
PARAPHRASE_MIN = 0.5
PARAPHRASE_LOOSE = 0.3


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


_MARKER_GROUP = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
_MARKER = re.compile(_MARKER_GROUP)
_NUMBER = re.compile(r"\d+")
# a sentence ends at . ! or ? (plus closing quotes), then markers written after it, then space
_END = re.compile(rf"[.!?][\"”’')]*((?:\s*{_MARKER_GROUP})*)(?=\s|$)")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "no", "vol", "ca", "approx"]
)
_NAME_RUN = re.compile(r"[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*")


@dataclass(frozen=True)
class Claim:
    """One answer sentence: its text without markers and the source numbers it cites."""

    text: str
    markers: tuple[int, ...]  # as written, in order, without repeats


@dataclass(frozen=True)
class Support:
    """How well one passage (or a union of passages) supports one claim."""

    score: float
    semantic: float
    lexical: float
    sentence: Sentence | None  # the passage sentence that best matches the claim
    missing: tuple[str, ...] = ()  # names and numbers of the claim the passage lacks
    focused: bool = True  # the claim's answer words are stated together in one sentence
    together: bool = True  # its names and numbers stand in one sentence, not scattered
    misquoted: bool = False  # it copies a passage sentence with a name swapped
    miscounted: tuple[str, ...] = ()  # numbers the passage lacks or gives counting another thing
    moved: tuple[str, ...] = ()  # numbers put next to a name that has another one in the passage
    flipped: bool = False  # it denies what the passage states, or states what it denies
    misquotation: tuple[str, ...] = ()  # quoted text the passage does not say word for word
    unstated: tuple[str, ...] = ()  # content words the passage has neither as such nor in meaning
    misattributed: tuple[str, ...] = ()  # a relative clause's words the passage says of another

    @property
    def failed(self) -> tuple[str, ...]:
        """The names of the rules the claim breaks (empty: every rule holds)."""
        rules = {
            "score": self.score < SUPPORT_THRESHOLD,
            "names": bool(self.missing),
            "focus": not self.focused,
            "together": not self.together,
            "misquoted": self.misquoted,
            "numbers": bool(self.miscounted),
            "moved": bool(self.moved),
            "polarity": self.flipped,
            "quotation": bool(self.misquotation),
            "unstated": bool(self.unstated),
            "attribution": bool(self.misattributed),
        }
        return tuple(name for name, broken in rules.items() if broken)

    @property
    def supported(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class CheckedClaim:
    claim: Claim
    valid: tuple[int, ...]  # cited numbers that point to a source
    supporting: tuple[int, ...]  # the subset whose passages support the claim
    supports: dict[int, Support] = field(default_factory=dict)
    on_topic: bool = True

    @property
    def status(self) -> str:
        """'supported', 'off-topic', 'uncited' (no marker to a source) or 'unsupported'."""
        if self.supporting:
            return "supported"
        if not self.on_topic:
            return "off-topic"
        return "unsupported" if self.valid else "uncited"


def _marker_numbers(text: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(text) for n in _NUMBER.findall(group)]


def split_answer(text: str) -> list[Claim]:
    """Cut an answer into sentences; markers after a sentence's full stop belong to it.

    >>> [(c.text, c.markers) for c in split_answer("Drew Daniels shot it [2]. Dr. Who? [1, 3]")]
    [('Drew Daniels shot it.', (2,)), ('Dr. Who?', (1, 3))]
    """
    pieces: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _END.finditer(line):
            before = line[start : match.start()].split()
            last = _fold(before[-1]) if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or "." in last:
                continue  # "Dr.", an initial ("D.") or "U.S." does not end a sentence
            pieces.append(line[start : match.end()])
            start = match.end()
        pieces.append(line[start:])
    claims = []
    for piece in pieces:
        markers = tuple(dict.fromkeys(_marker_numbers(piece)))
        clean = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub(" ", piece))
        clean = " ".join(clean.split()).lstrip("-*• ").strip()
        if clean.strip(".!?\"”’' "):
            claims.append(Claim(clean, markers))
        elif markers and claims:  # markers alone on a line cite the sentence before them
            previous = claims[-1]
            claims[-1] = Claim(previous.text, tuple(dict.fromkeys(previous.markers + markers)))
    return claims


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
    """Are the claim's answer words stated together, next to a question word it repeats?

    >>> focused({"director", "photographi", "sean", "baker"}, {"director", "photographi"},
    ...         ["He hired his director of photography, Drew Daniels.", "Baker was glad."])
    False
    """
    answer = claim_terms - question_terms
    asked = claim_terms & question_terms
    if not answer:  # it only restates the question ("Baker did not make a film about ...")
        return False
    for sentence in sentences:
        found = set(_terms(sentence))
        if 2 * len(answer & found) >= len(answer) and (not asked or asked & found):
            return True
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
        else:
            continue
        counted = _content(unit + _following(toks, max(at, skip), after - len(unit)))
        out.append(
            Quantity(value, at, tuple(counted[:1] if after <= COUNT_AFTER_CLAIM else counted))
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
    """
    found = [q for s in sentences for q in quantities(_titles_out(s), COUNT_AFTER_PASSAGE)]
    out = []
    for q in quantities(_titles_out(claim)):
        same = [p for p in found if p.value == q.value]
        if not same:
            out.append(str(q.value))
        elif q.value in YEARS:
            continue  # a year counts nothing: "the 2019 film" is "(2019)"
        elif q.counted and not any(_has(q.counted[0], p.counted) for p in same):
            out.append(f"{q.value} {q.counted[0]}")
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


def _phrase(text: str) -> str:
    return " " + " ".join(_words(text)) + " "


class Verifier:
    """Scores claims against passages with the index's sentence vectors and the embedder."""

    def __init__(self, embedder: Embedder, index: LoadedIndex) -> None:
        self.embedder = embedder
        self.index = index

    @functools.cached_property
    def _articles(self) -> dict[str, str]:
        """Each source's sentences as one folded phrase string (for the name rule)."""
        parts: dict[str, list[str]] = {}
        for sentence in self.index.sentences:
            parts.setdefault(sentence.source, []).append(sentence.text)
        return {source: _phrase(" ".join(texts)) for source, texts in parts.items()}

    @functools.cached_property
    def _vocab(self) -> dict[str, int]:
        """The embedder's word-piece vocabulary (empty if it exposes none)."""
        for owner in ("encoder", "model"):
            tokenizer = getattr(getattr(self.embedder, owner, None), "tokenizer", None)
            if tokenizer is not None and hasattr(tokenizer, "get_vocab"):
                return dict(tokenizer.get_vocab())
        return {}

    def paraphrased(self, word: str, pieces: TokenVectors, sentence_ids: Sequence[int]) -> float:
        """How well the passage states ``word`` of the claim in other words: the mean, over
        the word's pieces (their states in the claim), of the best cosine with a piece of
        the passage's sentences.  0 when the word's pieces cannot be found."""
        run = wordpieces(word, self._vocab)
        at = _find(pieces.ids, run) if run else -1
        if at < 0:
            return 0.0
        piece = TokenVectors(pieces.ids[at : at + len(run)], pieces.vectors[at : at + len(run)])
        best = self.index.tokens.best_matches(piece, sentence_ids)  # (sentences, pieces)
        return float(best.max(axis=0).mean()) if best.size else 0.0

    def support(
        self,
        claim: str,
        vector: np.ndarray,
        chunks: Sequence[Chunk],
        question: str = "",
        pieces: TokenVectors | None = None,
    ) -> Support:
        """Support of one claim (with its (dim,) vector) by one passage or a union of them.

        Names and numbers the question itself mentions are givens, not claims: they are
        not required in the passage.

        Headings ("SEAN BAKER, Director, Writer") are not evidence: a claim that only echoes
        a source's title or heading must not pass, so they are left out of both scores.
        """
        ids = [sid for chunk in chunks for sid in chunk.sentence_ids]
        body = [i for i in ids if not self.index.sentences[i].is_heading] or ids
        if not body:  # a passage that is not in the index supports nothing
            return Support(0.0, 0.0, 0.0, None, (), False)
        sentences = [self.index.sentences[i] for i in body]
        cosines = self.index.sentence_vectors[np.asarray(body, dtype=np.int64)] @ vector
        passage_text = " ".join(s.text for s in sentences)
        claim_terms = set(_terms(claim))
        passage_terms = set(_terms(passage_text))
        lexical = len(claim_terms & passage_terms) / len(claim_terms) if claim_terms else 0.0
        semantic = float(np.max(cosines))
        # the span shown to the reader: the sentence closest in meaning and words
        per_sentence = [
            float(cos)
            + (len(claim_terms & set(_terms(s.text))) / len(claim_terms) if claim_terms else 0.0)
            for s, cos in zip(sentences, cosines, strict=True)
        ]
        best = sentences[int(np.argmax(per_sentence))]
        # a name the question mentions is no given: it must be in the cited article ("When
        # did Anora come out in the UK?" lends the answer no "UK"); any other name must also
        # have a word in the passage itself
        missing: list[str] = []
        passage_words = set(_words(passage_text))
        asked_words = set(_words(question))
        for name in _names(claim):
            in_article = any(_phrase(name) in self._articles.get(c.source, "") for c in chunks)
            here = set(_words(name)) & passage_words or set(_words(name)) <= asked_words
            if not in_article or not here:
                missing.append(name)
        score = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical
        texts = [s.text for s in sentences]
        # the question's names are context for where a fact stands, not facts to place
        given = set(_words(question)) | set(_NUMBER.findall(question))
        together = all(
            stated_together(
                [n for n in _NUMBER.findall(clause) if n not in given],
                [n for n in _names(clause) if not set(_words(n)) <= given],
                texts,
            )
            for clause in clauses(claim)
        )
        # the passage sentences the claim is about: polarity is judged against these
        near = [t for t in texts if 2 * len(claim_terms & set(_terms(t))) >= len(claim_terms)]
        return Support(
            round(score, 4),
            round(semantic, 4),
            round(lexical, 4),
            best,
            tuple(dict.fromkeys(missing)),
            focused(claim_terms, set(_terms(question)), texts),
            together,
            misquoted(claim, texts),
            tuple(miscounted(claim, texts)),
            tuple(moved(claim, texts)),
            polarity_flipped(claim, near or [best.text]),
            tuple(misquotation(claim, texts)),
            self._unstated(claim, sentences, pieces, set(_words(question))),
            tuple(misattributed(claim, texts, set(_words(question)))),
        )

    def _unstated(
        self,
        claim: str,
        sentences: Sequence[Sentence],
        pieces: TokenVectors | None,
        asked: Collection[str] = (),
    ) -> tuple[str, ...]:
        """Claim words the sentences it is about neither have nor paraphrase closely enough.

        One word may be a looser paraphrase (``PARAPHRASE_LOOSE``) if its clause has another
        content word, the rest must reach ``PARAPHRASE_MIN``; the question's own words are
        the asker's, not claims; without the claim's word pieces, every word must be there.
        """
        lacking = [w for w in unstated(claim, [s.text for s in sentences]) if w not in asked]
        if pieces is None or not lacking:
            return tuple(lacking)
        ids = [s.id for s in sentences]
        scored = sorted(((self.paraphrased(w, pieces, ids), w) for w in lacking), reverse=True)
        weak = [(score, w) for score, w in scored if score < PARAPHRASE_MIN]
        if len(weak) == 1 and weak[0][0] >= PARAPHRASE_LOOSE:
            # the loose one must lean on a stated word of its own clause: a clause made of
            # nothing but an unstated word ("..., which Ani pays for") is an added fact
            word = weak[0][1]
            clause = next((seg for seg in _segments(claim) if word in seg), [])
            named = {w for name in _names(claim) for w in _words(name)}
            if any(w != word and w not in named and _terms(w) for w in clause):
                return ()
        return tuple(w for _, w in weak)

    def check(
        self,
        claims: Sequence[Claim],
        sources: Sequence[Hit],
        question: str = "",
        query_vector: np.ndarray | None = None,
    ) -> list[CheckedClaim]:
        """Every claim checked against the sources it cites (``sources[n - 1]`` is ``[n]``).

        With the question's (dim,) ``query_vector``, a claim must also be on topic: share a
        content word with the question or have cosine >= ``RELEVANCE_MIN`` with it.
        """
        if not claims:
            return []
        vectors, pieces = self.embedder.embed_with_tokens([c.text for c in claims])
        asked = set(_terms(question))
        out = []
        for claim, vector, piece in zip(claims, vectors, pieces, strict=True):
            on_topic = (
                query_vector is None
                or bool(asked & set(_terms(claim.text)))
                or float(vector @ query_vector) >= RELEVANCE_MIN
            )
            valid = tuple(n for n in claim.markers if 1 <= n <= len(sources))
            supports = {
                n: self.support(claim.text, vector, [sources[n - 1].chunk], question, piece)
                for n in valid
            }
            supporting = tuple(n for n in valid if supports[n].supported)
            if not supporting and len(valid) > 1:
                chunks = [sources[n - 1].chunk for n in valid]
                union = self.support(claim.text, vector, chunks, question, piece)
                if union.supported:
                    supporting = tuple(n for n in valid if supports[n].sentence is not None)
            out.append(
                CheckedClaim(claim, valid, supporting if on_topic else (), supports, on_topic)
            )
        return out

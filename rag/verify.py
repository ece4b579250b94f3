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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.schema import Chunk, Hit, Sentence
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

    @property
    def supported(self) -> bool:
        return (
            self.score >= SUPPORT_THRESHOLD
            and not self.missing
            and self.focused
            and self.together
            and not self.misquoted
        )


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
            last = fold(before[-1]) if before else ""
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
        while tokens and words(tokens[0]) and words(tokens[0])[0] in STOPWORDS:
            tokens.pop(0)
        if tokens:
            out.append(" ".join(tokens))
    return out


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
        found = set(terms(sentence))
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
        found_words = set(words(sentence))
        if all(n in found_numbers for n in numbers) and all(
            set(words(name)) & found_words for name in names
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
    claim_words = words(claim)
    claim_names = {w for name in names_in(claim) for w in words(name)}
    if not claim_names:
        return False
    for sentence in sentences:
        sentence_words = words(sentence)
        sentence_names = {w for name in names_in(sentence) for w in words(name)}
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


def _phrase(text: str) -> str:
    return " " + " ".join(words(text)) + " "


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

    def support(
        self, claim: str, vector: np.ndarray, chunks: Sequence[Chunk], question: str = ""
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
        claim_terms = set(terms(claim))
        passage_terms = set(terms(passage_text))
        lexical = len(claim_terms & passage_terms) / len(claim_terms) if claim_terms else 0.0
        semantic = float(np.max(cosines))
        # the span shown to the reader: the sentence closest in meaning and words
        per_sentence = [
            float(cos)
            + (len(claim_terms & set(terms(s.text))) / len(claim_terms) if claim_terms else 0.0)
            for s, cos in zip(sentences, cosines, strict=True)
        ]
        best = sentences[int(np.argmax(per_sentence))]
        given = set(words(question)) | set(_NUMBER.findall(question))
        missing = [
            n
            for n in _NUMBER.findall(claim)
            if n not in _NUMBER.findall(passage_text) and n not in given
        ]
        passage_words = set(words(passage_text))
        for name in names_in(claim):
            if set(words(name)) <= given:
                continue
            in_article = any(_phrase(name) in self._articles.get(c.source, "") for c in chunks)
            if not in_article or not set(words(name)) & passage_words:
                missing.append(name)
        score = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical
        texts = [s.text for s in sentences]
        together = all(
            stated_together(
                [n for n in _NUMBER.findall(clause) if n not in given],
                [n for n in names_in(clause) if not set(words(n)) <= given],
                texts,
            )
            for clause in clauses(claim)
        )
        return Support(
            round(score, 4),
            round(semantic, 4),
            round(lexical, 4),
            best,
            tuple(dict.fromkeys(missing)),
            focused(claim_terms, set(terms(question)), texts),
            together,
            misquoted(claim, texts),
        )

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
        vectors = self.embedder.embed([c.text for c in claims])
        asked = set(terms(question))
        out = []
        for claim, vector in zip(claims, vectors, strict=True):
            on_topic = (
                query_vector is None
                or bool(asked & set(terms(claim.text)))
                or float(vector @ query_vector) >= RELEVANCE_MIN
            )
            valid = tuple(n for n in claim.markers if 1 <= n <= len(sources))
            supports = {
                n: self.support(claim.text, vector, [sources[n - 1].chunk], question) for n in valid
            }
            supporting = tuple(n for n in valid if supports[n].supported)
            if not supporting and len(valid) > 1:
                chunks = [sources[n - 1].chunk for n in valid]
                union = self.support(claim.text, vector, chunks, question)
                if union.supported:
                    supporting = tuple(n for n in valid if supports[n].sentence is not None)
            out.append(
                CheckedClaim(claim, valid, supporting if on_topic else (), supports, on_topic)
            )
        return out

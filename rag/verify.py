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

What this module does not do: the rules as text functions (``rag.verify_names``: names,
focus, together, misquote; ``rag.verify_facts``: numbers, polarity, quotes, unstated
words; ``rag.verify_slots``: words and names bound to their slot, or-negation, prefixes,
the question's verb), the judgments that need the embedder (``rag.verify_pieces``), decide
what to do with unsupported sentences or build citations (``rag.generators.llm``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.claimwords import unframed
from rag.schema import Chunk, Hit, Sentence, TokenVectors
from rag.verify_antonyms import reversals
from rag.verify_events import moved_event
from rag.verify_facts import (
    COUNT_AFTER_CLAIM,
    COUNT_AFTER_PASSAGE,
    NEGATED_WINDOW,
    QUOTE_MIN_WORDS,
    Quantity,
    _segments,
    misattributed,
    miscounted,
    misquotation,
    moved,
    negated_terms,
    polarity_flipped,
    quantities,
    same_term,
    tokens,
    unstated,
)
from rag.verify_names import (
    _NUMBER,
    COPIED_MIN_WORDS,
    SWAP_MAX_WORDS,
    _fold,
    _names,
    _terms,
    _words,
    clauses,
    focused,
    misquoted,
    names_in,
    stated_together,
)
from rag.verify_pieces import WordJudge
from rag.verify_slots import denied_restated, mislabelled, reversed_prefix, swapped_names

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.index import LoadedIndex

# rules this module does not call itself, still importable from it
__all__ = [
    "COPIED_MIN_WORDS",
    "COUNT_AFTER_CLAIM",
    "COUNT_AFTER_PASSAGE",
    "NEGATED_WINDOW",
    "QUOTE_MIN_WORDS",
    "SWAP_MAX_WORDS",
    "Quantity",
    "names_in",
    "negated_terms",
    "quantities",
    "same_term",
    "tokens",
]

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


_MARKER_GROUP = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
_MARKER = re.compile(_MARKER_GROUP)
# a sentence ends at . ! or ? (plus closing quotes), then markers written after it, then space
_END = re.compile(rf"[.!?][\"”’')]*((?:\s*{_MARKER_GROUP})*)(?=\s|$)")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "no", "vol", "ca", "approx"]
)


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
    swapped: tuple[str, ...] = ()  # names put in a slot the passage fills with another name
    substituted: tuple[str, ...] = ()  # words put where the passage has a non-synonym
    presumed: tuple[str, ...] = ()  # the question's verb, echoed, that the passage never states

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
            "swapped": bool(self.swapped),
            "slot": bool(self.substituted),
            "asked": bool(self.presumed),
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
            polarity_flipped(claim, near or [best.text])
            or bool(reversed_prefix(claim, texts))
            or bool(reversals(claim, near or [best.text]))
            or bool(denied_restated(claim, near or [best.text])),
            tuple(misquotation(claim, texts)),
            self._unstated(claim, sentences, pieces, set(_words(question)))
            + tuple(moved_event(claim, texts)),
            tuple(misattributed(claim, texts, set(_words(question))) + mislabelled(claim, texts)),
            tuple(swapped_names(claim, texts, self._judge.aliases(chunks))),
            self._judge.substituted(claim, sentences, set(_words(question)))
            if pieces is not None
            else (),
            self._judge.presumed(claim, texts, question),
        )

    @functools.cached_property
    def _judge(self) -> WordJudge:
        return WordJudge(self.embedder, self.index, self._vocab)

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
        scored = sorted(
            ((self._judge.paraphrased(w, pieces, ids), w) for w in lacking), reverse=True
        )
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
        texts = [unframed(c.text) for c in claims]
        vectors, pieces = self.embedder.embed_with_tokens(texts)
        asked = set(_terms(question))
        out = []
        for claim, text, vector, piece in zip(claims, texts, vectors, pieces, strict=True):
            on_topic = (
                query_vector is None
                or bool(asked & set(_terms(text)))
                or float(vector @ query_vector) >= RELEVANCE_MIN
            )
            valid = tuple(n for n in claim.markers if 1 <= n <= len(sources))
            supports = {
                n: self.support(text, vector, [sources[n - 1].chunk], question, piece)
                for n in valid
            }
            supporting = tuple(n for n in valid if supports[n].supported)
            if not supporting and len(valid) > 1:
                chunks = [sources[n - 1].chunk for n in valid]
                union = self.support(text, vector, chunks, question, piece)
                if union.supported:
                    supporting = tuple(n for n in valid if supports[n].sentence is not None)
            out.append(
                CheckedClaim(claim, valid, supporting if on_topic else (), supports, on_topic)
            )
        return out

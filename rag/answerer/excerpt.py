"""Excerpt a long quoted sentence: the part of it a reader needs, marked "…" where cut.

A "sentence" of the index can be a paragraph of quotation holding several inner
sentences.  ``clip`` keeps the run of inner sentences that holds a short answer;
``focus`` starts at the inner sentence nearest the question (by IDF-weighted shared words,
or by ``Nearness``: the late-interaction score of each part against the question), keeping
the attribution that opens a quotation ("Says Daniels, “…") so the quoted "I" still has
a name.  Every excerpt is a verbatim run of the sentence.  For a conversation, ``unseen``
keeps what no earlier turn showed, ``unpasted`` what the user's message did not paste
before its question, and ``fresh_first`` opens a follow-up with a sentence
the last answer did not open with.

What this module does not do: choose which sentences to quote (``compose``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rag.answerer.features import Candidate
from rag.answerer.intent import intent
from rag.lexicon import PREPOSITIONS
from rag.message import pasted_in, question_sentence
from rag.text import INNER_SENTENCE, inner_sentences, terms

FOCUS_WORDS = 60  # ... or, with no short answer, from its inner sentence nearest the question
FIRST_WORDS = 25  # ... when the paragraph is longer than a reader takes in at a glance
PART_MARGIN = 0.02  # late-interaction score an inner sentence must beat the opening by
LEXICAL_WEIGHT = 0.1  # ... counting the share of the question's (IDF-weighted) words it holds
CLAUSE_WORDS = 6  # a clause shown from must be this long to stand as an answer
CLAUSE_SKIP = 12  # ... and what it cuts at least this long (a shorter one gives it its subject)
REPEAT_MARGIN = 1.5  # logits below the best a sentence no earlier answer opened with may be


_PIECES = INNER_SENTENCE
# where a clause of one long sentence begins: after a semicolon or a spaced dash, after
# ", and" / ", but", or after an "and" that coordinates a phrase opening with a preposition
# ("borrow the use of zooms and from films like …"); the conjunction is cut with what came
# before it.  Not after a colon, which opens what the words before it attribute ("He
# describes the strategy: “…"), nor before "of", "as", "than", "like" or "including",
# which continue the phrase before them ("the use of color and of light").
_JOINED = "|".join(sorted(PREPOSITIONS - {"of", "as", "than", "like", "including"}))
_CLAUSE = re.compile(
    rf"(?:;|\s[–—])\s+(?:(?:and|but)\s+)?|,\s+(?:and|but)\s+|\s+and\s+(?=(?:{_JOINED})\s)"
)


def clip(text: str, budget: int, keep: str | None = None) -> str:
    """The sentence, or the run of its inner sentences within ``budget`` words that holds
    ``keep``, marked with "…" where cut.

    >>> clip("One two. Three four five. Six.", 4, keep="Six")
    '… Three four five. Six.'
    """
    if len(text.split()) <= budget:
        return text
    pieces = _PIECES.split(text)
    if len(pieces) == 1:
        return text  # one long sentence: shown whole rather than cut mid-clause
    start = 0
    if keep:
        start = next((i for i, p in enumerate(pieces) if keep in p), 0)
    end = start + 1
    count = len(pieces[start].split())
    while end < len(pieces) and count + len(pieces[end].split()) <= budget:
        count += len(pieces[end].split())
        end += 1
    while start > 0 and count + len(pieces[start - 1].split()) <= budget:
        start -= 1
        count += len(pieces[start].split())
    shown = " ".join(pieces[start:end])
    return ("… " if start > 0 else "") + shown + (" …" if end < len(pieces) else "")


_SPEAKER = re.compile(r"^[^“”\"]{1,60}?,\s*[“\"]")  # "Adds Tovmaysan, “": who is speaking
_OPENING = re.compile(rf"(?:{_SPEAKER.pattern[1:]})?(?:…\s)?")  # "Says Daniels, “… " (matched at 0)


def focus(
    text: str,
    question: str,
    idf: Mapping[str, float],
    budget: int = FOCUS_WORDS,
    longer_than: int | None = None,
    scores: Sequence[float] | None = None,
) -> str:
    """A paragraph longer than ``longer_than`` words (``budget`` unless given) from its inner
    sentence sharing the most (IDF-weighted) question words on, within ``budget`` words,
    marked with "…" where cut: what was asked comes first, not the paragraph's preamble.
    The speaker's attribution that opens a quotation ("Adds Tovmaysan, “") is kept, so the
    quoted "I" still has a name.  Text whose opening sentence is already the best is shown
    whole.  ``scores``: how near each inner sentence is to the question, when the caller
    knows better (``Nearness``); the best must beat the opening by ``PART_MARGIN``.

    >>> idf = {"tape": 3.0, "film": 1.0, "audit": 2.0}
    >>> focus("Life is easy. He is rich. So I did the tape naked in bed. Then I left.",
    ...       "How did he film his audition tape?", idf, budget=11)
    '… So I did the tape naked in bed. Then I left.'
    >>> focus("Says Mark, “Life is easy. He is rich. So I did the tape naked in bed.”",
    ...       "How did he film his audition tape?", idf, budget=11, longer_than=5)
    'Says Mark, “… So I did the tape naked in bed.”'
    """
    pieces = _PIECES.split(text)
    if len(text.split()) <= (budget if longer_than is None else longer_than) or len(pieces) == 1:
        return text
    margin = PART_MARGIN
    if scores is None or len(scores) != len(pieces):
        scores, margin = _held(pieces, question, idf), 0.0
    best = max(range(len(pieces)), key=lambda i: (scores[i], -i))
    if best == 0 or scores[best] <= max(scores[0] + margin, 0.0):
        return text  # the opening is as near the question as any: shown whole
    end, count = best + 1, len(pieces[best].split())
    while end < len(pieces) and count + len(pieces[end].split()) <= budget:
        count += len(pieces[end].split())
        end += 1
    speaker = _SPEAKER.match(pieces[0])
    opening = f"{speaker.group(0)}… " if speaker else "… "
    return opening + " ".join(pieces[best:end]) + (" …" if end < len(pieces) else "")


def shown_before(sentences: Sequence[str], answer: str) -> tuple[frozenset[str], frozenset[str]]:
    """Of the sentences an earlier answer cited, those it showed whole, and the inner
    sentences of those it showed only in part (an excerpt "… that’s all Mark …"), so a
    request for more can show the rest.  A sentence none of whose inner sentences the
    answer's text holds (no text was passed) counts as shown whole.

    >>> shown_before(["A b. C d. E f."], "“… C d. …” [1]")
    (frozenset(), frozenset({'C d.'}))
    """
    said = " ".join(answer.split())
    whole: set[str] = set()
    parts: set[str] = set()
    for sentence in sentences:
        pieces = inner_sentences(sentence)
        seen = [p for p in pieces if p in said]
        if len(pieces) == 1 or not seen or len(seen) == len(pieces):
            whole.add(sentence)
        else:
            parts.update(seen)
    return frozenset(whole), frozenset(parts)


def unseen(
    candidates: Sequence[Candidate], shown: frozenset[str], seen: frozenset[str]
) -> list[Candidate]:
    """The candidates no earlier turn showed: not whole (``shown``), nor every inner
    sentence of (``seen``)."""
    return [
        c
        for c in candidates
        if c.sentence.text not in shown
        and not all(p in seen for p in _PIECES.split(c.sentence.text))
    ]


def unpasted(candidates: Sequence[Candidate], pasted: str, question: str) -> list[Candidate]:
    """The candidates the text pasted before the question does not hold: the user has read
    those.  All of them when it holds every one (the answer still cites its source), or
    when the question asks whether the paste is so ("… is that true?"): then what they
    pasted is the evidence."""
    if not pasted or intent(question_sentence(question)).kind == "yesno":
        return list(candidates)
    unread = [c for c in candidates if not pasted_in(c.sentence.text, pasted)]
    return unread or list(candidates)


@dataclass(frozen=True)
class Nearness:
    """How near each inner sentence of a quoted paragraph is to the question: its
    late-interaction score (``parts``, from the generator) plus ``LEXICAL_WEIGHT`` times the
    share of the question's IDF-weighted words it holds, else those words alone.  ``seen``:
    inner sentences earlier turns showed, which an excerpt leaves out."""

    idf: Mapping[str, float]
    parts: Callable[[Candidate, Sequence[str]], Sequence[float] | None] | None = None
    seen: frozenset[str] = frozenset()

    def focus(self, candidate: Candidate, question: str, budget: int, longer_than: int) -> str:
        text = candidate.sentence.text
        pieces = _PIECES.split(text)
        if self.seen and any(p in self.seen for p in pieces):
            return self.rest(candidate, pieces, question, budget)
        if len(text.split()) <= longer_than:
            return text
        late = self.parts(candidate, pieces) if self.parts and len(pieces) > 1 else None
        if late is None:
            return focus(text, question, self.idf, budget, longer_than)
        return focus(
            text, question, self.idf, budget, longer_than, self.scores(late, pieces, question)
        )

    def rest(self, candidate: Candidate, pieces: list[str], question: str, budget: int) -> str:
        """What an earlier excerpt of this paragraph left out: from its unseen inner sentence
        nearest the question, on while unseen and within ``budget`` words."""
        late = self.parts(candidate, pieces) if self.parts else None
        near = (
            self.scores(late, pieces, question)
            if late is not None
            else _held(pieces, question, self.idf)
        )
        fresh = [i for i, p in enumerate(pieces) if p not in self.seen]
        if not fresh:  # all shown already (``unseen`` leaves such a sentence out)
            return candidate.sentence.text
        best = max(fresh, key=lambda i: (near[i], -i))
        end, count = best + 1, len(pieces[best].split())
        while (
            end < len(pieces)
            and pieces[end] not in self.seen
            and count + len(pieces[end].split()) <= budget
        ):
            count += len(pieces[end].split())
            end += 1
        speaker = _SPEAKER.match(pieces[0]) if best > 0 else None
        opening = (f"{speaker.group(0)}… " if speaker else "… ") if best > 0 else ""
        return opening + " ".join(pieces[best:end]) + (" …" if end < len(pieces) else "")

    def scores(self, late: Sequence[float], parts: Sequence[str], question: str) -> list[float]:
        """Each part's late-interaction score plus ``LEXICAL_WEIGHT`` times the share of the
        question's IDF-weighted words it holds."""
        total = sum(_held([question], question, self.idf)) or 1.0
        held = _held(parts, question, self.idf)
        return [a + LEXICAL_WEIGHT * b / total for a, b in zip(late, held, strict=True)]

    def clause(
        self, candidate: Candidate, shown: str, question: str, asked: frozenset[str] = frozenset()
    ) -> str:
        """``shown`` from the clause of its first sentence nearest the question, when that
        sentence is longer than ``FIRST_WORDS`` and a later clause is nearer than its
        opening (by ``PART_MARGIN``) and what the cut removes is ``CLAUSE_SKIP`` words or
        more: "Says Daniels, “… I particularly tried to channel the way Owen Roizman shot …"
        rather than the street-lighting clause before it.  ``asked``: terms the question
        asks about (the Y of "is X Y?"); the first clause holding them all is the nearest
        when the opening does not ("… a coltish Russian" for "is anis husband russian")."""
        opening = _OPENING.match(shown)  # the speaker and the "… " that ``focus`` put
        head = opening.group(0) if opening else ""
        body = shown[len(head) :]
        first = _PIECES.split(body, maxsplit=1)[0].removesuffix(" …")
        if len(first.split()) <= FIRST_WORDS or self.parts is None:
            return shown
        starts = [0, *(m.end() for m in _CLAUSE.finditer(first))]
        if len(starts) == 1:
            return shown
        clauses = [first[a:b] for a, b in zip(starts, [*starts[1:], len(first)], strict=True)]
        # scored as parts of the whole sentence (the stored word pieces are the sentence's)
        text = candidate.sentence.text
        at = text.find(first)
        if at < 0:
            return shown
        around = self.parts(candidate, [text[:at], *clauses, text[at + len(first) :]])
        if around is None:
            return shown
        scores = self.scores(around[1:-1], clauses, question)
        best = max(range(len(clauses)), key=lambda i: (scores[i], -i))
        holding = [i for i, c in enumerate(clauses) if asked and asked <= set(terms(c))]
        if holding and holding[0] > 0:
            best = holding[0]
        elif best == 0 or scores[best] <= scores[0] + PART_MARGIN:
            return shown
        cut = starts[best]
        if len(first[cut:].split()) < CLAUSE_WORDS or len(first[:cut].split()) < CLAUSE_SKIP:
            return shown
        speaker = _SPEAKER.match(head)
        return (speaker.group(0) if speaker else "") + "… " + body[cut:]


def _held(pieces: Sequence[str], question: str, idf: Mapping[str, float]) -> list[float]:
    """The IDF of the question's words each piece holds, summed."""
    asked = set(terms(question))
    return [sum(idf.get(t, 0.0) for t in asked & set(terms(p))) for p in pieces]


def fresh_first(quotable: list[Candidate], opened: frozenset[str]) -> list[Candidate]:
    """``quotable`` with its best sentence that no earlier answer opened with first, when it
    scores within ``REPEAT_MARGIN`` of the best: a follow-up answered by the sentence the
    last answer opened with reads as the same answer again."""
    if not quotable or quotable[0].sentence.text not in opened:
        return quotable
    best = quotable[0]
    fresh = next(
        (
            c
            for c in quotable
            if c.sentence.text not in opened
            and c.score >= best.score - REPEAT_MARGIN
            and c.features.cue >= best.features.cue  # it holds what was asked, if the best does
        ),
        None,
    )
    return quotable if fresh is None else [fresh, *(c for c in quotable if c is not fresh)]

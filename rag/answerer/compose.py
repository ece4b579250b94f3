"""Compose the answer a question's intent wants, from verbatim sentences.

- a **fact** leads with the short answer, the span of the best sentence that is the
  thing asked (``spans.short_answer``: the name, date, count, span of time, sum, age or
  place the question's wh-phrase asks for), then the sentences it comes from;
  when the best sentence only restates the question and a close one holds what
  was asked, or lacks the participle a passive question asks with ("who is
  Karagulian married to?") and a close one states it, that one is quoted first;
- a **summary** (an open question, a comparison) quotes two to five sentences from
  different passages, picked by maximal marginal relevance (each sentence's score
  against its similarity to those already picked), at most ``SUMMARY_WORDS``
  words, led by the most relevant one, the others in the articles' order (a story, "how
  does it end", all in the articles' order), none opening with a pronoun whose sentence
  before it is not quoted;
- a **list** quotes up to ``LIST_ITEMS`` such sentences as bullet points (one alone as a
  sentence); the cast (``compose_roster``) is led by "Actor (Character), …", each name a
  span of the sentence quoted for it;
- an **either/or** question leads with what the evidence says ("Both", or the one
  option its best sentence holds: ``yesno.choice``), a **yes/no** one with the evidence.

Captions and headlines (``rag.text.is_caption``) are never quoted.  Long quoted
paragraphs are clipped at a sentence boundary inside them (marked "…"), keeping
the part that holds the short answer, or, without one, starting at the part
sharing most with the question (``focus``, ``Nearness``); every answer stays within
``SUMMARY_WORDS`` words as shown (``_within``).  The lead and the list punctuation
are the only words of the answerer's own, and the lead is always made of spans of
quoted sentences or an option the question itself named.

What this module does not do: decide whether to answer (``generator``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answerer.cues import has_cue
from rag.answerer.excerpt import FIRST_WORDS, FOCUS_WORDS, Nearness, clip
from rag.answerer.features import Candidate
from rag.answerer.intent import Intent
from rag.answerer.model import sigmoid
from rag.answerer.predicate import (
    asked_predicate,
    measures_predicate,
    passive_predicate,
    states,
    stranded_object,
)
from rag.answerer.question import Question
from rag.answerer.spans import short_answer
from rag.answerer.titles import is_print_work, title_key, title_owner, titles
from rag.answerer.yesno import (
    RESTATE_MARGIN,
    choice,
    chosen_by_verb,
    complement,
    complemented,
)
from rag.lexicon import OPENING_PRONOUNS, PRINT_WORKS, STOPWORDS, WORK_NOUNS
from rag.text import is_caption, terms, words
from rag.thesaurus import alternatives, covered

SUMMARY_WORDS = 120
SUMMARY_SENTENCES = 5
LIST_ITEMS = 5
TITLE_MARGIN = 3.0  # logits below the best a sentence may score and still add works to a list
FACT_WORDS = 60  # a quoted sentence longer than this is clipped around its answer
ITEM_WORDS = 45  # ... and, in a summary or list, each sentence to this
MMR_LAMBDA = 0.7  # relevance against novelty when picking a summary's sentences
MMR_FLOOR = 4.0  # a sentence this many logits below the best is not relevant enough
MEASURED = frozenset(("duration", "count", "number"))  # kinds a number answers
LEAD_PROBABILITY = 0.5  # a name or place leads only from a sentence the ranker believes in


@dataclass(frozen=True)
class Quote:
    """A sentence as the answer shows it: maybe clipped ("… part …"), with its candidate."""

    candidate: Candidate
    text: str


@dataclass(frozen=True)
class Composition:
    lead: str  # the short answer ("Drew Daniels"), "Both", an option, or ""
    quotes: tuple[Quote, ...]
    style: str  # "prose" or "list"


def _quotable(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates that are not captions (all, if all are), each sentence once: passages
    overlap, so the same sentence can come from two of them."""
    kept = [c for c in candidates if not is_caption(c.sentence.text)] or list(candidates)
    once: dict[str, Candidate] = {}
    for c in kept:
        once.setdefault(c.sentence.text, c)
    return list(once.values())


def _caption_only(
    question: Question, pool: Sequence[Candidate], best: Candidate, names: Mapping[str, str]
) -> bool:
    """Whether the best sentence is a caption holding the short answer that no other
    candidate holds ("Sean Baker and DP Drew Daniels on the set"): then it is quoted, as the
    only evidence there is, rather than a sentence that does not answer.  The caption must
    say something the question asks beyond the people it names: "Drew Daniels on the set"
    does not tell whom Drew Daniels tried to channel."""
    if not is_caption(best.sentence.text):
        return False
    folded = f" {' '.join(words(question.text))} "
    people = {t for key in names if " " in key and f" {key} " in folded for t in terms(key)}
    asked = [t for t in terms(question.text) if t not in people]
    found = frozenset(terms(best.sentence.text))
    alts = alternatives(asked)
    if not any(covered(t, found, alts) for t in asked):
        return False
    # a caption names things: a word asked is in it as itself ("the sets": "the set"), not
    # as another word of its stem ("who did the casting": not "the cast")
    said = {w.removesuffix("s") for w in words(best.sentence.text)}
    own = [w for w in words(question.text) if w not in STOPWORDS and set(terms(w)) & set(asked)]
    if not any(w.removesuffix("s") in said for w in own):
        return False
    lead = short_answer(question, best.sentence.text, names)
    return lead is not None and not any(lead in c.sentence.text for c in pool if c is not best)


def compose(
    question: Question,
    ask: Intent,
    quotable: Sequence[Candidate],
    select: Callable[[list[Candidate]], list[Candidate]],
    vectors: np.ndarray,
    names: Mapping[str, str] | None = None,
    lead_for: Callable[[str], str | None] | None = None,
    near: Nearness | None = None,
) -> Composition:
    """The answer for ``ask``'s intent, from ``quotable`` (best first); ``lead_for`` gives
    the short answer of a sentence when a rule knows it (the actor a credit names)."""
    pool = _quotable(quotable)
    if ask.works:  # titles gathered across sentences, else the sentences as any list
        titled = compose_titles(question, pool)
        if titled is not None:
            return titled
    if ask.kind in ("summary", "list"):
        limit = LIST_ITEMS if ask.kind == "list" else SUMMARY_SENTENCES
        picked = pick_diverse(pool, vectors, limit, ask.kind == "summary", ask.story)
        items = [Quote(c, _item(c, question, near)) for c in picked]
        style = "list" if ask.kind == "list" and len(picked) > 1 else "prose"  # one: a sentence
        return Composition("", _within(items, "", style), style)
    if quotable and _caption_only(question, pool, quotable[0], names or {}):
        pool = [quotable[0], *pool]
    first = _answering(question, pool, names)
    first = complemented(question.text, pool, first) if ask.kind == "yesno" else first
    if ask.kind == "choice":  # "was it shot on film or digital?": "… shoot the film in 35mm"
        first = chosen_by_verb(question.text, ask.options, pool, first, names or {})
    chosen = select([first, *(c for c in pool if c is not first)])
    after = _naming_next(question, first, pool)  # "which fairy tale?": the next one says
    if after is not None and chosen:
        chosen = [chosen[0], after, *(c for c in chosen[1:] if c is not after)]
    sure = question.kind not in ("name", "place") or sigmoid(first.score) >= LEAD_PROBABILITY
    lead = (short_answer(question, first.sentence.text, names) or "") if sure else ""
    if lead_for is not None:
        lead = lead_for(first.sentence.text) or lead
    if not lead and after is not None:  # … and leads with what it names ("Cinderella")
        lead = named(question, after.sentence.text)
    if ask.kind == "choice":
        lead = choice(ask.options, chosen[0].sentence.text)
    # the first sentence clipped around its short answer, or focused on its part nearest
    # the question (``_shown``); the others while the answer stays short enough to read
    quotes: list[Quote] = []
    used = 0
    for i, c in enumerate(chosen):
        shown = _shown(c, i, lead, question, near)
        size = len(shown.split())
        if i > 0 and used + size > SUMMARY_WORDS:
            break  # a further sentence only while the answer stays short enough to read
        quotes.append(Quote(c, shown))
        used += size
    return Composition(lead, _within(quotes, lead, "prose"), "prose")


def shown_words(quotes: Sequence[Quote], lead: str, style: str) -> int:
    """Words of the answer as shown: the lead and its dash, each quote and its bullet."""
    return (
        (len(lead.split()) + 1 if lead else 0)
        + sum(len(q.text.split()) for q in quotes)
        + (len(quotes) if style == "list" else 0)
    )


def _within(quotes: Sequence[Quote], lead: str, style: str) -> tuple[Quote, ...]:
    """The quotes within ``SUMMARY_WORDS`` shown words: the least relevant after the first
    left out while the answer is longer, then the first clipped if it alone still is."""
    kept = list(quotes)
    while len(kept) > 1 and shown_words(kept, lead, style) > SUMMARY_WORDS:
        kept.remove(min(kept[1:], key=lambda q: q.candidate.score))
    if kept and shown_words(kept, lead, style) > SUMMARY_WORDS:
        room = SUMMARY_WORDS - shown_words([], lead, style) - (style == "list")
        clipped = clip(kept[0].text, room, keep=lead or None)
        if len(clipped.split()) <= room:
            kept[0] = Quote(kept[0].candidate, clipped)
    return tuple(kept)


def _shown(c: Candidate, i: int, lead: str, question: Question, near: Nearness | None) -> str:
    """How a fact answer's ``i``-th sentence is quoted: the first clipped around its short
    answer, or without one, focused on its inner sentence nearest the question."""
    if i > 0:  # a further sentence: its part nearest the question, or its opening
        return _item(c, question, near)
    text = c.sentence.text
    if lead:
        return clip(text, FACT_WORDS, lead)
    shown = near.focus(c, question.text, FOCUS_WORDS, FIRST_WORDS) if near else text
    shown = clip(text, FOCUS_WORDS) if shown == text else shown
    return near.clause(c, shown, question.text, complement(question.text)) if near else shown


def _item(c: Candidate, question: Question, near: Nearness | None) -> str:
    """A further sentence, or a list or summary item: its part nearest the question, else
    its opening, within ``ITEM_WORDS``."""
    text = c.sentence.text
    shown = near.focus(c, question.text, ITEM_WORDS, FIRST_WORDS) if near else text
    return clip(shown, ITEM_WORDS) if shown == text else shown


def compose_roster(credited: Sequence[tuple[Candidate, str, str]]) -> Composition:
    """The cast as a list, led by "Actor (Character), ...": each (sentence, actor,
    character) of ``credited`` quoted, at most ``LIST_ITEMS``; both names of each lead
    item are spans of the sentence quoted for it."""
    shown = credited[:LIST_ITEMS]
    lead = ", ".join(f"{actor} ({character})" for _, actor, character in shown)
    quotes = tuple(Quote(c, clip(c.sentence.text, ITEM_WORDS)) for c, _, _ in shown)
    return Composition(f"{lead}:", quotes, "list")


def compose_titles(question: Question, pool: Sequence[Candidate]) -> Composition | None:
    """A list of works, led by their titles ("Starlet, Tangerine, The Florida Project, …:"),
    each sentence that adds a title quoted for it: sentences with titles best first, within
    ``TITLE_MARGIN`` of the best of them, at most ``LIST_ITEMS``; a title the question
    names, or one shown already, is not listed again.  The question asks what someone made
    (``Intent.works``), so titles are read strictly (``titles.titles``) and one another's
    name owns is left out ("Federico Fellini’s “Nights of Cabiria”"), as is a book or a
    song when films are asked for ("the memoir “Modern Whore”").  None when fewer than
    two titles are found."""
    asked = set(words(question.text))
    # films asked for ("what movies has he made"): no book or song is listed among them
    screen = any(w.removesuffix("s") in WORK_NOUNS - PRINT_WORKS for w in asked)
    quotes: list[Quote] = []
    listed: list[str] = []
    titled = [c for c in pool if titles(c.sentence.text, strict=True)]
    for c in titled:
        if c.score < titled[0].score - TITLE_MARGIN or len(quotes) >= LIST_ITEMS:
            break
        seen = {title_key(t) for t in listed}
        new = [
            t
            for t in titles(c.sentence.text, strict=True)
            if title_key(t) not in seen
            and not set(words(t)) <= asked
            and not title_owner(c.sentence.text, t)
            and not (screen and is_print_work(c.sentence.text, t))
        ]
        shown = clip(c.sentence.text, ITEM_WORDS, keep=new[0]) if new else ""
        if any(t in shown for t in new):
            quotes.append(Quote(c, shown))
            listed.extend(t for t in new if t in shown)
    if len(listed) < 2:
        return None
    kept = _within(quotes, ", ".join(listed) + ":", "list")
    lead = ", ".join(t for t in listed if any(t in q.text for q in kept))
    return Composition(f"{lead}:", kept, "list")


def _answering(
    question: Question, pool: Sequence[Candidate], names: Mapping[str, str] | None = None
) -> Candidate:
    """The best sentence, unless it lacks what was asked and a close one holds it; of
    sentences giving a length or a count, one giving it for what the question's verb says
    ("shot for 37 days", not "shooting ... with about 8 hours of light")."""
    best = pool[0]
    if question.kind in MEASURED and not measures_predicate(question, best.sentence.text, names):
        for c in pool[1:]:
            if c.score < best.score - RESTATE_MARGIN:
                break
            if has_cue(question, c.sentence.text) and measures_predicate(
                question, c.sentence.text, names
            ):
                return c
    verb = passive_predicate(question.text, names or {})
    if verb and not states(verb, best.sentence.text):  # "who is X married to?": "married"
        for c in pool[1:]:
            if c.score < best.score - RESTATE_MARGIN:
                break
            if states(verb, c.sentence.text):
                return c
    text = best.sentence.text
    if question.kind is None and stranded_object(question.text, text) is None:
        # "what was it shot in?": a close sentence giving what the verb was done in
        for c in pool[1:]:
            if c.score < best.score - RESTATE_MARGIN:
                break
            if stranded_object(question.text, c.sentence.text):
                return c
    if question.kind is None or (
        has_cue(question, text)
        # a who-question's best sentence names someone, but maybe not the one asked for
        and (question.kind != "name" or short_answer(question, text, names) is not None)
    ):
        return best
    # a date for what the question says happened, not another event's ("when was it
    # released" is not dated by "began production in January 2023")
    dated = question.kind == "date" and (verb or asked_predicate(question.text, names or {}))
    for c in pool[1:]:
        if c.score < best.score - RESTATE_MARGIN:
            break
        if dated and not states(dated, c.sentence.text):
            continue
        if has_cue(question, c.sentence.text) and short_answer(question, c.sentence.text, names):
            return c
    return best


# a which-question's head noun: "Which fairy tale did Baker reference …"
_WHICH = re.compile(
    r"^\s*(?:which|what)\s+((?:[a-z]+\s+){0,2}?[a-z]+)\s+"
    r"(?:did|does|do|is|was|were|are|has|have|had|can|could|would|will)\b",
    re.IGNORECASE,
)
_NAMED = re.compile(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
# what a head noun specified in its sentence is followed by ("a color palette that was …")
_SPECIFIED = re.compile(r"^\s*(?:[,:;—–“\"(]|(?:that|which|who|of|was|is|called|named|like)\b)")


def _naming_next(
    question: Question, first: Candidate, pool: Sequence[Candidate]
) -> Candidate | None:
    """The article's next sentence, among the candidates, when ``first`` names what a
    which-question asks for only in general ("he drew inspiration from fairy tale
    structures" for "which fairy tale?": the head noun, unspecified, and no capitalised
    word the question lacks) and that next sentence names something ("“Cinderella gets
    the prince,” he explained"); else None."""
    which = _WHICH.match(question.text)
    if question.kind is not None or which is None:
        return None
    text = first.sentence.text
    head = re.search(rf"\b{re.escape(which.group(1))}\b", text, re.IGNORECASE)
    if head is None or _SPECIFIED.match(text[head.end() :]) or named(question, text):
        return None
    after = next(
        (
            c
            for c in pool
            if c.sentence.id == first.sentence.id + 1 and c.sentence.source == first.sentence.source
        ),
        None,
    )
    return after if after is not None and named(question, after.sentence.text) else None


def named(question: Question, text: str) -> str:
    """The first capitalised run of ``text`` with no word of the question, or ""."""
    asked = set(words(question.text))
    for run in _NAMED.findall(text):
        said = set(words(run))
        if said and not said & asked and not said <= STOPWORDS:
            return run
    return ""


def pick_diverse(
    pool: Sequence[Candidate],
    vectors: np.ndarray,
    limit: int,
    in_order: bool,
    story: bool = False,
) -> list[Candidate]:
    """Up to ``limit`` relevant, mutually different sentences within ``SUMMARY_WORDS``
    (maximal marginal relevance); when ``in_order``, the best one that names its subject
    first and the others in the articles' order, or, for a ``story`` ("how does it end"),
    all in the articles' order, as the story is told."""
    if not pool:
        return []
    top = max(c.score for c in pool)
    relevant = sorted((c for c in pool if c.score >= top - MMR_FLOOR), key=lambda c: -c.score)[:30]
    picked: list[Candidate] = []
    used = 0
    while relevant and len(picked) < limit:

        def gain(c: Candidate) -> float:
            novelty = max(
                (float(vectors[c.sentence.id] @ vectors[p.sentence.id]) for p in picked),
                default=0.0,
            )
            return MMR_LAMBDA * (c.score - top) / MMR_FLOOR - (1 - MMR_LAMBDA) * novelty

        best = max(relevant, key=gain)
        relevant.remove(best)
        size = min(len(best.sentence.text.split()), ITEM_WORDS)
        if used + size > SUMMARY_WORDS:
            continue
        picked.append(best)
        used += size
    if in_order:
        # the most relevant sentence leads (what was asked, first), the others follow in
        # the articles' order; the opener names its subject: a later "She notes ..." reads
        # after one that says who she is, the first cannot
        picked.sort(key=lambda c: (c.sentence.source, c.sentence.id))
        ranked = picked if story else sorted(picked, key=lambda c: -c.score)
        opener = next((c for c in ranked if not _opens_with_pronoun(c.sentence.text)), None)
        if opener is not None and opener is not picked[0]:
            picked.remove(opener)
            picked.insert(0, opener)
    return picked


def _opens_with_pronoun(text: str) -> bool:
    first = re.match(r"[“\"‘']?([A-Za-z]+)", text)
    return bool(first) and first.group(1).lower() in OPENING_PRONOUNS  # type: ignore[union-attr]

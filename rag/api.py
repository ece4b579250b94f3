"""The HTTP API beside the page: OpenAI-compatible chat completions and ``/api/ask``.

Routes, on the app's own port (``docs/api.md`` has the recipes):

- ``GET /v1/models`` and ``GET /v1/models/{id}``: one model per generator that can run
  (``anora`` = extractive, ``anora-local``, ``anora-openai`` when ``RAG_LLM_BASE_URL``
  is set), named from the registry (``rag.generators.base.GENERATORS``);
- ``POST /v1/chat/completions``: the last user message is the question, the earlier
  user messages the conversation (assistant and system messages are read past).  The
  reply's ``content`` is the cited answer with its ``[n]`` markers and a "Sources"
  list, so any chat client shows citations; the full citations are in the extra
  top-level field ``citations`` and the rest of the answer (abstained, confidence,
  notices, related passages, timings) in ``anora``.  With ``stream: true`` the same
  answer comes as server-sent events in OpenAI's chunk format, the extra fields on
  the last chunk.  Answers are checked against the passages before anything is sent,
  so a stream never shows a claim that is later withdrawn;
- ``POST /api/ask``: the JSON of ``rag ask --json`` (``Answer.to_json()``), for scripts.

Every route checks the bearer token first: ``RAG_API_KEY`` is required when it is set,
and whenever the page asks for a login (``RAG_AUTH``, or ``launch(auth=...)``); with a
login and no key the API stays closed.  The key
is compared with ``hmac.compare_digest`` and never logged or echoed.  Bodies are read
up to ``MAX_BODY_BYTES``; values are checked by ``rag.requests.check_ask``, the check
Gradio's ``/ask`` uses too.  Errors have OpenAI's shape, ``{"error": {"message",
"type", "param", "code"}}``, with 400, 401, 404, 405, 413, 422, 500 or 503.

Answers run in the thread pool, never on the event loop: at most ``RAG_CONCURRENCY``
at a time (``Gate``), at most ``RAG_QUEUE_SIZE`` more waiting; beyond that a call is
refused with 503 at once.  The API's bound is its own: the page's queue has the same.

``ApiBlocks`` is a ``gr.Blocks`` whose server carries these routes: they are handed to
the FastAPI app that every ``launch()`` builds (``app_kwargs["routes"]``), so
``python app.py`` and any test that launches ``build_app(...)`` serve them, from the
first request on.

What this module does not do: answer (the pipeline does), check values (``rag.requests``)
or render the page (``rag.ui``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from rag.chunking import count_tokens
from rag.errors import ConfigError, RagError, RequestError
from rag.requests import LIMITS, AskRequest, available_generators, check_ask, quote, type_name
from rag.schema import Answer, Citation

if TYPE_CHECKING:
    from rag.pipeline import Pipeline
    from rag.settings import Settings

log = logging.getLogger(__name__)

BASE_MODEL = "anora"  # the model name of the default generator below
BASE_GENERATOR = "extractive"
OWNER = "anora-qa"
MAX_BODY_BYTES = 1 << 20  # 1 MiB: a long conversation of long answers fits
MAX_MESSAGES = 1_000
# every route takes every method and answers a wrong one itself, in OpenAI's error shape
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
ASK_FIELDS = ("question", "history", "generator", "retriever", "k")
FAILED = "Sorry, something went wrong while answering. Please try again."
QUOTED = "the answer is quoted from the articles"
STATUS = {"invalid_type": 422, "too_large": 413}  # RequestError.code -> HTTP status; else 400


# ---------------------------------------------------------------- models and errors


def model_name(generator: str) -> str:
    """The model id of a generator.

    >>> model_name("extractive"), model_name("local")
    ('anora', 'anora-local')
    """
    return BASE_MODEL if generator == BASE_GENERATOR else f"{BASE_MODEL}-{generator}"


def models(settings: Settings) -> dict[str, str]:
    """Model id -> generator name, for the generators that can run with ``settings``."""
    return {model_name(g): g for g in available_generators(settings)}


@dataclass(frozen=True)
class ApiError(Exception):
    """An error reply in OpenAI's shape."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        if self.status == 503:
            headers = {"Retry-After": "1"}
        return json_response(self.body(), self.status, headers)

    @classmethod
    def from_request_error(cls, exc: RequestError) -> ApiError:
        return cls(STATUS.get(exc.code, 400), str(exc), param=exc.param, code=exc.code)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON as UTF-8; a character UTF-8 cannot carry (a lone surrogate) becomes "?"."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode("utf-8", "replace"), status, headers, media_type="application/json")


def sse(data: Any) -> bytes:
    """One server-sent event holding ``data`` as JSON (or the literal ``[DONE]``)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode("utf-8", "replace")


# ---------------------------------------------------------------- request bodies (pure)


def message_text(content: Any, i: int) -> str:
    """A message's text: a string, or the ``text`` parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                kind = part.get("type") if isinstance(part, dict) else type_name(part)
                raise ApiError(
                    400,
                    f"messages[{i}].content: only text parts are supported, got {quote(kind)}",
                    param=f"messages[{i}].content",
                    code="invalid_value",
                )
            texts.append(part.get("text"))
        if all(isinstance(t, str) for t in texts):
            return "\n".join(texts)  # type: ignore[arg-type]
    raise ApiError(
        422,
        f"messages[{i}].content must be a string or a list of text parts, got {type_name(content)}",
        param=f"messages[{i}].content",
        code="invalid_type",
    )


def conversation(messages: Any) -> tuple[str, list[str]]:
    """``(question, earlier user questions)`` from OpenAI ``messages``.

    The newest ``LIMITS.max_history`` earlier questions are kept (the pipeline reads only
    the last few); assistant, system and tool messages are read past.

    >>> conversation([{"role": "user", "content": "Who plays Ani?"},
    ...               {"role": "assistant", "content": "Mikey Madison [1]."},
    ...               {"role": "user", "content": "How did she prepare?"}])
    ('How did she prepare?', ['Who plays Ani?'])
    """
    if not isinstance(messages, list) or not messages:
        raise ApiError(
            422 if not isinstance(messages, list) else 400,
            "messages must be a non-empty list of {role, content} objects"
            + ("" if isinstance(messages, list) else f", got {type_name(messages)}"),
            param="messages",
            code="invalid_type" if not isinstance(messages, list) else "invalid_value",
        )
    if len(messages) > MAX_MESSAGES:
        raise ApiError(
            413,
            f"messages has {len(messages):,} entries; at most {MAX_MESSAGES:,} are accepted",
            param="messages",
            code="too_large",
        )
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ApiError(
                422,
                f"messages[{i}] must be an object with role and content, got {type_name(message)}",
                param=f"messages[{i}]",
                code="invalid_type",
            )
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise ApiError(
                400,
                f"messages[{i}].role must be one of: {', '.join(sorted(ROLES))}; got {quote(role)}",
                param=f"messages[{i}].role",
                code="invalid_value",
            )
        turns.append((role, message_text(message.get("content"), i)))
    if turns[-1][0] != "user":
        raise ApiError(
            400,
            f"the last message must be the user's question (role 'user'), got {turns[-1][0]!r}",
            param="messages",
            code="invalid_value",
        )
    history = [text for role, text in turns[:-1] if role == "user"]
    return turns[-1][1], history[-LIMITS.max_history :]


def choose_model(value: Any, settings: Settings) -> tuple[str, str]:
    """``(model id, generator)`` for the request's ``model``; an unknown one is a 400."""
    names = models(settings)
    if isinstance(value, str) and value in names:
        return value, names[value]
    if not isinstance(value, str):
        message = f"model must be a string, got {type_name(value)}"
    else:
        message = f"The model {quote(value)} does not exist"
    raise ApiError(
        400, f"{message}; choose one of: {', '.join(names)}", param="model", code="model_not_found"
    )


# ---------------------------------------------------------------- responses (pure)


def citation_json(c: Citation) -> dict[str, Any]:
    """A citation for API clients: number, source, title, page (None for text files), span."""
    return {
        "n": c.n,
        "source": c.source,
        "title": c.title,
        "page": None,
        "span": list(c.span),
        "text": c.text,
        "sentence": c.sentence,
        "chunk_id": c.chunk_id,
        "score": c.score,
    }


def answer_notes(answer: Answer) -> list[str]:
    """One-line notes for the reader: notices, and why a model's answer was not used."""
    notes = [n for n in answer.notices if n != answer.text]
    reason = answer.fallback_reason
    if reason and not any(reason in n for n in notes):
        notes.insert(0, f"The {answer.generator} answer was not used ({reason}); {QUOTED}.")
    return notes


def sources_text(answer: Answer) -> str:
    """The part of ``content`` after the answer: a "Sources" list, then notes.

    One Markdown list item per citation, so it reads as a list as plain text and as
    Markdown (a line opening with ``[1]:`` would be a hidden link definition).
    """
    parts = []
    if answer.citations and not answer.abstained:
        lines = [f"- [{c.n}] {c.title} ({c.source})" for c in answer.citations]
        parts.append("Sources:\n" + "\n".join(lines))
    parts += [f"Note: {n}" for n in answer_notes(answer)]
    return "".join("\n\n" + p for p in parts)


def extra_fields(answer: Answer) -> dict[str, Any]:
    """The fields a chat completion carries beyond OpenAI's (documented in docs/api.md)."""
    return {
        "citations": [citation_json(c) for c in answer.citations],
        "anora": {
            "answer": answer.text,
            "abstained": answer.abstained,
            "confidence": round(answer.confidence, 4),
            "generator": answer.generator,
            "verified": answer.verified,
            "fallback_reason": answer.fallback_reason,
            "notices": list(answer.notices),
            "related": [citation_json(c) for c in answer.related],
            "timings_ms": {k: round(v, 2) for k, v in answer.timings_ms.items()},
        },
    }


def usage(prompt: Iterable[str], completion: str) -> dict[str, int]:
    """Token counts (tiktoken ``cl100k_base``; the extractive answerer runs no model)."""
    p = sum(count_tokens(t) for t in prompt)
    c = count_tokens(completion)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


# ---------------------------------------------------------------- concurrency


class Gate:
    """At most ``concurrency`` answers at once and ``waiting`` more queued; then 503.

    Runs on one event loop (one per server): the counter needs no lock.
    """

    def __init__(self, concurrency: int, waiting: int) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._limit = max(1, concurrency) + max(0, waiting)
        self._inside = 0

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in the thread pool, when a slot is free."""
        if self._inside >= self._limit:
            raise ApiError(
                503,
                "The app is busy answering other questions; try again in a moment",
                type="server_error",
                code="busy",
            )
        self._inside += 1
        try:
            async with self._slots:
                return await run_in_threadpool(fn, *args, **kwargs)
        finally:
            self._inside -= 1


# ---------------------------------------------------------------- the routes


Handler = Callable[[Request], Awaitable[Response]]


class Api:
    """The API over one pipeline; ``routes()`` builds a fresh set for each server."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings

    def routes(self, *, login: bool = False) -> list[BaseRoute]:
        """The routes for one server; ``login``: the page asks for a login (``auth=``)."""
        gate = Gate(self.settings.concurrency, self.settings.queue_size)
        locked = login or bool(self.settings.auth)
        table: list[tuple[str, str, Callable[[Request, Gate], Awaitable[Response]]]] = [
            ("/v1/models", "GET", self.list_models),
            ("/v1/models/{model:path}", "GET", self.get_model),
            ("/v1/chat/completions", "POST", self.chat),
            ("/api/ask", "POST", self.ask),
        ]
        out: list[BaseRoute] = [
            Route(path, self._guard(method, fn, gate, locked), methods=METHODS)
            for path, method, fn in table
        ]
        unknown = self._guard(None, self.unknown, gate, locked)
        out.append(Route("/v1/{path:path}", unknown, methods=METHODS))
        return out

    def _guard(
        self,
        method: str | None,
        fn: Callable[[Request, Gate], Awaitable[Response]],
        gate: Gate,
        locked: bool,
    ) -> Handler:
        """Authentication, the method check and error replies around one route."""

        async def endpoint(request: Request) -> Response:
            try:
                self.authorize(request, locked)
                if method is not None and request.method != method:
                    raise ApiError(
                        405,
                        f"{request.url.path} takes {method}, not {request.method}",
                        code="method_not_allowed",
                    )
                return await fn(request, gate)
            except ApiError as exc:
                return exc.response()
            except RequestError as exc:
                return ApiError.from_request_error(exc).response()
            except ConfigError as exc:
                return ApiError(400, str(exc), code="invalid_value").response()
            except RagError as exc:  # the index or a model could not be used: the fix is ours
                log.error("API call %s failed: %s", quote(request.url.path, 80), exc)
                return ApiError(500, str(exc), type="server_error").response()
            except Exception:
                log.exception("API call %s failed", quote(request.url.path, 80))
                return ApiError(500, FAILED, type="server_error").response()

        return endpoint

    def authorize(self, request: Request, locked: bool) -> None:
        """Nothing when the API is open; a 401 unless the request bears the key."""
        key = self.settings.api_key
        if not key and not locked:
            return
        if not key:
            raise ApiError(
                401,
                "The API is closed: the app requires a login (RAG_AUTH) and no RAG_API_KEY "
                "is set. Set RAG_API_KEY and send it as 'Authorization: Bearer <key>'",
                code="api_key_not_set",
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip().encode("utf-8", "replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, key.encode("utf-8")):
            raise ApiError(
                401,
                "Incorrect or missing API key: send 'Authorization: Bearer <RAG_API_KEY>'",
                code="invalid_api_key",
            )

    async def read_json(self, request: Request) -> dict[str, Any]:
        """The body as a JSON object, at most ``MAX_BODY_BYTES`` (413 beyond, 400 if not JSON)."""
        too_large = ApiError(
            413,
            f"The request body is larger than {MAX_BODY_BYTES:,} bytes",
            code="too_large",
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise too_large
        body = bytearray()
        try:
            async for piece in request.stream():
                body += piece
                if len(body) > MAX_BODY_BYTES:
                    raise too_large
        except ClientDisconnect:
            raise ApiError(400, "The client closed the request", code="invalid_body") from None
        try:
            data = json.loads(bytes(body))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            position = f" at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
            raise ApiError(
                400, f"The request body is not valid JSON ({detail}{position})", code="invalid_json"
            ) from None
        if not isinstance(data, dict):
            raise ApiError(
                422,
                f"The request body must be a JSON object, got {type_name(data)}",
                code="invalid_type",
            )
        return data

    async def answer(self, gate: Gate, request: AskRequest) -> Answer:
        answer: Answer = await gate.run(
            self.pipeline.ask,
            request.question,
            request.history,
            retriever=request.retriever,
            generator=request.generator,
            k=request.k,
        )
        return answer

    # ------------------------------------------------------------ endpoints

    async def list_models(self, request: Request, gate: Gate) -> Response:
        return json_response({"object": "list", "data": [self.model_card(m) for m in self.names]})

    async def get_model(self, request: Request, gate: Gate) -> Response:
        model = request.path_params["model"]
        if model not in self.names:
            raise ApiError(
                404,
                f"The model {quote(model)} does not exist; choose one of: {', '.join(self.names)}",
                param="model",
                code="model_not_found",
            )
        return json_response(self.model_card(model))

    async def unknown(self, request: Request, gate: Gate) -> Response:
        raise ApiError(
            404,
            f"Unknown URL {quote(request.url.path, 80)}; this app serves /v1/models and "
            "/v1/chat/completions",
            code="unknown_url",
        )

    @property
    def names(self) -> dict[str, str]:
        return models(self.settings)

    def model_card(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 0, "owned_by": OWNER}

    async def ask(self, request: Request, gate: Gate) -> Response:
        body = await self.read_json(request)
        unknown = [key for key in body if key not in ASK_FIELDS]
        if unknown:
            raise ApiError(
                400,
                f"unknown field {quote(unknown[0])}; the fields are: {', '.join(ASK_FIELDS)}",
                param=unknown[0] if len(unknown[0]) <= 40 else None,
                code="unknown_field",
            )
        checked = check_ask(*(body.get(name) for name in ASK_FIELDS), settings=self.settings)
        return json_response((await self.answer(gate, checked)).to_json())

    async def chat(self, request: Request, gate: Gate) -> Response:
        body = await self.read_json(request)
        model, generator = choose_model(body.get("model"), self.settings)
        stream = body.get("stream", False)
        if stream is not None and not isinstance(stream, bool):
            raise ApiError(
                422, f"stream must be true or false, got {type_name(stream)}",
                param="stream", code="invalid_type",
            )  # fmt: skip
        if body.get("n") not in (None, 1):
            raise ApiError(400, "only n=1 is supported", param="n", code="invalid_value")
        options = body.get("stream_options") or {}
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        question, history = conversation(body.get("messages"))
        # extensions: the retriever and k may be chosen too (openai's extra_body)
        checked = check_ask(
            question, history, generator, body.get("retriever"), body.get("k"),
            settings=self.settings,
        )  # fmt: skip
        answer = await self.answer(gate, checked)
        content = answer.text + sources_text(answer)
        prompt = [question, *history]
        head = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
        }
        if not stream:
            return json_response(
                {
                    **head,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content, "refusal": None},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage(prompt, content),
                    **extra_fields(answer),
                }
            )
        chunk = {**head, "object": "chat.completion.chunk"}
        if include_usage:
            chunk["usage"] = None

        def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return sse({**chunk, "choices": [choice], **extra})

        async def events() -> AsyncIterator[bytes]:
            yield event({"role": "assistant", "content": ""})
            yield event({"content": answer.text})
            tail = sources_text(answer)
            if tail:
                yield event({"content": tail})
            yield event({}, "stop", **extra_fields(answer))
            if include_usage:
                yield sse({**chunk, "choices": [], "usage": usage(prompt, content)})
            yield sse("[DONE]")

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


class ApiBlocks(gr.Blocks):
    """A ``gr.Blocks`` whose server also serves ``api``'s routes (see the module docstring)."""

    def __init__(self, api: Api, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api = api

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
        routes = self.api.routes(login=kwargs.get("auth") is not None)
        app_kwargs["routes"] = [*routes, *app_kwargs.get("routes", ())]
        return super().launch(*args, app_kwargs=app_kwargs, **kwargs)

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
login and no key the API stays closed.  The key is compared with ``hmac.compare_digest``
and never logged or echoed.  Bodies are read up to ``MAX_BODY_BYTES``; values are
checked by ``rag.requests.check_ask``, the check Gradio's ``/ask`` uses too.  Errors
have OpenAI's shape (``rag.openai_format.ApiError``), with 400, 401, 404, 405, 413, 422,
500 or 503.

Answers run in the thread pool, never on the event loop: at most ``RAG_CONCURRENCY``
at a time (``Gate``), at most ``RAG_QUEUE_SIZE`` more waiting; beyond that a call is
refused with 503 at once.  The API's bound is its own: the page's queue has the same.

``ApiBlocks`` is a ``gr.Blocks`` whose server carries these routes: they are handed to
the FastAPI app that every ``launch()`` builds (``app_kwargs["routes"]``), so
``python app.py`` and any test that launches ``build_app(...)`` serve them, from the
first request on.

What this module does not do: answer (the pipeline does), check values (``rag.requests``),
build OpenAI's request and reply shapes (``rag.openai_format``) or render the page
(``rag.ui``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import gradio as gr
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from rag.errors import ConfigError, RagError, RequestError
from rag.openai_format import (
    ApiError,
    choose_model,
    chunks,
    completion,
    conversation,
    json_response,
    model_card,
    models,
    stream_options,
)
from rag.requests import AskRequest, check_ask, quote, type_name
from rag.schema import Answer

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a long conversation of long answers fits
# every route takes every method and answers a wrong one itself, in OpenAI's error shape
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
ASK_FIELDS = ("question", "history", "generator", "retriever", "k")
FAILED = "Sorry, something went wrong while answering. Please try again."


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
        return json_response({"object": "list", "data": [model_card(m) for m in self.names]})

    async def get_model(self, request: Request, gate: Gate) -> Response:
        model = request.path_params["model"]
        if model not in self.names:
            raise ApiError(
                404,
                f"The model {quote(model)} does not exist; choose one of: {', '.join(self.names)}",
                param="model",
                code="model_not_found",
            )
        return json_response(model_card(model))

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
        stream, include_usage = stream_options(body)
        question, history = conversation(body.get("messages"))
        # extensions: the retriever and k may be chosen too (openai's extra_body)
        checked = check_ask(
            question, history, generator, body.get("retriever"), body.get("k"),
            settings=self.settings,
        )  # fmt: skip
        answer = await self.answer(gate, checked)
        if not stream:
            return json_response(completion(answer, model, [question, *history]))
        events = chunks(answer, model, [question, *history], include_usage=include_usage)

        async def send() -> AsyncIterator[bytes]:
            for event in events:
                yield event

        return StreamingResponse(
            send(),
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

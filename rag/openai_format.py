"""OpenAI's chat-completions wire format, for ``rag.api``: requests in, replies out.

Pure functions from decoded JSON to checked values and from an ``Answer`` to the
dictionaries (or server-sent events) OpenAI clients expect, so each is tested without
a server:

- model ids: ``anora`` for the extractive generator, ``anora-<name>`` for the others
  that can run (``models``, from the registry through ``available_generators``);
- ``conversation(messages)``: the last user message is the question, earlier user
  messages the history; assistant, system and tool messages are read past;
- ``completion`` / ``chunks``: the reply, its ``content`` the cited answer with its
  ``[n]`` markers and a "Sources" list, the full citations in the extra top-level
  field ``citations`` and the rest of the answer in ``anora`` (``docs/api.md``);
- ``ApiError``: an error reply in OpenAI's shape, ``{"error": {"message", "type",
  "param", "code"}}``.

What this module does not do: routing, authentication, reading bodies or answering
(``rag.api``), or checking question, history and names (``rag.requests``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from rag.chunking import count_tokens
from rag.errors import RequestError
from rag.requests import LIMITS, available_generators, quote, type_name
from rag.schema import Answer, Citation

if TYPE_CHECKING:
    from rag.settings import Settings

BASE_MODEL = "anora"  # the model name of the default generator below
BASE_GENERATOR = "extractive"
OWNER = "anora-qa"
MAX_MESSAGES = 1_000
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
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


def model_card(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 0, "owned_by": OWNER}


def stream_options(body: dict[str, Any]) -> tuple[bool, bool]:
    """``(stream, include_usage)`` from a chat request; ``n`` other than 1 is refused."""
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise ApiError(
            422, f"stream must be true or false, got {type_name(stream)}",
            param="stream", code="invalid_type",
        )  # fmt: skip
    if body.get("n") not in (None, 1):
        raise ApiError(400, "only n=1 is supported", param="n", code="invalid_value")
    options = body.get("stream_options") or {}
    return bool(stream), isinstance(options, dict) and options.get("include_usage") is True


def _head(model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
    }


def completion(answer: Answer, model: str, prompt: Iterable[str]) -> dict[str, Any]:
    """The ``chat.completion`` object of one answer (``prompt``: the texts sent, for usage)."""
    content = answer.text + sources_text(answer)
    return {
        **_head(model),
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


def chunks(
    answer: Answer, model: str, prompt: Iterable[str], *, include_usage: bool = False
) -> list[bytes]:
    """The same answer as server-sent ``chat.completion.chunk`` events, ``[DONE]`` last.

    The role first, then the answer, then the Sources list and notes; the last chunk
    (``finish_reason: "stop"``) carries the extra fields; then usage, when asked for.
    """
    chunk: dict[str, Any] = {**_head(model), "object": "chat.completion.chunk"}
    if include_usage:
        chunk["usage"] = None

    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**chunk, "choices": [choice], **extra})

    tail = sources_text(answer)
    out = [event({"role": "assistant", "content": ""}), event({"content": answer.text})]
    if tail:
        out.append(event({"content": tail}))
    out.append(event({}, "stop", **extra_fields(answer)))
    if include_usage:
        out.append(sse({**chunk, "choices": [], "usage": usage(prompt, answer.text + tail)}))
    out.append(sse("[DONE]"))
    return out

"""Checks on what API callers send, shared by every endpoint that answers a question.

``check_ask(...)`` takes the raw values of one API call (question, history,
generator, retriever, k), exactly as a JSON decoder produced them, and returns a
frozen ``AskRequest`` or raises a ``RequestError`` whose message names the field
and says what it must be.  Gradio's ``/ask``, ``POST /api/ask`` and
``POST /v1/chat/completions`` all go through it, so a value refused by one is
refused by all three, with the same words.

The rules (limits in ``LIMITS``):

- ``question`` is a string (not a number, a boolean, a list or an object; null
  counts as empty, which the pipeline answers with a prompt to type a question); a
  question longer than the pipeline reads is still accepted and trimmed by the
  pipeline with a notice, up to a hard ``max_text_chars``;
- ``history`` is a list of strings (earlier questions, oldest first), at most
  ``max_history`` of them;
- ``generator`` and ``retriever`` are names from the registries (a generator
  that needs a setting, such as ``openai`` without ``RAG_LLM_BASE_URL``, is
  refused with the variable to set);
- ``k`` is a whole number from 1 to ``max_k``.

A refused value is quoted at most ``QUOTE_CHARS`` characters long (``quote``),
so a megabyte-long name is never echoed into a reply or the log.

What this module does not do: HTTP (``rag.api``), authentication, or cleaning
the question text (``rag.message.clean_question`` does that).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.errors import RequestError
from rag.generators.base import GENERATORS
from rag.retrieval import RETRIEVERS

if TYPE_CHECKING:
    from rag.settings import Settings

QUOTE_CHARS = 40


@dataclass(frozen=True)
class Limits:
    """Bounds on one API call (a question is trimmed by the pipeline long before these)."""

    max_text_chars: int = 100_000  # one question or history entry
    max_total_chars: int = 1_000_000  # question and history together
    max_history: int = 100  # earlier questions
    max_k: int = 50  # passages to retrieve


LIMITS = Limits()

# generators that work only when a setting is given: name -> (Settings field, variable)
NEEDS_SETTING: dict[str, tuple[str, str]] = {"openai": ("llm_base_url", "RAG_LLM_BASE_URL")}


@dataclass(frozen=True)
class AskRequest:
    """One checked question: what ``Pipeline.ask`` and ``Pipeline.stream`` are called with."""

    question: str
    history: tuple[str | dict[str, Any], ...] = ()  # questions, or turns (``Pipeline.turns``)
    generator: str | None = None  # None: the settings' default
    retriever: str | None = None
    k: int | None = None


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, with the full length when cut.

    >>> quote("extractive")
    "'extractive'"
    >>> quote("x" * 1_000_000, limit=10)
    "'xxxxxxxx… (1,000,000 characters)"
    """
    shown = repr(value)
    if len(shown) <= limit:
        return shown
    size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return shown[: limit - 1] + "…" + size


def type_name(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages.

    >>> type_name(True), type_name(7), type_name({"a": 1}), type_name(None)
    ('boolean', 'number', 'object', 'null')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def available_generators(settings: Settings) -> tuple[str, ...]:
    """The registry's generators that can run with these settings (``openai`` needs a URL)."""
    return tuple(
        name
        for name in GENERATORS
        if name not in NEEDS_SETTING or getattr(settings, NEEDS_SETTING[name][0])
    )


def check_name(
    value: Any, field: str, names: Collection[str], settings: Settings | None = None
) -> str | None:
    """A generator or retriever name from ``names``; None or "" means the default."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RequestError(
            f"{field} must be a string (one of: {', '.join(names)}), got {type_name(value)}",
            param=field,
            code="invalid_type",
        )
    if value in names:
        return value
    if settings is not None and value in NEEDS_SETTING:
        _, variable = NEEDS_SETTING[value]
        raise RequestError(
            f"{field} {value!r} is not available: set {variable} to use it; "
            f"choose one of: {', '.join(names)}",
            param=field,
        )
    raise RequestError(
        f"unknown {field} {quote(value)}; choose one of: {', '.join(names)}", param=field
    )


def check_text(value: Any, field: str, limits: Limits = LIMITS) -> str:
    """A string of at most ``limits.max_text_chars`` characters."""
    if not isinstance(value, str):
        raise RequestError(
            f"{field} must be a string, got {type_name(value)}", param=field, code="invalid_type"
        )
    if len(value) > limits.max_text_chars:
        raise RequestError(
            f"{field} is {len(value):,} characters long; at most {limits.max_text_chars:,} "
            "are accepted",
            param=field,
            code="too_large",
        )
    return value


_TURN_TEXTS = ("answer", "short_answer")
_TURN_LISTS = ("sentences", "chunk_ids")
_HISTORY_HELP = (
    "history must be a list of earlier questions (strings) or turns ({question, answer, "
    "short_answer, sentences, chunk_ids}), oldest first"
)


def _turn(entry: Any, i: int, limits: Limits) -> str | dict[str, Any]:
    """One checked history entry: a question, or a turn whose fields are checked too."""
    if isinstance(entry, str):
        return check_text(entry, f"history[{i}]", limits)
    if not isinstance(entry, dict) or not isinstance(entry.get("question"), str):
        got = type_name(entry) if not isinstance(entry, dict) else "an object without a question"
        raise RequestError(
            f"{_HISTORY_HELP}; entry {i} is {got}", param="history", code="invalid_type"
        )
    turn: dict[str, Any] = {
        "question": check_text(entry["question"], f"history[{i}].question", limits)
    }
    for key in _TURN_TEXTS:
        if entry.get(key) is not None:
            if not isinstance(entry[key], str):
                raise RequestError(
                    f"history[{i}].{key} must be a string, got {type_name(entry[key])}",
                    param="history", code="invalid_type",
                )  # fmt: skip
            turn[key] = entry[key]
    for key in _TURN_LISTS:
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RequestError(
                f"history[{i}].{key} must be a list of strings",
                param="history",
                code="invalid_type",
            )
        turn[key] = list(value)
    return turn


def _size(turn: dict[str, Any]) -> int:
    """The characters a turn holds, all its fields together."""
    return sum(len(v) if isinstance(v, str) else sum(map(len, v)) for v in turn.values())


def check_ask(
    question: Any,
    history: Any = None,
    generator: Any = None,
    retriever: Any = None,
    k: Any = None,
    *,
    settings: Settings,
    limits: Limits = LIMITS,
) -> AskRequest:
    """Check one API call's values; a ``RequestError`` names the first bad one.

    >>> from rag.settings import Settings
    >>> check_ask("Who shot it?", ["Who directed Anora?"], settings=Settings.load(env={}))
    AskRequest(question='Who shot it?', history=('Who directed Anora?',), generator=None, retriever=None, k=None)
    >>> check_ask(123, settings=Settings.load(env={}))
    Traceback (most recent call last):
    ...
    rag.errors.RequestError: question must be a string, got number
    """
    text = "" if question is None else check_text(question, "question", limits)
    earlier: tuple[str | dict[str, Any], ...] = ()
    if history is not None:
        if not isinstance(history, list | tuple):
            raise RequestError(
                "history must be a list of earlier questions (strings), oldest first; "
                f"got {type_name(history)}",
                param="history",
                code="invalid_type",
            )
        if len(history) > limits.max_history:
            raise RequestError(
                f"history has {len(history):,} entries; at most {limits.max_history} are accepted",
                param="history",
                code="too_large",
            )
        earlier = tuple(_turn(entry, i, limits) for i, entry in enumerate(history))
    total = len(text) + sum(len(e) if isinstance(e, str) else _size(e) for e in earlier)
    if total > limits.max_total_chars:
        raise RequestError(
            f"question and history hold {total:,} characters; at most "
            f"{limits.max_total_chars:,} are accepted",
            param="history",
            code="too_large",
        )
    gen = check_name(generator, "generator", available_generators(settings), settings)
    ret = check_name(retriever, "retriever", RETRIEVERS)
    if k is not None and (
        isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= limits.max_k
    ):
        raise RequestError(
            f"k must be a whole number of at least 1 and at most {limits.max_k}, got {quote(k)}",
            param="k",
            code="invalid_type"
            if not isinstance(k, int) or isinstance(k, bool)
            else "invalid_value",
        )
    return AskRequest(text, earlier, gen, ret, k)

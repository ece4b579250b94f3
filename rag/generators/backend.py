"""The seam a chat model implements, and the reading of its stream with deadlines.

- ``ChatBackend``: what a backend (``local``, ``openai_compat``) implements, ``complete``
  and ``stream`` over chat messages; every failure is a one-line, secret-free
  ``GeneratorError``.
- ``pump``: runs a blocking producer (llama.cpp callbacks, an HTTP stream) in a thread
  and yields its pieces, never waiting past a timeout; closing the iterator tells the
  producer to stop, and waits (briefly) until it has.

What this module does not do: build prompts or check answers (``llm``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from rag.errors import GeneratorError
from rag.generators.prompt import Message

log = logging.getLogger(__name__)

STOP_WAIT_S = 5.0  # at most this long for a producer to stop once the caller stops reading


class ChatBackend(Protocol):
    """A chat model.  Failures raise ``GeneratorError`` with a one-line message, no secrets."""

    label: str  # how the user is told about it: "local model", "LLM endpoint"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never be shown (the API key)."""
        ...

    def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str: ...

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]: ...


def pump(
    produce: Callable[[Callable[[str], bool]], None],
    *,
    label: str,
    idle_timeout: float,
    total_timeout: float | None = None,
    on_cancel: Callable[[], None] | None = None,
) -> Iterator[str]:
    """Yield the pieces a blocking ``produce(emit)`` emits from a daemon thread, with deadlines.

    ``emit(piece)`` returns True once the consumer has stopped (timeout, error, or the
    caller closed the iterator): the producer should then stop.  Waiting more than
    ``idle_timeout`` s for a piece, or ``total_timeout`` s overall, raises
    ``GeneratorError`` and calls ``on_cancel`` (e.g. to close an HTTP response).
    Exceptions in the producer other than ``GeneratorError`` become one by class name
    only, so library messages (which might quote headers) never reach the user.
    """
    pieces: queue.Queue[tuple[str, str | GeneratorError | None]] = queue.Queue()
    stop = threading.Event()

    def emit(piece: str) -> bool:
        if not stop.is_set():
            pieces.put(("piece", piece))
        return stop.is_set()

    def run() -> None:
        try:
            produce(emit)
        except GeneratorError as exc:
            pieces.put(("error", exc))
        except Exception as exc:  # a library's unexpected error: one clean line, details in debug
            log.debug("%s failed", label, exc_info=True)
            pieces.put(("error", GeneratorError(f"{label} failed ({type(exc).__name__})")))
        else:
            pieces.put(("done", None))

    worker = threading.Thread(target=run, name=f"rag-{label.replace(' ', '-')}", daemon=True)
    started = time.monotonic()
    worker.start()
    received = closed = False
    try:
        while True:
            wait = idle_timeout
            if total_timeout is not None:
                wait = min(wait, total_timeout - (time.monotonic() - started))
            try:
                kind, value = pieces.get(timeout=max(wait, 0.0))
            except queue.Empty:
                if not received:
                    limit = min(idle_timeout, total_timeout or idle_timeout)
                    raise GeneratorError(f"{label} did not answer within {limit:g} s") from None
                if total_timeout is not None and time.monotonic() - started >= total_timeout:
                    raise GeneratorError(
                        f"{label} did not finish within {total_timeout:g} s"
                    ) from None
                raise GeneratorError(f"{label} stalled for {idle_timeout:g} s mid-answer") from None
            if kind == "piece":
                received = True
                try:
                    yield str(value)
                except GeneratorExit:  # the caller stopped reading (closed the iterator)
                    closed = True
                    raise
            elif isinstance(value, GeneratorError):
                raise value
            else:
                return
    finally:
        stop.set()
        if on_cancel is not None and worker.is_alive():
            try:
                on_cancel()
            except Exception:  # closing a broken connection may fail; the thread is a daemon
                log.debug("%s: cancel failed", label, exc_info=True)
        if closed:
            # wait for the producer to see the stop (at its next piece), so that no thread
            # is left inside native code (llama.cpp) when the process exits: glibc then
            # aborts it ("FATAL: exception not rethrown"), measured after a stopped answer
            worker.join(timeout=min(idle_timeout, STOP_WAIT_S))

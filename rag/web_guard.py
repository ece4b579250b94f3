"""An ASGI middleware in front of the Gradio server: logins, uploads, a full queue.

``WebGuard`` wraps the Gradio FastAPI app (``launch(app_kwargs={"middleware": ...})``,
see ``rag.ui.launch_style``) and does four things Gradio does not:

- **slows down repeated wrong passwords per client**: after ``free_failures`` failed
  logins from one address, that address is refused (HTTP 429 with ``Retry-After``) for a
  delay that doubles with each further failure, up to ``max_delay`` s; a success clears it;
- **keeps the API schema off the login page**: Gradio embeds ``window.gradio_api_info``
  in every page, the login-only page too, while ``/gradio_api/info`` answers 401; the
  guard blanks it on any page that says ``"auth_required":true``;
- **refuses uploads** unless the app was launched with ``uploads=True`` (only done with a
  login, when Gradio itself admits signed-in users alone to the route): without a login
  there is no upload field, and ``/gradio_api/upload`` answers 403;
- **logs a full queue** and tells the caller "busy, try again in a moment".

What this module does not do: check passwords (Gradio does) or know about the pipeline.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BUSY = "The app is busy; please try again in a moment."
NO_UPLOADS = "This app takes no file uploads."
_API_INFO = re.compile(rb"window\.gradio_api_info\s*=\s*.*?;</script>", re.S)


@dataclass
class _Client:
    failures: int = 0
    blocked_until: float = 0.0


class LoginThrottle:
    """Failed logins per client address, and how long each must wait (thread-safe).

    >>> t = LoginThrottle(free_failures=2, base_delay=1.0, clock=lambda: 0.0)
    >>> [t.fail("a") for _ in range(4)]
    [0.0, 0.0, 1.0, 2.0]
    >>> t.wait("a"), t.wait("b")
    (2.0, 0.0)
    """

    def __init__(
        self,
        *,
        free_failures: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures, self.base_delay, self.max_delay = free_failures, base_delay, max_delay
        self.max_clients, self.clock = max_clients, clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds ``client`` must wait before its next login attempt (0 if none)."""
        with self._lock:
            state = self._clients.get(client)
            return max(0.0, state.blocked_until - self.clock()) if state else 0.0

    def fail(self, client: str) -> float:
        """Record a failed login; returns the delay now imposed on ``client``."""
        with self._lock:
            state = self._clients.pop(client, None) or _Client()
            self._clients[client] = state  # most recent last
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            state.failures += 1
            over = state.failures - self.free_failures
            delay = min(self.max_delay, self.base_delay * 2 ** (over - 1)) if over > 0 else 0.0
            state.blocked_until = self.clock() + delay
            return delay

    def succeed(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)


async def _reply(send: Send, status: int, detail: str, headers: dict[str, str] | None = None):
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class WebGuard:
    """The middleware; ``throttle`` is shared so that a test (or the app) can read it."""

    def __init__(
        self, app: ASGIApp, *, throttle: LoginThrottle | None = None, uploads: bool = False
    ) -> None:
        self.app = app
        self.throttle = throttle or LoginThrottle()
        self.uploads = uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        client = (scope.get("client") or ("?", 0))[0]
        if path.rstrip("/").endswith("/gradio_api/upload") and not self.uploads:
            log.warning("refused an upload from %s: the app takes no files", client)
            await _reply(send, 403, NO_UPLOADS)
            return
        if method == "POST" and path.rstrip("/") == "/login":
            await self._login(scope, receive, send, client)
            return
        if method == "POST" and path.rstrip("/").endswith("/queue/join"):
            await self._buffered(scope, receive, send, self._queue_full, client)
            return
        if method == "GET" and not path.startswith("/gradio_api"):
            await self._buffered(scope, receive, send, self._page, client)
            return
        await self.app(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send, client: str) -> None:
        wait = self.throttle.wait(client)
        if wait > 0:
            log.warning("login from %s refused for %.0f s more after failed attempts", client, wait)
            retry = f"{max(1, round(wait))}"
            await _reply(
                send,
                429,
                f"Too many failed logins; try again in {retry} s.",
                {"retry-after": retry},
            )
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 400:
            delay = self.throttle.fail(client)
            log.warning(
                "failed login from %s%s", client, f"; next in {delay:.0f} s" if delay else ""
            )
        elif status and status[0] < 300:
            self.throttle.succeed(client)

    async def _buffered(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        edit: Callable[[int, bytes, str], tuple[int, bytes] | None],
        client: str,
    ) -> None:
        """Run the app; let ``edit`` rewrite a small, complete, non-streamed response."""
        start: Message | None = None
        chunks: list[bytes] = []
        passing = False

        async def hold(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                kind = headers.get(b"content-type", b"").decode("latin-1")
                if "json" in kind or "html" in kind:
                    start = message
                    return
                passing = True
                await send(message)
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                status = int(start["status"])
                kind = dict(start.get("headers") or []).get(b"content-type", b"").decode()
                edited = edit(status, body, kind)
                if edited is not None:
                    status, body = edited
                kept = [
                    (k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"
                ]
                kept.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": kept})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, hold)

    def _queue_full(self, status: int, body: bytes, kind: str) -> tuple[int, bytes] | None:
        if status != 503:
            return None
        log.warning("the answer queue is full; a request was refused (%s)", body[:200])
        return 503, json.dumps({"detail": BUSY}).encode()

    @staticmethod
    def _page(status: int, body: bytes, kind: str) -> tuple[int, bytes] | None:
        if "html" not in kind or b'"auth_required":true' not in body:
            return None
        return status, _API_INFO.sub(b"window.gradio_api_info = null;</script>", body)

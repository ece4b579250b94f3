"""rag.web_guard in front of the real app: login slow-down, no schema before login, no uploads.

The app runs on a loopback port with ``RAG_AUTH``-style auth (#23 items 12 and 13);
the full-queue reply is checked on the middleware alone, with a one-line ASGI app
that answers 503 as Gradio's queue does when full (#23 item 4).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Iterator

import httpx
import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag.web_guard import BUSY, NO_UPLOADS, LoginThrottle, WebGuard
from tests.conftest import free_port

BASE_DELAY = 0.5  # s: the first refusal after the free failures (doubles after each)


@pytest.fixture(scope="module")
def guarded(pipeline) -> Iterator[tuple[str, LoginThrottle]]:
    from rag.ui import build_app, launch_style

    throttle = LoginThrottle(free_failures=5, base_delay=BASE_DELAY, max_delay=4.0)
    app = build_app(pipeline)
    _, url, _ = app.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        auth=("u", "p"),
        **launch_style(throttle),
    )
    yield url.rstrip("/"), throttle
    app.close()


def test_throttle_is_per_client_and_a_success_clears_it():
    now = [0.0]
    throttle = LoginThrottle(free_failures=1, base_delay=1.0, max_delay=4.0, clock=lambda: now[0])
    assert [throttle.fail("a") for _ in range(5)] == [0.0, 1.0, 2.0, 4.0, 4.0]  # capped
    assert throttle.wait("a") == 4.0 and throttle.wait("b") == 0.0
    now[0] = 4.0
    assert throttle.wait("a") == 0.0
    throttle.succeed("a")
    assert throttle.fail("a") == 0.0  # counting starts over
    small = LoginThrottle(max_clients=2)
    for client in ("x", "y", "z"):
        small.fail(client)
    assert len(small._clients) == 2  # bounded memory, the oldest forgotten


def test_repeated_wrong_passwords_are_slowed_down_and_logged(guarded, caplog):
    url, throttle = guarded
    statuses = []
    with caplog.at_level(logging.WARNING, logger="rag.web_guard"), httpx.Client() as http:
        started = time.monotonic()
        for _ in range(300):
            r = http.post(url + "/login", data={"username": "u", "password": "wrong"})
            statuses.append(r.status_code)
        elapsed = time.monotonic() - started
        assert statuses[:5] == [400] * 5  # the free failures
        # the rest: refused outright, or a wrong guess after each refusal expired
        assert statuses.count(400) <= 5 + 1 + int(elapsed / BASE_DELAY), (statuses, elapsed)
        refused = http.post(url + "/login", data={"username": "u", "password": "p"})
        if refused.status_code == 429:  # even the right password waits its turn
            assert "Too many failed logins" in refused.json()["detail"]
            assert int(refused.headers["retry-after"]) >= 1
            time.sleep(throttle.wait("127.0.0.1") + 0.1)
        ok = http.post(url + "/login", data={"username": "u", "password": "p"})
        assert ok.status_code == 200
        assert throttle.wait("127.0.0.1") == 0.0
    assert statuses.count(429) >= 250
    assert "failed login from 127.0.0.1" in caplog.text
    assert "refused for" in caplog.text and "wrong" not in caplog.text  # never the password


def test_the_login_page_does_not_embed_the_api_schema(guarded):
    url, _ = guarded
    page = httpx.get(url + "/")
    assert page.status_code == 200 and '"auth_required":true' in page.text
    assert "window.gradio_api_info = null;" in page.text
    assert "named_endpoints" not in page.text and '"/ask"' not in page.text
    assert httpx.get(url + "/gradio_api/info").status_code == 401
    with httpx.Client(base_url=url) as session:  # once logged in, the page has it
        assert session.post("/login", data={"username": "u", "password": "p"}).status_code == 200
        assert "named_endpoints" in session.get("/").text


@pytest.mark.parametrize("login", [False, True])
def test_uploads_are_refused_and_nothing_is_kept(guarded, app_url: str, login: bool):
    url, _ = guarded
    with httpx.Client(base_url=url if login else app_url.rstrip("/")) as http:
        if login:
            http.post("/login", data={"username": "u", "password": "p"})
        r = http.post(
            "/gradio_api/upload", files={"files": ("big.bin", b"\0" * (5 * 2**20), "x/y")}
        )
    assert r.status_code == 403 and r.json()["detail"] == NO_UPLOADS


def test_a_full_queue_is_logged_and_the_caller_told_to_try_again(caplog):
    async def full_queue(scope, receive, send):
        body = json.dumps({"detail": "Queue is full. Max size is 1 and size is 1."}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    guard = WebGuard(full_queue)
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"{}"}

    scope = {
        "type": "http",
        "path": "/gradio_api/queue/join",
        "method": "POST",
        "client": ("1.2.3.4", 1),
    }
    with caplog.at_level(logging.WARNING, logger="rag.web_guard"):
        asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == 503 and json.loads(sent[1]["body"]) == {"detail": BUSY}
    assert "the answer queue is full" in caplog.text


def test_the_queue_is_sized_for_a_hundred_conversations(pipeline):
    from rag.ui import build_app, queue_limit

    app = build_app(pipeline)
    assert app._queue.max_size == queue_limit(
        pipeline.settings.concurrency, pipeline.settings.queue_size
    )
    assert app._queue.max_size >= 100 * 2  # 100 conversations, each with a question waiting

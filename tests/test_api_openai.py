"""The OpenAI-compatible API and ``/api/ask`` of the real app, through real clients.

The app is ``rag.ui.build_app`` served on a free loopback port (``launch_app``); the
clients are the ``openai`` package (plain, streaming, a follow-up, a wrong key, an
unknown model) and plain ``httpx`` (malformed bodies, ``/api/ask``).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from rag.api import Gate
from rag.evaluation import load_gold
from rag.openai_format import ApiError, models
from rag.settings import Settings
from tests.conftest import GOLD, launch_app

DP = "Who was the director of photography?"
KEY = "s3cret-api-key-for-tests"


@pytest.fixture(scope="module")
def client(app_url: str) -> OpenAI:
    return OpenAI(base_url=app_url.rstrip("/") + "/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="module")
def secured(pipeline) -> Iterator[str]:
    """The app with a page login (RAG_AUTH) and an API key (RAG_API_KEY), set in Settings."""
    app, url = launch_app(pipeline.with_settings(auth="u:p", api_key=KEY), auth=("u", "p"))
    yield url.rstrip("/")
    app.close()


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_models_are_named_from_the_generator_registry(client: OpenAI):
    ids = [m.id for m in client.models.list()]
    assert ids == ["anora", "anora-local"]  # anora-openai only with RAG_LLM_BASE_URL
    assert client.models.retrieve("anora-local").id == "anora-local"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_the_format_and_check_doctests_hold():
    import doctest

    import rag.openai_format
    import rag.requests

    assert doctest.testmod(rag.openai_format).failed == 0
    assert doctest.testmod(rag.requests).failed == 0


def test_anora_openai_is_listed_only_with_an_endpoint():
    plain = Settings.load(env={})
    assert models(plain) == {"anora": "extractive", "anora-local": "local"}
    remote = plain.replace(llm_base_url="http://127.0.0.1:9/v1")
    assert models(remote)["anora-openai"] == "openai"


def test_a_chat_completion_is_the_cited_answer_with_its_sources(client: OpenAI):
    reply = client.chat.completions.create(
        model="anora", messages=[{"role": "user", "content": DP}]
    )
    content = reply.choices[0].message.content or ""
    assert reply.choices[0].finish_reason == "stop" and reply.model == "anora"
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "Drew Daniels" in answer and markers(answer)
    citations = (reply.model_extra or {})["citations"]
    assert {c["n"] for c in citations} == markers(answer)
    first = citations[0]
    assert set(first) >= {"n", "source", "title", "page", "span", "text", "sentence"}
    assert first["page"] is None and first["source"].endswith(".txt")
    start, end = first["span"]
    assert 0 <= start < end and "Drew Daniels" in first["text"]
    # the Sources list names every citation, so a client that knows nothing else shows them
    assert sources.splitlines() == [f"- [{c['n']}] {c['title']} ({c['source']})" for c in citations]
    extra = reply.model_extra["anora"]
    assert extra["abstained"] is False and extra["generator"] == "extractive"
    assert reply.usage is not None and reply.usage.completion_tokens > 0


def test_streaming_gives_the_same_answer_and_the_citations_on_the_last_chunk(client: OpenAI):
    plain = client.chat.completions.create(
        model="anora", messages=[{"role": "user", "content": DP}]
    )
    chunks = list(
        client.chat.completions.create(
            model="anora",
            messages=[{"role": "user", "content": DP}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    last = [c for c in chunks if c.choices][-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == (plain.model_extra or {})["citations"]
    assert chunks[-1].usage is not None and chunks[-1].choices == []  # include_usage
    assert len({c.id for c in chunks}) == 1


def test_a_follow_up_reads_the_earlier_user_messages(client: OpenAI, pipeline):
    # a gold follow-up whose answer depends on its history (found, not hard-coded)
    follow_ups = [g for g in load_gold(GOLD) if g.history and g.answerable]
    item = next(
        g
        for g in follow_ups
        if pipeline.ask(g.question, g.history).text != pipeline.ask(g.question).text
    )
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful assistant."}  # read past
    ]
    for earlier in item.history:
        messages.append({"role": "user", "content": earlier})
        said = client.chat.completions.create(model="anora", messages=[*messages])
        messages.append({"role": "assistant", "content": said.choices[0].message.content})
    messages.append({"role": "user", "content": [{"type": "text", "text": item.question}]})
    reply = client.chat.completions.create(model="anora", messages=messages)
    content = reply.choices[0].message.content or ""
    assert content.startswith(pipeline.ask(item.question, item.history).text)
    assert not content.startswith(pipeline.ask(item.question).text)


def test_an_unknown_model_is_a_clear_400(client: OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": DP}])
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "model_not_found"
    assert error["param"] == "model" and "anora, anora-local" in error["message"]


def test_a_wrong_or_missing_key_is_refused_and_never_echoed(secured: str):
    wrong = OpenAI(base_url=secured + "/v1", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.chat.completions.create(model="anora", messages=[{"role": "user", "content": DP}])
    assert "not-the-key" not in str(caught.value) and KEY not in str(caught.value)
    assert caught.value.body["code"] == "invalid_api_key"  # type: ignore[index]
    for path in ("/v1/models", "/api/ask"):
        refused = httpx.request("GET" if "models" in path else "POST", secured + path, json={})
        assert refused.status_code == 401 and KEY not in refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
    right = OpenAI(base_url=secured + "/v1", api_key=KEY, max_retries=0)
    reply = right.chat.completions.create(model="anora", messages=[{"role": "user", "content": DP}])
    assert "Drew Daniels" in (reply.choices[0].message.content or "")
    asked = httpx.post(
        secured + "/api/ask", json={"question": DP}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert asked.status_code == 200 and "Drew Daniels" in asked.json()["answer"]


def test_a_page_login_without_an_api_key_keeps_the_api_closed(pipeline):
    app, url = launch_app(pipeline, auth=("u", "p"))
    try:
        refused = httpx.get(url.rstrip("/") + "/v1/models", headers={"Authorization": "Bearer x"})
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "api_key_not_set"
        assert "RAG_API_KEY" in refused.json()["error"]["message"]
    finally:
        app.close()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"model": "anora", "messages": [', 400, "invalid_json"),
        (b"\xff\xfe not utf-8", 400, "invalid_json"),
        (b'["a", "list"]', 422, "invalid_type"),
        (b'{"model": "anora", "messages": "Who?"}', 422, "invalid_type"),
        (b'{"model": "anora", "messages": []}', 400, "invalid_value"),
        (b'{"model": "anora", "messages": [{"role": "user", "content": 7}]}', 422, "invalid_type"),
        (b'{"model": "anora", "messages": [{"role": "hacker", "content": "x"}]}', 400, None),
        (b'{"model": "anora", "messages": [{"role": "assistant", "content": "x"}]}', 400, None),
        (b'{"model": 7, "messages": [{"role": "user", "content": "x"}]}', 400, "model_not_found"),
        (
            b'{"model": "anora", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}',
            422,
            "invalid_type",
        ),
    ],
)
def test_malformed_chat_requests_get_openai_errors(app_url: str, body: bytes, status: int, code):
    reply = httpx.post(
        app_url.rstrip("/") + "/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    assert error["type"] == "invalid_request_error"
    if code:
        assert error["code"] == code


def test_a_body_over_the_limit_is_413_and_unknown_urls_404(app_url: str):
    base = app_url.rstrip("/")
    big = {"model": "anora", "messages": [{"role": "user", "content": "x" * (1 << 20)}]}
    reply = httpx.post(base + "/v1/chat/completions", json=big)
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "too_large"
    missing = httpx.post(base + "/v1/completions", json={})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_url"
    wrong_method = httpx.get(base + "/api/ask")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_api_ask_serves_the_json_of_rag_ask(app_url: str, pipeline):
    base = app_url.rstrip("/")
    reply = httpx.post(base + "/api/ask", json={"question": DP, "retriever": "bm25", "k": 3})
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    data = reply.json()
    expected = pipeline.ask(DP, retriever="bm25", k=3).to_json()
    assert set(data) == set(expected)
    for key in ("question", "answer", "abstained", "citations", "related", "generator"):
        assert data[key] == expected[key], key
    follow = httpx.post(
        base + "/api/ask",
        json={
            "question": "And how many in Vegas?",
            "history": ["How many days did Anora shoot in New York City?"],
        },
    )
    assert "3 days in Las Vegas" in follow.json()["answer"]
    typo = httpx.post(base + "/api/ask", json={"question": DP, "histroy": []})
    assert typo.status_code == 400 and "unknown field 'histroy'" in typo.json()["error"]["message"]


def test_the_gate_refuses_at_once_when_its_queue_is_full():
    """A unit of logic: one slot, no waiting room; the second call is a 503 at once."""
    release, started = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "done"

    async def scenario() -> tuple[str, ApiError]:
        gate = Gate(1, 0)
        first = asyncio.ensure_future(gate.run(slow))
        while not started.is_set():
            await asyncio.sleep(0.01)
        with pytest.raises(ApiError) as refused:
            await gate.run(slow)
        release.set()
        return await first, refused.value

    result, refused = asyncio.run(scenario())
    assert result == "done" and refused.status == 503 and refused.code == "busy"

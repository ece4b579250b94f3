"""API input checks (issue #23, item 10): one function, ``rag.requests.check_ask``, and
the same refusal from every endpoint that answers: Gradio's ``/ask``, ``POST /api/ask``
and ``POST /v1/chat/completions``, each called over real HTTP on the real app.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from rag.errors import RequestError
from rag.requests import LIMITS, AskRequest, available_generators, check_ask, quote
from rag.settings import Settings

SETTINGS = Settings.load(env={})
MEGABYTE_NAME = "g" * 1_000_000  # its JSON body still fits under the 1 MiB limit


# ---------------------------------------------------------------- the function


@pytest.mark.parametrize(
    ("kwargs", "param", "code", "words"),
    [
        ({"question": 123}, "question", "invalid_type", "question must be a string, got number"),
        ({"question": True}, "question", "invalid_type", "got boolean"),
        ({"question": ["Who?"]}, "question", "invalid_type", "got array"),
        ({"question": {"q": "Who?"}}, "question", "invalid_type", "got object"),
        ({"history": 7}, "history", "invalid_type", "history must be a list"),
        ({"history": "Who?"}, "history", "invalid_type", "got string"),
        ({"history": {"a": 1}}, "history", "invalid_type", "got object"),
        ({"history": ["ok", 2]}, "history", "invalid_type", "entry 1 is number"),
        ({"history": ["x"] * (LIMITS.max_history + 1)}, "history", "too_large", "at most 100"),
        (
            {"history": [{"answer": "Drew Daniels"}]},
            "history",
            "invalid_type",
            "without a question",
        ),
        (
            {"history": [{"question": "Who?", "answer": 3}]},
            "history",
            "invalid_type",
            "answer must",
        ),
        (
            {"history": [{"question": "Who?", "sentences": "x"}]},
            "history",
            "invalid_type",
            "list of",
        ),
        ({"question": "x" * (LIMITS.max_text_chars + 1)}, "question", "too_large", "at most"),
        ({"generator": "nope"}, "generator", "invalid_value", "unknown generator 'nope'"),
        ({"generator": 5}, "generator", "invalid_type", "generator must be a string"),
        ({"generator": "openai"}, "generator", "invalid_value", "set RAG_LLM_BASE_URL"),
        ({"retriever": "x"}, "retriever", "invalid_value", "choose one of: dense, bm25, hybrid"),
        ({"k": 0}, "k", "invalid_value", "k must be a whole number of at least 1"),
        ({"k": LIMITS.max_k + 1}, "k", "invalid_value", "at most 50"),
        ({"k": True}, "k", "invalid_type", "got True"),
        ({"k": 2.5}, "k", "invalid_type", "got 2.5"),
    ],
)
def test_bad_values_are_refused_naming_the_field(kwargs, param, code, words):
    values = {"question": "Who shot it?", **kwargs}
    with pytest.raises(RequestError) as caught:
        check_ask(**values, settings=SETTINGS)
    assert caught.value.param == param and caught.value.code == code
    assert words in str(caught.value)


def test_good_values_pass_and_null_means_the_default():
    assert check_ask("Who?", None, "", None, None, settings=SETTINGS) == AskRequest("Who?")
    checked = check_ask("Who?", ["A?", "B?"], "local", "bm25", 3, settings=SETTINGS)
    assert checked == AskRequest("Who?", ("A?", "B?"), "local", "bm25", 3)
    assert check_ask(None, settings=SETTINGS).question == ""  # answered with "Please type..."


def test_a_long_name_is_never_echoed_whole():
    with pytest.raises(RequestError) as caught:
        check_ask("Who?", generator=MEGABYTE_NAME, settings=SETTINGS)
    message = str(caught.value)
    assert len(message) < 200 and "1,000,000 characters" in message
    assert quote("short") == "'short'"


def test_openai_is_offered_only_with_its_endpoint():
    assert available_generators(SETTINGS) == ("extractive", "local")
    with_url = SETTINGS.replace(llm_base_url="http://127.0.0.1:9/v1")
    assert available_generators(with_url) == ("extractive", "local", "openai")
    assert check_ask("Who?", generator="openai", settings=with_url).generator == "openai"


# ---------------------------------------------------------------- every endpoint, over HTTP


def gradio_ask(base: str, values: dict[str, Any]) -> tuple[str, Any]:
    """Gradio's two-step call API: ("complete", answer) or ("error", message)."""
    data = [values.get(f) for f in ("question", "history", "generator", "retriever", "k")]
    posted = httpx.post(f"{base}/gradio_api/call/ask", json={"data": data}, timeout=60)
    posted.raise_for_status()
    event = None
    with httpx.stream("GET", f"{base}/gradio_api/call/ask/{posted.json()['event_id']}") as s:
        for line in s.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = json.loads(line[5:])
                return event, payload[0] if event == "complete" else payload["error"]
    raise AssertionError("no answer")


def api_ask(base: str, values: dict[str, Any]) -> tuple[str, Any]:
    reply = httpx.post(f"{base}/api/ask", json=values, timeout=60)
    if reply.status_code == 200:
        return "complete", reply.json()
    return "error", reply.json()["error"]["message"]


def chat_ask(base: str, values: dict[str, Any]) -> tuple[str, Any]:
    history = values.get("history") or []
    messages = [{"role": "user", "content": h} for h in history]
    messages.append({"role": "user", "content": values["question"]})
    body = {"model": "anora", "messages": messages}
    body.update({k: v for k, v in values.items() if k in ("retriever", "k")})
    reply = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=60)
    if reply.status_code == 200:
        return "complete", reply.json()
    return "error", reply.json()["error"]["message"]


ENDPOINTS = {"gradio /ask": gradio_ask, "/api/ask": api_ask}
BAD = [
    ({"question": 123}, "question must be a string, got number"),
    ({"question": True}, "question must be a string, got boolean"),
    ({"question": ["Who?"]}, "question must be a string, got array"),
    ({"question": {"a": 1}}, "question must be a string, got object"),
    ({"question": "Who?", "history": 7}, "history must be a list"),
    ({"question": "Who?", "history": {"a": 1}}, "history must be a list"),
    ({"question": "Who?", "retriever": "x"}, "unknown retriever 'x'"),
    ({"question": "Who?", "k": 0}, "k must be a whole number of at least 1"),
]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize(("values", "words"), BAD)
def test_every_endpoint_refuses_the_same_values_with_the_same_words(
    app_url: str, endpoint: str, values: dict[str, Any], words: str
):
    kind, message = ENDPOINTS[endpoint](app_url.rstrip("/"), values)
    assert kind == "error" and message and words in message, (kind, message)


# a chat's question and history are its messages (tests/test_api_openai.py checks their shape)
CHAT_BAD = [b for b in BAD if not b[1].startswith(("question", "history"))]


@pytest.mark.parametrize(("values", "words"), CHAT_BAD)
def test_chat_completions_refuse_them_too(app_url: str, values: dict[str, Any], words: str):
    kind, message = chat_ask(app_url.rstrip("/"), values)
    assert kind == "error" and words in message


def test_a_megabyte_generator_name_is_not_echoed_or_logged(app_url: str, caplog):
    base = app_url.rstrip("/")
    with caplog.at_level(logging.DEBUG):
        for ask in (gradio_ask, api_ask):
            kind, message = ask(base, {"question": "Who?", "generator": MEGABYTE_NAME})
            assert kind == "error" and "unknown generator" in message and len(message) < 300
        chat = httpx.post(
            f"{base}/v1/chat/completions",
            json={"model": MEGABYTE_NAME, "messages": [{"role": "user", "content": "Who?"}]},
        )
        assert chat.status_code == 400 and len(chat.text) < 500
    assert all(len(r.getMessage()) < 2000 for r in caplog.records)


def test_good_values_are_answered_alike_by_every_endpoint(app_url: str):
    base = app_url.rstrip("/")
    values = {"question": "Who was the director of photography?", "retriever": "bm25", "k": 3}
    answers = [ENDPOINTS[e](base, values) for e in ENDPOINTS]
    assert all(kind == "complete" for kind, _ in answers)
    assert len({a["answer"] for _, a in answers}) == 1 and "Drew Daniels" in answers[0][1]["answer"]
    kind, chat = chat_ask(base, values)
    assert kind == "complete"
    assert chat["choices"][0]["message"]["content"].startswith(answers[0][1]["answer"])


def test_the_api_key_is_a_setting_that_is_never_shown():
    settings = Settings.load(env={"RAG_API_KEY": "k3y-never-shown"})
    assert settings.api_key == "k3y-never-shown"
    assert settings.public_dict()["api_key"] == "***" and "k3y" not in repr(settings)


def test_a_turn_in_the_history_carries_its_answer_to_the_pipeline(app_url: str):
    base = app_url.rstrip("/")
    event, first = api_ask(base, {"question": "who plays toros"})
    assert event == "complete", first
    turn = {
        "question": "who plays toros",
        "answer": first["answer"],
        "short_answer": first["short_answer"],
    }
    assert check_ask("and igor?", [turn], settings=SETTINGS).history == (turn,)
    event, reply = api_ask(base, {"question": "and igor?", "history": [turn]})
    assert event == "complete", reply
    assert reply["short_answer"] == "Borisov", reply

"""The real Gradio app on a loopback port: the ``/ask`` API through ``gradio_client``, and auth.

Gradio 6 facts checked here: with ``auth`` set, ``GET /`` still answers 200 but
with a login-only page (its embedded config says ``auth_required`` and holds no
components), while the config, the API description and the API calls answer 401.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from gradio_client import Client

from tests.conftest import launch_app


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def auth_url(pipeline) -> Iterator[str]:
    app, url = launch_app(pipeline, auth=("u", "p"))
    yield url
    app.close()


def test_only_the_ask_endpoint_is_public(client: Client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]
    names = [p["parameter_name"] for p in endpoints["/ask"]["parameters"]]
    assert names == ["question", "history", "generator", "retriever", "k"]


def test_question_gets_a_cited_answer(client: Client):
    result = client.predict("Who was the director of photography?", api_name="/ask")
    assert "[1]" in result["answer"] and not result["abstained"]
    assert result["citations"], result
    assert any("Drew Daniels" in c["text"] for c in result["citations"])
    first = result["citations"][0]
    assert first["n"] == 1 and len(first["span"]) == 2 and first["source"].endswith(".txt")
    assert set(result) >= {"question", "answer", "related", "generator", "timings_ms"}


def test_follow_up_uses_history(client: Client):
    result = client.predict(
        "And how many in Vegas?",
        ["How many days did Anora shoot in New York City?"],
        api_name="/ask",
    )
    assert "3 days in Las Vegas" in result["answer"]


def test_settings_are_passed_through(client: Client):
    result = client.predict(
        question="Who was the director of photography?",
        history=[],
        generator="extractive",
        retriever="bm25",
        k=3,
        api_name="/ask",
    )
    assert result["generator"] == "extractive" and "Drew Daniels" in result["answer"]


def test_unanswerable_question_abstains(client: Client):
    result = client.predict("Who composed the score?", api_name="/ask")
    assert result["abstained"] and not result["citations"]
    assert result["related"]  # the closest passages, for the user to look at


def test_off_topic_question_is_declined_without_related_passages(client: Client):
    result = client.predict("What is the capital of Australia?", api_name="/ask")
    assert result["abstained"] and not result["citations"] and not result["related"]
    assert "only know the articles about the film" in result["answer"]


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_question_gets_a_clean_refusal(client: Client, question: str):
    result = client.predict(question, api_name="/ask")
    assert result["abstained"] and not result["citations"]
    assert "Please type a question" in result["answer"]


def test_bad_setting_is_a_clean_error_and_the_app_stays_up(client: Client):
    with pytest.raises(Exception, match="unknown generator 'nope'"):
        client.predict("Who?", [], "nope", api_name="/ask")
    result = client.predict("Who was the director of photography?", api_name="/ask")
    assert "Drew Daniels" in result["answer"]


def test_auth_refuses_anonymous_requests(auth_url: str, app_url: str):
    base = auth_url.rstrip("/")
    page = httpx.get(base + "/", follow_redirects=False)
    # Gradio 6 serves a login-only page: no components, nothing of the app
    assert page.status_code == 200
    assert '"auth_required":true' in page.text
    assert "director of photography" not in page.text
    assert "director of photography" in httpx.get(app_url).text  # the open app has it
    for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
        refused = httpx.get(base + path)
        assert refused.status_code == 401, path
        assert refused.json()["detail"]["error"] == "Not authenticated"
        assert "Drew" not in refused.text and "/ask" not in refused.text
    call = httpx.post(base + "/gradio_api/call/ask", json={"data": ["Who?"]})
    assert call.status_code == 401
    wrong = httpx.post(base + "/login", data={"username": "u", "password": "wrong"})
    assert wrong.status_code == 400


def test_auth_lets_the_right_user_in(auth_url: str):
    with httpx.Client(base_url=auth_url) as session:
        assert session.post("/login", data={"username": "u", "password": "p"}).status_code == 200
        assert session.get("/config").status_code == 200
    result = Client(auth_url, auth=("u", "p"), verbose=False).predict(
        "Who was the director of photography?", api_name="/ask"
    )
    assert "Drew Daniels" in result["answer"]

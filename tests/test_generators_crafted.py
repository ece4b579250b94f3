"""The LLM answer path against a real OpenAI-compatible HTTP server that returns crafted answers.

The server (stdlib, on 127.0.0.1, written here) answers ``/v1/chat/completions``
with a text chosen by the test, streamed (server-sent events) or not.  ``{n}`` in
the text becomes the number of the source the prompt shows holding a needle, so
every crafted sentence cites the right passage: what is tested is the verifier,
not the citation number.  ``{auth}`` becomes the request's Authorization header.

Checked, streamed and not: faithful sentences are shown; the unfaithful ones of
issue #25 (negation, a unit swapped, numbers moved between clauses, a false
clause joined to a true one, a name from the question, an invented quotation)
are dropped and never shown, and when nothing survives the extractive answer
stands with one notice; the key never reaches any shown text or log (#23), and
a key inside RAG_LLM_BASE_URL is refused before any request.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from rag.generators.base import Delta
from rag.generators.llm import scrub

KEY = "sk-test-0123456789-SECRET"


class Crafted(BaseHTTPRequestHandler):
    answer = ""
    needle = ""
    requests: ClassVar[list[dict]] = []
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with self.lock:
            Crafted.requests.append(body)
        prompt = "\n".join(m["content"] for m in body["messages"])
        blocks = re.findall(r'<source id="(\d+)">(.*?)</source>', prompt, re.S)
        n = next((i for i, text in blocks if self.needle in text), "1")
        text = self.answer.replace("{n}", n).replace("{auth}", self.headers["Authorization"])
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i in range(0, len(text), 7):  # a few characters per chunk, as models send
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
                chunk["choices"] = [{"index": 0, "delta": {"content": text[i : i + 7]}}]
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            return
        reply = {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def crafted() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Crafted)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def answer(pipeline, url: str, question: str, text: str, needle: str, *, stream: bool):
    """(shown deltas joined, the final Answer) for ``question`` with the crafted ``text``."""
    Crafted.answer, Crafted.needle = text, needle
    pipe = pipeline.with_settings(llm_base_url=url, llm_api_key=KEY, llm_timeout=10.0)
    if not stream:
        return None, pipe.ask(question, generator="openai")
    events = list(pipe.stream(question, generator="openai"))
    return "".join(e.text for e in events if isinstance(e, Delta)), events[-1]


DP = ("Who was the director of photography?", "Drew Daniels")
DAYS = ("How many days did Anora shoot in New York City?", "37 days")
ANI = ("Who plays Ani in Anora?", "played by Mikey Madison")

FAITHFUL = [
    (*DP, "The director of photography was Drew Daniels. [{n}]"),
    (*DAYS, "Anora shot for 37 days in New York City. [{n}]"),
    (*ANI, "Ani is played by Mikey Madison. [{n}]"),
]
UNFAITHFUL = [
    (*DP, "The director of photography was not Drew Daniels. [{n}]"),
    (*DAYS, "Anora shot for 37 weeks in New York City. [{n}]"),
    (*DAYS, "The production shot for 37 days in Las Vegas. [{n}]"),
    (*DAYS, "Anora shot for 3 days in New York City. [{n}]"),
    (*ANI, "Ani is played by Mikey Madison, who also directed the film. [{n}]"),
    (
        "When did Anora come out in the UK?",
        "January 2023",
        "Anora came out in the UK in January 2023. [{n}]",
    ),
    (*DP, 'Drew Daniels said, "I shot the whole film on an iPhone in one night." [{n}]'),
]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(("question", "needle", "text"), FAITHFUL)
def test_a_faithful_answer_is_shown(pipeline, crafted, question, needle, text, stream):
    shown, final = answer(pipeline, crafted, question, text, needle, stream=stream)
    assert final.verified is True, final.fallback_reason
    assert re.sub(r"\s*\[\d+\]", "", final.text) == re.sub(r"\s*\[\{n\}\]", "", text)
    if stream:
        assert shown == final.text  # streamed sentence by sentence, numbered as the answer


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(("question", "needle", "text"), UNFAITHFUL)
def test_an_unfaithful_answer_is_never_shown(pipeline, crafted, question, needle, text, stream):
    shown, final = answer(pipeline, crafted, question, text, needle, stream=stream)
    sentence = re.sub(r"\s*\[\{n\}\]", "", text)
    assert final.verified is False and final.fallback_reason
    assert sentence not in final.text and not shown  # nothing of it was streamed either
    extractive = pipeline.ask(question, generator="extractive")
    assert final.text == extractive.text  # the extractive answer stands ...
    notices = [n for n in final.notices if "answer was not used" in n]
    assert len(notices) == 1 and "\n" not in notices[0]  # ... with one line saying why


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_a_failed_sentence_is_dropped_and_the_rest_kept(pipeline, crafted, stream):
    text = (
        "The director of photography was Drew Daniels. [{n}] "
        "The director of photography was not Drew Daniels. [{n}]"
    )
    shown, final = answer(pipeline, crafted, DP[0], text, DP[1], stream=stream)
    assert final.verified is True
    assert final.text.startswith("The director of photography was Drew Daniels. [")
    assert "not Drew Daniels" not in final.text and "left out" in " ".join(final.notices)
    if stream:
        assert shown == final.text


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_the_key_echoed_by_the_endpoint_is_never_shown(pipeline, crafted, caplog, stream):
    caplog.set_level(logging.DEBUG)
    text = "Your key is {auth}. [{n}] The director of photography was Drew Daniels. [{n}]"
    shown, final = answer(pipeline, crafted, DP[0], text, DP[1], stream=stream)
    assert final.verified is True and "Drew Daniels" in final.text  # the true sentence stays
    for seen in (shown or "", final.text, *final.notices, final.fallback_reason or "", caplog.text):
        assert KEY not in seen and "Bearer" not in seen


def test_a_key_inside_the_endpoint_url_is_refused_before_any_request(pipeline, crafted, caplog):
    caplog.set_level(logging.DEBUG)  # httpx and openai log every request URL at INFO/DEBUG
    Crafted.requests.clear()
    for url in (
        crafted.replace("http://", f"http://ani:{KEY}@"),
        f"{crafted}?api-key={KEY}",
    ):
        pipe = pipeline.with_settings(llm_base_url=url, llm_api_key=None)
        final = pipe.ask(DP[0], generator="openai")
        assert final.verified is False
        assert "RAG_LLM_BASE_URL is refused" in (final.fallback_reason or "")
        for seen in (final.text, *final.notices, final.fallback_reason or "", caplog.text):
            assert KEY not in seen
    assert Crafted.requests == []


def test_openai_and_httpx_log_records_are_scrubbed(pipeline, crafted, caplog):
    caplog.set_level(logging.DEBUG)
    text = "The director of photography was Drew Daniels. [{n}]"
    assert answer(pipeline, crafted, DP[0], text, DP[1], stream=False)[1].verified is True
    logging.getLogger("httpx").info("HTTP Request: POST http://ani:%s@127.0.0.1/v1 %s", KEY, KEY)
    logging.getLogger("openai").debug("Request options: {'Authorization': 'Bearer %s'}", KEY)
    assert "HTTP Request: POST" in caplog.text and KEY not in caplog.text


def test_scrub_covers_keys_and_key_shaped_text():
    assert scrub(f"x {KEY} y", [KEY]) == "x *** y"
    assert scrub("Authorization: Bearer abc.def-123") == "Authorization: ***"
    assert scrub("see http://u:p@h/v1?token=t1&x=2") == "see http://***h/v1?***&x=2"

"""Security: loopback-only binding, ``RAG_AUTH`` on every page and API route, no secret in
answers, logs, reports or pages, no markup injection through the UI helpers.  The browser
side of markup is tests/test_browser.py.
"""

from __future__ import annotations

import contextlib
import html.parser
import json
import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rag.schema import Answer, Citation, Document
from rag.settings import PROJECT_ROOT, Settings
from tests.reliability.helpers import (
    ANY_TEXT,
    DP_QUESTION,
    MARKUP,
    PASSWORD,
    SECRET,
    AppProcess,
    FakeLLM,
    api_ask,
    fake_llm_server,
    hostile_questions,
    http_client,
    start_app,
    stop_app,
)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket in LISTEN state on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                address, port_hex = fields[1].rsplit(":", 1)
                if fields[3] == "0A" and int(port_hex, 16) == port:
                    found.add(address)
    return found


def _local_non_loopback_ipv4() -> list[str]:
    """This machine's own IPv4 addresses other than 127.x (from /proc/net/fib_trie)."""
    addresses, last = set(), None
    with contextlib.suppress(FileNotFoundError):
        for line in Path("/proc/net/fib_trie").read_text().splitlines():
            if match := re.search(r"\|--\s+(\d+\.\d+\.\d+\.\d+)", line):
                last = match.group(1)
            elif "/32 host LOCAL" in line and last and not last.startswith("127."):
                addresses.add(last)
    return sorted(addresses)


def test_app_listens_on_loopback_only(app: AppProcess):
    assert Settings().host == "127.0.0.1" and Settings.load(env={}).host == "127.0.0.1"
    assert app.url.startswith("http://127.0.0.1:")
    assert _listening_addresses(app.port) == {"0100007F"}  # 127.0.0.1, nothing else
    for address in _local_non_loopback_ipv4():
        with pytest.raises(OSError), socket.create_connection((address, app.port), timeout=3):
            pass


@pytest.fixture(scope="module")
def llm_401() -> Iterator[FakeLLM]:
    with fake_llm_server("401") as fake:
        yield fake


@pytest.fixture(scope="module")
def secured_app(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory, llm_401: FakeLLM
) -> Iterator[AppProcess]:
    """The app with a login, an API key and an LLM endpoint that refuses the key."""
    running = start_app(
        settings,
        tmp_path_factory.mktemp("secured"),
        RAG_AUTH=f"ani:{PASSWORD}",
        RAG_LLM_API_KEY=SECRET,
        RAG_LLM_BASE_URL=llm_401.url,
        RAG_LLM_TIMEOUT="5",
    )
    yield running
    stop_app(running)


# tests/test_app_api.py checks /config, /gradio_api/info, openapi.json and POST call/ask;
# these are the other routes that reach the queue, events, files and uploads
PROTECTED = [
    ("POST", "/gradio_api/queue/join"),
    ("GET", "/gradio_api/queue/data?session_hash=abc"),
    ("GET", "/gradio_api/queue/status"),
    ("GET", "/gradio_api/call/ask/0123456789abcdef"),
    ("POST", "/gradio_api/run/ask"),
    ("POST", "/gradio_api/api/ask"),
    ("POST", "/gradio_api/upload"),
    ("GET", "/gradio_api/upload_progress?upload_id=abc"),
    ("GET", "/gradio_api/file=/etc/passwd"),
    ("GET", f"/gradio_api/file={PROJECT_ROOT}/app.py"),
]


def test_rag_auth_guards_the_queue_and_every_other_api_route(secured_app: AppProcess):
    """``RAG_AUTH`` through ``python app.py``: no route answers without a login session."""
    body = {
        "data": [DP_QUESTION, [], None, None, None],
        "fn_index": 0,
        "session_hash": "abc",
        "event_data": None,
        "trigger_id": None,
    }
    with http_client() as client:
        page = client.get(secured_app.url + "/")
        assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
        assert "every answer is drawn" not in page.text  # the login page, not the app
        client.post(f"{secured_app.url}/login", data={"username": "ani", "password": "x"})
        for method, path in PROTECTED:  # after a failed login, too: no half-session
            kwargs = {"json": body} if method == "POST" else {}
            response = client.request(method, secured_app.url + path, **kwargs)
            # 401, or 403 where the route is refused to everyone (uploads: the app has none)
            assert response.status_code in (401, 403), (method, path, response.status_code)
            assert response.status_code == 401 or path.endswith("/upload"), (method, path)
            assert "Drew Daniels" not in response.text

    with http_client() as client:
        login = client.post(
            f"{secured_app.url}/login", data={"username": "ani", "password": PASSWORD}
        )
        assert login.status_code == 200
        assert "Drew Daniels" in api_ask(client, secured_app.url, DP_QUESTION).answer["answer"]


def test_no_secret_in_answers_logs_reports_or_pages(
    secured_app: AppProcess, llm_401: FakeLLM, pipeline, caplog
):
    # in process, with every logger at DEBUG
    with caplog.at_level(logging.DEBUG):
        pipe = pipeline.with_settings(llm_base_url=llm_401.url, llm_api_key=SECRET, llm_timeout=3)
        answer = pipe.ask(DP_QUESTION, generator="openai")
    assert answer.fallback_reason and "API key" in answer.fallback_reason
    assert "Drew Daniels" in answer.text
    assert any(SECRET in r["auth"] for r in llm_401.requests)  # the key was really sent
    from rag.ui import render_answer, render_sources

    rendered = render_answer(answer, 1) + render_sources(answer, 1, pipe.index.documents)
    leaks = {
        "answer JSON": json.dumps(answer.to_json()),
        "log": caplog.text,
        "rendered answer": rendered,
        "settings repr": repr(pipe.settings),
        "report settings": json.dumps(pipe.settings.public_dict()),
    }
    # through the running app: the API answer, its pages and its log
    with http_client() as client:
        client.post(f"{secured_app.url}/login", data={"username": "ani", "password": PASSWORD})
        reply = api_ask(client, secured_app.url, DP_QUESTION, [], "openai")
        assert reply.answer["fallback_reason"] and "Drew Daniels" in reply.answer["answer"]
        leaks["API answer"] = json.dumps(reply.data)
        for path in ("/", "/config", "/gradio_api/info"):
            response = client.get(secured_app.url + path)
            assert response.status_code == 200, path
            leaks[f"page {path}"] = response.text
    leaks["app log"] = secured_app.log_text()
    for where, text in leaks.items():
        assert SECRET not in text, f"the API key leaks into the {where}"
        assert PASSWORD not in text, f"the login password leaks into the {where}"


class _TagCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


ALLOWED_TAGS = {
    "a",
    "article",
    "br",  # the lines of a list answer
    "button",  # the copy button: its text to copy is an escaped attribute
    "strong",  # the short answer
    "blockquote",
    "code",
    "details",
    "div",
    "h3",
    "h4",
    "header",
    "mark",
    "p",
    "section",
    "span",
    "summary",
}


def check_markup_is_ours(fragment: str) -> None:
    """Only the tags and attributes the UI helpers write; no scripts, handlers or URLs."""
    parser = _TagCollector()
    parser.feed(fragment)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, (tag, fragment[:300])
        for name, value in attrs:
            ours = name in ("class", "id", "href", "title", "role", "type", "tabindex")
            assert ours or name.startswith(("aria-", "data-")), (tag, name)  # no handlers
            if name == "href":
                assert re.fullmatch(r"#src-\d+-\d+", value or ""), value
            elif name != "title" and not name.startswith(("aria-", "data-")):  # escaped text
                assert re.fullmatch(r"[\w -]*", value or ""), (name, value)


HOSTILE_TEXT = st.one_of(ANY_TEXT, MARKUP, st.lists(st.one_of(ANY_TEXT, MARKUP)).map("".join))


@hypothesis_settings(max_examples=60, deadline=None)
@given(question=hostile_questions(), passage=HOSTILE_TEXT, title=HOSTILE_TEXT)
def test_question_and_passage_text_never_become_markup(pipeline, question, passage, title):
    from rag.ui import render_answer, render_sources, render_streaming, render_user

    answer = pipeline.ask(question)
    article = f"{passage}\n\nDrew Daniels shot it. {passage}"
    start = article.index("Drew Daniels")
    hostile = Citation(
        n=1,
        source=f"{title}.txt",
        title=title,
        chunk_id="x#001",
        text=f"{passage} Drew Daniels shot it.",
        span=(start, start + len("Drew Daniels shot it.")),
        score=0.5,
        sentence="Drew Daniels shot it.",
    )
    documents = {
        hostile.source: Document(hostile.source, title, article, "0", ()),
        **pipeline.index.documents,
    }
    cited = Answer(question, f"{passage} [1] {question}", False, (hostile,), "extractive", {})
    for fragment in (
        render_user(question),
        render_streaming(f"{passage} [1]", 1),
        render_answer(answer, 1),
        render_sources(answer, 1, documents),
        render_answer(cited, 2),
        render_sources(cited, 2, documents),
        render_sources(
            Answer(question, passage or "x", True, (), "extractive", {}, related=(hostile,)),
            3,
            documents,
        ),
    ):
        check_markup_is_ours(fragment)

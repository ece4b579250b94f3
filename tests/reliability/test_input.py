"""Hostile and odd input: property-based questions through ``Pipeline.ask``, nasty strings
and wrong types through the HTTP API, every kind of bad corpus file through ``rag index``.
The per-file corpus rules are in tests/test_corpus.py.
"""

from __future__ import annotations

import json
import logging

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rag.pipeline import load_pipeline
from rag.settings import Settings
from tests.conftest import write_corpus
from tests.reliability.helpers import (
    MARKUP,
    NASTY,
    QUESTIONS,
    AppProcess,
    api_ask,
    check_answer_json,
    check_answer_shape,
    hostile_questions,
    http_client,
    run_cli,
    warning_messages,
)


@st.composite
def huge_questions(draw: st.DrawFn) -> str:
    unit = draw(st.one_of(st.text(st.characters(codec="utf-8"), min_size=1, max_size=12), MARKUP))
    head = draw(st.one_of(st.just(""), QUESTIONS))
    return (head + " " + unit * (100_000 // len(unit) + 1))[:100_000]


@hypothesis_settings(max_examples=80, deadline=None)
@given(question=hostile_questions(), history=st.lists(hostile_questions(), max_size=3))
def test_any_question_gets_an_answer_with_valid_markers(pipeline, question, history):
    check_answer_shape(pipeline.ask(question, history))


@hypothesis_settings(max_examples=10, deadline=None)
@given(question=huge_questions())
def test_hundred_thousand_character_questions_are_trimmed_and_answered(pipeline, question):
    answer = pipeline.ask(question)
    check_answer_shape(answer)
    assert len(answer.question) <= pipeline.settings.max_question_chars


def test_lone_surrogates_cannot_reach_the_answer(pipeline):
    # a Python str may hold lone surrogates (from JSON "\ud800" or undecodable argv bytes),
    # which UTF-8 cannot encode; the pipeline drops them like other control characters
    answer = pipeline.ask("\ud800Who was the director of photography?\udcff", ["\udfac"])
    assert "Drew Daniels" in answer.text
    json.dumps(answer.to_json(), ensure_ascii=False).encode("utf-8")


def test_nasty_strings_through_the_http_api(app: AppProcess):
    with http_client() as client:
        for question in NASTY:
            reply = api_ask(client, app.url, question, [question[:500]])
            assert reply.ok, (question[:60], reply.kind, reply.data)
            check_answer_json(reply.answer)
        # lone surrogates as JSON escapes, which Python decodes to unencodable strings
        raw = b'{"data": ["\\ud800", ["\\udfac"], null, null, null]}'
        reply = api_ask(client, app.url, None, raw=raw)
        assert reply.ok and reply.answer["abstained"], reply.data
        # null is an empty question, answered with the prompt to type one (a number is
        # refused: tests/test_api_input.py); wrong types never make a server error
        for args in [(None, None)]:
            reply = api_ask(client, app.url, *args)
            assert reply.ok, (args, reply.kind, reply.data)
            check_answer_json(reply.answer)
        for args in [("Who?", "not a list"), ("Who?", [1, {"a": 2}])]:
            reply = api_ask(client, app.url, *args)  # a clean error that names the field
            assert reply.kind == "error" and "history must be a list" in reply.data["error"]
        for name, extra in [
            ("generator", {"generator": "nope"}),
            ("retriever", {"retriever": "x"}),
        ]:
            reply = api_ask(client, app.url, "Who?", **extra)
            assert reply.kind == "error" and name in (reply.data.get("error") or ""), reply.data
        reply = api_ask(client, app.url, "Who?", k=0)
        assert (
            reply.kind == "error"
            and "k must be a whole number of at least 1" in reply.data["error"]
        )
        # a body that is not JSON is a client error, not a server error
        bad = client.post(
            f"{app.url}/gradio_api/call/ask",
            content=b'{"data": ',
            headers={"content-type": "application/json"},
        )
        assert 400 <= bad.status_code < 500
    assert not app.server_errors(), app.server_errors()


GOOD_ARTICLE = (
    "Behind the scenes of Anora\n\n"
    "The production's coffee cart was run by a retired sailor named Bartholomew Quince. "
    "He served the crew every morning of the New York shoot.\n\n"
    "The catering truck parked outside the Brighton Beach locations each day.\n"
)


def test_rag_index_skips_every_bad_file_and_builds_from_the_good_one(tmp_path, caplog):
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "good.txt": GOOD_ARTICLE,
            "empty.txt": "",
            "binary.txt": b"PK\x03\x04\x00\x00\x00binary\x00\xff" * 50,
            "latin1.txt": "Caf\u00e9 cr\u00e8me, the film's budget was secret.\n".encode("latin-1"),
        },
    )
    with open(corpus / "huge.md", "wb") as handle:  # sparse: 21 MiB of nothing, instantly
        handle.truncate(21 * 2**20)
    outside = write_corpus(tmp_path / "elsewhere", {"private.txt": "Private\n\nZyxwv budget.\n"})
    (corpus / "link.txt").symlink_to(outside / "private.txt")
    settings_ = Settings.load(env={}, corpus_dir=corpus, index_dir=tmp_path / "index")

    done = run_cli(settings_, "index")
    assert done.returncode == 0, done.stdout + done.stderr
    reasons = {
        "empty.txt": "empty file",
        "binary.txt": "binary file",
        "latin1.txt": "not UTF-8",
        "huge.md": "too large",
        "link.txt": "outside the corpus folder",
    }
    for name, reason in reasons.items():
        line = next((s for s in done.stdout.splitlines() if s.startswith(f"skipped {name}:")), "")
        assert reason in line, (name, done.stdout)
        warned = [s for s in done.stderr.splitlines() if f"skipping {name}: " in s]
        assert warned and reason in warned[0], (name, done.stderr)
    assert "indexed 1 articles" in done.stdout

    with caplog.at_level(logging.WARNING):
        pipe = load_pipeline(settings_)
    assert not [m for m in warning_messages(caplog) if "rebuilding" in m]  # the index is usable
    assert set(pipe.index.documents) == {"good.txt"}
    assert "Zyxwv" not in json.dumps([c.text for c in pipe.index.chunks])
    answer = pipe.ask("Who ran the production's coffee cart?")
    assert "Bartholomew Quince" in answer.text
    check_answer_shape(answer)

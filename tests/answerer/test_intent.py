"""What kind of answer a question wants, from its grammar (no index needed)."""

from __future__ import annotations

import pytest

from rag.answerer.intent import intent
from rag.text import corpus_names


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("hi", "chat"),
        ("thanks, thats all", "chat"),
        ("what can you do?", "chat"),
        ("whats it about", "summary"),
        ("how does it end", "summary"),
        ("why is everything so red in this movie", "summary"),
        ("what is igor like", "summary"),
        ("how is anora different from bakers older films", "summary"),
        ("who is in the cast", "list"),
        ("Which films inspired the look of Anora?", "list"),
        ("did it win anything", "yesno"),
        ("is ani a stripper or an escort?", "choice"),
        ("Who was the director of photography?", "fact"),
        ("How many days did they shoot in Las Vegas?", "fact"),
        ("What did Daniels borrow from Italian cinema?", "fact"),  # a name, not a plural
        ("Which silent-era comedian did Madison compare him to?", "fact"),  # not a comparison
        ("how did they film the home invasion", "summary"),  # "how" of manner
        ("how come she stays with him", "summary"),
        ("How fortunate did she feel to get the part?", "fact"),  # "how" of degree
        ("how big is the club", "fact"),
        ("how much of it was improvised", "summary"),  # an extent: how far, in what ways
        ("how much did the film cost", "fact"),  # a sum
        ("what does the house look like inside", "fact"),  # "like" then a place, not a manner
        ("what does the film look like visually", "summary"),  # "like" and an adverb
        ("what made the shoot so hard", "summary"),  # a cause: why was it so hard
        ("what made him famous", "fact"),  # what thing did: a fact
        ("Which actor plays the character who drives Ani home?", "fact"),  # a verb, its object
        ("Which actor plays Igor?", "fact"),
        ("what truly motivates Ani rather than money?", "fact"),  # an adverb: a verb follows
        ("What other places were used for those scenes?", "list"),
        # the question's source is not its ask: "theory" alone would make it open
        ("According to a fan theory, what drives Ani, rather than money?", "fact"),
        ("what do the fan theories say", "summary"),
    ],
)
def test_the_intent_comes_from_the_grammar(question, kind):
    assert intent(question).kind == kind


def test_a_name_typed_in_lower_case_is_read_as_the_corpus_spells_it():
    names = corpus_names(["Igor stands guard.", "In Borisov’s hands Igor was funny."])
    assert intent("which actor plays igor").kind == "list"  # "plays igor" could be a plural
    assert intent("which actor plays igor", names).kind == "fact"  # "plays Igor": a verb
    assert intent("which actors play igor", names).kind == "list"


def test_a_list_of_what_someone_made_is_a_list_of_works():
    made = (
        "what else has he directed",
        "list all of sean bakers movies",
        "which other movies has he made",
    )
    assert all(intent(q).kind == "list" and intent(q).works for q in made)
    # works, but not someone's: a list of sentences; and awards are no works
    others = ("which films inspired the look of anora", "what awards have bakers films won")
    assert not any(intent(q).works for q in others)


def test_a_question_on_how_the_story_goes_is_told_in_order():
    assert intent("how does it end").story and intent("what happens in the vegas part").story
    assert intent("whats it about").story  # a synopsis tells the story too
    assert not intent("why is everything so red in this movie").story
    assert not intent("In one fan-made alternate ending, what does Ani build?").story


def test_an_either_or_question_has_parallel_options():
    assert intent("is igor russian or armenian").options == ("russian", "armenian")
    assert intent("did they use real places or build sets").options == ("real places", "build sets")
    assert intent("is it set in LA or new york").options == ("LA", "new york")
    # an option opening with an article or preposition: the other opens at the same word
    assert intent("is vanya the same person as ivan or a different guy").options == (
        "same person as ivan",
        "different guy",
    )
    assert intent("was it in the main competition at cannes or in a sidebar").options == (
        "main competition at cannes",
        "sidebar",
    )


def test_what_the_film_is_about_is_a_synopsis():
    assert intent("whats it about").synopsis and intent("what's the plot?").synopsis
    assert not intent("what is igor like").synopsis


def test_the_cast_as_a_noun_is_a_list_and_casting_as_a_verb_is_not():
    assert intent("tell me about the cast").kind == "list" and intent("cast members").kind == "list"
    for q in ("why did baker cast mikey madison", "how did they cast the film"):
        assert intent(q).kind == "summary", q


def test_how_the_film_starts_is_told_by_the_synopsis():
    # the articles' summaries tell the story from its start; how it ends is still a story
    for q in ("how does it begin", "how does the movie start", "what happens at the start"):
        assert intent(q).synopsis and intent(q).kind == "summary", q
    assert intent("how does the film open").synopsis
    assert intent("how does anora end").story and not intent("how does anora end").synopsis
    # the start of something else is no synopsis
    for q in ("how did the production start", "how did baker start his career"):
        assert not intent(q).synopsis, q

"""The name, role and quantity rules, on the real index and answerer."""

from __future__ import annotations

import pytest

from rag.answerer.predicate import contrasted, passive_predicate, stranded_object
from rag.answerer.rules import OtherWorkRule
from rag.lexicon import NOT_FOUND
from rag.pipeline import as_turn
from rag.schema import Sentence
from tests.conftest import assert_every_claim_cited, check_citations


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("How much did Ivan pay Ani for the week?", "sum of money"),
        ("What was the film's budget?", "sum of money"),
        ("How old is Mikey Madison?", "age"),
        ("On what date was Anora released in U.S. cinemas?", "date"),
        ("What is the running time of Anora?", "length of time"),
    ],
)
def test_a_quantity_the_passages_do_not_state_is_not_answered(pipeline, question, missing):
    # on-topic, so the passages are close; but none of the sentences holds what was asked
    answer = pipeline.ask(question)
    assert answer.abstained and answer.text == NOT_FOUND and answer.citations == ()
    assert answer.notices == (f"The closest passages state no {missing}.",)
    assert answer.related


def test_a_date_is_the_date_of_what_the_question_says_happened(pipeline):
    # the articles date the start of production, never the release: "came in" is not
    # "came out", so the January 2023 of "began production" is no answer
    answer = pipeline.ask("when did anora come out")
    assert answer.abstained and answer.notices == ("The closest passages give no date for that.",)
    # a title dated in brackets is dated with its release ...
    florida = pipeline.ask("When did The Florida Project come out?")
    assert florida.short_answer == "2017"
    # ... and a sentence stating the verb dates it, in any tense ("won" for "win")
    assert pipeline.ask("In what year did Anora win the Palme d'Or?").short_answer == "2024"
    assert pipeline.ask("When did Anora begin production?").short_answer == "January 2023"


def test_a_date_asked_with_a_passive_verb_is_the_date_of_a_sentence_stating_it(pipeline):
    # no sentence says when Baker was born: "2000’s “Four Letter Words”" is no birth date
    born = pipeline.ask("when was baker born")
    assert born.abstained and born.notices == ("The closest passages give no date for that.",)
    # "months after release" states the release but dates nothing: the January 2023 of
    # "began production" beside it does not lead
    released = pipeline.ask("when was anora released")
    assert "January 2023" not in released.short_answer
    # another expression of the same event states it (lexicon.FILM_EVENTS: awarded, won)
    assert pipeline.ask("when was the palme d'or awarded").short_answer == "2024"
    # a when-question answered by an event, not a calendar date, still stands
    met = pipeline.ask("when did karagulian meet baker")
    assert not met.abstained and "student at NYU" in met.text
    # "what year is it set": after a pronoun the last word is the participle, so the
    # production's January 2023 does not date the story
    story = pipeline.ask("what year is it set")
    assert story.abstained and "2023" not in story.short_answer


def test_a_place_asked_with_a_passive_verb_is_where_a_sentence_says_that_happened(pipeline):
    # the articles say where Madison was first seen, never where she was born
    for question in ("where was mikey madison born", "Where was Sean Baker born?"):
        answer = pipeline.ask(question)
        assert answer.abstained and answer.notices == ("The closest passages do not say where.",)
        assert answer.related
    # "filmed" is stated as "shot" (lexicon.WORD_FORMS): the place is given
    answer = pipeline.ask("Where was Anora filmed?")
    assert not answer.abstained and answer.short_answer == "New York City"
    # a who-question's participle too: the sentence stating "married" answers, not the
    # one naming Karagulian most
    married = pipeline.ask("Who is Karren Karagulian married to?")
    assert married.short_answer == "a Russian-American woman from Brooklyn"
    assert "He knew that Karagulian is married to a Russian-American" in married.text
    assert passive_predicate("Who is Karren Karagulian married to?", {}) == ("married",)
    # a place asked of a noun ("where is the club?") holds no verb to be stated
    assert passive_predicate("where is the strip club", {}) == ()
    assert passive_predicate("Where were the club scenes shot?", {}) == ("shot",)


def test_a_kind_of_place_is_answered_by_a_sentence_naming_one_the_question_does_not(pipeline):
    # "his parents in Russia" names the question's own place, not a city in it
    history = ["is anis husband russian", "where are his parents"]
    answer = pipeline.ask("what city in russia are they from", history)
    assert answer.abstained and answer.notices == ("The closest passages do not say where.",)
    # the kind of place beside the name: led by the place, not by its owner ("New York’s")
    assert pipeline.ask("what neighborhood does ani live in").short_answer == "Brighton Beach"
    assert pipeline.ask("what state did baker grow up in").short_answer == "New Jersey"
    # the Palms is what the question names, not where it is; "which hotel" asks for it
    palms = pipeline.ask("what city is the palms in")
    assert not palms.abstained and "Palms" not in palms.short_answer
    assert pipeline.ask("what hotel did they stay at in vegas").short_answer == "The Palms Hotel"


@pytest.mark.parametrize(
    ("question", "lead", "sentence"),
    [
        ("Who does Ani share her Brighton Beach duplex with?", "her sister", "she shares with"),
        ("What did Four Letter Words draw from?", "his suburban upbringing", "drew heavily from"),
        (
            "What does Samantha Quan say Baker has always been interested in?",
            "“people and situations that are always there but people choose not to see them.”",
            "Samantha Quan",
        ),
    ],
)
def test_a_question_ending_in_a_preposition_leads_with_its_object(
    pipeline, question, lead, sentence
):
    # the sentence holding the question's word right before that preposition says what
    # the preposition's object is: the thing asked
    answer = pipeline.ask(question)
    assert answer.short_answer == lead
    assert sentence in answer.text
    check_citations(pipeline, answer)


def test_a_preposition_object_is_new_words_right_after_the_questions_own_word():
    asked = "Who does Ani share her duplex with?"
    assert stranded_object(asked, "She shares with her sister, who works nights.") == "her sister"
    assert stranded_object(asked, "She talks with Ivan.") is None  # not the question's verb
    assert stranded_object(asked, "She shares with Ani.") is None  # only the question's words
    assert stranded_object("Where does she share it with?", "She shares with Ivan.") is None


@pytest.mark.parametrize(
    ("question", "quantity"),
    [
        ("How many days did Anora shoot in New York City?", "37 days"),
        ("How long has Karagulian known Baker?", "30 years"),
        ("When did Anora begin production?", "January 2023"),
    ],
)
def test_a_quantity_the_passages_state_is_answered(pipeline, question, quantity):
    answer = pipeline.ask(question)
    assert not answer.abstained and quantity in answer.text and not answer.notices


def test_a_count_of_the_unit_asked_per_is_not_the_answer_even_with_a_modifier(pipeline):
    """ "per winter day" counts by the day: "10 days" of shooting is not how much light."""
    answer = pipeline.ask(
        "At most, how much usable daylight did the crew get per winter day in the house?"
    )
    assert answer.short_answer == "8 hours"


def test_a_name_lead_never_runs_across_a_sentence_end(pipeline):
    from rag.answerer import analyse
    from rag.answerer.spans import short_answer

    quote = next(s.text for s in pipeline.index.sentences if "sent it to Sean. It" in s.text)
    lead = short_answer(analyse("whats the name of the guy he sent the tape to"), quote)
    assert lead == "Sean"


def test_questions_an_event_or_words_can_answer_are_not_held_to_a_quantity(pipeline):
    from rag.answerer import analyse

    extractive = pipeline.generator("extractive")

    def missing(question: str) -> str | None:
        request, _, _ = pipeline.prepare(question)
        chosen = extractive.select(extractive.candidates(request))
        return extractive.quantity.missing(analyse(question), chosen)

    for question in ("When did Karagulian first meet Baker?", "How much did Madison enjoy it?"):
        assert missing(question) is None
    # "when" answered by an event, not a date
    answer = pipeline.ask("When did Karagulian first meet Baker?")
    assert not answer.abstained and "when he was a student at NYU" in answer.text
    # ... but a question naming the unit it wants is
    assert (
        missing("In what year did Karagulian meet Baker?") == "The closest passages state no date."
    )


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("What is the name of the character played by Karren Karagulian?", "Toros"),
        ("What is Ani's surname?", "Ani Mikheeva"),
        # in a passage ranked below the first five: the answerer looks further for a name
        ("What is Ivan's surname?", "Ivan Zakharov"),
        # typed in lower case, and found wherever the corpus gives it
        ("whats ani's real name", "Ani Mikheeva"),
        ("what is ivan's full name", "Ivan Zakharov"),
    ],
)
def test_a_name_question_is_answered_by_the_sentence_giving_the_name(pipeline, question, name):
    answer = pipeline.ask(question)
    assert not answer.abstained and name in answer.text
    assert answer.short_answer == name  # the full name leads, as the sentence spells it
    check_citations(pipeline, answer)
    if "Ivan" in question:
        request, _, _ = pipeline.prepare(question)
        assert not any(name in h.chunk.text for h in request.hits)
        assert any(name in h.chunk.text for h in request.deeper())


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("What is the name of Ani's sister?", "the sister's name"),
        ("What is the name of the strip club where Ani works?", "the club's name"),
    ],
)
def test_a_name_the_passages_do_not_give_is_not_answered(pipeline, question, missing):
    answer = pipeline.ask(question)
    assert answer.abstained and answer.text == NOT_FOUND and answer.citations == ()
    assert answer.notices == (f"The closest passages do not give {missing}.",)
    assert answer.related


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who was the production designer of Anora?", "Stephen Phelps"),
        # no article says "cinematographer": the sentence naming the "DP" mentions the role
        ("Who was the cinematographer of Anora?", "Drew Daniels"),
        ("Which actor plays Igor?", "Borisov"),  # the sentence crediting him (rag.answerer.cast)
        ("Who plays Ani in Anora?", "Mikey Madison"),
    ],
)
def test_a_role_the_passages_mention_is_answered(pipeline, question, name):
    answer = pipeline.ask(question)
    assert not answer.abstained and name in answer.text and not answer.notices


@pytest.mark.parametrize("question", ["who is baker's wife", "Who is Sean Baker's wife?"])
def test_someones_relation_leads_with_the_name_it_is_apposed_to(pipeline, question):
    # "Samantha Quan, a producer of “Anora” and Baker’s wife, says …": the relation closes a
    # coordinated apposition (the lead was "Anora"); the owner is named by surname alone
    # ("Sean Baker's wife" abstained: no sentence says "Sean" beside "wife")
    answer = pipeline.ask(question)
    assert not answer.abstained and answer.short_answer == "Samantha Quan"
    assert_every_claim_cited(answer)
    after = pipeline.ask("who is his wife", [as_turn(pipeline.ask("who directed it"))])
    assert after.short_answer == "Samantha Quan"
    # whom an actor plays is a cast question, not a relation of hers
    assert pipeline.ask("Who is Mikey Madison's character?").short_answer == "Ani"


@pytest.mark.parametrize(
    ("question", "role"),
    [
        ("Who was the costume designer on Anora?", "the costume designer"),
        # "casting" stems as the actors' "cast", and "Director Sean Baker" holds "director":
        # a job of two words is named by the two together
        ("whos the casting director", "the casting director of Anora"),
        ("Who served as casting director for Anora?", "the casting director"),
    ],
)
def test_a_role_the_passages_never_mention_is_not_answered(pipeline, question, role):
    # the production designer and Ivan's father are close, but they are not what was asked
    answer = pipeline.ask(question)
    assert answer.abstained and answer.text == NOT_FOUND and answer.citations == ()
    assert answer.notices == (f"The closest passages do not mention {role}.",)
    assert answer.related


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("who designed the costumes", "the costumes"),  # the designer is of sets
        ("Who wrote Hamlet?", "Hamlet"),  # "while writing the script" is close
        ("who did the soundtrack for anora", "the soundtrack"),
    ],
)
def test_a_deed_done_to_something_the_articles_never_mention_is_not_answered(
    pipeline, question, thing
):
    answer = pipeline.ask(question)
    assert answer.abstained and answer.text == NOT_FOUND and answer.citations == ()
    confident = answer.confidence >= pipeline.generator().threshold
    assert answer.notices == ((f"The articles never mention {thing}.",) if confident else ())


def test_a_deed_done_to_what_the_articles_mention_is_answered(pipeline):
    from rag.answerer import analyse
    from rag.answerer.rules import UnmentionedRule

    rule = UnmentionedRule(lambda: frozenset(["costum", "home"]))
    assert rule.missing(analyse("who designed the costume?")) is None  # an inflection
    assert rule.missing(analyse("who designed the sets")) == "The articles never mention the sets."
    assert rule.missing(analyse("who shot it")) is None  # a pronoun: the film
    answer = pipeline.ask("who drives ani home")
    assert not answer.abstained and answer.short_answer == "Igor"
    assert_every_claim_cited(answer)


@pytest.mark.parametrize(
    "question",
    ["whos the guy in charge of the home invasion", "whos the actress playing ani"],
)
def test_someone_described_is_not_a_job_the_sentence_must_name(question):
    from rag.answerer import analyse

    assert analyse(question).role is None  # the ranker and the cast rules answer these


def test_a_fact_said_of_another_film_does_not_answer_for_the_film_asked_about(pipeline):
    # the best sentence gives Red Rocket's distributor, and never names Anora
    answer = pipeline.ask("Which company distributed Anora in U.S. theaters?")
    assert answer.abstained and answer.text == NOT_FOUND
    assert answer.notices == ("The closest passages say that of Red Rocket, not of Anora.",)
    assert answer.related
    # "the film" (naming nothing else) is the film the articles are about, as its name is
    for question, other in (
        ("who distributed the film in the us", "Red Rocket"),
        ("when did the movie premiere", "The Florida Project"),
    ):
        said = pipeline.ask(question)
        assert said.abstained and said.short_answer == ""
        assert said.notices == (f"The closest passages say that of {other}, not of Anora.",)
    # a sentence naming other films as its objects still answers about the director
    assert pipeline.ask("who directed anora").short_answer == "Sean Baker"
    # and a question naming the other film is answered from it
    red_rocket = pipeline.ask("Which company distributed Red Rocket in the U.S.?")
    assert not red_rocket.abstained and "A24" in red_rocket.text


@pytest.mark.parametrize("question", ["what awards did it win", "which awards has Anora won"])
def test_a_list_asked_of_the_film_gathers_nothing_said_of_another_work(pipeline, question):
    # the best sentences give Starlet's and Tangerine's awards, and "the film" right after
    # "His previous film The Florida Project (2017) …" is that film, not Anora
    answer = pipeline.ask(question)
    assert "Palme d’Or" in answer.text
    assert not any(t in answer.text for t in ("Starlet (2012)", "Tangerine (2015)", "Dafoe"))
    assert answer.text.startswith("It won the Palme d’Or")  # a list of one: a sentence
    check_citations(pipeline, answer)
    # asked of Baker or of his films, they are what was asked
    for of_others in ("what awards did baker win", "what awards have bakers films won"):
        assert "Tangerine (2015)" in pipeline.ask(of_others).text


def test_the_film_after_a_sentence_opening_on_another_work_is_that_work():
    rule = OtherWorkRule(lambda: ["Anora notes", "Anora review"], _SENTENCES)
    assert rule.subject == "Anora"
    assert rule.of_other_work(_SENTENCES[0])  # opens on Red Rocket's title
    assert rule.of_other_work(_SENTENCES[1])  # "the film" just after it
    assert not rule.of_other_work(_SENTENCES[2])  # names Anora
    assert not rule.of_other_work(_SENTENCES[3])  # another article


_SENTENCES = [
    Sentence(0, "a.txt", 0, 0, "His previous film Red Rocket (2021) premiered at Cannes."),
    Sentence(1, "a.txt", 0, 0, "Among the accolades the film received was a prize."),
    Sentence(2, "a.txt", 0, 0, "Anora, like the film before it, premiered there."),
    Sentence(3, "b.txt", 0, 0, "The film was shot in New York."),
]


@pytest.mark.parametrize(
    "question",
    [
        "According to a recurring fan theory, what really drives Ani, rather than money?",
        "what does ani want, rather than wealth?",
    ],
)
def test_a_question_setting_one_thing_against_another_leads_with_the_other(pipeline, question):
    # "not wealth, but validation": the sentence puts validation where the question
    # sets money aside; a "theory" in the question's source does not make it open
    answer = pipeline.ask(question)
    assert answer.short_answer == "validation"
    assert "not wealth, but validation" in answer.text
    check_citations(pipeline, answer)


def test_a_contrast_is_read_only_where_the_question_sets_one_thing_against_another():
    said = "What she wants is not wealth, but validation."
    assert contrasted("What does she want rather than wealth?", said) == "validation"
    assert contrasted("What does she want?", said) is None  # nothing set against
    assert contrasted("What does she want instead?", "Not only fame but also money.") is None


def test_where_from_is_answered_by_a_sentence_saying_whom_the_question_names_comes_from(pipeline):
    # "her job at a Manhattan gentlemen’s club" says where Ani works, not where she is from
    ani = pipeline.ask("where is ani from")
    assert ani.short_answer == "Brighton Beach" and "escort from New York’s" in ani.text
    check_citations(pipeline, ani)
    baker = pipeline.ask("where is sean baker from")
    assert baker.short_answer == "New Jersey" and "grew up in New Jersey" in baker.text
    # no sentence says where Karagulian comes from ("married to a … woman from Brooklyn")
    assert pipeline.ask("where does karagulian come from").abstained

"""Composing answers: short answers, cuts, captions, summaries, lists, off-topic."""

from __future__ import annotations

import doctest
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rag.answerer.compose import SUMMARY_WORDS, short_answer
from rag.answerer.excerpt import Nearness, clip, focus
from rag.answerer.question import analyse
from rag.lexicon import CAPABILITIES, OFF_TOPIC, WELCOME
from rag.text import is_caption
from tests.conftest import assert_every_claim_cited


@pytest.mark.parametrize(
    ("question", "sentence", "span"),
    [
        (
            "Who was the director of photography?",
            "The director of photography was Drew Daniels.",
            "Drew Daniels",
        ),
        ("How many days did they shoot?", "They shot for 37 days in New York.", "37 days"),
        (  # the question's word ending one inner sentence says nothing of the next one's names
            "Whose camerawork on The French Connection did he try to channel?",
            "I tried to channel the way Owen Roizman shot The French Connection. From Italian "
            "cinema I took the zooms.",
            "Owen Roizman",
        ),
        (  # a counted compound is counted whole, not cut at its first noun
            "How many Gotham Awards did Tangerine win?",
            "Tangerine won an Independent Spirit and two Gotham Awards.",
            "two Gotham Awards",
        ),
        (  # of two names as near, the one by the question's last word; an adverb modifies no name
            "Who distributed it internationally?",
            "It was distributed by A24 in the U.S. and by Focus Features internationally.",
            "Focus Features",
        ),
        (
            "Who distributed it in the U.S.?",
            "It was distributed by A24 in the U.S. and by Focus Features internationally.",
            "A24",
        ),
        (  # a count of the unit the question counts by ("each day") is not the answer
            "How much daylight did they get each day?",
            "During the 10 days we had only about 8 hours of shootable light a day.",
            "8 hours",
        ),
        (
            "When did production begin?",
            "Production began in January 2023 in Brooklyn.",
            "January 2023",
        ),
        (
            "How many of his films are about sex work?",
            "Sex work has figured in half of Baker’s films.",
            "half",
        ),
        (  # a place the question names itself is not the one it asks for
            "In Red Rocket, where does the porn star live?",
            "Baker's films include the story told in Red Rocket, of a porn star who lives "
            "in a Texas refinery town.",
            "Texas",
        ),
        (  # a wh-word left at the end; the year of the title asked, not the first year
            "prince of broadway came out when?",
            "Starlet (2012) won, and his previous two features, Take Out (2004) and Prince of "
            "Broadway (2008), were both nominated.",
            "2008",
        ),
        (  # "the daughter of which actress": the owner of the daughter, not the show
            "She is best known for playing the eldest daughter of which actress?",
            "Madison, best known for playing Pamela Adlon’s eldest daughter in “Better Things”.",
            "Pamela Adlon",
        ),
        (  # two names joined by "and" do it together
            "Who acted out the intimate scenes' choreography?",
            "For the sex scenes, Baker and Quan would themselves model the movements.",
            "Baker and Quan",
        ),
        (  # "who directed X": the name the sentence titles director, not the one thanking
            "who directed vampyros lesbos",
            "In the credits, Baker thanks the director Jesús Franco for the colors of "
            "“Vampyros Lesbos.”",
            "Jesús Franco",
        ),
    ],
)
def test_the_short_answer_is_the_span_asked_for(question, sentence, span):
    assert short_answer(analyse(question), sentence) == span


def test_a_name_leads_by_the_question_s_other_words_not_the_name_it_asks_about():
    # "Ani" is whom the question asks about: the name by "fighting" answers it
    names = {"ani": "Ani", "toros": "Toros", "igor": "Igor"}
    sentence = "Ani meets Toros at the club, and later she is fighting with Igor."
    assert short_answer(analyse("who does ani keep fighting with"), sentence, names) == "Igor"


def test_the_subject_of_the_question_s_verb_is_not_whom_it_asks_for():
    # "who does ani live with" asks whom Ani lives with: Ivan, living his own life, is no answer
    names = {"ani": "Ani", "ivan": "Ivan"}
    fast = "Ivan is living a very fast life in Brighton Beach, drinking, smoking."
    assert short_answer(analyse("who does ani live with in brighton beach"), fast, names) is None
    shares = "Ani shares a duplex with her sister, and later she lives with Ivan."
    assert short_answer(analyse("who does ani live with"), shares, names) == "Ivan"


def test_someone_s_relation_is_answered_only_by_a_name_the_sentence_gives_it():
    names = {"ivan": "Ivan", "toros": "Toros", "garnick": "Garnick", "igor": "Igor", "ani": "Ani"}
    parents = "The clock starts ticking when Ivan’s parents in Russia get wind of the union."
    assert short_answer(analyse("who are ivan's parents"), parents, names) is None
    boss = "Karagulian’s character, Toros, who is acting on orders from his boss, a powerful Russian oligarch."
    assert short_answer(analyse("who is toros's boss"), boss, names) is None
    # Garnick is Toros's friend: the sentence names Igor's nowhere
    friend = "Toros has dispatched his friend and associate Garnick and a Russian named Igor."
    assert short_answer(analyse("who is igor's friend"), friend, names) is None
    wife = "Samantha Quan, a producer of “Anora” and Baker’s wife, says he has always been curious."
    assert short_answer(analyse("who is baker's wife"), wife, names) == "Samantha Quan"


def test_who_is_x_is_answered_by_an_apposition_before_the_name_too():
    from rag.answerer.spans import described

    toros = "a home invasion overseen by Karagulian’s character, Toros, who is acting on orders"
    assert described("toros", toros) == "Karagulian’s character"
    igor = "its final moments find Ani sitting in a car with her erstwhile captor, Igor, who drove"
    assert described("igor", igor) == "her erstwhile captor"
    # an opening phrase before the subject is no apposition: the name goes on as the subject
    assert described("ani", "With Ivan’s parents en route, Ani is forced to join Toros.") is None


def test_a_clause_set_apart_by_dashes_holds_its_own_names():
    # the question's words stand in the dashes' clause, with Willem Dafoe; "Sean" outside it
    # is not near them, and "Director" left of "Best Director" is an award, not a name
    accolades = (
        "Among the many accolades the film received — including an Oscar nomination for "
        "Willem Dafoe for Best Supporting Actor — Sean was named Best Director by the New "
        "York Film Critics Circle."
    )
    names = {"willem dafoe": "Willem Dafoe", "sean": "Sean", "sean baker": "Sean Baker"}
    for question in (
        "Which actor earned an Oscar nomination for it?",
        "Who earned a Best Supporting Actor Oscar nomination for The Florida Project?",
    ):
        assert short_answer(analyse(question), accolades, names) == "Willem Dafoe"


def test_no_short_answer_without_the_kind_asked_for_or_near_the_question():
    assert short_answer(analyse("Why did he shoot on film?"), "He loves 35mm film.") is None
    # a speaker is not what the quotation is about; an award naming the job is no holder
    said = "Says Baker, “This cast was primarily comprised of seasoned, professional actors.”"
    assert short_answer(analyse("whos the casting director"), said) is None
    award = "Sean was named Best Director by the New York Film Critics Circle."
    assert short_answer(analyse("who is the director"), award) != "Best Director"
    # a name joined to the question's verb is the name ("Richard Linklater-influenced")
    influenced = "Still, his Richard Linklater-influenced first feature drew on his upbringing."
    assert short_answer(analyse("Which filmmaker influenced it?"), influenced) == (
        "Richard Linklater"
    )
    # "in Baker’s career" names an owner, not where anything premiered
    origins = "The origins of Anora lie in Baker’s career-long collaboration with Karagulian."
    assert short_answer(analyse("where did Anora premiere"), origins) is None
    # after "a" or "an" a capitalised word is nobody's name: "a Russian named Igor"
    guard = "Toros sent a Russian named Igor and his friend Garnick to stand guard."
    assert short_answer(analyse("Besides Igor, who stands guard?"), guard) == "Garnick"
    # a name in the possessive owns the thing named after it: it is not who was asked for
    owner = "The home invasion is overseen by Karagulian’s character in the film."
    assert short_answer(analyse("Who oversees the home invasion?"), owner) is None
    # a name far from every word of the question may be anyone's
    far = (
        "Drew Daniels was there. " + "It was a long and cold winter of work, " * 3 + "said the DP."
    )
    assert short_answer(analyse("Who was the costume designer?"), far) is None


def test_a_long_quote_is_cut_around_its_answer_and_says_so():
    text = "First part here. " * 20 + "The answer is Tatiana’s. " + "Last bit. " * 20
    shown = clip(text.strip(), 12, keep="Tatiana’s")
    assert "Tatiana’s" in shown and shown.startswith("…") and shown.endswith("…")
    assert len(shown.split()) <= 14


def test_a_long_quote_opens_at_the_part_that_answers_and_keeps_its_speaker():
    text = (
        "Adds Tovmaysan, “With every step, you could feel the film getting better and better. "
        "It was a joy to work on, every single day of the shoot. "
        "I also enjoyed how he mixed three different cultures in this film.”"
    )
    idf = {"mixed": 3.0, "cultures": 3.0, "three": 1.0, "film": 0.2}
    shown = focus(text, "Which three cultures did Baker mix in the film?", idf, 45, 25)
    assert (
        shown
        == "Adds Tovmaysan, “… I also enjoyed how he mixed three different cultures in this film.”"
    )
    # a paragraph whose opening is the part nearest the question, or short, is shown whole
    assert focus(text, "How did the film get better?", {"better": 3.0}, 45, 25) == text
    assert focus(text, "Which cultures?", idf, 45, 100) == text


def _near_words(*asked: str) -> Nearness:
    """A Nearness whose late-interaction score is the share of ``asked`` words a part holds
    (a stand-in for the index's word-piece vectors: this tests where a sentence is cut)."""

    def parts(candidate: Any, pieces: Any) -> list[float]:
        return [sum(w in p.lower() for w in asked) / len(asked) for p in pieces]

    return Nearness({}, parts)


def test_a_long_sentence_opens_at_the_clause_that_answers_and_keeps_its_speaker():
    text = (
        "Says Daniels, “We shot out in the streets with the actual light of New York City and "
        "Brooklyn and the boroughs around it, and I particularly tried to channel the way "
        "Owen Roizman shot The French Connection.”"
    )
    near = _near_words("channel", "cinematographer")
    sentence = SimpleNamespace(sentence=SimpleNamespace(text=text))
    shown = near.clause(sentence, text, "which cinematographer did he channel")
    assert shown == (
        "Says Daniels, “… I particularly tried to channel the way Owen Roizman shot "
        "The French Connection.”"
    )
    assert shown.removeprefix("Says Daniels, “… ").rstrip("”") in text  # a verbatim run


def test_a_phrase_joined_by_and_and_a_preposition_is_a_clause_to_open_at():
    # "… zooms and from films like …": no comma, yet a second thing borrowed, from elsewhere
    text = (
        "Says Daniels, “From Italian cinema I tried to borrow the use of zooms and from films "
        "like Jean Luc Godard’s Contempt, we were inspired by the use of color and composition.”"
    )
    sentence = SimpleNamespace(sentence=SimpleNamespace(text=text))
    shown = _near_words("godard").clause(sentence, text, "what did he take from godard")
    assert shown == (
        "Says Daniels, “… from films like Jean Luc Godard’s Contempt, we were inspired by the "
        "use of color and composition.”"
    )
    # "and" before "of" continues a phrase: "the use of color and of light" is not cut
    kept = (
        "They spoke at length with the whole crew during the weeks of preparation about the "
        "general use of color and of natural light in the movie’s night scenes."
    )
    held = SimpleNamespace(sentence=SimpleNamespace(text=kept))
    assert _near_words("light").clause(held, kept, "what about light") == kept


def test_a_real_answer_takes_from_godard_what_the_clause_after_him_says(pipeline):
    answer = pipeline.ask("What did Drew Daniels take from Godard?")
    assert "color and composition" in " ".join(answer.text.split()[:25]), answer.text
    assert_every_claim_cited(answer)


@pytest.mark.parametrize(
    "text",
    [
        # what comes before the clause is short: it gives the clause its subject
        "That is true of it, and its final moments find Ani sitting in a car with Igor, who "
        "has driven her back home to Brighton Beach after the long night of searching.",
        # a colon opens what the words before it attribute
        "He goes on to describe the overall strategy they developed with the whole crew: "
        "“Sean and I were going for a cold, gray version of a New York winter in the car.”",
        # a sentence a reader takes in at a glance is not cut
        "It rained a lot that week; they stayed in the car.",
    ],
)
def test_a_sentence_is_not_cut_where_the_cut_would_lose_its_subject(text):
    sentence = SimpleNamespace(sentence=SimpleNamespace(text=text))
    assert _near_words("car").clause(sentence, text, "where is she sitting, in a car?") == text


def test_excerpt_examples_hold():
    import rag.answerer.excerpt

    assert doctest.testmod(rag.answerer.excerpt).failed == 0


def test_a_real_answer_opens_at_the_clause_that_names_who_was_asked_about(pipeline):
    answer = pipeline.ask("who is owen roizman?")
    assert "Owen Roizman" in " ".join(answer.text.split()[:12]), answer.text
    assert_every_claim_cited(answer)


def test_a_summary_opens_with_its_most_relevant_sentence(pipeline):
    answer = pipeline.ask("how did they film the sex scenes")
    first = answer.text.split("[")[0]
    assert "model the movements" in first, answer.text
    assert_every_claim_cited(answer)


def test_no_answer_is_longer_than_a_reader_takes_in(pipeline):
    from rag.evaluation import load_gold
    from rag.metrics import strip_markers

    gold = load_gold(Path(__file__).resolve().parents[2] / "eval" / "gold.jsonl")
    lengths = {
        item.question: len(strip_markers(pipeline.ask(item.question).text).split())
        for item in gold
        if not item.history
    }
    assert max(lengths.values()) <= SUMMARY_WORDS, max(lengths, key=lengths.get)


def test_how_it_ends_is_told_in_the_articles_order(pipeline):
    # the fans' alternate endings score best for the word "end", but the story comes first
    answer = pipeline.ask("how does it end")
    text = answer.text
    assert "final moments" in text and "alternate endings" not in text.split("[")[0]
    if "ambiguous conclusions" in text:  # the sentence the article says it right after
        assert text.index("ambiguous conclusions") < text.index("final moments")
    assert_every_claim_cited(answer)


def test_captions_and_headlines_are_recognised():
    assert is_caption("Sean Baker and DP Drew Daniels on the set of ANORA.")
    assert not is_caption("He re-teamed with his director of photography, Drew Daniels.")


def test_a_fact_leads_with_its_short_answer(pipeline):
    answer = pipeline.ask("Who was the director of photography?")
    assert answer.short_answer == "Drew Daniels"
    assert_every_claim_cited(answer)
    assert not any(is_caption(c.sentence) for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "holder"),
    [
        ("who shot it", "Drew Daniels"),  # retrieved first: only a photo caption names him
        ("who filmed anora", "Drew Daniels"),  # the film named, not "it"
        ("who produced it", "Samantha Quan"),  # "Samantha Quan, a producer of ..."
        ("who was the production designer", "Stephen Phelps"),
        ("who is the director", "Sean Baker"),  # not "Best Director", an award he won
    ],
)
def test_a_job_question_leads_with_the_name_the_job_titles(pipeline, question, holder):
    answer = pipeline.ask(question)
    assert answer.short_answer == holder
    assert answer.text.startswith(f"{holder} — ")
    assert not any(is_caption(c.sentence) for c in answer.citations)
    assert_every_claim_cited(answer)


def test_a_caption_naming_only_the_asked_person_is_not_quoted(pipeline):
    # the caption "Sean Baker and DP Drew Daniels on the set" is retrieved, but says nothing
    # about whom Daniels tried to channel: its other name must not lead the answer
    answer = pipeline.ask("who did drew daniels try to channel")
    assert answer.short_answer != "Sean Baker"
    assert not any(is_caption(c.sentence) for c in answer.citations)
    assert_every_claim_cited(answer)


def test_a_caption_holding_only_another_word_of_the_asked_stem_is_not_quoted(pipeline):
    # "Sean Baker and the cast during the filming of Anora." shares the stem of "casting"
    # and nothing else the question asks: it must not answer who did the casting
    answer = pipeline.ask("who did the casting")
    assert answer.short_answer != "Sean Baker"
    assert not any(is_caption(c.sentence) for c in answer.citations)
    assert_every_claim_cited(answer)


def test_what_else_asks_for_several_things(pipeline):
    from rag.pipeline import as_turn

    first = pipeline.ask("who was the production designer")
    more = pipeline.ask("what else did he do on the film", [as_turn(first)])
    assert more.text.startswith("- ") and more.text.count("\n- ") >= 1
    assert not {c.sentence for c in first.citations} & {c.sentence for c in more.citations}


def test_what_else_someone_made_is_listed_by_title_from_sentences_not_shown(pipeline):
    from rag.pipeline import as_turn

    first = pipeline.ask("who directed anora")  # its sentence names four of his films
    more = pipeline.ask("what else has he directed", [as_turn(first)])
    lead, *items = more.text.split("\n")
    titles = lead.rstrip(":").split(", ")
    assert len(titles) >= 3 and "Anora" not in titles, more.text
    # each title is in a quoted item, none of which the first answer quoted
    assert all(any(t in item for item in items) for t in titles)
    assert not {c.sentence for c in first.citations} & {c.sentence for c in more.citations}
    assert_every_claim_cited(more)


def test_what_it_is_about_is_a_short_summary_of_several_sentences(pipeline):
    answer = pipeline.ask("whats it about")
    assert not answer.abstained and len(answer.text.split()) <= SUMMARY_WORDS + 10
    assert answer.text.count("[") >= 2
    assert "oligarch" in answer.text
    assert_every_claim_cited(answer)


def test_every_phrasing_of_what_it_is_about_gets_the_story(pipeline):
    answers = [
        pipeline.ask(q)
        for q in (
            "whats it about",
            "what is the movie about",
            "whats the plot",
            "what is anora about",
        )
    ]
    assert len({a.text for a in answers[:3]}) == 1  # one question, however it is typed
    for answer in answers:
        # a synopsis names who the story is about, not only "a thought-provoking film"
        first_two = " ".join(c.sentence for c in answer.citations[:2])
        assert "Ani" in first_two and ("Vanya" in answer.text or "Ivan" in answer.text)
        assert_every_claim_cited(answer)


def test_a_list_question_is_answered_as_a_list(pipeline):
    answer = pipeline.ask("what awards have bakers films won")
    assert not answer.abstained and answer.text.startswith("- ")
    assert answer.text.count("\n- ") >= 1
    assert_every_claim_cited(answer)


def test_an_either_or_answer_leads_with_both_when_the_evidence_says_both(pipeline):
    answer = pipeline.ask("is ani a stripper or an escort?")
    assert answer.short_answer == "Both" and answer.text.startswith("Both — ")
    assert_every_claim_cited(answer)


def test_an_option_read_only_inside_the_other_is_not_both():
    from rag.answerer.yesno import _apart
    from rag.text import terms

    said = terms("Baker noted for using non professional actors.")
    assert not _apart(["professional actors", "non professionals"], said)
    assert _apart(["stripper", "escort"], terms("Ani, a stripper and escort from Brooklyn"))


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("hi", CAPABILITIES),
        ("what can you do?", CAPABILITIES),
        ("thanks, thats all", WELCOME),  # thanks want no list of what it can do
        ("can u give me a borscht recipe", OFF_TOPIC),
        ("best bars in brighton beach", OFF_TOPIC),
        # "this year" is not the film: the gate reads the question without the film's name
        ("who won the world series this year", OFF_TOPIC),
        # nearer other topics, in words the articles never use, about nothing in the film
        ("whats 17 times 23", OFF_TOPIC),
        ("write a python function that reverses a string", OFF_TOPIC),
        ("What is the capital of Australia?", OFF_TOPIC),
        # every word the articles' ("weather", "vegas", "today"), but far nearer other topics
        ("what's the weather in vegas today", OFF_TOPIC),
    ],
)
def test_small_talk_and_off_topic_get_a_short_reply_and_no_passages(pipeline, question, reply):
    answer = pipeline.ask(question)
    assert answer.abstained and answer.text == reply
    assert answer.citations == () and answer.related == ()


@pytest.mark.parametrize(
    "question",
    [
        "what is the strip club called",
        "where is the strip club",
        "whats it about",
        "what else",
        "what was the weather like on set",
    ],
)
def test_a_question_about_the_films_own_places_is_not_declined(pipeline, question):
    # near "bars and places to eat" to the embedder, but every word is the articles'
    assert pipeline.ask(question).text != OFF_TOPIC


@pytest.mark.parametrize(
    ("question", "sentence", "title"),
    [
        ("What was Sean Baker's debut feature?",
         "He has worked with the filmmaker since his debut feature, Four Letter Words (2000).",
         "Four Letter Words"),
        ("Which horror film convinced Baker?",
         "Baker and Quan went to see the horror reboot Scream V which cemented the decision.",
         "Scream V"),
        ("What's the title of the memoir she wrote?",
         "They worked with consultant Andrea Werhun, author of the memoir “Modern Whore.”",
         "Modern Whore"),
        # the wh-phrase after a preposition, not opening the question
        ("The actor who plays Toros has worked with Baker since which of Baker's films?",
         "He has worked with the filmmaker since his debut feature, Four Letter Words (2000).",
         "Four Letter Words"),
        ("The street was made famous by the car chase of which movie?",
         "He shot beneath the subway immortalized by the chase scene in “The French Connection.”",
         "The French Connection"),
    ],
)  # fmt: skip
def test_a_work_asked_for_is_the_title_in_apposition_to_its_noun(question, sentence, title):
    assert short_answer(analyse(question), sentence) == title


def test_a_plural_work_noun_opens_a_list_and_gives_no_title():
    sentence = "Sex work figures in Baker’s films, the iPhone-shot Tangerine is about sex workers."
    assert short_answer(analyse("Which Baker film is about a porn star?"), sentence) is None


def test_where_it_was_filmed_is_where_it_was_shot(pipeline):
    answer = pipeline.ask("where was it filmed")
    assert answer.short_answer == "New York City"
    assert "shot for 37 days in New York City" in answer.text


def test_a_real_either_or_answer_quotes_what_it_was_shot_on(pipeline):
    answer = pipeline.ask("was it shot on film or digital")
    assert answer.text.startswith("film — "), answer.text
    assert "35mm" in " ".join(answer.text.split()[:25]), answer.text
    assert_every_claim_cited(answer)


def test_an_option_leads_as_the_sentence_spells_it(pipeline):
    answer = pipeline.ask("is igor russian or armenian")
    assert answer.text.startswith("Russian — ")


@pytest.mark.parametrize(
    ("question", "sentence", "title"),
    [
        # a quoted title, wherever it stands
        ("Which TV series is the actress best known for?",
         "The actress, best known for playing a daughter in “Quiet Hours”, was cast in 2020.",
         "Quiet Hours"),
        ("Which picture by Rossellini did he give her?",
         "He also gave her a few movies, including Roberto Rossellini’s “Journey to Italy.”",
         "Journey to Italy"),
        # of several dated titles, the one the question's words stand nearest
        ("Which film did she make about a lonely lighthouse keeper?",
         "Her films include Harbour (2009), about two fishermen, and Beacon Nights (2014), "
         "a portrait of a lonely lighthouse keeper.",
         "Beacon Nights"),
        # a year the question names picks the title dated with it
        ("In which 2014 film did she first appear?",
         "She was seen in “Low Tide”, then first appeared on screen in Beacon Nights (2014).",
         "Beacon Nights"),
    ],
)  # fmt: skip
def test_a_work_asked_for_is_a_quoted_or_dated_title(question, sentence, title):
    assert short_answer(analyse(question), sentence) == title


@pytest.mark.parametrize(
    "question",
    [
        "Which two features were nominated for the award?",  # several works: a list
        "What movie did she make in 2004?",  # no title of the sentence is dated 2004
    ],
)
def test_no_title_when_several_are_asked_or_the_year_does_not_match(question):
    sentence = "Her films include Harbour (2009) and “Low Tide”, both nominated for the award."
    assert short_answer(analyse(question), sentence) is None


@pytest.mark.parametrize(
    ("question", "sentence", "described"),
    [
        ("Who is Nadia Petrova in relation to the director?",
         "In May, the director and Nadia Petrova, his producing partner and wife, saw the film.",
         "his producing partner and wife"),
        ("who is kostya",
         "She falls for Kostya, the son of a shipping magnate, and they elope.",
         "the son of a shipping magnate"),
        ("whos lena orlova",
         "They wrote it with consultant Lena Orlova, author of the memoir “Night Shift.”",
         "author of the memoir “Night Shift”"),
    ],
)  # fmt: skip
def test_who_someone_is_leads_with_their_apposition_never_another_name(
    question, sentence, described
):
    assert short_answer(analyse(question), sentence) == described


def test_who_someone_is_gets_no_lead_without_an_apposition():
    # a relative clause is not a description, and "May" is not what was asked
    sentence = "In May, Lena Orlova, who wrote the memoir, met the director."
    assert short_answer(analyse("who is lena orlova"), sentence) is None


def test_an_option_leads_only_when_the_sentence_says_it_as_a_phrase():
    from rag.answerer.yesno import choice

    said = "He is the same person you met, and a different man by night."
    assert choice(("same person", "different guy"), said) == "same person"
    scattered = "A person has money; Ivan is the same as ever."
    assert choice(("same person as ivan", "different guy"), scattered) == ""


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("who is vanya", "the son of a Russian oligarch"),
        (
            "what does ani do for work",
            "a stripper and escort from New York’s Brighton Beach neighborhood",
        ),
        ("whats ani's job", "a stripper and escort from New York’s Brighton Beach neighborhood"),
    ],
)
def test_who_someone_is_leads_with_what_a_sentence_says_they_are(pipeline, question, lead):
    # no actor's credit answers these: the sentence with the name in apposition does
    answer = pipeline.ask(question)
    assert answer.short_answer == lead and answer.text.startswith(f"{lead} — ")
    assert_every_claim_cited(answer)


def test_a_length_is_the_one_the_questions_verb_measures(pipeline):
    # the best-scored sentence has "8 hours" of light while "shooting in the winter"; the
    # answer is the sentence where the shoot itself is measured
    answer = pipeline.ask("how long did they shoot for")
    assert answer.short_answer == "37 days" and "shot for 37 days" in answer.text
    assert_every_claim_cited(answer)


@pytest.mark.parametrize(
    "question",
    ["how long did it take to shoot the home invasion", "how many days went to the fight scene"],
)
def test_a_count_taken_of_a_whole_leads_with_the_part_asked(pipeline, question):
    # "Ten of the film’s 37 shooting days were spent filming the pivotal home invasion":
    # the home invasion took ten of them, not 37 (the lead was "37 shooting days")
    answer = pipeline.ask(question)
    assert answer.short_answer == "Ten of the film’s 37 shooting days"
    assert_every_claim_cited(answer)
    # asked of the whole shoot, the whole is the answer
    whole = pipeline.ask("how many days did they shoot")
    assert whole.short_answer == "37 days"


def test_a_who_question_opens_with_a_close_sentence_that_names_someone(pipeline):
    """ "who does she meet there" after "whats ani's job": the best sentence speaks of "a
    coltish Russian", a close one names Ivan; that one leads."""
    from rag.pipeline import as_turn

    job = pipeline.ask("whats ani's job")
    answer = pipeline.ask("who does she meet there", history=[as_turn(job)])
    assert answer.short_answer in ("Ivan", "Vanya", "Ivan Zakharov"), answer.text
    assert_every_claim_cited(answer)


def test_a_sentence_two_overlapping_passages_hold_is_quoted_once():
    from rag.answerer.compose import _quotable

    def cand(text: str, sid: int) -> Any:
        return SimpleNamespace(sentence=SimpleNamespace(text=text, id=sid))

    same = "Mikey Madison first caught Baker’s eye in Once Upon a Time… in Hollywood (2019)."
    pool = [cand(same, 1), cand("She shadowed real entertainers.", 2), cand(same, 9)]
    assert [c.sentence.id for c in _quotable(pool)] == [1, 2]


def test_a_sentence_naming_what_was_asked_only_in_general_is_followed_by_its_next(pipeline):
    # "he drew inspiration from fairy tale structures" restates "which fairy tale?"; the
    # article's next sentence names it
    answer = pipeline.ask(
        "Which fairy tale did Baker reference when talking about the film's structure?"
    )
    # ... and leads with what that one names: "Cinderella — … fairy tale structures … “Cinderella"
    assert answer.short_answer == "Cinderella" and answer.text.startswith("Cinderella — ")
    body = answer.text.removeprefix("Cinderella — ")
    assert body.index("fairy tale") < body.index("Cinderella")
    assert_every_claim_cited(answer)
    # a head noun the sentence specifies is answered there: no neighbour is added
    palette = pipeline.ask("What color palette did Baker and Phelps discuss for the film?")
    assert len(palette.citations) == 1 and "white, black and gray" in palette.text


def test_a_yes_no_question_about_someone_the_evidence_does_not_name_is_not_answered(pipeline):
    # the best sentences are about Tangerine's and Dafoe's awards: quoting them reads as a yes
    answer = pipeline.ask("did mikey madison win an oscar for it")
    assert answer.abstained and not answer.citations
    # a yes/no question whose evidence names its person is answered as before
    credited = pipeline.ask("is quan credited as a producer on it")
    assert not credited.abstained and "Samantha Quan" in credited.text


def test_a_sentence_every_inner_sentence_of_which_was_shown_is_not_quoted_again():
    from rag.answerer.excerpt import Nearness, unseen

    def cand(text: str, sid: int) -> Any:
        return SimpleNamespace(sentence=SimpleNamespace(text=text, id=sid), score=0.0)

    paragraph = cand("“Mark is quick. He is clever. He made me laugh.”", 1)
    echo = cand("He is clever.", 2)  # one inner sentence of the paragraph, stored alone
    fresh = cand("Borisov is soulful.", 3)
    seen = frozenset({"He is clever."})
    assert [c.sentence.id for c in unseen([paragraph, echo, fresh], frozenset(), seen)] == [1, 3]
    near = Nearness({"laugh": 2.0}, None, seen)
    shown = near.focus(paragraph, "did he make her laugh", 45, 25)
    assert "He is clever." not in shown and "He made me laugh." in shown
    # every part seen: the text itself, never an empty excerpt or an error
    assert near.rest(echo, ["He is clever."], "q", 45) == "He is clever."


def test_a_year_in_brackets_dates_its_title_not_what_the_question_asks_about():
    sentence = (
        "Anora began with Karagulian, who has worked with him since Four Letter Words (2000)."
    )
    assert short_answer(analyse("when did anora premiere"), sentence) is None
    # the title asked about, or a work the question leaves unnamed, is dated by it
    assert short_answer(analyse("when did four letter words come out"), sentence) == "2000"
    assert short_answer(analyse("In what year was his debut film released?"), sentence) == "2000"


def test_an_option_said_as_one_side_of_both_leads_with_the_pair(pipeline):
    """'Both humor and drama', as the sentence says it: 'drama' alone would say the
    articles chose."""
    answer = pipeline.ask("is it a comedy or a drama")
    assert answer.short_answer == "Both humor and drama", answer.text
    assert_every_claim_cited(answer)


def test_an_option_the_sentence_denies_does_not_lead(pipeline):
    """'ended … not in triumph or tragedy' does not answer 'comedy or tragedy?' with
    'tragedy'."""
    answer = pipeline.ask("is anora a comedy or a tragedy")
    assert "tragedy" not in answer.short_answer.lower(), answer.text
    from rag.answerer.yesno import choice

    said = "It was not a comedy or a drama."
    assert choice(("comedy", "drama"), said) == ""  # both held, both denied: not "Both"
    assert choice(("funny", "serious"), "It is both funny and soulful.") == "Both funny and soulful"

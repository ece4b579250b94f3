"""Whether a sentence holds what a question asks for (no index needed)."""

from __future__ import annotations

from rag.answerer.cues import has_cue, names_region, nationalities
from rag.answerer.question import analyse


def cue(kind: str, sentence: str, question: str) -> bool:
    """``has_cue`` for the analysed question, which must ask for ``kind``."""
    analysed = analyse(question)
    assert analysed.kind == kind, (question, analysed.kind)
    return has_cue(analysed, sentence)


def test_answer_cues_match_the_kind_asked_for():
    count = "How many Gotham Awards did Tangerine win?"
    assert cue("count", "It won an Independent Spirit and two Gotham Awards.", count)
    assert cue("count", "4 Time Oscar winner: Sean Baker", "How many Oscars has he won?")
    # a number, but not of the thing counted; a year is never a count
    assert not cue("count", "It had two premieres and a Gotham screening.", count)
    assert not cue("count", "Starlet (2012) won Gotham Awards.", count)
    # a number the question already holds is not an answer
    partitive = "How many of the 37 shooting days went to the fight?"
    assert cue("count", "Ten of the film’s 37 shooting days went to it.", partitive)
    assert not cue("count", "The film’s 37 shooting days were cold.", partitive)
    how_long = "How long has Karagulian known Baker?"
    assert cue("duration", "He has known Baker for nearly 30 years.", how_long)
    assert cue("duration", "a 10-minute-long scene", how_long)
    assert not cue("duration", "They met at NYU in 1990.", how_long)
    assert cue("money", "It cost $6 million to make.", "What was the budget?")
    assert not cue("money", "It was made on a low budget.", "What was the budget?")
    assert cue("age", "He was 21 years old then.", "How old was he?")
    assert cue("date", "Production began in January 2023.", "When did production begin?")
    assert not cue("date", "It took a day.", "When did production begin?")


def test_a_name_counts_only_beside_what_it_names():
    from rag.answerer.cues import gives_name
    from rag.answerer.question import asked_name

    def gives(question, sentence):
        return gives_name(asked_name(question), sentence, question)

    surname = "What is Ivan's surname?"
    assert gives(surname, "She is introduced to Ivan Zakharov, played by Mark Eydelshteyn.")
    assert not gives(surname, "Ivan has been living in the United States for six months.")
    assert not gives(surname, "Ani marries Ivan. Zakharov is his father.")  # not right after
    character = "What is the name of the character played by Karren Karagulian?"
    assert gives(character, "A home invasion overseen by Karagulian’s character, Toros, unfolds.")
    assert gives(character, "He plays a character named Toros.")
    assert gives(character, "His character is called Toros.")
    assert gives(character, "The character was a fixer named Toros.")
    # a possessor is not the name, nor is a name the question holds
    assert not gives(character, "Baker explained Ani’s character with dry humor.")
    assert not gives(character, "Karren Karagulian plays the character.")
    sister = "What is the name of Ani's sister?"
    assert not gives(sister, "She shares a Brighton Beach duplex with her sister.")
    assert gives(sister, "She shares a duplex with her sister, Nadia.")
    club = "What is the name of the strip club where Ani works?"
    assert gives(club, "She dances at the Headquarters club in Manhattan.")
    assert not gives(club, "Her job at a Manhattan gentlemen’s club.")
    # a title may be quoted anywhere in the sentence; quoted speech is not a title
    book = "What's the title of the book she wrote?"
    assert gives(book, "She wrote the memoir “Modern Whore.”")
    assert not gives(book, "“I was floored that Sean wanted to meet me,” she recalls.")


def test_a_question_naming_its_unit_wants_that_unit():
    # "in what year" is not answered by a decade, "on what date" not by a year
    year = "In what year did it premiere?"
    assert cue("date", "It premiered in May 2024.", year)
    assert not cue("date", "It feels like a film of the 1970s.", year)
    date = "On what date was it released?"
    assert cue("date", "It opened on October 18, 2024.", date)
    assert cue("date", "It opened on 18 October.", date)
    assert not cue("date", "It opened in 2024.", date)
    assert cue("date", "It opened in October.", "In which month did it open?")
    decade = "Which decade's films did Baker look at?"
    assert cue("date", "He looked at films of the 1970s.", decade)
    assert cue("date", "He looked at ’70s films.", decade)
    # a running time is in minutes or hours, not in days of shooting
    runtime = "What is the running time of Anora?"
    assert cue("duration", "The film runs 139 minutes.", runtime)
    assert cue("duration", "It is two and a half hours long.", runtime)
    assert not cue("duration", "It shot for 37 days in New York City.", runtime)


def test_the_name_given_is_the_lead_of_a_name_question():
    from rag.answerer.cues import given_name
    from rag.answerer.question import NameAsk

    restaurant = NameAsk("restaurant", "name", person=False)
    sentence = "They shot scenes in the venerable Brighton Beach restaurant Tatiana’s, a pool hall."
    question = "name of the brighton beach restaurant they shot in?"
    assert given_name(restaurant, sentence, question) == "Tatiana’s"
    reboot = NameAsk("reboot", "title", person=False)
    assert given_name(reboot, "They saw the horror reboot Scream V that night.", "") == "Scream V"
    # a name made only of the question's own words is no answer
    assert given_name(restaurant, "a restaurant Brighton Beach", question) is None


def test_one_after_a_determiner_is_the_pronoun_not_a_number():
    from rag.answerer.patterns import NUMBER

    found = [m.group(0) for m in NUMBER.finditer("the one depicting Ani, this one, one of three")]
    assert found == ["one", "three"]  # "one of three" counts; "the one depicting" does not


def test_a_kind_of_place_is_named_after_a_preposition_or_beside_its_noun():
    in_russia = analyse("What city in Russia are they from?")
    # the question's own place, or a word made from it, names no city of it
    assert not names_region(in_russia, "Ivan’s parents in Russia get wind of the union.")
    assert not names_region(in_russia, "They used Russian 70s anamorphic prime lenses.")
    assert names_region(in_russia, "His parents fly in from Moscow the next day.")
    borough = analyse("what borough was the club in")
    assert names_region(borough, "the club location on the far west side of Midtown Manhattan")
    assert names_region(borough, "her job at a Manhattan gentlemen’s club")
    # a month after "in" is a date, not a place
    assert not names_region(borough, "The club scenes were shot in January 2023.")
    # beside the kind's noun, singular or plural, with no preposition before it
    besides = analyse("Besides New York, which city does the article name?")
    assert names_region(besides, "They embody the pulse of cities like New York or Mumbai.")
    assert not names_region(besides, "They embody the pulse of cities like New York.")
    # a question naming no such kind ("which club", "where") holds no sentence to it
    assert names_region(analyse("Which club does she work at?"), "She dances every night.")


def test_where_from_is_answered_by_a_place_or_nationality_said_of_whom_it_asks():
    ani = analyse("where is ani from")
    assert ani.origin == {"ani"} and not analyse("where is she from").origin
    assert not analyse("where was it shot").origin
    # a place after "from" (or "grew up in") said of the subject, not a place she is only at
    assert has_cue(ani, "Ani, a stripper and escort from New York’s Brighton Beach neighborhood")
    assert not has_cue(ani, "Ani isn’t looking to be rescued from her job at a Manhattan club.")
    baker = analyse("Where is Sean Baker originally from?")
    assert has_cue(baker, "Baker, the son of a patent attorney, grew up in New Jersey.")
    # the nearest name before the place is whose place it is
    assert not has_cue(
        baker, "Anora, directed by Sean Baker, centers on Ani, a dancer from Brooklyn."
    )
    # "from Italian cinema" borrows from a nationality's films: no place
    assert not has_cue(baker, "From Italian cinema Baker borrowed the zooms.")
    # a nationality in an apposition after the subject, or naming it; not of another's noun
    vanya = analyse("what country is vanya from")
    assert has_cue(vanya, "She falls for Vanya, the son of a Russian oligarch.")
    assert has_cue(analyse("where is igor from"), "Toros sent a Russian named Igor to guard them.")
    assert not has_cue(baker, "Baker conceived the character as a Russian-American dancer.")
    # a name ending like a nationality, or a function word, is none
    assert list(nationalities("These encounters, Karagulian for years, a Russian oligarch")) == [42]

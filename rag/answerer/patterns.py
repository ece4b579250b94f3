"""The regular expressions the answerer reads questions and sentences with.

Each names one kind of thing a question can ask for, or a sentence can hold: a
number, a date, a span of time, a sum of money, an age, a place, a kind of place only
a place name is (a city, a country), the calendar unit a question names, a film's
running time.  They are data: ``question`` and
``cues`` read them; nothing else here runs.

What this module does not do: decide anything (``cues``, ``rules``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.lexicon import PERSON_NOUNS
from rag.text import INNER_SENTENCE, terms

NUM = (
    r"\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen"
    r"|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half|several|a few"
)
# "one" after a determiner is the pronoun: "the one depicting Ani", "this one", "each one"
_PRONOUN_ONE = r"(?<!\bthe )(?<!\bthis )(?<!\bthat )(?<!\beach )(?<!\bevery )(?<!\bany )one\b"
NUMBER = re.compile(rf"\b(?:{_PRONOUN_ONE}|(?!one\b)(?:{NUM}))\b", re.IGNORECASE)
DATE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d|\d\d[’']?s|january|february|march|april|may|june|july|august"
    r"|september|october|november|december|spring|summer|autumn|winter)\b",
    re.IGNORECASE,
)
DURATION = re.compile(
    rf"\b(?:{NUM}|an?|over a|half an?)(?:[-\s]+[a-z]+)?[-\s]+"
    r"(?:second|minute|hour|day|night|week|month|year|decade)s?\b",
    re.IGNORECASE,
)
MONEY = re.compile(
    r"[$€£]\s?\d|\b(?:dollars?|euros?|bucks|pounds sterling)\b|\b\d+(?:\.\d+)?\s?(?:m|bn|k)\b",
    re.IGNORECASE,
)
AGE = re.compile(
    rf"\b(?:{NUM})[-\s]+years?[-\s]+old\b|\baged?\s+(?:of\s+)?\d{{1,3}}\b|\b(?:teen(?:age)?|\d0s)\b"
    r"|\bat (?:the age of )?\d{1,2}\b",
    re.IGNORECASE,
)
# a capitalised word that is not the first of its sentence or quotation: a proper noun
CAPITAL = re.compile(r"(?<![.!?“\"]\s)(?<!^)(?<!“)\b[A-Z][\w’'-]+")
_NOT_A_DATE = (  # a month or a day is a date, not a place
    r"(?!(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)"
)
PLACE = re.compile(rf"\b(?:in|at|from|near)\s+(?:(?:the|an?)\s+)?{_NOT_A_DATE}[A-Z][a-z]+")
# ... where someone or something comes from, for a question asking where from
# (``Question.origin``): "a dancer from Brighton Beach", "grew up in New Jersey", not "her
# job at a Manhattan club"
FROM_PLACE = re.compile(
    r"\b(?:from|native\s+of|(?:grew\s+up|raised|born|brought\s+up)\s+(?:in|on|outside))\s+"
    rf"(?:(?:the|an?)\s+)?{_NOT_A_DATE}[A-Z][a-z]+"
)
# a where-question asking where from ("where is Ani from?", "where does she come from?"):
# its subject stands between the verb and "from", its last word
ORIGIN_SUBJECT = re.compile(
    r"\b(?:is|are|was|were|does|do|did)\s+(.*?)\s+(?:(?:come|comes|came|hail|hails)\s+)?from\W*$",
    re.IGNORECASE,
)
# a nationality said of someone, as an adjective ("a Russian oligarch", "Russian-American"):
# the word after it, for ``cues.nationalities`` to tell a noun from a function word
DEMONYM = re.compile(r"\b([A-Z][a-z]+(?:ian|ean|can|ese|ish))(?:-[A-Z]|\s+([a-z]+))")
# ... and after any preposition of place, as a kind of place is named ("the far west side of
# Midtown", "grew up outside New York"): the capitalised word, for ``cues.names_region``
LOCATED = re.compile(
    rf"\b(?:in|at|from|near|of|outside|around)\s+(?:(?:the|an?)\s+)?{_NOT_A_DATE}([A-Z][\w’'-]*)"
)
# a wh-word that opens the question or one of its clauses (not "... the night when she ...")
WH = re.compile(
    r"(?:^|[,;:]\s*|\b(?:and|but|so|then|in|on|at|for|to|by|from|with|of|about|since|until)\s+)"
    r"(who|whom|whose|what|which|when|where|how|why)\b"
)
# ... or left where its answer would stand, as chat asks: "prince of broadway came out when?",
# "they were shot what year?"
IN_SITU = re.compile(r"\b(?:(who|whom|when|where)\s*\?*\s*$|(what|which)(?=\s+[a-z]+\s*\?*\s*$))")
TIME_NOUN = r"(?:year|month|date|day|decade|season|century|era)"
PLACE_NOUN = (
    r"(?:city|town|country|state|place|location|restaurant|hotel|venue|street|neighbou?rhood"
    r"|borough|club|bar|island|region)"
)
# a place of a kind only a place name is ("what city in Russia ..."): unlike a club or a
# location, which "a pool hall" can answer; the question names it after its wh-word
REGION = re.compile(
    r"\b(?:what|which)\s+(?:\w+\s+)?(city|town|country|state|neighbou?rhood|borough|island"
    r"|region)\b",
    re.IGNORECASE,
)
# a question naming the calendar unit it wants; "when" may be answered by an event instead
# ("when he was a student at NYU")
CALENDAR = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?(year|month|date|decade|century)s?\b")
MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
)
YEAR = r"(?:1[89]\d\d|20\d\d)"
# what answers a question that names its unit: "in what year" wants a year, not "the 1970s"
UNIT = {
    "year": re.compile(rf"\b{YEAR}\b"),
    "month": re.compile(rf"\b{MONTH}\b", re.IGNORECASE),
    "date": re.compile(
        rf"\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}"
        r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b",
        re.IGNORECASE,
    ),
    "decade": re.compile(
        rf"\b(?:{YEAR}|(?:1[89]|20)?\d0[’']?s|(?:twen|thir|for|fif|six|seven|eigh|nine)ties)\b",
        re.IGNORECASE,
    ),
    "century": re.compile(rf"\b(?:{YEAR}|\d{{1,2}}(?:st|nd|rd|th)[-\s]+century)\b", re.IGNORECASE),
}
# a film's running time is given in minutes or hours, never in shooting days
RUNTIME = re.compile(
    r"\b(?:running time|runtime|run time)\b"
    r"|\bhow\s+long\s+(?:is|was)\s+(?:the\s+|this\s+)?(?:film|movie|it|anora)\b",
    re.IGNORECASE,
)  # "how long is the movie": its running time, not how long it took to shoot
RUNTIME_UNIT = re.compile(
    rf"\b(?:{NUM}|an?)(?:[-\s]+and[-\s]+an?[-\s]+half)?[-\s]+(?:minutes?|mins?|hours?|hrs?)\b",
    re.IGNORECASE,
)
PERSON_NOUN = rf"(?:{'|'.join(PERSON_NOUNS)})"

# the unit a question counts by ("how much light did they get each day"), which its answer's
# count is not of
# the unit, or a modifier and the unit ("per winter day"): both words are read, since a
# modifier is never the unit a number counts by
PER = re.compile(r"\b(?:each|every|per|a)\s+([a-z]+)(?:\s+([a-z]+))?\b", re.IGNORECASE)


def per_unit(question: str) -> set[str]:
    """The terms of the unit a question counts by ("each day": "day").

    >>> sorted(per_unit("How much light did they get each day?"))
    ['day']
    >>> sorted(per_unit("How much daylight did they get per winter day while filming?"))
    ['day', 'winter']
    """
    return {t for m in PER.finditer(question) for g in m.groups() if g for t in terms(g)}


# a capitalised run: a name, a title, a place ("Jean-Luc Godard", "The Palms Hotel")
CAPITALISED = re.compile(
    r"[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|de|del|la|von|van)\s+)?[A-Z0-9][\w’'.-]*)*"
)
# a full stop that ends a sentence inside a capitalised run ("… sent it to Sean. It didn’t"):
# after a word with a vowel and two letters or more; an initial ("J.") or a title's
# abbreviation ("Mr.", "Dr.", "St.": no vowel) keeps its run whole
SENTENCE_END = re.compile(r"(?<=\w)\.\s+(?=[A-Z])")


def capitalised_runs(sentence: str) -> Iterator[tuple[int, int, str]]:
    """``CAPITALISED``'s runs of ``sentence`` as (start, end, text), cut where a sentence ends.

    >>> [run for _, _, run in capitalised_runs("I sent it to Sean. It was Mr. Smith")]
    ['I', 'Sean.', 'It', 'Mr. Smith']
    """
    for m in CAPITALISED.finditer(sentence):
        start = m.start()
        for stop in SENTENCE_END.finditer(m.group(0)):
            word = re.findall(r"[\w’'-]+$", m.group(0)[: stop.start()])
            if word and len(word[0]) >= 2 and re.search(r"[aeiouyAEIOUY]", word[0]):
                end = m.start() + stop.start() + 1
                yield start, end, sentence[start:end]
                start = m.start() + stop.end()
        yield start, m.end(), sentence[start : m.end()]


# a second name joined to a first: "Baker and Quan would themselves model the movements"
_AND_NAME = re.compile(r"\s+and\s+([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2})(?![\w’'-])(?![’']s)")


def joined(sentence: str, end: int) -> str:
    """The name "and" joins to the one ending at ``end``, with its "and", or "".

    >>> joined("Baker and Quan would model it.", 5), joined("Baker and his wife", 5)
    (' and Quan', '')
    """
    m = _AND_NAME.match(sentence, end)
    return f" and {m.group(1)}" if m else ""


# what a question asks the owner of: "the eldest daughter of which actress"
_OWNED = re.compile(r"\b([a-z]+)\s+of\s+(?:which|what|whom|who)\b", re.IGNORECASE)


def owns(question: str, after: str) -> bool:
    """Whether the words ``after`` a possessive name are what the question asks the owner
    of: "… eldest daughter in Better Things" after "Pamela Adlon’s", for "the eldest
    daughter of which actress?".

    >>> owns("the eldest daughter of which actress?", " eldest daughter in a series")
    True
    """
    asked = {t for m in _OWNED.finditer(question) for t in terms(m.group(1))}
    return bool(asked) and bool(asked & set(terms(" ".join(after.split()[:2]))))


# a dash, a bracket or a semicolon sets a clause apart from the rest of its sentence
APART = re.compile(r"\s[—–]\s|[()\[\];]")


def part_of(sentence: str, at: int) -> int:
    """Which part of ``sentence``, cut at ``APART`` and between the inner sentences of a
    quoted paragraph, the character at ``at`` falls in.

    >>> part_of("It won — as expected — in 2024.", 11), part_of("It won — as expected — in 2024.", 25)
    (1, 2)
    >>> part_of("He shot The French Connection. From Italian cinema I took zooms.", 31)
    1
    """
    ends = sum(1 for m in INNER_SENTENCE.finditer(sentence) if m.end() <= at)
    return len(APART.findall(sentence[:at])) + ends


# a count taken of a whole: "Ten of the film’s", "two of his" before "37 shooting days"
_PART_OF_WHOLE = re.compile(
    rf"\b(?:{NUM})\s+of\s+(?:the|its|their|his|her|these|those|[\w-]+[’']s)\s+"
    r"(?:[\w-]+[’']s\s+)?$",
    re.IGNORECASE,
)


def partitive(question: str, sentence: str, start: int, span: str) -> str:
    """``span`` (a count at ``start``) with the part before it that the sentence takes of
    it, when the question asks about that part: a word of the question that the rest of
    the sentence holds and the span does not ("home invasion").

    >>> s = "Ten of the film’s 37 shooting days were spent on the home invasion."
    >>> partitive("how long did it take to shoot the home invasion", s, 18, "37 shooting days")
    'Ten of the film’s 37 shooting days'
    >>> partitive("how many days did they shoot", s, 18, "37 shooting days")
    '37 shooting days'
    """
    m = _PART_OF_WHOLE.search(sentence, 0, start)
    if m is None:
        return span
    whole = sentence[m.start() : start] + span
    rest = set(terms(sentence[: m.start()] + " " + sentence[start + len(span) :]))
    if not (set(terms(question)) - set(terms(whole))) & rest:
        return span
    return whole

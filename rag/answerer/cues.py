"""Whether a sentence holds what a question asks for.

``has_cue`` says whether a sentence holds the kind of thing the question's
wh-phrase asks for (a number before the counted noun, a date in the unit named,
a sum, a name the question does not hold, ...): a feature of the sentence ranker
and the test of the quantity rule.  ``gives_name`` says whether a sentence gives
the name a *what is X called* question asks for, beside what it names, and
``names_region`` whether it names a place of the kind a *what city …* question asks for.

What this module does not do: score or choose sentences (``features``,
``generator``), or parse the question (``question``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.answerer.patterns import (
    AGE,
    DATE,
    DEMONYM,
    DURATION,
    FROM_PLACE,
    LOCATED,
    MONEY,
    NUMBER,
    PLACE,
    REGION,
    RUNTIME_UNIT,
    UNIT,
)
from rag.answerer.question import NameAsk, Question
from rag.lexicon import STOPWORDS
from rag.text import proper_names, terms, words

_COUNT_WINDOW = 3  # "4 Time Oscar winner", "eight independent feature films"


def _numbers(sentence: str, question: str) -> Iterator[re.Match[str]]:
    """The numbers in the sentence that the question does not already hold."""
    asked = {w.lower() for w in re.findall(r"[\w.,]+", question)}
    return (m for m in NUMBER.finditer(sentence) if m.group(0).lower() not in asked)


def has_cue(question: Question, sentence: str) -> bool:
    """Whether the sentence holds the kind of thing the question asks for.

    >>> from rag.answerer.question import analyse
    >>> has_cue(analyse("How many days did they shoot in Las Vegas?"), "They shot for 3 days.")
    True
    >>> has_cue(analyse("In what year was it made?"), "It was made in the 1970s.")
    False
    """
    kind, text = question.kind, question.text
    if kind == "number":
        return any(True for _ in _numbers(sentence, text))
    if kind == "count":
        unit = question.counted
        for m in _numbers(sentence, text):
            if re.fullmatch(r"1[89]\d\d|20\d\d", m.group(0)):
                continue  # a year, not a count
            after = sentence[m.end() :].split()[:_COUNT_WINDOW]
            if not unit or unit & set(terms(" ".join(after))):
                return True
        return False
    if kind == "money":
        return bool(MONEY.search(sentence))
    if kind == "duration":
        if question.runtime:
            return bool(RUNTIME_UNIT.search(sentence))
        return bool(DURATION.search(sentence))
    if kind == "age":
        return bool(AGE.search(sentence))
    if kind == "date":
        return bool((UNIT[question.calendar] if question.calendar else DATE).search(sentence))
    if kind == "name":
        asked = set(text.lower().split())
        return any(name.lower() not in asked for name in proper_names(sentence))
    if kind == "place" and question.origin:  # where from: said of whom the question asks
        return any(True for _ in origins(question, sentence)) or any(
            _called(question, sentence, at) for at in nationalities(sentence)
        )
    if kind == "place":  # a place the question does not name itself
        asked = set(text.lower().split())
        said = (m.group(0).split()[-1].lower() for m in PLACE.finditer(sentence))
        return any(w in STOPWORDS or w not in asked for w in said)  # "at The Palms": a place
    return False


_ORIGIN_WINDOW = 6  # words: "Ani, a stripper and escort from …", "Vanya, the son of a Russian …"


_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")  # a name, at a sentence's start too ("Baker, …")


def _said_of(question: Question, sentence: str, at: int) -> bool:
    """Whether the place at character offset ``at`` is said of the question's subject: a
    word of it within ``_ORIGIN_WINDOW`` words, or the nearest name before the place is
    its ("Baker, the son of a patent attorney, grew up in …"), not another's ("… Sean
    Baker, centers on Ani, a stripper from …" is where Ani is from)."""
    subject = question.origin
    names = [w for w in _CAPITALISED.findall(sentence[:at]) if w.lower() not in STOPWORDS]
    if names:
        return bool(set(terms(names[-1])) & subject)
    before = sentence[:at].split()[-_ORIGIN_WINDOW:]
    after = sentence[at:].split()[: _ORIGIN_WINDOW + 1]
    return bool(subject & set(terms(" ".join(before + after))))


def _called(question: Question, sentence: str, at: int) -> bool:
    """Whether the nationality at ``at`` is said of the question's subject: in an
    apposition after it ("Vanya, the son of a Russian oligarch") or naming it ("a Russian
    named Igor"), not of whatever else stands near ("Baker conceived the character as a
    Russian-American dancer")."""
    subject = question.origin
    before = sentence[:at].split()[-_ORIGIN_WINDOW:]
    said = [set(terms(w)) for w in before]
    first = next((i for i, ts in enumerate(said) if ts & subject), None)
    if first is not None and "," in " ".join(before[first:]):
        return True
    after = sentence[at:].split()[1:3]
    return (
        len(after) == 2 and after[0] in ("named", "called") and bool(set(terms(after[1])) & subject)
    )


def nationalities(sentence: str) -> Iterator[int]:
    """Where the sentence calls someone by a nationality: an adjective of one before a
    noun ("the son of a Russian oligarch") or a compound ("Russian-American"), not a
    function word ("These encounters") nor a name before one ("Karagulian for …").

    >>> s = "These encounters, a Russian oligarch, Karagulian for years, a Russian-American"
    >>> [s[at:].split()[0] for at in nationalities(s)]
    ['Russian', 'Russian-American']
    """
    for m in DEMONYM.finditer(sentence):
        if m.group(1).lower() not in STOPWORDS and (m.group(2) or "x") not in STOPWORDS:
            yield m.start()


def origins(question: Question, sentence: str) -> Iterator[re.Match[str]]:
    """The places after "from" that the sentence says whom the question asks about comes
    from: a word of its subject a few words away, the place not the question's own.

    >>> from rag.answerer.question import analyse
    >>> q = analyse("where is ani from")
    >>> [m.group(0) for m in origins(q, "Ani, a stripper and escort from New York’s Brighton Beach")]
    ['from New']
    >>> list(origins(q, "Ani isn’t looking to be rescued from her job at a Manhattan club."))
    []
    """
    asked = set(words(question.text))
    adjectives = set(nationalities(sentence))  # "from Italian cinema": no place
    for m in FROM_PLACE.finditer(sentence):
        place = m.end() - len(m.group(0).split()[-1])
        if place in adjectives or m.group(0).split()[-1].lower() in asked:
            continue
        if _said_of(question, sentence, m.start()):
            yield m


_REGION_WINDOW = 6  # words: "cities like New York, Delhi or Mumbai", "the Brighton Beach area"


def names_region(question: Question, sentence: str) -> bool:
    """Whether the sentence names a place of the kind the question asks for ("what city in
    Russia …?"): a capitalised word after a preposition of place, or within a few words of
    the kind's noun ("cities like New York or Mumbai"), that is not the question's own
    place ("Russia", nor "Russian" made from it).  True of any sentence when the question
    names no such kind (``patterns.REGION``).

    >>> from rag.answerer.question import analyse
    >>> q = analyse("What city in Russia are they from?")
    >>> names_region(q, "Ivan’s parents in Russia get wind of the union.")
    False
    >>> names_region(analyse("Which city does he name?"), "cities like New York or Mumbai")
    True
    """
    region = REGION.search(question.text)
    if region is None:
        return True
    noun = terms(region.group(1))
    asked = [w for w in words(question.text) if len(w) > 2 and w not in STOPWORDS]

    def new(word: str) -> bool:
        return word[0].isupper() and not any(word.lower().startswith(w) for w in asked)

    if any(new(m.group(1)) for m in LOCATED.finditer(sentence)):
        return True
    said = list(re.finditer(r"[\w’'-]+", sentence))
    return any(
        new(near.group(0))
        for i, m in enumerate(said)
        if terms(m.group(0)) == noun
        for near in said[max(1, i - _REGION_WINDOW) : i + _REGION_WINDOW + 1]
    )


_WORD = re.compile(r"[A-Za-zÀ-ÿ][\w’'-]*")
# a name right after the noun: "Karagulian's character, Toros", "a Russian named Igor"
# ... or said of it: "the mascot was a parrot named Zorblax", "the club is called Heat"
_NAME_AFTER = re.compile(
    r"(?:[’']s)?\s*[,:–—-]?\s*"
    r"(?:(?:is|was|are|were)\s+(?:(?:a|an|the)\s+)?(?:[\w-]+\s+){0,2}?(?:named|called)\s+"
    r"|(?:is|was)\s+|(?:named|called|dubbed)\s+)?"
    r"[“\"‘']?([A-Z][\w’'-]*(?:\s+[A-Z0-9][\w’'-]*)*)"
)
_QUOTED = re.compile(r"[“\"]([A-Z][^”\"]{0,80})[”\"]")


def is_title(quoted: str) -> bool:
    """A quotation that reads as a title: every word longer than three letters
    capitalised ("The Taking of Pelham One Two Three"), unlike quoted speech."""
    words = re.findall(r"[A-Za-zÀ-ÿ][\w’'-]*", quoted)
    return 0 < len(words) <= 10 and all(w[0].isupper() for w in words if len(w) > 3)


def full_name(ask: NameAsk, sentence: str, question: str) -> str | None:
    """The person's name with the surname the sentence gives it, as the sentence spells
    it: "Ivan Zakharov" for "What is ivan's surname?"; None when it gives none new.

    >>> full_name(NameAsk("ani", "real name", True), "the character of Ani Mikheeva — or", "")
    'Ani Mikheeva'
    """
    asked = {w.lower().strip("’'") for w in _WORD.findall(question.replace("’s", ""))}
    # the name as the question typed it, in any case ("ani"), then a capitalised surname
    pattern = rf"\b(?i:{re.escape(ask.of)})[’'”\"]?\s+([A-Z][\w’'-]*)"
    for m in re.finditer(pattern, sentence):
        if m.group(1).lower().strip("’'") not in asked:
            return " ".join(re.sub(r"[’'”\"]", "", m.group(0)).split())
    return None


def gives_name(ask: NameAsk, sentence: str, question: str) -> bool:
    """Whether the sentence gives the name asked for (``given_name``)."""
    return given_name(ask, sentence, question) is not None


def given_name(ask: NameAsk, sentence: str, question: str) -> str | None:
    """The name the sentence gives for what is asked, next to what it names, or None.

    A person's surname follows their name ("Ivan Zakharov"); a thing's name stands
    beside the noun, after it ("her sister, Nadia", "a Russian named Igor", "the
    mascot was a parrot named Zorblax") or right before it ("the Headquarters
    club"); a title may also be quoted anywhere in the sentence ("the memoir
    “Modern Whore”").  A name the question already holds is not an answer, nor is
    a possessor ("Ani's character").
    """
    asked = {w.lower().strip("’'") for w in _WORD.findall(question.replace("’s", ""))}

    def new(name: str) -> bool:  # a word of it the question lacks
        return any(w.lower().strip("’'") not in asked for w in name.split())

    if ask.person:
        return full_name(ask, sentence, question)
    if ask.what == "title":
        quoted = next((m.group(1) for m in _QUOTED.finditer(sentence) if is_title(m.group(1))), "")
        if quoted:
            return quoted.rstrip(".,")
    head = terms(ask.of)
    words = list(_WORD.finditer(sentence))
    for i, word in enumerate(words):
        if not head or terms(word.group(0).removesuffix("’s").removesuffix("'s")) != head:
            continue
        after = _NAME_AFTER.match(sentence, word.end())
        if after is not None and new(after.group(1)):
            return after.group(1).rstrip(".,")
        if i > 1:  # the word before, unless it opens the sentence or owns the noun
            before = words[i - 1].group(0)
            gap = sentence[words[i - 1].end() : word.start()]
            beside = gap.strip() in ("", "”", '"') and not re.search(r"[’']s$", before)
            if beside and before[0].isupper() and new(before):
                return before
    return None

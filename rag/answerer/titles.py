"""Titles of works in a sentence, as film writing marks them.

``titles(sentence)`` finds every title a sentence marks: quoted in title case, dated in
brackets ("Tangerine (2015)"), or listed after a plural work noun ("films like Starlet,
Tangerine, …"); ``title_owner`` the name that owns one ("Federico Fellini’s “Nights of
Cabiria”"); ``introduced_as`` the work noun that introduces one ("the memoir");
``title_key`` compares two spellings ("The Florida Project", "Florida Project").
The answerer reads them for a title asked for (``spans``) and to list what someone made
(``compose.compose_titles``).

What this module does not do: decide which title answers a question.
"""

from __future__ import annotations

import re

from rag.answerer.cues import is_title
from rag.lexicon import PRINT_WORKS, WORK_NOUNS
from rag.text import words

# a title as film writing marks one: quoted in title case ("“Better Things”") or dated in
# brackets ("Red Rocket (2021)"); small words may stand inside ("Once Upon a Time… in Hollywood")
TITLE_RUN = (
    r"(?<![\w’'-])[A-Z0-9][\w’'.…-]*"
    r"(?:\s+(?:(?:a|an|the|of|in|on|to|for|and|at|upon)\s+)*[A-Z0-9][\w’'.…-]*)*"
)
TITLES = re.compile(rf"[“\"]([A-Z][^”\"]{{0,80}}?)[.,]?[”\"]|({TITLE_RUN})\s+\((?:19|20)\d\d\)")


WORKS = "|".join(sorted(WORK_NOUNS))

# works listed after a plural work noun: "films like Starlet, Tangerine, The Florida Project,
# and Red Rocket"
_LISTED = re.compile(
    rf"\b(?:{WORKS})s,?\s+(?:like|such\s+as|including)\s+"
    rf"((?:{TITLE_RUN})(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:{TITLE_RUN}))*)"
)
_LIST_JOIN = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_POSSESSIVE = re.compile(r"[’']s(?:\s+|$)")
# a title its maker's name owns: "Federico Fellini’s “Nights of Cabiria”"
_OWNED = re.compile(r"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)[’']s\s+[“\"]?$")


def titles(sentence: str, strict: bool = False) -> list[str]:
    """Every title the sentence marks as film writing does, in order: quoted in title case
    (one word only after a work noun: "films like … “Contempt”", not "to play “Ani”"),
    dated in brackets, or listed after a plural work noun.  ``strict``: a quoted title
    only right after a work noun ("his first feature, 2000’s “Four Letter Words”", not
    "Baker looked at things like “The Taking of Pelham One Two Three”").

    >>> titles("through films like Starlet, Tangerine, The Florida Project, and Red Rocket.")
    ['Starlet', 'Tangerine', 'The Florida Project', 'Red Rocket']
    >>> titles("Tangerine (2015) is about …; in The Florida Project (2017) a mother …")
    ['Tangerine', 'The Florida Project']
    >>> titles("Mikey was perfect to play “Ani”, as in “Nights of Cabiria.”")
    ['Nights of Cabiria']
    >>> titles("the iPhone-shot Tangerine (2015) and films like Jean-Luc Godard’s Contempt")
    ['Tangerine', 'Contempt']
    """
    found: list[tuple[int, str]] = []
    for m in TITLES.finditer(sentence):
        title = (m.group(1) or m.group(2)).strip(" ,.")
        before = words(sentence[: m.start()])[-3:] if strict else words(sentence[: m.start()])
        work_before = any(_work_noun(w) for w in before)
        quoted = is_title(title) and ((len(title.split()) > 1 and not strict) or work_before)
        if m.group(2) or quoted:
            found.append((m.start(), title))
    for m in _LISTED.finditer(sentence):
        at = m.start(1)
        for part in _LIST_JOIN.split(m.group(1)):
            # "Jean-Luc Godard’s Contempt": the title after its maker's name
            title = _POSSESSIVE.split(part)[-1].strip(" ,.")
            if title:
                found.append((at, title))
            at += len(part) + 1
    out: list[str] = []
    for _, title in sorted(found):
        key = title_key(title)
        if key and all(title_key(t) != key for t in out):
            out.append(title)
    return out


def title_owner(sentence: str, title: str) -> str:
    """The name that owns ``title`` in ``sentence`` ("Federico Fellini" of "Federico
    Fellini’s “Nights of Cabiria”"), or "".

    >>> title_owner("a nod to films like Jean-Luc Godard’s “Contempt.”", "Contempt")
    'Jean-Luc Godard'
    """
    at = sentence.find(title)
    owner = _OWNED.search(sentence[:at]) if at > 0 else None
    return owner.group(1) if owner else ""


def introduced_as(sentence: str, title: str) -> str:
    """The work noun among the three words before ``title`` in ``sentence`` ("memoir" of
    "author of the memoir “Modern Whore”"), singular, or "".

    >>> introduced_as("with Andrea Werhun, author of the memoir “Modern Whore.”", "Modern Whore")
    'memoir'
    >>> introduced_as("films like Starlet, Tangerine and Red Rocket", "Red Rocket")
    ''
    """
    at = sentence.find(title)
    before = words(sentence[:at])[-3:] if at > 0 else []
    nouns = [noun for noun in map(_work_noun, before) if noun]
    return nouns[-1] if nouns else ""


def _work_noun(word: str) -> str:
    """The work noun ``word`` is, singular ("films": "film"), or ""."""
    if word in WORK_NOUNS:
        return word
    single = word.rstrip("s")
    return single if single in WORK_NOUNS else ""


def is_print_work(sentence: str, title: str) -> bool:
    """Whether ``sentence`` introduces ``title`` as a book, a memoir or a song
    (``lexicon.PRINT_WORKS``), not a work for the screen."""
    return introduced_as(sentence, title) in PRINT_WORKS


def title_key(title: str) -> str:
    """A title compared without its case or a leading "the" ("Florida Project")."""
    said = words(title)
    return " ".join(said[1:] if said[:1] == ["the"] else said)

"""The search query of a follow-up: the question and the earlier user questions it needs.

When a question leans on earlier turns, the search query becomes the question followed by
the earlier user questions it needs (newest first, up to ``MAX_CONTEXT_TURNS``), so both
BM25 and the embedder see the names and topics it refers to.  A question leans on the
history when it has an anaphoric pronoun or adverb ("he", "her", "it", "that", "there",
"then"), opens with a continuation ("and", "what about", "also"), or has fewer than
``MIN_OWN_TERMS`` content words of its own.

Also here: whether a question asks *for* a person it does not name (``asks_for_person``),
the people a question asks *about* in the plural (``asked_group``: "who are ivans
parents"), and the names an earlier answer adds (``answer_names``), which
``rag.conversation`` reads to decide whom a pronoun stands for.

What this module does not do: decide whether a question is a follow-up at all
(``rag.conversation.is_follow_up``), or rewrite it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.lexicon import ANAPHORA, PERSON_NOUNS, REFERENT_NOUNS
from rag.text import plural, proper_names, terms, words

MAX_CONTEXT_TURNS = 2
MIN_OWN_TERMS = 2
_ASKS_FOR_PERSON = re.compile(
    rf"^\s*(?:who(?:s|'s|’s)?\b|(?:which|what)\s+(?:\w+\s+)?(?:{'|'.join(PERSON_NOUNS)})s?\b)",
    re.IGNORECASE,
)
# "who is Samantha Quan?", "whos vanya": the question names its person (in any case); "who is
# the lead actress", "who was behind the camera" ask for one
_NAMES_PERSON = re.compile(
    r"^\s*who(?:'s|s|\s+(?:is|was|are|were))\s+(?!(?:the|a|an|in|on|at|behind|that|this|these"
    r"|those|his|her|their|its|responsible|credited|playing|directing)\b)[a-z]",
    re.IGNORECASE,
)


def _is_plural(noun: str) -> bool:  # "parents", "people"; not "actress", "boss"
    return noun == plural(noun) or (noun.endswith("s") and not noun.endswith("ss"))


# "who are ivans parents", "who were the russian henchmen": a plural noun for people,
# after at most two words of its own (a possessive, an adjective); a compound of "men"
# ("henchmen", "cameramen") is one too
_PEOPLE_PLURAL = "|".join(
    sorted(
        {plural(n) for n in (*PERSON_NOUNS, *REFERENT_NOUNS) if not _is_plural(n)}
        | {n for n in REFERENT_NOUNS if _is_plural(n)}
        | {r"\w*men"}
    )
)
_ASKS_ABOUT_GROUP = re.compile(
    rf"^\s*who\s+(?:are|were)\s+((?:the\s+)?(?:[\w’'-]+\s+){{0,2}}(?:{_PEOPLE_PLURAL}))\s*\??\s*$",
    re.IGNORECASE,
)
_THEY = re.compile(r"\b(?:they|them|their)\b", re.IGNORECASE)
_CONTINUATION = re.compile(r"^\s*(and|but|also|what about|how about|so|then|or)\b", re.IGNORECASE)


# "anyone else?", "anywhere else?", "any others?": the last question again, for another
_ELSE = re.compile(
    r"^\s*(?:(?:any|some|no)(?:one|body|where)\s+else|(?:who|where)\s+else|(?:any\s+)?others?)"
    r"\s*\??\s*$",
    re.IGNORECASE,
)
_WH_OPENING = re.compile(r"^\s*(who|whom|where)\b", re.IGNORECASE)


def asked_besides(question: str, last_question: str, given: str) -> str:
    """``last_question`` asked again for another than ``given`` (its answer), when
    ``question`` only asks for someone else; "" otherwise.

    >>> asked_besides("anyone else?", "who produced it", "Samantha Quan")
    'who else produced it besides Samantha Quan'
    >>> asked_besides("who else?", "where was it shot?", ""), asked_besides("who else?", "is it good", "")
    ('where else was it shot', '')
    """
    wh = _WH_OPENING.match(last_question)
    if not (_ELSE.match(question) and wh):
        return ""
    rest = last_question[wh.end() :].strip().rstrip(" ?")
    return f"{wh.group(1)} else {rest}" + (f" besides {given}" if given else "")


def needs_context(question: str) -> bool:
    """Does the question lean on earlier turns?

    >>> needs_context("How did he prepare for it?"), needs_context("Who shot Anora?")
    (True, False)
    >>> needs_context("And in Las Vegas?")
    True
    """
    if _CONTINUATION.match(question):
        return True
    if any(w in ANAPHORA for w in words(question)):
        return True
    return len(set(terms(question))) < MIN_OWN_TERMS


def asked_group(question: str) -> str:
    """The people ``question`` asks about, when it asks who a plural group is ("" if not).

    >>> asked_group("who are ivans parents"), asked_group("Who were the actors?")
    ('ivans parents', 'the actors')
    >>> asked_group("who were the russian henchmen"), asked_group("who are the actresses")
    ('the russian henchmen', 'the actresses')
    >>> asked_group("who are the main characters in the film"), asked_group("who is ani")
    ('', '')
    """
    found = _ASKS_ABOUT_GROUP.match(question)
    return found.group(1) if found else ""


def for_group(question: str, group: str) -> str:
    """The first "they", "them" or "their" of ``question`` replaced by ``group`` (if any).

    >>> for_group("what do they want", "ivans parents"), for_group("their plan?", "the parents")
    ('what do ivans parents want', "the parents' plan?")
    """

    def swap(m: re.Match[str]) -> str:
        return f"{group}'" if m.group(0).lower() == "their" else group

    return _THEY.sub(swap, question, count=1) if group else question


def asks_for_person(question: str) -> bool:
    """Is the answer to ``question`` a person it does not name itself?

    >>> asks_for_person("Who plays Ivan?"), asks_for_person("Which actor plays Igor?")
    (True, True)
    >>> asks_for_person("Who is Samantha Quan?"), asks_for_person("Where was it shot?")
    (False, False)
    >>> asks_for_person("whos vanya"), asks_for_person("who is the lead actress")
    (False, True)
    """
    return bool(_ASKS_FOR_PERSON.match(question)) and not _NAMES_PERSON.match(
        question.replace("’", "'")
    )


def answer_names(answer: str, known: str) -> list[str]:
    """The names the answer's first quoted sentence adds to ``known`` (the questions).

    Only the first sentence: it is the one the answerer ranked best, and later ones
    bring in people the question is not about.

    >>> answer_names("She meets Ivan Zakharov, played by Mark Eydelshteyn. [1] Then Baker.",
    ...              "Who plays Ivan? Which comedian did he resemble?")
    ['Mark Eydelshteyn']
    """
    first = re.split(r"\s*\[\d+(?:\s*,\s*\d+)*\]", answer, maxsplit=1)[0]
    seen = set(words(known))
    names: list[str] = []
    for name in proper_names(first):
        if name not in names and not seen.intersection(words(name)):
            names.append(name)
    return names


def contextualize(question: str, history: Sequence[str], referent: Sequence[str] = ()) -> str:
    """The search query for ``question`` given earlier user turns (oldest first).

    ``referent`` holds the names the previous answer gave, when the question's
    pronoun stands for them (the person the previous question asked for); they replace the
    history.

    >>> contextualize("How did she prepare?", ["Who played Ani?"])
    'How did she prepare? Who played Ani?'
    >>> contextualize("How did she prepare?", ["Who played Ani?"], ["Mikey Madison"])
    'How did she prepare? Mikey Madison'
    >>> contextualize("Who shot Anora?", ["Who played Ani?"])
    'Who shot Anora?'
    """
    turns = [h.strip() for h in history if h and h.strip()]
    if not turns or not needs_context(question):
        return question
    if referent:
        return " ".join([question, *referent])
    context: list[str] = []
    for turn in reversed(turns):
        context.append(turn)
        # stop at the first turn that stands on its own: older ones are another topic
        if len(context) >= MAX_CONTEXT_TURNS or not needs_context(turn):
            break
    return " ".join([question, *context])

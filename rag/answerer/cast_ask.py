"""Questions about who plays whom: "who plays Toros?", "who does Borisov play?".

``asked_cast(text)`` returns a ``CastAsk``: the name the question gives, as typed, and
which side of a credit it wants (the actor, the character, either, or the lead actor);
``asked_same(text)`` the two names of "is Vanya the same person as Ivan?".
``question.analyse`` reads it into ``Question.cast``; ``cast.Cast`` answers it.

What this module does not do: read the credits (``cast``) or any sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexicon import STOPWORDS


@dataclass(frozen=True)
class CastAsk:
    """A question about who plays whom: the name it gives and which side it wants."""

    name: str  # as typed: "toros", "Mark Eydelshteyn"
    wants: str  # "actor" (who plays Toros?), "character" (who does Borisov play?),
    # "either" (who is Mark Eydelshteyn?: a credit answers it when he is an actor), or
    # "lead" (who's the lead actress?: the actor the articles credit most; ``name`` is "")


_IN_FILM = r"(?:\s+(?:in|on)\s+(?:the\s+)?(?:film|movie|anora|it))?"
_NAME_ASKED = r"([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,2}?)"
_CAST_ASKS = (
    (
        re.compile(
            r"^(?:who|which\s+(?:actor|actress|performer|star)s?|who\s+is\s+the\s+(?:actor|actress)"
            r"\s+(?:who|that))\s+(?:plays?|played|portrays?|portrayed|(?:is|are|was|were)\s+playing)\s+"
            rf"{_NAME_ASKED}{_IN_FILM}$"
        ),
        "actor",
    ),
    (re.compile(rf"^who\s+(?:is|was|'s)\s+{_NAME_ASKED}\s+played\s+by{_IN_FILM}$"), "actor"),
    (re.compile(rf"^{_NAME_ASKED}\s+(?:is\s+)?played\s+by\s+(?:who|whom){_IN_FILM}$"), "actor"),
    (
        re.compile(
            r"^(?:who|what\s+(?:character|role|part)|which\s+(?:character|role|part))\s+"
            rf"(?:does|did|is)\s+{_NAME_ASKED}\s+(?:play|playing|portray){_IN_FILM}$"
        ),
        "character",
    ),
    (
        re.compile(
            rf"^{_NAME_ASKED}\s+(?:plays|played|is\s+playing)\s+(?:who|whom|what){_IN_FILM}$"
        ),
        "character",
    ),
    # "who is Samantha Quan (in relation to Sean Baker)?": what the person is
    (
        re.compile(
            rf"^who(?:\s+is|\s+was|'s|s)\s+{_NAME_ASKED}{_IN_FILM}"
            r"(?:\s+(?:in\s+relation\s+to|to)\s+[a-z][\w' -]*)?$"
        ),
        "either",
    ),
    # "what does ani do for work", "whats ani's job": what the person is, the same way
    (
        re.compile(
            rf"^what\s+(?:does|did)\s+{_NAME_ASKED}\s+do(?:\s+for\s+(?:work|a\s+living|money))?"
            rf"{_IN_FILM}$"
        ),
        "either",
    ),
    (
        re.compile(
            r"^what(?:\s+is|\s+was|'s|s)\s+([a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}?)'s\s+"
            rf"(?:job|occupation|profession|line\s+of\s+work){_IN_FILM}$"
        ),
        "either",
    ),
)
# "who's the lead actress", "who is the star of the film": the most credited actor
_LEAD_ASK = re.compile(
    r"^(?:who(?:\s+is|\s+was|'s|s|\s+plays|\s+played)|which\s+(?:actor|actress)\s+(?:is|was|plays))"
    r"\s+(?:the\s+)?"
    r"(?:lead|leading|main|star|title|principal)(?:\s+(?:actress|actor|role|star|character|part))?"
    rf"(?:\s+(?:of|in)\s+(?:the\s+)?(?:film|movie|anora|it))?{_IN_FILM}$"
)
_DESCRIBING = frozenset(("the", "his", "her", "their"))  # "the parents", "her boss"
_NOT_A_NAME = frozenset(
    ("the", "a", "an", "his", "her", "their", "its", "this", "that", "he", "she", "they", "it",
     "him", "them", "you", "i", "we", "there", "who", "what", "one")
)  # fmt: skip


def asked_cast(question: str) -> CastAsk | None:
    """The name a question about who plays whom gives, and which side it asks for.

    >>> asked_cast("who plays toros"), asked_cast("Who does Yura Borisov play in Anora?")
    (CastAsk(name='toros', wants='actor'), CastAsk(name='yura borisov', wants='character'))
    >>> asked_cast("whos mark eydelshteyn").wants, asked_cast("Who plays Ivan's mother?")
    ('either', CastAsk(name="ivan's mother", wants='actor'))
    >>> asked_cast("what does ani do for work"), asked_cast("whats ani's job")
    (CastAsk(name='ani', wants='either'), CastAsk(name='ani', wants='either'))
    """
    q = _folded(question)
    if _LEAD_ASK.match(q):
        return CastAsk(name="", wants="lead")
    for pattern, wants in _CAST_ASKS:
        m = pattern.match(q)
        if m is None:
            continue
        name = m.group(1)
        if wants == "actor" and described(name):  # "who plays ivan's mother?"
            return CastAsk(name=name, wants=wants)
        if name.split()[0] in _NOT_A_NAME or "'s" in name or name in STOPWORDS:
            return None
        return CastAsk(name=name, wants=wants)
    return None


def _folded(question: str) -> str:
    """The question lower-cased, its apostrophes straight, without closing punctuation."""
    return " ".join(question.lower().replace("’", "'").strip().rstrip("?!. ").split())


_ROLE_NOUN = r"(?:person|people|character|characters|guy|guys|man|men|woman|girl|one|role|roles)"
_SAME_ASKS = (
    # "is vanya the same person as ivan (or a different guy)", "is vanya the same as ivan"
    re.compile(
        rf"^(?:is|was|isn't|wasn't)\s+{_NAME_ASKED}\s+(?:the\s+)?same\s+(?:{_ROLE_NOUN}\s+)?as\s+"
        rf"{_NAME_ASKED}(?:\s+or\s+.+)?$"
    ),
    # "are vanya and ivan the same (person)", "are toros and igor different characters"
    re.compile(
        rf"^(?:are|were)\s+{_NAME_ASKED}\s+and\s+{_NAME_ASKED}\s+(?:the\s+same"
        rf"|one\s+and\s+the\s+same|(?P<apart>(?:two\s+)?different))(?:\s+{_ROLE_NOUN})?"
        r"(?:\s+or\s+.+)?$"
    ),
    # "is vanya also ivan", "is vanya also called ivan"
    re.compile(
        rf"^(?:is|was)\s+{_NAME_ASKED}\s+also\s+(?:called\s+|named\s+|known\s+as\s+)?"
        rf"{_NAME_ASKED}(?:\s+or\s+.+)?$"
    ),
)


def asked_same(question: str) -> tuple[str, str, bool] | None:
    """The two names a question asks to be one role or two, as typed, and whether it asks
    if they are different (a "yes" then means two roles); else None (``roles`` answers it).

    >>> asked_same("is vanya the same person as ivan or a different guy")
    ('vanya', 'ivan', False)
    >>> asked_same("Are Toros and Igor different characters?")
    ('toros', 'igor', True)
    >>> asked_same("is ani also a stripper") is None, asked_same("is it the same as red rocket")
    (True, None)
    """
    q = _folded(question)
    for pattern in _SAME_ASKS:
        m = pattern.match(q)
        if m is None:
            continue
        first, second = m.group(1), m.group(2)
        if any(n.split()[0] in _NOT_A_NAME or n in STOPWORDS for n in (first, second)):
            return None
        apart = "apart" in pattern.groupindex and m.group("apart") is not None
        return (first, second, apart) if first != second else None
    return None


def described(name: str) -> bool:
    """Whether a name asked for is a description ("ivan's mother", "the oligarch's son"):
    a possessive, or a determiner and a noun; not a pronoun ("him") or a name ("toros").

    >>> described("ivan's mother"), described("the oligarch's son"), described("the parents")
    (True, True, True)
    >>> described("toros"), described("him"), described("the")
    (False, False, False)
    """
    said = name.split()
    return len(said) > 1 and ("'s" in name or said[0] in _DESCRIBING)

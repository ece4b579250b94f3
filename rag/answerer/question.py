"""What a question asks for, worked out once per request.

``analyse(text)`` returns a frozen ``Question``: the kind of thing its opening
wh-phrase asks for (``kind``: a name, a place, a date, a count, a span of time, a
sum, an age, a number), what a *how many* question counts, the calendar unit it
names ("in what year"), whether it asks a film's running time, and, when it asks
what something is called or who holds a role, what (``name``, ``role``); who plays
whom (``cast``, read by ``cast_ask``), of a *where … from* question, whom it asks
about (``origin``), and of a *who VERB X* question, the X it acts on (``acted_on``).
Every later stage of the answerer reads this object instead of re-parsing the text.

What this module does not do: look at sentences (``cues``) or decide anything
(``rules``, ``generator``).  It reads English grammar, not this corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answerer.cast_ask import CastAsk, asked_cast
from rag.answerer.patterns import (
    CALENDAR,
    IN_SITU,
    ORIGIN_SUBJECT,
    PERSON_NOUN,
    PLACE_NOUN,
    RUNTIME,
    TIME_NOUN,
    WH,
)
from rag.claimwords import DETERMINERS
from rag.lexicon import (
    CHAT_WH,
    GENERIC_PEOPLE,
    IRREGULAR_PAST,
    PLAYED_PARTS,
    PREPOSITIONS,
    WORK_NOUNS,
)
from rag.text import terms


def question_type(question: str) -> str | None:
    """The kind of thing the question asks for, from its opening wh-phrase.

    >>> question_type("How many days did they shoot?"), question_type("Who shot it?")
    ('count', 'name')
    >>> question_type("What is Ivan's surname?"), question_type("What's the title of her book?")
    ('name', 'name')
    >>> question_type("Where does Ani work when she meets Ivan?")
    'place'
    >>> question_type("prince of broadway came out when?"), question_type("shot what year?")
    ('date', 'date')
    >>> question_type("How much of it was improvised?") is None  # an extent, not a number
    True
    """
    q = question.lower().replace("’", "'")
    if re.search(
        r"\b(?:budget|box[- ]office|gross(?:ed)?|salary|price|cost|paid|pay)\b", q
    ) and re.search(r"\bhow much\b|\bwhat (?:was|is|were)\b", q):
        return "money"
    if re.search(r"\b(?:running time|runtime|run time)\b", q):
        return "duration"
    m = WH.search(q) or IN_SITU.search(q)
    if m is None:
        return "name" if re.search(r"\b(?:called|named)\b", q) else None
    wh, rest = next(g for g in m.groups() if g), q[m.end() :]
    if wh in ("who", "whom", "whose"):
        return "name"
    if wh == "when":
        return "date"
    if wh == "where":
        return "place"
    if wh == "how":
        if re.match(r"\s+many\b", rest):
            return "count"
        if re.match(r"\s+much\s+(?:money|did .* (?:cost|pay|earn|offer|make))", rest):
            return "money"
        if re.match(r"\s+much\s+(?:time|daylight)\b|\s+long\b", rest):
            return "duration"
        if re.match(r"\s+old\b", rest):
            return "age"
        if re.match(r"\s+much\s+(?:of|is|was|were|are|did|does|do|has|had)\b", rest):
            return None  # "how much (of it) was improvised": an extent, not a number
        if re.match(r"\s+much\b|\s+far\b", rest):
            return "number"
        return None
    if wh in ("what", "which"):
        if re.match(rf"\s+(?:\w+\s+)?{TIME_NOUN}s?\b", rest):
            return "date"
        if re.match(rf"\s+(?:\w+\s+)?{PLACE_NOUN}\b", rest):
            return "place"
        if re.match(rf"\s+(?:\w+\s+)?{PERSON_NOUN}s?\b", rest) or re.match(
            r"(?:'s| is| was)?\s+(?:the\s+)?(?:\w+\s+)?(?:name|title|surname)\b", rest
        ):
            return "name"
        if re.match(r"\s+(?:number|percentage|amount)\b", rest):
            return "number"
        if re.search(r"\b(?:surname|called|named)\b", rest):
            return "name"
    return None


def counted_terms(question: str) -> frozenset[str]:
    """The terms of what a *how many* question counts ("how many Gotham Awards" -> gotham, award).

    Empty when it names nothing ("And how many in Vegas?") or counts a part of
    something it names ("How many of the 37 shooting days ...").

    >>> sorted(counted_terms("How many Oscar nominations did she receive?"))
    ['nomin', 'oscar']
    >>> sorted(counted_terms("how many days in vegas"))  # what it counts, not where
    ['day']
    """
    m = re.search(r"\bhow many\s+((?:[\w’'-]+\s+){0,2}[\w’'-]+)", question, re.IGNORECASE)
    if m is None or re.match(
        r"(?:of|in|at|on|for|did|do|does|has|have|had|are|were|is|was)\b", m.group(1), re.IGNORECASE
    ):
        return frozenset()
    head = re.split(
        r"\s+(?:did|do|does|has|have|had|are|were|is|was|will|can|could|would|in|at|on|of|for"
        r"|during|with|from|by)\b",
        m.group(1),
        maxsplit=1,
        flags=re.IGNORECASE,
    )[0]
    return frozenset(terms(head))


@dataclass(frozen=True)
class NameAsk:
    """A question asking what something is called ("What is Ivan's surname?")."""

    of: str  # whose: the person ("Ivan"), or the noun named ("sister", "club", "book")
    what: str  # "surname", "last name", "name" or "title", as the question says it
    person: bool  # a person's own name: it stands right after theirs ("Ivan Zakharov")

    def describe(self) -> str:
        return f"{self.of}'s {self.what}" if self.person else f"the {self.of}'s {self.what}"


# a surname, which follows the first name it is asked of ("Ivan's surname": Ivan Zakharov)
_PERSON_NAME = re.compile(
    r"\b([A-Za-z][\w-]*)'s\s+((?:sur|maiden\s+|last\s+|family\s+|full\s+|real\s+)name)\b"
    r"|\b((?:sur|maiden\s+|last\s+|family\s+|full\s+|real\s+)name)\s+of\s+([A-Z][\w-]*)"
)
_NAME_OF = re.compile(r"\b(name|title)\s+of\s+(.+)", re.IGNORECASE)
_CALLED = re.compile(
    r"\bwhat(?:'s|\s+is|\s+was|\s+are|\s+were)\s+(.+?)\s+(?:called|named)\b", re.IGNORECASE
)
_OWN_NAME = re.compile(r"\b([a-z][\w-]*)'s\s+(name|title)\b", re.IGNORECASE)
# words that end the noun phrase whose name is asked ("the character | played by ...")
_PHRASE_END = frozenset(
    (
        *("of", "in", "at", "on", "by", "for", "from", "with", "to", "about"),
        *("who", "whom", "whose", "that", "which", "where", "when", "why", "how"),
        *("is", "was", "are", "were", "did", "does", "do", "has", "had", "have"),
        *("will", "would", "can", "could"),
        *("she", "he", "they", "it", "i", "you", "we", "her", "his", "their", "its", "him", "them"),
    )
)


def _head_noun(phrase: str) -> str | None:
    """The last word of the noun phrase that opens ``phrase``, past determiners and
    possessors: "the character played by ..." -> character, "Ani's sister" -> sister."""
    head = modifier = None
    for word in re.findall(r"[\w'-]+", phrase.lower()):
        if word in DETERMINERS or word.endswith("'s"):
            if head is not None:
                break
            continue
        participle = re.fullmatch(r"\w+(?:ed|ing)", word) or word in IRREGULAR_PAST
        if word in _PHRASE_END or (head is not None and participle):
            break  # "the character played by", "the guy sent to guard"
        head, modifier = word, head
    # "the russian guy": a guy says nothing, "a Russian named Igor" is how he is named
    return modifier if head in GENERIC_PEOPLE and modifier else head


def asked_name(question: str) -> NameAsk | None:
    """What the question asks the name of, when it asks what something is called.

    >>> asked_name("What is Ivan's surname?")
    NameAsk(of='Ivan', what='surname', person=True)
    >>> asked_name("What is the name of the character played by Karren Karagulian?")
    NameAsk(of='character', what='name', person=False)
    >>> asked_name("What's the title of the book she wrote?").of, asked_name("Who is he?")
    ('book', None)
    """
    q = question.replace("’", "'").replace("‘", "'")
    m = _PERSON_NAME.search(q)
    if m is not None:
        of, what = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return NameAsk(of=of, what=" ".join(what.lower().split()), person=True)
    m = _NAME_OF.search(q)
    if m is not None:
        head = _head_noun(m.group(2))
        return NameAsk(of=head, what=m.group(1).lower(), person=False) if head else None
    m = _CALLED.search(q)
    if m is not None:
        words = [w for w in re.findall(r"[\w'-]+", m.group(1).lower())]
        if words and words[-1] not in _PHRASE_END and not words[-1].endswith("'s"):
            return NameAsk(of=words[-1], what="name", person=False)
    m = _OWN_NAME.search(q)
    if m is not None and not re.match(r"[A-Z]", m.group(1)):
        return NameAsk(of=m.group(1).lower(), what=m.group(2).lower(), person=False)
    return None


@dataclass(frozen=True)
class RoleAsk:
    """A question asking who plays or holds a role ("Who plays Ivan's mother?")."""

    role: str  # as the question words it: "Ivan's mother", "the costume designer"
    terms: frozenset[str]  # what a sentence saying who it is must mention

    @property
    def kin(self) -> bool:
        """Someone's relation ("Ivan's parents", "Toros's boss"): a sentence about Ivan's
        parents names Ivan and Ani nearest, so only one naming them as such answers.  The
        apostrophe may be left out, as in a chat ("ivans parents")."""
        return bool(re.search(r"['’]s\s", self.role) or _UNMARKED_OWNER.match(self.role))


_UNMARKED_OWNER = re.compile(r"(?:the\s+)?[a-z]+[a-rt-z]s\s+[a-z]+$")  # "the ivans parents"


_PLAYS = re.compile(
    r"^\s*(?:who|which\s+(?:actor|actress|performer|star))\s+"
    r"(?:plays|played|portrays|portrayed|voices|voiced)\s+(.+)",
    re.IGNORECASE,
)
_HOLDS = re.compile(
    r"^\s*who(?:'s|\s+(?:is|was|were|are|served\s+as|worked\s+as))\s+((?:the\s+)?[a-z].*)",
    re.IGNORECASE,
)
# a role ends before what it is of or where: "the production designer | of Anora"
_ROLE_END = re.compile(
    r"\s+(?:in|on|for|at|during|that|who|whom|which|whose|when|where|while|with|to|from|by)\b.*"
    r"|\s*,.*"  # "whos baker's wife, she produced it too right": the role ends at the comma
)


_ANYONE = frozenset(terms(" ".join(GENERIC_PEOPLE)))


def asked_role(question: str) -> RoleAsk | None:
    """The role a *who plays X* / *who was the X* question asks about.

    >>> role = asked_role("Who plays Ivan's mother in Anora?")
    >>> role.role, sorted(role.terms)
    ("Ivan's mother", ['ivan', 'mother'])
    >>> asked_role("Who was the production designer of Anora?").role
    'the production designer of Anora'
    >>> sorted(asked_role("Who was the production designer of Anora?").terms)
    ['design', 'product']
    >>> sorted(asked_role("Who is Sean Baker's wife?").terms)
    ['baker', 'sean', 'wife']
    >>> asked_role("who are ivans parents").kin, asked_role("Who is the costume designer?").kin
    (True, False)
    >>> asked_role("Who is Samantha Quan?"), asked_role("Where did the actor who plays Toros go?")
    (None, None)
    """
    q = question.replace("’", "'").strip().rstrip("?").strip()
    m = _PLAYS.match(q)
    if m is None:
        m = _HOLDS.match(q)
        # "who is" a role ("the costume designer", "Sean Baker's wife"), not a person
        # ("Samantha Quan")
        if m is None or not re.match(
            r"(?:the\s+)?[a-z]|(?:[A-Z][\w-]*\s+){0,2}[A-Z][\w-]*'s\s+[a-z]", m.group(1)
        ):
            return None
    role = _ROLE_END.sub("", m.group(1)).strip()
    role = re.sub(r"^(?:some|one|many|most|all|each|any|several)\s+of\s+", "", role)
    held = frozenset(terms(re.split(r"\s+of\s+", role)[0]))  # "president | of the jury"
    if held & _ANYONE:
        return None  # "whos the guy in charge of ...": someone described, not a job named
    if re.search(r"'s\s+(\w+)$", role) and role.rsplit(None, 1)[-1] in PLAYED_PARTS:
        return None  # "Mikey Madison's character": whom she plays (``asked_cast``)
    if re.match(r"[a-z]", role) and role.split()[0] not in DETERMINERS:
        role = f"the {role}"  # "Who was president of ...": the president of ...
    return RoleAsk(role=role, terms=held) if held else None


def asked_work(question: str) -> frozenset[str]:
    """The words of a wh-phrase asking for a titled work ("which horror film" -> horror,
    film; "what was Baker's debut feature" -> debut, feature), as terms; else empty.  The
    wh-phrase opens the question or follows a preposition ("... since which of his films?").

    >>> sorted(asked_work("Which horror film convinced Baker?"))
    ['film', 'horror']
    >>> sorted(asked_work("What was Sean Baker's debut feature?")), asked_work("What did he say?")
    (['debut', 'featur'], frozenset())
    >>> sorted(asked_work("He has worked with Baker since which of Baker's films?"))
    ['film']
    """
    found = re.search(
        r"(?:^\s*(?:in\s+)?|\b(?:since|of|from|in|at|by|after|before)\s+)"
        r"(?:what|which)(?:['’]s)?\b((?:\s+[\w’'-]+){0,6}?)\s+(" + "|".join(WORK_NOUNS) + r")s?\b",
        question,
        re.IGNORECASE,
    )
    if found is None:
        return frozenset()
    between = found.group(1).split()
    if between and between[0].lower() in ("is", "was", "are", "were", "of"):
        between = between[1:]  # "what was Baker's debut feature", "which of his films"
    if any(w.lower() in _PHRASE_END for w in between):
        return frozenset()  # "what device was the film ...": the work is not what is asked
    # the words of the noun phrase: what stands after a possessive ("Baker's")
    phrase: list[str] = []
    for word in reversed(between):
        if word.lower() in _PHRASE_END or word.lower() in DETERMINERS or re.search(r"['’]s$", word):
            break
        phrase.insert(0, word)
    return frozenset(terms(" ".join([*phrase[-2:], found.group(2)])))


@dataclass(frozen=True)
class Question:
    """One question, analysed: built by ``analyse`` once per request."""

    text: str
    kind: str | None  # ``question_type``
    counted: frozenset[str]  # ``counted_terms``: what a *how many* question counts
    calendar: str | None  # the calendar unit it names: "year", "month", "date", ...
    runtime: bool  # it asks a film's running time (minutes or hours, not shooting days)
    name: NameAsk | None  # it asks what something is called
    role: RoleAsk | None  # it asks who plays or holds a role
    cast: CastAsk | None = None  # it asks who plays a character, or whom an actor plays
    work: frozenset[str] = frozenset()  # it asks for a titled work: its wh-phrase's terms
    origin: frozenset[str] = frozenset()  # "where is Ani from?": the terms of whom (ani)
    acted_on: str = ""  # "who designed the costumes?": what the verb acts on ("the costumes")


def analyse(text: str) -> Question:
    """The question's kind and what it asks for.

    >>> q = analyse("In what year did Anora win the Palme d'Or?")
    >>> q.kind, q.calendar, q.name, q.role
    ('date', 'year', None, None)
    """
    parsed = _APOSTROPHE.sub(r"\1's", text)  # "whos the guy …" as "who's the guy …"
    parsed = _CHAT_WH.sub(lambda m: CHAT_WH[m.group(0).lower()], parsed)  # "wat did it win"
    named = CALENDAR.search(parsed.lower())
    kind = question_type(parsed)
    return Question(
        text=text,
        kind=kind,
        counted=counted_terms(parsed),
        calendar=named.group(1) if named else None,
        runtime=bool(RUNTIME.search(parsed)),
        name=asked_name(parsed),
        role=asked_role(parsed),
        cast=asked_cast(parsed),
        work=asked_work(parsed),
        origin=origin_subject(parsed) if kind == "place" else frozenset(),
        acted_on=acted_on(parsed),
    )


def origin_subject(text: str) -> frozenset[str]:
    """Whom a where-from question asks about, as terms ("where are his parents from":
    parent; an adverb left out), or none: not such a question, or a pronoun stands there.

    >>> sorted(origin_subject("Where is Sean Baker originally from?")), origin_subject("where is she from")
    (['baker', 'sean'], frozenset())
    """
    m = ORIGIN_SUBJECT.search(text)
    said = m.group(1).split() if m else []
    return frozenset(terms(" ".join(w for w in said if not w.lower().endswith("ly"))))


# a question about its subject's deed: "who" then a verb (not an auxiliary or a modal, nor
# the do-support of "who does ani fight", though "who did the soundtrack" acts on a noun)
_DEED = re.compile(
    r"^\s*who\s+(?!(?:is|was|are|were|has|have|had|can|could|will|would|should|else)\b)"
    r"(?:(?:do|does|did)\s+(?=(?:the|a|an)\s)|(?!(?:do|does|did)\b)[a-z]+\s+)(.+)$",
    re.IGNORECASE,
)
_OBJECT_END = re.compile(rf"\s*[,;?!.]|\s+(?:{'|'.join(sorted(PREPOSITIONS))})\b", re.IGNORECASE)
_OBJECT_PRONOUNS = frozenset(("it", "them", "him", "her", "this", "that", "these", "those", "one"))


def acted_on(text: str) -> str:
    """What a *who VERB X* question's verb acts on, up to a preposition or the end ("the
    music" of "who composed the music for Anora?"); "" for a pronoun or another question.

    >>> acted_on("Who composed the music for Anora?"), acted_on("who did the soundtrack")
    ('the music', 'the soundtrack')
    >>> acted_on("who shot it"), acted_on("who does ani fight with"), acted_on("who is ani")
    ('', '', '')
    """
    m = _DEED.match(text)
    phrase = _OBJECT_END.split(m.group(1), maxsplit=1)[0].strip() if m else ""
    said = phrase.split()
    if not said or said[-1].lower() in _OBJECT_PRONOUNS or said[-1].lower() in DETERMINERS:
        return ""
    return phrase


# a wh-word contracted with "is" and typed without its apostrophe, as chat often is
_APOSTROPHE = re.compile(r"\b(who|what|where|when|why|how)s\b", re.IGNORECASE)
_CHAT_WH = re.compile(rf"\b(?:{'|'.join(CHAT_WH)})\b", re.IGNORECASE)

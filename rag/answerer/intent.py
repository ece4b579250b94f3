"""What kind of answer a question wants, from the grammar of English.

``intent(text)`` returns an ``Intent``:

- ``chat``: small talk ("hi", "thanks") or a question about the app ("what can you
  do?"): answered with what the app can do, never searched;
- ``choice``: an either/or question ("is ani a stripper or an escort?", "was it
  shot on film or digital?"): its two ``options``;
- ``yesno``: a question opening with an auxiliary verb ("did it win anything?");
- ``list``: a question asking for several things: a plural head noun after the
  wh-word ("which films inspired it", "what awards ...", not a verb before its
  object: "which actor plays Igor"), a "list" / "all the" /
  "name some", "what else" (the others: "what else has he directed"), or the cast or
  characters (a ``roster``); of ``works`` when it asks what someone made ("bakers
  movies", "what else has he directed": answered by their titles);
- ``summary``: an open question (a ``synopsis`` when it asks what the whole film is
  about, or how it starts: answered from the articles' opening paragraphs, where articles
  summarise, from the story's start): *why*,
  *how* of manner (not of degree: *how many / much / long / old*, "how fortunate did she feel"),
  "what is it about", "what happens", "what is X like" (or "look like visually"), a cause
  asked as "what made X so hard", "tell me about", "describe",
  "explain", "what do people think ...", a comparison; a ``story`` when it asks how the
  plot goes ("how does it end", "what happens after"), told in the articles' order;
- ``fact``: anything else (a *who / when / where / which / what* of one thing).

A leading "According to X," names the question's source, not its ask, and is not read.
Given the corpus's proper names, a name typed in lower case is read as a name
("which actor plays igor" is the "which actor plays Igor" of a verb before its object).

What this module does not do: decide whether the articles answer (``generator``),
or look at anything but the question's words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rag.lexicon import ABOUT_APP, SMALL_TALK, WORK_NOUNS
from rag.text import cased

_AUX = r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|isn't|wasn't|didn't|doesn't|aren't|weren't)"
_YESNO = re.compile(rf"^\s*{_AUX}\b", re.IGNORECASE)
_WORD = r"(?!(?:he|she|it|they|we|you|i|the|a|an|this|that)\b)[a-z]+"  # not a subject
_CHOICE = re.compile(
    rf"^\s*(?:{_AUX}|which|what)\b.*?\b(?:an?\s+|the\s+|on\s+|in\s+)?([\w'’-]+(?:\s+[\w'’-]+)?)"
    r"\s+or\s+(?:an?\s+|the\s+|on\s+|in\s+)?([\w'’-]+(?:\s+[\w'’-]+)?)\s*\??\s*$",
    re.IGNORECASE,
)
_OPEN = re.compile(
    # "how" of manner ("how did they film it"), not of degree: "how" and one word before an
    # auxiliary or the end ("how fortunate did she feel", "how big is it") asks for a fact
    r"\bwhy\b|^\s*(?:how\s+(?!many\b|much\b(?!\s+of\b)|long\b|old\b|far\b|often\b|tall\b|big\b"
    rf"|(?!come\b){_WORD}\s+{_AUX}\b|{_WORD}\s*\??\s*$)"
    r"|tell\s+me\s+(?:about|more)\b|describe\b|explain\b|summari[sz]e\b|talk\s+about\b)"
    r"|\bwhat(?:'s|’s|s|\s+is|\s+was|\s+are|\s+were)?\s+(?:the\s+)?(?:film|movie|story|plot|it|this|anora)?"
    r"\s*(?:about|like)\s*\??\s*$"
    r"|\bwhat\s+(?:happens|happened|is\s+going\s+on)\b|\bwhat\s+kind\s+of\b|\btheor(?:y|ies)\b"
    r"|\bwhat(?:'s|’s|s)?\s+(?:(?:is|was|are|were|does|do|did)\s+)?.*\blike(?:\s+\w+ly)?\s*\??\s*$"
    # a cause asked as "what made X so hard" (why was X so hard), not "what made him famous"
    r"|^\s*what\s+(?:made|makes|make)\s+.+\s+(?:so|that|this|such|more|less|too)\s+\w+\s*\??\s*$"
    r"|\bwhat\s+do(?:es)?\s+(?:people|fans|critics|viewers|audiences|reviewers|the\s+\w+)\s+"
    r"(?:think|say|make|mean)\b"
    r"|\bwhat\s+(?:does|did)\s+.+\s+mean\b|\bmeaning\s+of\b|\bthemes?\b|\bending\b|\bplot\b"
    r"|\bdifference\s+between\b|^\s*how\s+(?:does|do|did|is|are|was|were)\b.*\bcompare"
    r"|\bdifferent\s+(?:from|than|to)\b|\bversus\b|\bvs\.?\b",
    re.IGNORECASE,
)
# the cast or its characters: answered by the sentences crediting each (``cast.Cast``)
_ROSTER = re.compile(
    r"\bin\s+the\s+cast\b|\b(?:list|name)\s+(?:the\s+|its\s+)?cast\b|\bthe\s+cast\s+of\b|\bcast\s+list\b"
    r"|\bwho\s+(?:are|were|is|was|'s|’s)\s+(?:the\s+|in\s+the\s+)?cast\b|^\s*(?:the\s+)?cast\W*$"
    r"|\bwho\s+(?:else\s+)?(?:is|was|are|were)\s+in\s+(?:it|the\s+(?:film|movie)|anora)\s*\??\s*$"
    r"|\bwho\s+(?:stars|starred|appears|appeared|acts|acted)\s+in\b"
    r"|\b(?:who|what)\s+(?:are|were)\s+the\s+(?:main\s+)?characters\b|\bmain\s+characters\b"
    r"|\b(?:main\s+)?(?:actors|actresses|stars)\s+(?:in|of)\s+(?:it|the\s+(?:film|movie)|anora)\b",
    re.IGNORECASE,
)
_LIST = re.compile(
    r"\blist\b|\ball\s+(?:the|of\s+the|his|her|their)\b|\bname\s+(?:some|all|the)\b"
    # the cast as a noun ("the cast", "cast members"), not the verb ("why did he cast her")
    r"|\b(?:the|its|whole|full|main|supporting|entire)\s+cast\b|\bcast\s+(?:members?|list)\b"
    r"|\bcharacters\b|\bwhat\s+else\b",  # "what else has he directed": the others, several
    re.IGNORECASE,
)
_WH_PLURAL = re.compile(
    r"\b(?:what|which)\s+(?!(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would)\b)"
    r"(?:other\s+|(?![a-z]+ly\b)[a-z]+\s+)?([a-z]{3,}(?:ies|[^s'’]s))\b(?!['’])"
    # a verb, not a plural, when its object follows: "which actor plays Igor", "what
    # truly motivates Ani", "plays the character" (an adverb before it says so too)
    r"(?!\s+(?:(?-i:[A-Z])|(?:the|a|an|her|him|his|them|their|it|its|me|us|you|this|that)\b))",
    re.IGNORECASE,
)
# a leading source of the question ("According to a fan theory, what ...") is not its ask
_ACCORDING = re.compile(r"^\s*according\s+to\s+[^,?]+,\s*", re.IGNORECASE)
# a list of works: a plural work noun ("which films", "all of his movies"), or what else
# someone directed, made or wrote ("what else has he directed") ...
_WORKS = re.compile(
    rf"\b(?:{'|'.join(sorted(WORK_NOUNS))})s\b"
    r"|\b(?:else|other)\b.*\b(?:directed|made|written|wrote|shot|produced|edited)\W*$",
    re.IGNORECASE,
)
# ... that someone made: a possessive before the work noun, or a making verb
_MADE = re.compile(
    rf"\b(?:his|her|their|[a-z]+(?:’s|'s|s))\s+(?:other\s+|previous\s+|earlier\s+|own\s+)?"
    rf"(?:{'|'.join(sorted(WORK_NOUNS))})s\b"
    r"|\b(?:directed|made|make|written|wrote|write|produced|edited|direct)\b",
    re.IGNORECASE,
)
_NOT_PLURAL = frozenset(("does", "was", "has", "this", "its", "thus", "always", "series", "news"))


_LEADING = re.compile(r"^(?:(?:an?|the|on|in|at|to|with|by)\s+)+", re.IGNORECASE)


_ARTICLES = frozenset(("a", "an", "the"))
_PREPOSITIONS = frozenset(("on", "in", "at", "to", "with", "by"))


def _parallel(question: str, second: str) -> tuple[str, str]:
    """The two options of "... A or B?" (parallel structure): when B opens with an article
    or a preposition, A opens at the last word of the same kind before "or" ("the same
    person as ivan or a different guy"); else A is as long as B ("film or digital").

    >>> _parallel("is vanya the same person as ivan or a different guy", "a different guy")
    ('same person as ivan', 'different guy')
    >>> _parallel("was it shot on film or digital", "digital")
    ('film', 'digital')
    """
    opening = second.strip(" ?").split()[0].lower() if second.strip(" ?") else ""
    second = _LEADING.sub("", second.strip(" ?"))
    before = question[: question.lower().rindex(" or ")].split()
    kind = next((k for k in (_ARTICLES, _PREPOSITIONS) if opening in k), None)
    # the same word first ("in the main competition at cannes or in a sidebar"), else its kind
    starts = [i for i, w in enumerate(before) if kind and w.lower() == opening] or [
        i for i, w in enumerate(before) if kind and w.lower() in kind
    ]
    if starts and len(before) - starts[-1] <= 6:  # a phrase, not half the question
        return _LEADING.sub("", " ".join(before[starts[-1] :])), second
    first = _LEADING.sub("", " ".join(before[-len(second.split()) :]))
    return first, second


_SYNOPSIS = re.compile(
    r"\bwhat(?:'s|’s|s|\s+is|\s+was)?\s+(?:it|this|that|the\s+(?:film|movie|story)|anora"
    r"|this\s+(?:film|movie))\s+(?:all\s+)?about\b|\b(?:plot|synopsis|storyline|premise)\b"
    r"|\bwhat\s+happens\s+in\s+(?:it|the\s+(?:film|movie)|anora)\s*\??\s*$",
    re.IGNORECASE,
)


# how the story goes: the verbs of a plot's course ("how does it end", "what happens after")
_STORY = re.compile(
    r"\b(?:end|ends|ended|begin|begins|start|starts|happens|happened|unfold|unfolds)\b",
    re.IGNORECASE,
)


# ... at its start: "how does it begin", "what happens at the start of the film"
_OPENING = re.compile(
    r"\bhow\s+(?:does|did)\s+(?:it|this|the\s+(?:film|movie|story)|anora|this\s+(?:film|movie))"
    r"\s+(?:begin|start|open)\b|\bwhat\s+happens\s+(?:at\s+the\s+(?:start|beginning)|first)"
    r"(?:\s+of\s+(?:it|the\s+(?:film|movie|story)|anora))?\s*\??$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Intent:
    kind: str  # "fact", "list", "summary", "yesno", "choice" or "chat"
    options: tuple[str, ...] = ()  # the two alternatives of an either/or question
    synopsis: bool = False  # a summary of the whole film ("what is it about?")
    story: bool = False  # how the story goes ("how does it end"): told in the articles' order
    roster: bool = False  # a list of the cast or the characters ("who is in it?")
    works: bool = False  # a list of works someone made ("bakers movies", "what else has he made")

    @property
    def open(self) -> bool:
        """Answered by several sentences rather than one fact."""
        return self.kind in ("summary", "list")


def asks_yes_no(text: str) -> bool:
    """Whether the question opens with its auxiliary ("did the actors improvise").

    >>> asks_yes_no("did the actors improvise"), asks_yes_no("who directed it")
    (True, False)
    """
    return bool(_YESNO.match(text))


def intent(text: str, names: Mapping[str, str] | None = None) -> Intent:
    """The kind of answer the question wants; ``names``, the corpus's proper names
    (``rag.text.corpus_names``), restore the capitals a name was typed without.

    >>> intent("is ani a stripper or an escort?").options
    ('stripper', 'escort')
    >>> intent("whats it about").synopsis
    True
    >>> [intent(q).kind for q in ("whats it about", "who is in the cast", "did it win anything")]
    ['summary', 'list', 'yesno']
    >>> [intent(q).kind for q in ("hi", "what can you do?", "Who was the DP?", "how many days?")]
    ['chat', 'chat', 'fact', 'fact']
    >>> [intent("which actor plays igor", n).kind for n in (None, {"igor": "Igor"})]
    ['list', 'fact']
    """
    q = _ACCORDING.sub("", " ".join(text.split()))
    q = cased(q, names) if names else q
    if SMALL_TALK.match(q) or ABOUT_APP.match(q):
        return Intent("chat")
    choice = _CHOICE.match(q)
    if choice:
        return Intent("choice", _parallel(q, q[q.lower().rindex(" or ") + 4 :]))
    if _ROSTER.search(q):
        return Intent("list", roster=True)
    if _LIST.search(q):
        return Intent("list", works=bool(_WORKS.search(q) and _MADE.search(q)))
    if _SYNOPSIS.search(q):
        return Intent("summary", synopsis=True, story=True)
    if _OPEN.search(q):  # how the story starts is how the articles' summaries start
        return Intent("summary", synopsis=bool(_OPENING.search(q)), story=bool(_STORY.search(q)))
    if _YESNO.match(q):
        return Intent("yesno")
    plural = _WH_PLURAL.search(q)
    if plural and plural.group(1).lower() not in _NOT_PLURAL:  # the head noun says of what
        works = plural.group(1).lower().removesuffix("s") in WORK_NOUNS
        return Intent("list", works=works and bool(_MADE.search(q)))
    return Intent("fact")

"""The default answerer: quote the one to three sentences that best answer the question.

No model beyond the embedder, nothing invented: every sentence of the answer is a
verbatim sentence of a retrieved passage, followed by the ``[n]`` of that passage.

Each sentence of the retrieved passages is described by a few features
(``SENTENCE_FEATURES``): its cosine to the question, the IDF-weighted share of the
question's terms it holds (a term is held through a film-making synonym too,
``rag.thesaurus``: "DP" for "cinematographer"), whether it holds what the question's
opening wh-phrase asks for (``question_type``: a name for *who*, a number before the
counted noun for *how many X*, a date for *when*, a span of time for *how long*, a
sum for *how much money*, a place for *where*), the cosine and coverage of its
neighbours (answers often sit next to the sentence that matches the question), the
passage's rank and cosine, how much it adds beyond the question's own words, whether
it is a short caption, its late-interaction score (``rag.late``: each word piece of
the question matched to its closest piece in the sentence, so paraphrases count as
overlap), how much of the question the *next* sentence holds (an answer often
follows the sentence that restates the question), and how rare the proper nouns it
adds are (an answer to "who" or "what is the name" names someone the question does
not). A linear model (``SENTENCE_WEIGHTS``) turns them into a score; the best one to
``max_answer_sentences`` sentences are quoted.

Whether to answer at all is a second linear model over the question's evidence
(``ANSWER_FEATURES``: the best sentence score, the best cosines, the question
terms the corpus never uses, and how much of the question the best sentence
and its neighbours cover), squashed to a 0-1 ``confidence``; below
``settings.abstain_threshold`` the answer abstains ("the articles don't say")
and lists the closest passages as related instead.  It also abstains, with a note
saying why, when a question asking for a quantity or a date (*how many*, *how
much money*, *how long*, *how old*, *in what year*) would be answered by
sentences that hold none (``missing_kind``).  A question asking what something
is called (*What is Ivan's surname?*, *the name of the character played by ...*)
is answered only by a sentence giving that name beside what it names
(``asked_name``, ``gives_name``), and one asking who plays or holds a role
(*Who plays Ivan's mother?*) only by a sentence that mentions the role
(``asked_role``); both are looked for in the passages ranked just below the
first ones too, and the answer abstains when there is none (``constrain``).
``decide`` applies the model and these rules in turn.  Both models are fitted,
and the threshold chosen (with the rules applied), with cross-validation on the
gold set by ``rag calibrate`` (see ``rag.calibration`` and the README).

What this module does not do: retrieve (the pipeline passes the hits) or write
new prose (the LLM generators do, and fall back to this one).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from rag.generators.base import (
    Delta,
    Draft,
    GenerationRequest,
    Resources,
    number_citations,
    stream_once,
)
from rag.schema import Citation, Hit, Sentence
from rag.text import proper_names, terms
from rag.thesaurus import alternatives, covered

# Fitted by `rag calibrate` on eval/gold.jsonl (logistic regression, 5-fold CV); see README.
SENTENCE_FEATURES = (
    "cos",
    "lex",
    "cue",
    "ctx_cos",
    "ctx_lex",
    "rank",
    "chunk_cos",
    "novel",
    "short",
    "late",
    "next_lex",
    "name",
)
SENTENCE_WEIGHTS = (  # in SENTENCE_FEATURES order
    -1.509,  # cos
    1.897,  # lex
    1.100,  # cue
    -0.037,  # ctx_cos
    2.117,  # ctx_lex
    1.228,  # rank
    2.191,  # chunk_cos
    1.857,  # novel
    -0.019,  # short
    7.824,  # late
    -2.672,  # next_lex
    1.091,  # name
)
SENTENCE_BIAS = -7.755
ANSWER_FEATURES = ("best", "cos", "lex", "chunk_cos", "oov", "best_ctx_lex")
ANSWER_WEIGHTS = (0.689, 1.561, 1.036, -0.005, -1.157, 1.675)
ANSWER_BIAS = -1.953  # fitted -2.343 at threshold 0.23, re-centred on the 0.30 setting
SHORT_WORDS = 8  # fewer words: a caption or an exclamation, rarely an answer alone
EXTRA_MARGIN = 1.0  # a further sentence joins when its score is within this of the best (logit)
REDUNDANT_COS = 0.9  # ... and says something the ones before it do not
RELATED = 3
# question types whose answer is a quantity or a date, and what the user is told is missing
# when none of the sentences the answer would quote holds one (see ``missing_kind``)
QUANTITIES = {
    "count": "count of what was asked",
    "money": "sum of money",
    "duration": "length of time",
    "age": "age",
    "date": "date",
}
ABSTAIN_TEXT = "I couldn't find that in the articles."

_NUM = (
    r"\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen"
    r"|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half|several|a few"
)
_NUMBER = re.compile(rf"\b(?:{_NUM})\b", re.IGNORECASE)
_DATE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d|\d\d[’']?s|january|february|march|april|may|june|july|august"
    r"|september|october|november|december|spring|summer|autumn|winter)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    rf"\b(?:{_NUM}|an?|over a|half an?)(?:[-\s]+[a-z]+)?[-\s]+"
    r"(?:second|minute|hour|day|night|week|month|year|decade)s?\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£]\s?\d|\b(?:dollars?|euros?|bucks|pounds sterling)\b|\b\d+(?:\.\d+)?\s?(?:m|bn|k)\b",
    re.IGNORECASE,
)
_AGE = re.compile(
    rf"\b(?:{_NUM})[-\s]+years?[-\s]+old\b|\baged?\s+(?:of\s+)?\d{{1,3}}\b|\b(?:teen(?:age)?|\d0s)\b"
    r"|\bat (?:the age of )?\d{1,2}\b",
    re.IGNORECASE,
)
# a capitalised word that is not the first of its sentence or quotation: a proper noun
_CAPITAL = re.compile(r"(?<![.!?“\"]\s)(?<!^)(?<!“)\b[A-Z][\w’'-]+")
_PLACE = re.compile(r"\b(?:in|at|on|from|near|to)\s+(?:the\s+)?[A-Z][a-z]+")
# a wh-word that opens the question or one of its clauses (not "... the night when she ...")
_WH = re.compile(
    r"(?:^|[,;:]\s*|\b(?:and|but|so|then|in|on|at|for|to|by|from|with|of|about|since|until)\s+)"
    r"(who|whom|whose|what|which|when|where|how|why)\b"
)
_TIME_NOUN = r"(?:year|month|date|day|decade|season|century|era)"
_PLACE_NOUN = (
    r"(?:city|town|country|state|place|location|restaurant|hotel|venue|street|neighbou?rhood"
    r"|borough|club|bar|island|region)"
)
# a question naming the calendar unit it wants; "when" may be answered by an event instead
# ("when he was a student at NYU")
_CALENDAR = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?(year|month|date|decade|century)s?\b")
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
)
_YEAR = r"(?:1[89]\d\d|20\d\d)"
# what answers a question that names its unit: "in what year" wants a year, not "the 1970s"
_UNIT = {
    "year": re.compile(rf"\b{_YEAR}\b"),
    "month": re.compile(rf"\b{_MONTH}\b", re.IGNORECASE),
    "date": re.compile(
        rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
        r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b",
        re.IGNORECASE,
    ),
    "decade": re.compile(
        rf"\b(?:{_YEAR}|(?:1[89]|20)?\d0[’']?s|(?:twen|thir|for|fif|six|seven|eigh|nine)ties)\b",
        re.IGNORECASE,
    ),
    "century": re.compile(rf"\b(?:{_YEAR}|\d{{1,2}}(?:st|nd|rd|th)[-\s]+century)\b", re.IGNORECASE),
}
# a film's running time is given in minutes or hours, never in shooting days
_RUNTIME = re.compile(r"\b(?:running time|runtime|run time)\b", re.IGNORECASE)
_RUNTIME_UNIT = re.compile(
    rf"\b(?:{_NUM}|an?)(?:[-\s]+and[-\s]+an?[-\s]+half)?[-\s]+(?:minutes?|mins?|hours?|hrs?)\b",
    re.IGNORECASE,
)
_PERSON_NOUN = r"(?:actor|actress|director|person|producer|filmmaker|writer|composer|star)"


def question_type(question: str) -> str | None:
    """The kind of thing the question asks for, from its opening wh-phrase.

    >>> question_type("How many days did they shoot?"), question_type("Who shot it?")
    ('count', 'name')
    >>> question_type("What is Ivan's surname?"), question_type("What's the title of her book?")
    ('name', 'name')
    >>> question_type("Where does Ani work when she meets Ivan?")
    'place'
    """
    q = question.lower().replace("’", "'")
    if re.search(
        r"\b(?:budget|box[- ]office|gross(?:ed)?|salary|price|cost|paid|pay)\b", q
    ) and re.search(r"\bhow much\b|\bwhat (?:was|is|were)\b", q):
        return "money"
    if re.search(r"\b(?:running time|runtime|run time)\b", q):
        return "duration"
    m = _WH.search(q)
    if m is None:
        return "name" if re.search(r"\b(?:called|named)\b", q) else None
    wh, rest = m.group(1), q[m.end() :]
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
        if re.match(r"\s+much\b|\s+far\b", rest):
            return "number"
        return None
    if wh in ("what", "which"):
        if re.match(rf"\s+(?:\w+\s+)?{_TIME_NOUN}s?\b", rest):
            return "date"
        if re.match(rf"\s+(?:\w+\s+)?{_PLACE_NOUN}\b", rest):
            return "place"
        if re.match(rf"\s+(?:\w+\s+)?{_PERSON_NOUN}s?\b", rest) or re.match(
            r"(?:'s| is| was)?\s+(?:the\s+)?(?:\w+\s+)?(?:name|title|surname)\b", rest
        ):
            return "name"
        if re.match(r"\s+(?:number|percentage|amount)\b", rest):
            return "number"
        if re.search(r"\b(?:surname|called|named)\b", rest):
            return "name"
    return None


_COUNT_WINDOW = 3  # "4 Time Oscar winner", "eight independent feature films"


def counted_terms(question: str) -> frozenset[str]:
    """The terms of what a *how many* question counts ("how many Gotham Awards" -> gotham, award).

    Empty when it names nothing ("And how many in Vegas?") or counts a part of
    something it names ("How many of the 37 shooting days ...").

    >>> sorted(counted_terms("How many Oscar nominations did she receive?"))
    ['nomin', 'oscar']
    """
    m = re.search(r"\bhow many\s+((?:[\w’'-]+\s+){0,2}[\w’'-]+)", question, re.IGNORECASE)
    if m is None or re.match(
        r"(?:of|in|at|on|for|did|do|does|has|have|had|are|were|is|was)\b", m.group(1), re.IGNORECASE
    ):
        return frozenset()
    head = re.split(
        r"\s+(?:did|do|does|has|have|had|are|were|is|was|will|can|could|would)\b",
        m.group(1),
        maxsplit=1,
        flags=re.IGNORECASE,
    )[0]
    return frozenset(terms(head))


def _numbers(sentence: str, question: str) -> Iterator[re.Match[str]]:
    """The numbers in the sentence that the question does not already hold."""
    asked = {w.lower() for w in re.findall(r"[\w.,]+", question)}
    return (m for m in _NUMBER.finditer(sentence) if m.group(0).lower() not in asked)


def has_cue(kind: str | None, sentence: str, question: str) -> bool:
    """Whether the sentence holds the kind of thing the question asks for."""
    if kind == "number":
        return any(True for _ in _numbers(sentence, question))
    if kind == "count":
        unit = counted_terms(question)
        for m in _numbers(sentence, question):
            if re.fullmatch(r"1[89]\d\d|20\d\d", m.group(0)):
                continue  # a year, not a count
            after = sentence[m.end() :].split()[:_COUNT_WINDOW]
            if not unit or unit & set(terms(" ".join(after))):
                return True
        return False
    if kind == "money":
        return bool(_MONEY.search(sentence))
    if kind == "duration":
        if _RUNTIME.search(question):
            return bool(_RUNTIME_UNIT.search(sentence))
        return bool(_DURATION.search(sentence))
    if kind == "age":
        return bool(_AGE.search(sentence))
    if kind == "date":
        named = _CALENDAR.search(question.lower())
        return bool((_UNIT[named.group(1)] if named else _DATE).search(sentence))
    if kind == "name":
        asked = set(question.lower().split())
        return any(name.lower() not in asked for name in proper_names(sentence))
    if kind == "place":
        return bool(_PLACE.search(sentence))
    return False


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
    r"\b([A-Za-z][\w-]*)'s\s+((?:sur|maiden\s+|last\s+|family\s+|full\s+)name)\b"
    r"|\b((?:sur|maiden\s+|last\s+|family\s+|full\s+)name)\s+of\s+([A-Z][\w-]*)"
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
_DETERMINERS = frozenset(
    ("the", "a", "an", "this", "that", "these", "those", "her", "his", "their", "its", "my")
)


def _head_noun(phrase: str) -> str | None:
    """The last word of the noun phrase that opens ``phrase``, past determiners and
    possessors: "the character played by ..." -> character, "Ani's sister" -> sister."""
    head = None
    for word in re.findall(r"[\w'-]+", phrase.lower()):
        if word in _DETERMINERS or word.endswith("'s"):
            if head is not None:
                break
            continue
        if word in _PHRASE_END or (head is not None and re.fullmatch(r"\w+(?:ed|ing)", word)):
            break
        head = word
    return head


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


_WORD = re.compile(r"[A-Za-zÀ-ÿ][\w’'-]*")
# a name right after the noun: "Karagulian's character, Toros", "a Russian named Igor"
# ... or said of it: "the mascot was a parrot named Zorblax", "the club is called Heat"
_NAME_AFTER = re.compile(
    r"(?:[’']s)?\s*[,:–—-]?\s*"
    r"(?:(?:is|was|are|were)\s+(?:(?:a|an|the)\s+)?(?:[\w-]+\s+){0,2}?(?:named|called)\s+"
    r"|(?:is|was)\s+|(?:named|called|dubbed)\s+)?"
    r"[“\"‘']?([A-Z][\w’'-]*)"
)
_QUOTED = re.compile(r"[“\"]([A-Z][^”\"]{0,80})[”\"]")


def _is_title(quoted: str) -> bool:
    """A quotation that reads as a title: every word longer than three letters
    capitalised ("The Taking of Pelham One Two Three"), unlike quoted speech."""
    words = re.findall(r"[A-Za-zÀ-ÿ][\w’'-]*", quoted)
    return 0 < len(words) <= 10 and all(w[0].isupper() for w in words if len(w) > 3)


def gives_name(ask: NameAsk, sentence: str, question: str) -> bool:
    """Whether the sentence gives the name asked for, next to what it names.

    A person's surname follows their name ("Ivan Zakharov"); a thing's name stands
    beside the noun, after it ("her sister, Nadia", "a Russian named Igor", "the
    mascot was a parrot named Zorblax") or right before it ("the Headquarters
    club"); a title may also be quoted anywhere in the sentence ("the memoir
    “Modern Whore”").  A name the question already holds is not an answer, nor is
    a possessor ("Ani's character").
    """
    asked = {w.lower().strip("’'") for w in _WORD.findall(question.replace("’s", ""))}

    def new(word: str) -> bool:
        return word.lower().strip("’'") not in asked

    if ask.person:
        pattern = rf"\b{re.escape(ask.of)}[’'”\"]?\s+([A-Z][\w’'-]*)"
        return any(new(m.group(1)) for m in re.finditer(pattern, sentence))
    if ask.what == "title" and any(_is_title(m.group(1)) for m in _QUOTED.finditer(sentence)):
        return True
    head = terms(ask.of)
    words = list(_WORD.finditer(sentence))
    for i, word in enumerate(words):
        if not head or terms(word.group(0).removesuffix("’s").removesuffix("'s")) != head:
            continue
        after = _NAME_AFTER.match(sentence, word.end())
        if after is not None and new(after.group(1)):
            return True
        if i > 1:  # the word before, unless it opens the sentence or owns the noun
            before = words[i - 1].group(0)
            gap = sentence[words[i - 1].end() : word.start()]
            beside = gap.strip() in ("", "”", '"') and not re.search(r"[’']s$", before)
            if beside and before[0].isupper() and new(before):
                return True
    return False


@dataclass(frozen=True)
class RoleAsk:
    """A question asking who plays or holds a role ("Who plays Ivan's mother?")."""

    role: str  # as the question words it: "Ivan's mother", "the costume designer"
    terms: frozenset[str]  # what a sentence saying who it is must mention


_PLAYS = re.compile(
    r"^\s*(?:who|which\s+(?:actor|actress|performer|star))\s+"
    r"(?:plays|played|portrays|portrayed|voices|voiced)\s+(.+)",
    re.IGNORECASE,
)
_HOLDS = re.compile(r"^\s*who\s+(?:is|was|were|are)\s+((?:the\s+)?[a-z].*)", re.IGNORECASE)
# a role ends before what it is of or where: "the production designer | of Anora"
_ROLE_END = re.compile(
    r"\s+(?:in|on|for|at|during|that|who|whom|which|whose|when|where|while|with|to|from|by)\b.*"
)


def asked_role(question: str) -> RoleAsk | None:
    """The role a *who plays X* / *who was the X* question asks about.

    >>> role = asked_role("Who plays Ivan's mother in Anora?")
    >>> role.role, sorted(role.terms)
    ("Ivan's mother", ['ivan', 'mother'])
    >>> asked_role("Who was the production designer of Anora?").role
    'the production designer of Anora'
    >>> sorted(asked_role("Who was the production designer of Anora?").terms)
    ['design', 'product']
    >>> asked_role("Who is Samantha Quan?"), asked_role("Where did the actor who plays Toros go?")
    (None, None)
    """
    q = question.replace("’", "'").strip().rstrip("?").strip()
    m = _PLAYS.match(q)
    if m is None:
        m = _HOLDS.match(q)
        # "who is" a role ("the costume designer"), not a person ("Samantha Quan")
        if m is None or not re.match(r"(?:the\s+)?[a-z]", m.group(1)):
            return None
    role = _ROLE_END.sub("", m.group(1)).strip()
    role = re.sub(r"^(?:some|one|many|most|all|each|any|several)\s+of\s+", "", role)
    held = frozenset(terms(re.split(r"\s+of\s+", role)[0]))  # "president | of the jury"
    if re.match(r"[a-z]", role) and role.split()[0] not in _DETERMINERS:
        role = f"the {role}"  # "Who was president of ...": the president of ...
    return RoleAsk(role=role, terms=held) if held else None


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    hit: Hit
    features: tuple[float, ...]  # in SENTENCE_FEATURES order
    score: float  # SENTENCE_WEIGHTS · features + SENTENCE_BIAS

    @property
    def cos(self) -> float:
        return self.features[0]


@dataclass(frozen=True)
class Decision:
    """What the answerer does with a question: quote from ``quotable``, or abstain."""

    quotable: list[Candidate]  # best first; when abstaining, every candidate
    abstain: bool
    confidence: float
    notices: tuple[str, ...] = ()  # why, when a rule rather than weak evidence abstains


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.index = resources.index
        self.embedder = resources.embedder
        self._idf: dict[str, float] | None = None
        self._terms: dict[int, frozenset[str]] = {}
        self._names: dict[int, frozenset[str]] = {}
        self._weights = np.asarray(SENTENCE_WEIGHTS, dtype=np.float64)

    @property
    def idf(self) -> dict[str, float]:
        """BM25-style IDF of each term over the index's sentences (computed once)."""
        if self._idf is None:
            df: Counter[str] = Counter()
            for sentence in self.index.sentences:
                df.update(self._sentence_terms(sentence.id))
            n = len(self.index.sentences)
            self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        return self._idf

    def _sentence_terms(self, sid: int) -> frozenset[str]:
        cached = self._terms.get(sid)
        if cached is None:
            cached = self._terms[sid] = frozenset(terms(self.index.sentences[sid].text))
        return cached

    def _name_terms(self, sid: int) -> frozenset[str]:
        """The terms of the sentence's proper nouns (capitalised words inside it)."""
        cached = self._names.get(sid)
        if cached is None:
            text = self.index.sentences[sid].text
            cached = frozenset(t for m in _CAPITAL.finditer(text) for t in terms(m.group(0)))
            self._names[sid] = cached
        return cached

    def _next(self, sid: int) -> int | None:
        """The sentence that follows in the same article, if any."""
        return next((n for n in self._neighbours(sid) if n == sid + 1), None)

    def _neighbours(self, sid: int) -> list[int]:
        sentences = self.index.sentences
        source = sentences[sid].source
        return [
            n
            for n in (sid - 1, sid + 1)
            if 0 <= n < len(sentences) and sentences[n].source == source
        ]

    def candidates(self, request: GenerationRequest) -> list[Candidate]:
        """Every non-heading sentence of the retrieved passages, scored, best first."""
        query_terms = set(terms(request.retrieval_query or request.question))
        alts = alternatives(query_terms)  # "DP" for "cinematographer" (``rag.thesaurus``)
        idf = self.idf
        default_idf = max(idf.values(), default=1.0)  # a term the corpus never uses is rare
        weight = {t: idf.get(t, default_idf) for t in query_terms}
        total = sum(weight.values()) or 1.0
        kind = question_type(request.question)
        seen: set[int] = set()
        rows: list[tuple[Sentence, Hit]] = []
        for hit in request.hits:
            for sid in hit.chunk.sentence_ids:
                sentence = self.index.sentences[sid]
                if sid not in seen and not sentence.is_heading:
                    seen.add(sid)
                    rows.append((sentence, hit))
        if not rows:
            return []
        question_tokens = request.question_tokens
        if question_tokens is None:  # a request built by hand, not by the pipeline
            question_tokens = self.embedder.embed_query_with_tokens(request.question)[1]
        late = dict(
            zip(
                (s.id for s, _ in rows),
                self.index.tokens.sentence_scores(
                    question_tokens, [s.id for s, _ in rows]
                ).tolist(),
                strict=True,
            )
        )
        vectors = self.index.sentence_vectors
        neighbour_ids = sorted(
            {n for s, _ in rows for n in self._neighbours(s.id)} | {s.id for s, _ in rows}
        )
        cosine = dict(
            zip(
                neighbour_ids, (vectors[neighbour_ids] @ request.query_vector).tolist(), strict=True
            )
        )

        def coverage(found: set[str] | frozenset[str]) -> float:
            return sum(weight[t] for t in query_terms if covered(t, found, alts)) / total

        def name_rarity(sid: int) -> float:
            new = self._name_terms(sid) - query_terms
            return max((idf.get(t, default_idf) for t in new), default=0.0) / default_idf

        out = []
        for sentence, hit in rows:
            own = self._sentence_terms(sentence.id)
            neighbours = self._neighbours(sentence.id)
            following = self._next(sentence.id)
            context_terms = set(own).union(*(self._sentence_terms(n) for n in neighbours))
            features = (
                cosine[sentence.id],
                coverage(own),
                1.0 if has_cue(kind, sentence.text, request.question) else 0.0,
                max((cosine[n] for n in neighbours), default=0.0),
                coverage(context_terms),
                1.0 / hit.rank,
                hit.scores.get("dense", 0.0),
                len(own - query_terms) / len(own) if own else 0.0,
                1.0 if len(sentence.text.split()) < SHORT_WORDS else 0.0,
                late[sentence.id],
                coverage(self._sentence_terms(following)) if following is not None else 0.0,
                name_rarity(sentence.id),
            )
            score = float(self._weights @ np.asarray(features)) + SENTENCE_BIAS
            out.append(Candidate(sentence, hit, features, score))
        out.sort(key=lambda c: -c.score)
        return out

    def answer_features(
        self, request: GenerationRequest, candidates: list[Candidate]
    ) -> tuple[float, ...]:
        """The evidence for answering at all, in ANSWER_FEATURES order."""
        query_terms = set(terms(request.retrieval_query or request.question))
        idf = self.idf
        default_idf = max(idf.values(), default=1.0)
        weight = {t: idf.get(t, default_idf) for t in query_terms}
        total = sum(weight.values()) or 1.0
        alts = alternatives(query_terms)
        unknown = sum(w for t, w in weight.items() if not covered(t, idf.keys(), alts)) / total
        if not candidates:
            return (0.0, 0.0, 0.0, 0.0, unknown, 0.0)
        return (
            _sigmoid(candidates[0].score),
            max(c.features[0] for c in candidates),
            max(c.features[1] for c in candidates),
            max(h.scores.get("dense", 0.0) for h in request.hits),
            unknown,
            candidates[0].features[SENTENCE_FEATURES.index("ctx_lex")],
        )

    def confidence(self, request: GenerationRequest, candidates: list[Candidate]) -> float:
        features = self.answer_features(request, candidates)
        return _sigmoid(
            sum(w * f for w, f in zip(ANSWER_WEIGHTS, features, strict=True)) + ANSWER_BIAS
        )

    def select(self, candidates: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus up to ``max_answer_sentences - 1`` close, non-redundant ones."""
        best = candidates[0]
        chosen = [best]
        vectors = self.index.sentence_vectors
        for candidate in candidates[1:]:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if candidate.score < best.score - EXTRA_MARGIN:
                break
            if all(
                float(vectors[candidate.sentence.id] @ vectors[c.sentence.id]) < REDUNDANT_COS
                for c in chosen
            ):
                chosen.append(candidate)
        return chosen

    def missing_kind(self, request: GenerationRequest, candidates: list[Candidate]) -> str | None:
        """What a quantity or date question asks for that the answer's sentences lack.

        "How much money does Ivan offer?" answered by a sentence about Ivan without a
        sum is not an answer, however close the sentence is.  Only kinds a sentence
        cannot answer in words are checked: a count, a sum, a span of time (a running
        time in minutes or hours), an age, and a date when the question names the unit,
        in that unit ("in what year" wants a year, "on what date" a day of a month); not
        "when" (an event can answer it) nor "how much" of something uncounted ("how much
        did she like it").  On the gold set it never fires on an answerable question,
        and catches six unanswerable ones the confidence model answered (README, "How
        abstention is calibrated").  Names and places are not checked here: their
        detectors are too loose to overrule the model (but see ``constrain``).
        """
        kind = question_type(request.question)
        if kind not in QUANTITIES or not candidates:
            return None
        if kind == "date" and not _CALENDAR.search(request.question.lower()):
            return None
        chosen = self.select(candidates)
        if any(has_cue(kind, c.sentence.text, request.question) for c in chosen):
            return None
        return QUANTITIES[kind]

    def requirement(self, question: str) -> tuple[Callable[[Candidate], bool], str] | None:
        """What a sentence must hold to answer a question asking a name or who holds a
        role, and what the user is told when no sentence does; None for other questions."""
        name = asked_name(question)
        if name is not None:
            return (
                lambda c: gives_name(name, c.sentence.text, question),
                f"The closest passages do not give {name.describe()}.",
            )
        role = asked_role(question)
        if role is not None:
            alts = alternatives(role.terms)  # a sentence naming the "DP" names the cinematographer
            return (
                lambda c: all(
                    covered(t, self._sentence_terms(c.sentence.id), alts) for t in role.terms
                ),
                f"The closest passages do not mention {role.role}.",
            )
        return None

    def constrain(
        self,
        request: GenerationRequest,
        candidates: list[Candidate],
        deeper: list[Candidate] | None = None,
    ) -> tuple[list[Candidate], str | None]:
        """The sentences an answer may quote, and a note when none holds what was asked.

        A question asking what something is called ("What is Ivan's surname?") is
        answered only by a sentence that gives that name beside what it names
        (``gives_name``); one asking who plays or holds a role ("Who plays Ivan's
        mother?", "Who was the costume designer?") only by a sentence that mentions
        the role (``asked_role``).  The best such sentence of the retrieved passages
        is quoted, else of the passages ranked just below them (``request.reserve``,
        scored here unless the caller passes ``deeper``), else none.  Other
        questions keep every candidate.
        """
        requirement = self.requirement(request.question)
        if requirement is None or not candidates:
            return candidates, None
        holds, note = requirement
        kept = [c for c in candidates if holds(c)]
        if not kept and (deeper is not None or request.reserve):
            if deeper is None:
                deeper = self.candidates(replace(request, hits=request.reserve, reserve=()))
            kept = [c for c in deeper if holds(c)]
        return (kept, None) if kept else (candidates, note)

    def decide(
        self,
        request: GenerationRequest,
        candidates: list[Candidate],
        deeper: list[Candidate] | None = None,
    ) -> Decision:
        """Whether to answer, and from which sentences: the confidence model first, then
        the rules for what the question asks for (a name, a role, a quantity, a date)."""
        quotable, unmet = self.constrain(request, candidates, deeper)
        confidence = self.confidence(request, candidates)
        if not candidates or confidence < self.settings.abstain_threshold:
            return Decision(candidates, True, confidence)
        if unmet is not None:
            return Decision(candidates, True, confidence, (unmet,))
        missing = self.missing_kind(request, quotable)
        if missing is not None:
            note = f"The closest passages state no {missing}."
            return Decision(candidates, True, confidence, (note,))
        return Decision(quotable, False, confidence)

    def generate(self, request: GenerationRequest) -> Draft:
        candidates = self.candidates(request)
        decision = self.decide(request, candidates)
        if decision.abstain:
            return Draft(
                text=ABSTAIN_TEXT,
                citations=(),
                abstained=True,
                confidence=decision.confidence,
                related=tuple(self.related(request, candidates)),
                notices=decision.notices,
            )
        chosen = self.select(decision.quotable)
        citations = number_citations(
            [
                (c.hit, c.sentence.start, c.sentence.end, c.sentence.text, _sigmoid(c.score))
                for c in chosen
            ]
        )
        number = {c.chunk_id: c.n for c in citations}
        text = " ".join(f"{c.sentence.text} [{number[c.hit.chunk.id]}]" for c in chosen)
        return Draft(
            text=text, citations=tuple(citations), abstained=False, confidence=decision.confidence
        )

    def related(self, request: GenerationRequest, candidates: list[Candidate]) -> list[Citation]:
        """The closest passages, each with its best sentence, for an abstained answer."""
        best: dict[str, Candidate] = {}
        for c in candidates:
            best.setdefault(c.hit.chunk.id, c)
        picked = [best[h.chunk.id] for h in request.hits if h.chunk.id in best][:RELATED]
        return number_citations(
            [
                (c.hit, c.sentence.start, c.sentence.end, c.sentence.text, _sigmoid(c.score))
                for c in picked
            ]
        )

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]:
        return stream_once(self.generate, request)

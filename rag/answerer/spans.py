"""The span of a sentence that is the thing a question asks for: its short answer.

``short_answer(question, sentence)`` reads the question's kind (``question``) and
returns the span that answers it, or None: the number before the counted noun
("37 days"), a date in the unit named, a sum, an age, a place after in/at/from/near
that the question does not name itself, for *who is X* the noun phrase in apposition to
X ("Vanya, the oligarch’s son"), for *who directed X* the name the sentence titles with
that job ("the director Jesús Franco"), for *who* the capitalised run nearest the
question's words in its part of the sentence (``patterns.part_of``: sentence ends, dashes
and brackets set a clause apart; not a modifier of the noun asked), and for a titled work
the title in apposition to a work noun ("the horror reboot Scream V"), else the quoted
("“Better Things”") or dated ("Red Rocket (2021)") title the question's words stand
nearest, dated with the year the question names when it names one.  Where none of these is found, a question
ending in a preposition is answered by its object (``predicate.stranded_object``).

What this module does not do: choose the sentence (``generator``) or lay out the
answer (``compose``).  It reads English constructions, not this corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from rag.answerer import patterns
from rag.answerer.cues import is_title, origins
from rag.answerer.holders import role_holder
from rag.answerer.patterns import AGE, DATE, DURATION, MONEY, NUMBER, PLACE, RUNTIME_UNIT, UNIT
from rag.answerer.predicate import contrasted, stranded_object, subject_of_predicate
from rag.answerer.question import Question
from rag.answerer.titles import TITLES as _TITLES
from rag.answerer.titles import WORKS as _WORKS
from rag.lexicon import ROLE_VERBS, SPEECH_VERBS, STOPWORDS, WORK_NOUNS
from rag.text import terms, words
from rag.thesaurus import alternatives

NEAR_CHARS = 24  # a name or place this close to a word of the question is what it asks for


def short_answer(
    question: Question, sentence: str, names: Mapping[str, str] | None = None
) -> str | None:
    """The span of ``sentence`` that is the thing asked, when the question's kind says
    what that is and the sentence holds one.

    >>> from rag.answerer.question import analyse
    >>> short_answer(analyse("Who was the director of photography?"), "The director of photography was Drew Daniels.")
    'Drew Daniels'
    >>> short_answer(analyse("How many days did they shoot?"), "They shot for 37 days in New York.")
    '37 days'
    >>> short_answer(analyse("In what year did it win?"), "It won the Palme d’Or in 2024.")
    '2024'
    >>> print(short_answer(analyse("Who are Ivan's parents?"), "His parents in Russia hear of it."))
    None
    """
    kind = question.kind
    if question.cast is not None and question.cast.wants == "either":
        # "who is Samantha Quan?" asks what she is, not for a name: her apposition
        return described(question.cast.name, sentence)
    if question.work and kind in (None, "name"):
        title = _apposed(question, sentence) or _titled(question, sentence)
        if title or kind is None:
            return title
    if kind == "name":
        job = _job(question.text)  # "who directed X": the name the sentence titles director
        held = role_holder(job, sentence, question.text) if job else None
        if not held and question.role and question.role.kin and question.cast is None:
            return role_holder(question.role.terms, sentence, question.text)  # named as such
        return (
            held
            or _name(question.text, sentence, names or {})
            or stranded_object(question.text, sentence)
        )
    if kind in ("count", "number"):
        spans = list(_counts(question, sentence))
        if not spans:
            return None
        # the count nearest the question's own words: "3 days in Las Vegas" for "... in Vegas?"
        at, span = min(spans, key=lambda span: _distance(question, sentence, span[0]))
        return patterns.partitive(question.text, sentence, at, span)
    if kind is None:  # "what drives her rather than riches?": "not wealth, but validation"
        said = contrasted(question.text, sentence)
        if said:
            return said
    spanned = _pattern_span(question, sentence, kind)
    if spanned is None and kind is None:  # "what is he interested in?": the object of "in"
        return stranded_object(question.text, sentence)
    return spanned


_WHO_DID = re.compile(r"^\s*who\s+([a-z]+)\b", re.IGNORECASE)


def _job(question: str) -> frozenset[str]:
    """The terms of the job a *who did X* question's verb names ("who directed X":
    director), or none (``lexicon.ROLE_VERBS``)."""
    m = _WHO_DID.match(question)
    job = ROLE_VERBS.get(m.group(1).lower(), "") if m else ""
    return frozenset(terms(job))


def _distance(question: Question, sentence: str, at: int) -> int:
    """Characters from a count at ``at`` to the next word of the question after it, the
    counted noun aside: what follows a count says what it is of ("37 days in New York")."""
    asked = set(terms(question.text)) - question.counted
    places = [
        m.start()
        for m in re.finditer(r"[\w’'-]+", sentence)
        if m.start() > at and asked & set(terms(m.group(0)))
    ]
    return min((p - at for p in places), default=len(sentence))


def _counts(question: Question, sentence: str) -> Iterator[tuple[int, str]]:
    """(offset, span) of each number the question does not hold, with what it counts."""
    if question.kind:
        asked = {w.lower() for w in re.findall(r"[\w.,]+", question.text)}
        for m in NUMBER.finditer(sentence):
            if m.group(0).lower() in asked or re.fullmatch(r"1[89]\d\d|20\d\d", m.group(0)):
                continue
            after = re.match(r"(?:[-\s]+[\w’'-]+){0,3}", sentence[m.end() :])
            tail = after.group(0) if after else ""
            if question.counted:  # stop right after the counted noun
                pieces = re.findall(r"[-\s]+[\w’'-]+", tail)
                for i, piece in enumerate(pieces):
                    if question.counted & set(terms(piece)):
                        while i + 1 < len(pieces) and question.counted & set(terms(pieces[i + 1])):
                            i += 1  # "eight independent feature films": the counted compound
                        yield m.start(), (m.group(0) + "".join(pieces[: i + 1])).strip()
                        break
                continue
            word = (re.findall(r"[-\s]+[\w’'-]+", tail) or [""])[0]
            if word.strip(" -").lower() in STOPWORDS:
                word = ""  # "half of": the number alone
            if set(terms(word)) & patterns.per_unit(question.text):
                continue  # "how much daylight each day": a number of days is not it
            yield m.start(), (m.group(0) + word).strip()


def _pattern_span(question: Question, sentence: str, kind: str | None) -> str | None:
    """The span of the pattern for ``kind`` (a sum, an age, a place, a span of time, a date)."""
    pattern = {
        "money": MONEY,
        "age": AGE,
        "place": PLACE,
        "duration": RUNTIME_UNIT if question.runtime else DURATION,
        "date": UNIT[question.calendar] if question.calendar else DATE,
    }.get(kind or "")
    if pattern is None:
        return None
    if kind == "place":
        return _place(question, sentence)
    if kind == "date" and question.calendar in (None, "year"):
        dated = _dated_title(question, sentence)
        if dated:
            return dated
    per = patterns.per_unit(question.text)  # "how much light each day": not a number of days
    # a year in brackets dates the title before it ("Four Letter Words (2000)"): no answer
    # for "when did anora premiere", only for a question about a work it leaves unnamed
    works = bool(set(words(question.text)) & WORK_NOUNS)
    found = [
        m
        for m in pattern.finditer(sentence)
        if not set(terms(m.group(0))) & per and (works or not _bracketed(sentence, m))
    ]
    if not found:
        return None
    # a span of time nearest the question's own words, as a count: "3 days in Las Vegas"
    # for "how long did they shoot in vegas"; other kinds, the first
    m = (
        min(found, key=lambda m: _distance(question, sentence, m.start()))
        if kind == "duration"
        else found[0]
    )
    span = m.group(0)
    if kind == "duration":  # "Ten of the film’s 37 shooting days were spent filming …"
        return patterns.partitive(question.text, sentence, m.start(), span)
    if kind == "date":  # a month with its day and year: "January 2023", "May 25, 2024"
        around = re.match(
            r"(?:\s+\d{1,2}(?:st|nd|rd|th)?\b,?)?(?:\s+\d{4}\b)?", sentence[m.end() :]
        )
        span += around.group(0) if around else ""
    return span.strip(" ,.")


def _bracketed(sentence: str, m: re.Match[str]) -> bool:
    return sentence[m.start() - 1 : m.start()] == "(" and sentence[m.end() : m.end() + 1] == ")"


def _dated_title(question: Question, sentence: str) -> str | None:
    """The year after a title the question names ("Prince of Broadway (2008)" for "prince of
    broadway came out when?"), not the first year the sentence gives ("Starlet (2012)")."""
    asked = set(words(question.text))
    for m in re.finditer(r"\((1[89]\d\d|20\d\d)\)", sentence):
        before = sentence[: m.start()].rstrip()
        run = re.search(rf"(?:{patterns.CAPITALISED.pattern})[”\"]?$", before)
        named = set(words(run.group(0))) - STOPWORDS if run else set()
        if named and named <= asked:
            return m.group(1)
    return None


def _place(question: Question, sentence: str) -> str | None:
    """The first place near the question's words, before or after it ("in Brighton Beach":
    the capitalised run after the preposition) that the question does not name itself:
    "what city in Russia" does not ask for Russia, "what city is the Palms in" not for
    "The Palms Hotel" (the kind of place may be in both: "The Palms Hotel" for "which
    hotel"), "in The Florida Project, where ..." not for the film, and "in Baker’s
    career" names an owner, not a place; before a kind of place, the owner is left out
    ("from New York’s Brighton Beach neighborhood": Brighton Beach)."""
    asked = set(words(question.text)) - STOPWORDS
    found = origins(question, sentence) if question.origin else PLACE.finditer(sentence)
    for m in found:
        start = m.end() - len(m.group(0).split()[-1])
        run = patterns.CAPITALISED.match(sentence, start)
        span = (run.group(0) if run else sentence[start : m.end()]).strip(" ,.")
        end = start + len(span)
        kind = re.match(rf"\s+{patterns.PLACE_NOUN}\b", sentence[end:])  # "… neighborhood"
        owned = re.split(r"[’']s\s+", span)[-1] if kind else span  # "New York’s Brighton Beach"
        named = {w for w in words(span) if not re.fullmatch(patterns.PLACE_NOUN, w)} - STOPWORDS
        if not named or named & asked or span.endswith(("’s", "'s")):
            continue  # a place the question names, or an owner ("lie in Baker’s career")
        if (
            question.origin
            or _near_question(question.text, sentence, m.start())
            or _near_question(question.text, sentence, end)
        ):
            return owned
    return None


_WHO = re.compile(r"\s*who(?:m|se)?\b", re.IGNORECASE)
_WHERE = re.compile(r"\b(?:in|at|near|inside|across|throughout)\s+(?:the\s+)?$", re.IGNORECASE)


def _name(question: str, sentence: str, names: Mapping[str, str]) -> str | None:
    """The capitalised run of the sentence the question does not hold, nearest its words
    (with a name "and" joins to it: "Baker and Quan").  A run holding a name the question
    asks about is that name ("Ivan Zakharov" for "who plays Ivan?"), not the answer."""
    asked = set(words(question))
    person = bool(_WHO.match(question))  # asks for a person, not a place or a company
    asked_names = {w for key in names for w in key.split() if w in asked and key in asked}
    asked_terms = set(terms(question))
    # a film-making synonym of the question's words stands for them ("DP" for cinematography)
    asked_terms |= {t for alts in alternatives(asked_terms).values() for alt in alts for t in alt}
    said = [(m.start(), m.group(0)) for m in re.finditer(r"[\w’'-]+", sentence)]
    tokens = [(pos, set(terms(w))) for pos, w in said]
    subject = set(terms(" ".join(asked_names)))  # near its other words, not the name asked of
    anchors = [p for p, ts in tokens if ts & (asked_terms - subject)]
    anchors = anchors or [p for p, ts in tokens if ts & asked_terms]
    # of two names as near, the one by the question's later word ("… it internationally")
    order = {t: i for i, t in enumerate(terms(question))}
    late = {pos: max((order.get(t, -1) for t in ts), default=-1) for pos, ts in tokens}
    # an adverb is modified by nothing: "by Focus Features internationally" names the holder
    adverb = {pos: w.lower().endswith("ly") for pos, w in said}
    best: tuple[float, int, str, str] | None = None
    for m_start, m_end, found in patterns.capitalised_runs(sentence):
        run = found.rstrip(".")
        # "the eldest daughter of which actress?": the owner in "Pamela Adlon’s eldest daughter"
        owner = run.endswith(("’s", "'s")) and patterns.owns(question, sentence[m_end:])
        run = run[:-2] if owner else run
        parts = run.split()
        if asked_names & set(words(run)) or run.endswith(("’s", "'s")):
            continue  # the name asked about, or an owner ("Karagulian’s character, Toros")
        if re.search(r"\b(?:a|an)\s+$", sentence[:m_start], re.IGNORECASE):
            continue  # nobody's name: "a Manhattan gentlemen’s club", "a Russian named Igor"
        titled = sentence.endswith(("“", '"'), 0, m_start) and sentence.startswith(
            ("”", '"'), m_end
        )
        if person and (titled or _WHERE.search(sentence[:m_start])):
            continue  # "who are ivans parents": not the place they are "in Russia"; a title
        if parts[0].lower() in SPEECH_VERBS:
            continue  # who speaks ("Says Baker, “…"), not what the quotation is about
        while parts and (
            parts[0].lower() in STOPWORDS
            or parts[0].lower() in asked
            or set(terms(parts[0])) & asked_terms
        ):
            parts = parts[1:]  # "The", or a word of the question
        if parts and "-" in parts[-1] and set(terms(parts[-1].rsplit("-", 1)[1])) & asked_terms:
            parts[-1] = parts[-1].rsplit("-", 1)[0]  # "Richard Linklater-influenced"
        if any(set(terms(w)) & asked_terms for w in parts[1:]):
            continue  # the job asked inside a name: an award ("Best Director"), not a holder
        while parts and parts[-1].lower() in ("of", "the", "and"):
            parts = parts[:-1]
        if not parts or all(w.lower().strip("’'s") in asked for w in parts):
            continue
        if len(parts) == 1 and m_start == 0 and parts[0] == run.split()[0]:
            continue  # a lone capitalised word opening the sentence
        if len(parts) == 1 < len(run.split()) and names and " ".join(words(parts[0])) not in names:
            continue  # what is left of an award ("Best Director") is a common noun, no name
        if subject_of_predicate(question, sentence, m_end, names):
            continue  # "Ivan is living …" for "who does ani live with": he lives, not with
        if not owner and any(0 <= a - m_end <= 1 and not adverb.get(a) for a in anchors):
            continue  # "his Red Rocket director of photography": a modifier of the noun asked
        # a clause set apart ("— … nomination for Willem Dafoe … — Sean was named") holds
        # the question's words for its own names, not for one outside it
        part = patterns.part_of(sentence, m_start)
        mine = [a for a in anchors if patterns.part_of(sentence, a) == part]
        near = min(mine, key=lambda a: (abs(m_start - a), -late[a]), default=None)
        distance = abs(m_start - near) if near is not None else len(sentence)
        also = patterns.joined(sentence, m_end) if run == found else ""
        also = "" if set(words(also)) & asked else also  # not a name the question holds
        key = (distance, -late.get(near, -1) if near is not None else 0, " ".join(parts), also)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None or best[0] > NEAR_CHARS:
        return None  # a name far from every word of the question may be anyone's
    return best[2] + best[3]


_TITLE_AFTER = re.compile(
    r"(?:[’']s)?,?\s+((?:[a-z][\w’'-]*\s+){0,2})"
    rf"(?:[“\"]([^”\"]{{1,80}}?)[.,]?[”\"]|({patterns.CAPITALISED.pattern}))"
)


def _apposed(question: Question, sentence: str) -> str | None:
    """The title standing right after a noun of the question's wh-phrase or another
    work noun, as its apposition ("his debut feature, Four Letter Words", "the horror
    reboot Scream V", "the memoir “Modern Whore.”").  A plural noun ("Baker’s films,
    Tangerine ...") begins a list, not the one work a singular question asks for."""
    anchors = question.work | {t for w in WORK_NOUNS for t in terms(w)}
    asked = set(words(question.text))
    for m in re.finditer(r"[\w’'-]+", sentence):
        token = m.group(0)
        if not set(terms(token)) & anchors or token[:1].isupper():
            continue
        if token.lower().endswith("s") and token.lower()[:-1] in WORK_NOUNS:
            continue  # "films": several
        found = _TITLE_AFTER.match(sentence, m.end())
        if found is None:
            continue
        title = (found.group(2) or found.group(3) or "").strip(" ,.")
        if title and not set(words(title)) <= asked and title.lower() not in STOPWORDS:
            return title
    return None


# a noun phrase in apposition: opened by a determiner or a possessive ("the son of …",
# "his producing partner", "Baker’s wife"), or a bare noun with "of" ("author of …"); it
# runs to the next comma, semicolon, dash or full stop
_APPOSITION = (
    r"(?P<np>(?-i:(?:the|a|an|his|her|their|its|[A-Z][\w’'-]*[’']s)\s|[a-z][\w-]*\s+of\s)"
    r"[^,;:.!?()—–]{2,80}?)\s*(?:[,;.!?—–)]|$)"
)
# "which two features", "which films": several works asked for
_PLURAL_WORK = re.compile(
    rf"\b(?:two|three|four|five|several)\s+(?:[\w’'-]+\s+)?(?:{_WORKS})|\b(?:{_WORKS})s\b",
    re.IGNORECASE,
)


def _titled(question: Question, sentence: str) -> str | None:
    """The title, quoted or dated, that the question's words in the sentence stand
    nearest: of several ("Tangerine (2015) is about …, and Red Rocket (2021) comically
    captures a washed-up porn star"), each word of the question votes for the title
    nearest it, and a year the question names picks the title dated with it.  A title
    the question names is not an answer."""
    asked = set(words(question.text))
    found = [
        (m.start(), m.end(), (m.group(1) or m.group(2)).strip(" ,."), m.group(0))
        for m in _TITLES.finditer(sentence)
        if (m.group(2) or is_title(m.group(1)))
        and not set(words(m.group(1) or m.group(2))) <= asked
    ]
    if not found or _PLURAL_WORK.search(question.text):
        return None  # "which two features ...": a list, not one title
    years = set(re.findall(r"\b(?:19|20)\d\d\b", question.text))
    if years:  # "what movie did he make in 2004": only a title dated so
        dated = [title for _, _, title, text in found if years & set(re.findall(r"\d{4}", text))]
        return dated[0] if len(dated) == 1 else None
    if len(found) == 1:
        return found[0][2]
    wanted = set(terms(question.text)) - {t for w in WORK_NOUNS for t in terms(w)}
    votes = [0] * len(found)
    for m in re.finditer(r"[\w’'-]+", sentence):
        if set(terms(m.group(0))) & wanted:
            nearest = min(
                range(len(found)),
                key=lambda i: max(found[i][0] - m.end(), m.start() - found[i][1], 0),
            )
            votes[nearest] += 1
    return found[max(range(len(found)), key=lambda i: votes[i])][2]


# a noun phrase set before a name, opened by a determiner or an owner, ending in a noun:
# "Karagulian’s character, Toros", "his Red Rocket director of photography, Drew Daniels"
_APPOSED_BEFORE = (
    r"(?<![\w’'-])(?P<np>(?:(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir)\s+|[A-Z][\w’'-]*[’']s\s+)"
    r"(?:(?!(?:with|in|at|for|to|from|by|on|and)\s)[\w’'-]+\s+){0,4}?[a-z][\w’'-]*)"
)


def described(name: str, sentence: str) -> str | None:
    """What the sentence says ``name`` is, in apposition right after it: "Vanya, the
    oligarch’s son, …", "Samantha Quan, his producing partner and wife, …", "Andrea
    Werhun, author of the memoir “Modern Whore.”"; a relative clause ("X, who played
    Y") is not a description.

    >>> described("vanya", "Ani encounters Vanya, the oligarch’s son, and they marry.")
    'the oligarch’s son'
    >>> described("andrea werhun", "With consultant Andrea Werhun, author of the memoir “Modern Whore.”")
    'author of the memoir “Modern Whore”'
    >>> described("mark eydelshteyn", "Mark Eydelshteyn, who played Vanya, said so.") is None
    True
    >>> described("toros", "a home invasion overseen by Karagulian’s character, Toros, who is acting")
    'Karagulian’s character'
    """
    if not name:
        return None
    spelled = r"\s+".join(re.escape(w) for w in name.split())
    # the name in any case, then its surname if the question left it out ("Vanya Zakharov")
    found = re.search(rf"\b{spelled}(?-i:(?:\s+[A-Z][\w’'-]+)*),\s+{_APPOSITION}", sentence, re.I)
    if found is None:  # or before it: "Karagulian’s character, Toros, who …"
        before = re.search(rf"{_APPOSED_BEFORE},\s+(?i:{spelled})\b\s*(?:[,.;:!?]|$)", sentence)
        return before.group("np") if before else None
    described = found.group("np").strip()
    if described.count("“") > described.count("”"):
        described += "”"  # the quotation closes after the full stop the match stops at
    return described


def _near_question(question: str, sentence: str, at: int) -> bool:
    """Whether a word of the question stands within ``NEAR_CHARS`` of ``at``."""
    asked = set(terms(question))
    return any(
        abs(m.start() - at) <= NEAR_CHARS and asked & set(terms(m.group(0)))
        for m in re.finditer(r"[\w’'-]+", sentence)
    )

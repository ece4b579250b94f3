"""Who speaks a sentence, and whose words a question asks for.

"What did Madison say about working with him?" is answered by Madison's own words,
not by a sentence in which Eydelshteyn talks about her; "did he enjoy making it?"
after a turn about Drew Daniels, by Daniels's.  English marks a quotation's speaker
with a verb of speech next to a name: before the quote ("Says Daniels, “…", "Baker
continues, “…", "Mark Eydelshteyn, who played Vanya, said …"), after it ("…,” says
Madison", "…,” Eydelshteyn said") or with "according to".  ``speaker`` reads that; a
sentence inside a quotation left open, or whose speaker is a pronoun ("She notes …"),
is the previous sentence's speaker's (``Speakers``).

A question asks for someone's words when a verb of speech or view has that person
for its subject ("what does Baker think", "how did she describe", "according to
Madison, …"): ``asked_speaker``.  A pronoun stands for the conversation's referent,
"the director" for the one the corpus's sentences most often name in that job, a
first name for the full names the corpus holds with it.

``heard`` scores the asked speaker's sentences up by ``SPEAKER_WEIGHT`` logits, three
quarters of the span a summary still counts as relevant (``compose.MMR_FLOOR``): enough
to lead over a closer sentence someone else speaks, not over one far more relevant
(2.0 and 4.0 were read on the gold set too: ``docs/experiments.md``).

``referred`` puts first, for a question whose "he" or "she" stands for the conversation's
referent ("did he speak russian in his audition" after "who plays him"), a close sentence
about that person: naming them or their role, or spoken by them; ``unstated`` says when "is
he Y?" has no close sentence about them stating Y, so the answer declines ("is he russian"
after "who plays igor": the articles call Igor, not Borisov, Russian only in a passage the
search does not find, and quote Eydelshteyn talking Russian).

What this module does not do: decide whether to answer (``generator``).  It reads English constructions, not this corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from rag.answerer.features import Candidate
from rag.answerer.holders import role_holder
from rag.answerer.yesno import complement
from rag.lexicon import OPINION_VERBS, PERSON_NOUNS, PERSONAL, SPEECH_VERBS, STOPWORDS
from rag.schema import Sentence
from rag.text import terms, words

SPEAKER_WEIGHT = 3.0  # logits a sentence gains when its speaker is the one asked for
QUOTE_LOOKBACK = 3  # sentences an unattributed quotation looks back for whom it is about
REFERRED_MARGIN = 2.0  # logits below the best a sentence about the pronoun's referent may be

_NAME = r"([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2}|[Hh]e|[Ss]he)"
_SAID = r"(?i:" + "|".join(sorted(SPEECH_VERBS, key=len, reverse=True)) + r")"
_SPEAKER = (
    re.compile(rf"^\(?[“\"]?(?:As\s+)?{_SAID}\s+{_NAME}\b"),  # "Says Daniels, “…"
    # "Baker continues, “…", "Mark Eydelshteyn, who played Vanya, said …" (not "noted for")
    re.compile(
        rf"^(?:As\s+)?{_NAME}(?:,[^,“”\"]{{1,80}},)?(?:\s+(?:also|then|later|goes on to|went on to))?"
        rf"\s+{_SAID}\b(?!\s+for\b)"
    ),
    re.compile(rf"[”\"],?\)?\s+{_SAID}\s+{_NAME}\b"),  # "…,” says Madison"
    re.compile(rf"[”\"],?\s+{_NAME}\s+{_SAID}\b"),  # "…,” Eydelshteyn said"
    re.compile(rf"\b[Aa]ccording to {_NAME}\b"),
    re.compile(rf"\b{_NAME}\s+{_SAID},?\s+(?:that\s+)?[“\"]"),  # "…, he says, “…"
)
_PRONOUN_ASKED = re.compile(r"\b(?:he|him|his|she|her)\b", re.IGNORECASE)
_PRONOUN_SUBJECT = re.compile(r"^\s*(?:is|was)\s+(?:he|she)\b", re.IGNORECASE)  # "is he Y?"
_VIEW = "|".join(sorted(OPINION_VERBS, key=len, reverse=True))
_ASKED = (
    # "what did Madison say", "how does the director describe", "did he enjoy making it"
    re.compile(
        rf"\b(?:did|does|do|has|have|had|would)\s+((?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+)?)\s+"
        rf"(?:{_VIEW})\b",
        re.IGNORECASE,
    ),
    re.compile(r"\baccording to\s+((?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+)?)", re.IGNORECASE),
    re.compile(r"\b((?:the\s+)?[\w’'-]+)[’']s\s+(?:view|take|opinion|thoughts|reaction)\b", re.I),
)


def speaker(text: str) -> str | None:
    """The name a sentence gives as the speaker of its words, or "he"/"she", or None.

    >>> speaker("Says Daniels, “We shot out in the streets.”")
    'Daniels'
    >>> speaker("“It was a dream,” Madison recalls.")
    'Madison'
    >>> speaker("Baker noted for using non professional actors, blurred the line.") is None
    True
    """
    return _first_group(_SPEAKER, text)


def _first_group(patterns: Sequence[re.Pattern[str]], text: str) -> str | None:
    """The first group of the first of ``patterns`` that ``text`` matches, or None."""
    for pattern in patterns:
        m = pattern.search(text)
        if m is not None:
            return m.group(1)
    return None


def _first_name(text: str, names: Mapping[str, str]) -> str | None:
    """The first capitalised run of ``text`` that the corpus uses as a name, or whose end
    is one ("Often Phelps had to …": Phelps)."""
    for m in re.finditer(r"[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*", text):
        run = words(m.group(0))
        for start in range(len(run)):
            key = " ".join(run[start:])
            if key in names:
                return names[key]
    return None


def _subject_name(text: str, names: Mapping[str, str]) -> str | None:
    """The first name of ``text`` that names someone rather than modifying a noun after
    "the" ("In outfitting the location that served as the Zakharov mansion, Phelps
    focused …": Phelps)."""
    for m in re.finditer(r"[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*", text):
        if re.search(r"\bthe\s+$", text[: m.start()], re.IGNORECASE):
            continue
        name = _first_name(m.group(0), names)
        if name:
            return name
    return None


def _continues(previous: Sentence | None, sentence: Sentence) -> bool:
    """Whether ``sentence`` goes on with the quotation of the one before: that one left
    it open, or this one is a quotation of its own with no speaker named ("… I mean,
    we are from different cultures …" after "“Mikey!,” Eydelshteyn exclaims")."""
    if previous is None:
        return False
    return previous.text.count("“") > previous.text.count("”") or sentence.text[:1] in "“…"


class Speakers:
    """The speaker of every sentence of the corpus, read once: its own, else, inside a
    quotation the sentence before left open or for a pronoun speaker, that sentence's;
    a quotation with no speaker after a sentence naming no speaker, that sentence's
    subject's."""

    def __init__(
        self, sentences: Sequence[Sentence], names: Mapping[str, str], lead: str = ""
    ) -> None:
        self.by_id: dict[int, str] = {}
        self.sentences = sentences
        self.lead = lead  # the actor the articles credit most: "the lead actress"
        self._holders: dict[str, str | None] = {}  # job -> holder, read once per job
        previous: Sentence | None = None
        for s in sentences:
            said = speaker(s.text)
            before = previous if previous is not None and previous.source == s.source else None
            inherited = self.by_id.get(before.id) if before is not None else None
            if said is not None and said.lower() not in PERSONAL:
                self.by_id[s.id] = said
            elif said is not None and before is not None:
                # "…,” he comments": the one speaking before, else the one it was about
                # ("Daniels had shot Red Rocket on 16mm film …")
                subject = inherited or self._subject_before(s, names)
                if subject:
                    self.by_id[s.id] = subject
            elif inherited and _continues(before, s):
                self.by_id[s.id] = inherited
            elif before is not None and s.text.startswith("“"):
                # a quotation no one is named for, after sentences about someone, is
                # theirs: "Often Phelps had to work with existing decor …", "While the
                # club’s two levels …", then "“There were a lot of dead spaces …”"
                subject = self._subject_before(s, names)
                if subject:
                    self.by_id[s.id] = subject
            previous = s

    def _subject_before(self, sentence: Sentence, names: Mapping[str, str]) -> str | None:
        """Whom the ``QUOTE_LOOKBACK`` sentences before ``sentence`` (in its article) are
        about: the speaker of the nearest one with a speaker, else the first name
        (``_subject_name``) of the nearest one naming anyone."""
        for back in range(1, QUOTE_LOOKBACK + 1):
            if sentence.id - back < 0:
                break
            before = self.sentences[sentence.id - back]
            if before.source != sentence.source:
                break
            if before.id in self.by_id:  # someone speaking just before: still them
                return self.by_id[before.id]
            name = _subject_name(before.text, names)
            if name:
                return name
        return None

    def holder(self, job: str) -> str | None:
        """The name the corpus most often gives the holder of ``job`` ("director")."""
        if job not in self._holders:
            role = frozenset(terms(job))
            found = Counter(
                name
                for s in self.sentences
                if role & set(terms(s.text))
                for name in [role_holder(role, s.text)]
                if name
            )
            self._holders[job] = found.most_common(1)[0][0] if found else None
        return self._holders[job]


def asked_speaker(question: str) -> str | None:
    """Whose words or view the question asks for, as it names them, or None.

    >>> asked_speaker("what did mikey say about working with him")
    'mikey'
    >>> asked_speaker("According to Baker, what is the ending about?")
    'Baker'
    >>> asked_speaker("what did they do to the film") is None
    True
    """
    return _first_group(_ASKED, question)


def wanted(asked: str, referent: str, names: Mapping[str, str], speakers: Speakers) -> list[str]:
    """The full names ``asked`` may stand for: the referent for a pronoun, the job's
    usual holder for "the director", the most credited actor for "the lead actress", every
    corpus name holding a first name, each name of a full name the corpus writes only in
    part; else []."""
    said = [w for w in words(asked) if w not in ("the", "a", "an")]
    if not said:
        return []
    if said[-1] in PERSONAL or said[-1] in ("they", "them"):
        return [referent] if referent else []
    if "lead" in said or "star" in said:  # "the lead actress", "the star"
        return [speakers.lead] if speakers.lead else []
    if said[-1] in PERSON_NOUNS or said[-1].rstrip("s") in PERSON_NOUNS:
        holder = speakers.holder(said[-1])
        return [holder] if holder else []
    key = " ".join(said)
    if key in STOPWORDS:
        return []
    if key not in names:  # "yura borisov", a full name the articles never write whole
        parts = [names[w] for w in said if w in names and w not in STOPWORDS]
        return parts if len(parts) == len(said) else []
    return [names[full] for full in names if set(said) <= set(full.split())] or [names[key]]


def same_person(name: str, others: Sequence[str]) -> bool:
    """Whether ``name`` ("Madison") is one of ``others`` ("Mikey Madison"): one holds all
    the other's words."""
    mine = set(words(name))
    return any(mine and (mine <= set(words(o)) or set(words(o)) <= mine) for o in others)


def heard(
    quotable: Sequence[Candidate],
    question: str,
    referent: str,
    names: Mapping[str, str],
    speakers: Speakers,
) -> list[Candidate]:
    """For "what did Madison say about …", ``quotable`` with the sentences Madison speaks
    scored up by ``SPEAKER_WEIGHT``, best first; other questions' as they are."""
    asked = asked_speaker(question)
    who = wanted(asked, referent, names, speakers) if asked else []
    if not who:
        return list(quotable)
    rescored = [
        replace(c, score=c.score + SPEAKER_WEIGHT)
        if same_person(speakers.by_id.get(c.sentence.id, ""), who)
        else c
        for c in quotable
    ]
    return sorted(rescored, key=lambda c: -c.score)


def unheard(
    shown: Sequence[Candidate],
    question: str,
    referent: str,
    names: Mapping[str, str],
    speakers: Speakers,
) -> str | None:
    """The notice for an answer to "what did Borisov say about Igor?" none of whose
    ``shown`` sentences Borisov speaks (the articles quote Madison on his Igor, not him):
    the reader should not take someone else's words for his; else None."""
    asked = asked_speaker(question)
    who = wanted(asked, referent, names, speakers) if asked else []
    if not who or any(same_person(speakers.by_id.get(c.sentence.id, ""), who) for c in shown):
        return None
    return f"The articles quote nothing {max(who, key=len)} said about this; these sentences come closest."


def referred(
    quotable: Sequence[Candidate],
    question: str,
    referent: str,
    also: Sequence[str],
    speakers: Speakers,
) -> list[Candidate]:
    """For a question whose "he" or "she" stands for ``referent`` ("did he speak russian in
    his audition" after "who plays him": Mark Eydelshteyn, whose role is Vanya),
    ``quotable`` with its best sentence about the referent first, when that one scores
    within ``REFERRED_MARGIN`` of the best and the best is not about them: about them is
    naming the referent or one of ``also`` (the role an actor plays, the actor of a role),
    or spoken by them.  Other questions' ``quotable`` as it is."""
    if not referent or not quotable or not _PRONOUN_ASKED.search(question):
        return list(quotable)
    who = [referent, *also]
    best = quotable[0]
    if about(best, who, speakers):
        return list(quotable)
    close = next(
        (
            c
            for c in quotable
            if c.score >= best.score - REFERRED_MARGIN and about(c, who, speakers)
        ),
        None,
    )
    return list(quotable) if close is None else [close, *(c for c in quotable if c is not close)]


def unstated(
    quotable: Sequence[Candidate],
    question: str,
    referent: str,
    also: Sequence[str],
    speakers: Speakers,
) -> bool:
    """Whether "is he Y?", "he" standing for ``referent``, has no close sentence (within
    ``REFERRED_MARGIN`` of the best) both about the referent and stating Y: then the
    articles do not say, and quoting a sentence about him without Y, or one stating Y of
    someone else ("is he russian" after "who plays igor": Eydelshteyn's "I talked in
    Russian"), would read as an answer."""
    asked = complement(question)
    if not referent or not quotable or not asked or not _PRONOUN_SUBJECT.match(question):
        return False
    who = [referent, *also]
    best = quotable[0].score
    return not any(
        c.score >= best - REFERRED_MARGIN
        and asked <= set(terms(c.sentence.text))
        and about(c, who, speakers)
        for c in quotable
    )


def about(candidate: Candidate, who: Sequence[str], speakers: Speakers) -> bool:
    """Whether a sentence is about one of ``who``: names them, or is spoken by them."""
    said = set(words(candidate.sentence.text))
    named = any(set(words(n)) & said - STOPWORDS for n in who)
    return named or same_person(speakers.by_id.get(candidate.sentence.id, ""), who)

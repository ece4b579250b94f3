"""The rules that stand beside the answerability model.

Each is a statement about English, not about this corpus, for a kind of fact a
sentence either states or does not:

- ``NameRule``: a question asking what something is called is answered only by a
  sentence giving that name beside what it names (``cues.gives_name``).  On the
  gold set it moves three answers to the sentence that holds the name.
- ``RoleRule``: a question asking who plays or holds a role is answered only by a
  sentence mentioning the role, in its words or a film-making synonym ("DP" for
  the cinematographer).
- ``CastRule``: a question asking who plays a character (or whom an actor plays)
  is answered only by a sentence crediting them (``cast.Cast``), led by the name
  asked for; one about a character the articles never credit abstains.
- ``QuantityRule``: a question asking for a count, a sum, a span of time, an age,
  or a date in a named unit abstains when none of the sentences the answer would
  quote holds one.  A bare *when* is not held to it (an event can answer it), nor
  *how much* of something uncounted.  A *where* asked with a passive verb ("where
  was Madison born?") is answered only by a sentence stating that verb
  (``predicate.passive_predicate``), as a date asked with a verb is.

- ``OriginRule``: a question asking where someone is from ("where is Ani from?") is
  answered only by a sentence putting a place after "from" (or a nationality) beside
  whom the question asks about: "her job at a Manhattan club" says where she works.

- ``OtherWorkRule``: a question about the film the articles are about, by name ("Which
  company distributed Anora?"), is not answered by a sentence whose subject is another
  work ("His most recent film Red Rocket (2021) ... was distributed by A24"): a title
  among its first words, the film asked about not named; and a list asked of the film
  ("what awards did it win?") gathers no sentence said of another work (``of_the_film``).

- ``UnmentionedRule``: a *who VERB X* question whose X the articles never mention, in
  any form or synonym ("who designed the costumes?", "who wrote Hamlet?"), abstains:
  the sentences about designing or writing are about something else.

The cast, name, role and origin rules are ``Requirement``s every quoted sentence must
meet (looked for in the passages ranked just below the first ones too); the quantity and
other-work rules are checked on the sentences chosen.  The name, role and quantity rules
together fire on eleven unanswerable quiz questions and on no answerable one
(abstention recall 0.61 -> 0.91; docs/experiments.md); the cast rule answers four chat
questions it used to miss and abstains on one it used to answer wrongly ("who plays
garnick").

A job question ("who produced it?") is met by a sentence naming the job anywhere in the
corpus when the retrieved ones name it only in a photo caption, and is led by the name
the job titles in that sentence (``holders.role_holder``).

What this module does not do: score sentences or decide on confidence
(``generator``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from rag.answerer.cast import Cast, Credit
from rag.answerer.cast_ask import described
from rag.answerer.compose import MMR_FLOOR
from rag.answerer.cues import given_name, gives_name, has_cue, names_region
from rag.answerer.features import Candidate
from rag.answerer.holders import role_holder
from rag.answerer.predicate import asked_predicate, passive_predicate, states
from rag.answerer.question import Question
from rag.answerer.titles import title_key, titles
from rag.canonical import corpus_subject, refers_to_subject
from rag.conversation import names_in
from rag.lexicon import PREPOSITIONS, WORK_NOUNS
from rag.schema import Sentence
from rag.text import DATED_TITLE, terms, words
from rag.thesaurus import alternatives, covered

# sentences a rule looks for in the whole corpus (a job, a surname, a description) when the
# retrieved ones lack it; named in more than this many, it is too common to look for there
MAX_KNOWN = 40


@dataclass(frozen=True)
class Requirement:
    """What a quoted sentence must hold, and what the user is told when none does.

    ``lead`` gives the short answer a sentence holding it states; a ``decisive``
    requirement is one only a sentence stating the very fact asked can meet (a credit),
    so meeting it answers without the confidence model's say.
    """

    holds: Callable[[Candidate], bool]
    note: str
    lead: Callable[[str], str | None] | None = None
    decisive: bool = False
    where: frozenset[int] = frozenset()  # the sentences known to meet it, wherever they are


class CastRule:
    """*Who plays Toros?* is answered by a sentence crediting Toros's actor
    ("Karagulian’s character, Toros"), led by the actor's name; *who does Borisov play?*
    by one crediting Borisov, led by the character's.  A character the articles name
    but never credit ("Garnick") is not answered from a sentence merely naming him."""

    def __init__(self, cast: Cast, names: Callable[[], Mapping[str, str]]) -> None:
        self.cast = cast
        self.names = names

    def describes(self, asked: str) -> bool:
        """Whether a name asked for is a description: "ani's husband", "the parents", or
        words the articles never use as one name ("ivans parents")."""
        folded = " ".join(asked.split())
        return described(asked) or (" " in folded and folded not in self.names())

    def requirement(self, question: Question) -> Requirement | None:
        ask = question.cast
        if ask is None:
            return None
        # "who is Vanya?" asks what he is, not only who plays him: an actor's credit
        # answers "who is", a character's does not
        side = "actor" if ask.wants in ("actor", "lead") else "character"
        if ask.wants == "lead":  # the actor the articles credit most
            credits: list[Credit] = next(iter(self.cast.roster()), [])
        elif side == "actor" and self.describes(ask.name):  # "the oligarch's son": whom?
            character = self.cast.described(ask.name, self.names())
            credits = self.cast.actors_of(character) if character else []
            if not credits:  # "ivan's parents": no sentence credits anyone with them
                typed = re.search(re.escape(ask.name).replace("'", "['’]"), question.text, re.I)
                note = (
                    f"No sentence of the articles says who plays {typed[0] if typed else ask.name}."
                )
                return Requirement(holds=lambda c: False, note=note)
        elif side == "actor":
            credits = self.cast.actors_of(ask.name)
        else:
            credits = self.cast.roles_of(ask.name)
        if not credits:
            folded = " ".join(ask.name.split())
            if ask.wants in ("either", "lead") or folded not in self.names():
                return None
            shown = self.names()[folded]
            if ask.wants == "actor" and not self.cast.is_actor(ask.name):
                note = f"The articles do not say who plays {shown}."
            elif ask.wants == "character" and not self.cast.actors_of(ask.name):
                note = f"The articles do not say {shown} plays anyone in the film."
            else:
                return None  # "who plays Mikey Madison?": not a question the credits answer
            return Requirement(holds=lambda c: False, note=note)
        by_sentence = {c.sentence: c for c in credits}
        return Requirement(
            holds=lambda c: c.sentence.id in by_sentence,
            note="",
            lead=(
                None
                if ask.wants == "either"  # "who is Mark Eydelshteyn?": the credit says it all
                else lambda text: next(
                    (getattr(c, side) for c in credits if getattr(c, side) in text), None
                )
            ),
            decisive=True,
            where=frozenset(by_sentence),
        )


class NameRule:
    """*What is Ivan's surname?* wants a sentence that gives it ("Ivan Zakharov"): one of
    the retrieved passages, else one anywhere in the corpus."""

    def __init__(
        self,
        sentences: Callable[[], Sequence[Sentence]] = tuple,
        containing: Callable[[Iterable[str]], set[int]] | None = None,
    ) -> None:
        self.sentences = sentences
        self.containing = containing  # sentence ids holding terms (``Features.containing``)

    def requirement(self, question: Question) -> Requirement | None:
        ask = question.name
        if ask is None:
            return None
        every = self.sentences()
        if ask.person and self.containing is not None:  # a surname follows the name asked
            pool = [every[i] for i in sorted(self.containing(terms(ask.of)))]
        else:
            pool = list(every)
        where = [s.id for s in pool if gives_name(ask, s.text, question.text)]
        return Requirement(
            holds=lambda c: gives_name(ask, c.sentence.text, question.text),
            note=f"The closest passages do not give {ask.describe()}.",
            lead=lambda text: given_name(ask, text, question.text),
            where=frozenset(where) if len(where) <= MAX_KNOWN else frozenset(),
        )


class RoleRule:
    """*Who plays Ivan's mother?* wants a sentence that mentions Ivan's mother."""

    def __init__(
        self,
        sentence_terms: Callable[[int], frozenset[str]],
        containing: Callable[..., set[int]] | None = None,
        sentences: Sequence[Sentence] | None = None,
    ) -> None:
        self.sentence_terms = sentence_terms
        self.containing = containing  # sentence ids holding terms (``Features.containing``)
        self.sentences = sentences  # a sentence's words in order, for a two-word job

    def requirement(self, question: Question) -> Requirement | None:
        role = question.role
        if role is None:
            return None
        # someone's relation ("Sean Baker's wife") is named with the owner's surname alone
        owner = re.match(r"(?:the\s+)?(.+?)['’]s\s+(.+)$", role.role)
        named = (
            frozenset(terms(owner.group(1))[-1:] + terms(owner.group(2))) if owner else role.terms
        )
        # a sentence naming the "DP" names the cinematographer; an expression made of the
        # role's own words is no other name for it ("casting" stems as the actors' "cast")
        alts = {
            term: tuple(a for a in found if not a <= named)
            for term, found in alternatives(named).items()
        }

        def mentions(sid: int) -> bool:
            found = self.sentence_terms(sid)
            if not all(covered(t, found, alts) for t in named):
                return False
            if len(named) < 2 or not named <= found or self.sentences is None:
                return True  # one word, or named through another expression ("DP")
            if owner:
                return True  # someone's relation ("Baker's wife"), not a job of two words
            # a job of two words is named by them together: "casting director", not a
            # "cast" of actors in a sentence about the director
            said = terms(self.sentences[sid].text)
            width = len(named)
            return any(named <= set(said[i : i + width]) for i in range(len(said)))

        # every sentence of the corpus naming the role, so that a caption retrieved first
        # ("Sean Baker and DP Drew Daniels on the set") is not the only one on offer
        where = sorted(self.containing(named, alts)) if self.containing else []
        return Requirement(
            holds=lambda c: mentions(c.sentence.id),
            note=f"The closest passages do not mention {role.role}.",
            lead=lambda text: role_holder(role.terms, text, question.text),
            where=frozenset(where) if len(where) <= MAX_KNOWN else frozenset(),
        )


class OriginRule:
    """*Where is Ani from?* is answered by a sentence saying where she comes from ("Ani, a
    stripper and escort from New York’s Brighton Beach neighborhood"), not by one naming
    a place she is only at ("her job at a Manhattan gentlemen’s club"): a place after
    "from", or a nationality ("the son of a Russian oligarch"), a few words from whom the
    question asks about (``cues.has_cue`` of an origin question)."""

    def __init__(self, sentences: Callable[[], Sequence[Sentence]] = tuple) -> None:
        self.sentences = sentences

    def requirement(self, question: Question) -> Requirement | None:
        if not question.origin:
            return None
        where = [s.id for s in self.sentences() if has_cue(question, s.text)]
        return Requirement(
            holds=lambda c: has_cue(question, c.sentence.text),
            note="The closest passages do not say where from.",
            where=frozenset(where) if len(where) <= MAX_KNOWN else frozenset(),
        )


# what the user is told is missing, by the question's kind
QUANTITIES = {
    "count": "count of what was asked",
    "money": "sum of money",
    "duration": "length of time",
    "age": "age",
    "date": "date",
}


class QuantityRule:
    """*How much money does Ivan offer?* answered by a sentence without a sum is no answer,
    and *when did it come out?* is not answered by the date production began: a date
    asked with a verb is the date of a sentence stating that verb (or a synonym), or the
    year a title the question names is dated with ("The Florida Project (2017)")."""

    def __init__(self, names: Callable[[], Mapping[str, str]] = dict) -> None:
        self.names = names

    def missing(self, question: Question, chosen: Sequence[Candidate]) -> str | None:
        """The note for the user when ``chosen`` lacks the quantity asked for, else None."""
        kind = question.kind
        if kind == "place" and chosen and not self._placed(question, chosen):
            return "The closest passages do not say where."
        if kind not in QUANTITIES or not chosen:
            return None
        if kind == "date" and not self._dated(question, chosen):
            return "The closest passages give no date for that."
        if kind == "date" and question.calendar is None:
            return None
        if any(has_cue(question, c.sentence.text) for c in chosen):
            return None
        return f"The closest passages state no {QUANTITIES[kind]}."

    def _dated(self, question: Question, chosen: Sequence[Candidate]) -> bool:
        """Whether a chosen sentence dates what the question says happened: it states a
        word of the question's predicate (its verb, or another word after the subject) and
        no date shown is only another event's ("months after release" beside "began
        production in January 2023" does not date the release), or it dates a title the
        question names ("The Florida Project (2017)")."""
        names = self.names()
        predicate = asked_predicate(question.text, names) or passive_predicate(question.text, names)
        if not predicate:  # "when was he born": "born", as "when did he die": "die"
            return True
        question_words = set(words(question.text))
        if any(
            set(words(m.group(1))) <= question_words
            for c in chosen
            for m in DATED_TITLE.finditer(c.sentence.text)
        ):
            return True
        stating = [c for c in chosen if states(predicate, c.sentence.text)]
        dated = [c for c in chosen if has_cue(question, c.sentence.text)]
        return bool(stating) and (not dated or any(c in stating for c in dated))

    def _placed(self, question: Question, chosen: Sequence[Candidate]) -> bool:
        """Whether a chosen sentence states the participle of a passive *where* question
        ("where was Madison born?": born), when it has one, and the first (the one the
        answer leads with) names a place of the kind asked ("what city in Russia …?" is not
        answered by "his parents in Russia")."""
        predicate = passive_predicate(question.text, self.names())
        if predicate and not any(states(predicate, c.sentence.text) for c in chosen):
            return False
        return names_region(question, chosen[0].sentence.text)


class UnmentionedRule:
    """*Who designed the costumes?* in articles that never mention costumes: no sentence
    of them can say who, whatever it says about designing.  The head of what the verb acts
    on (``Question.acted_on``, its last word) must be a corpus term, or stand for one."""

    def __init__(self, vocabulary: Callable[[], AbstractSet[str]]) -> None:
        self.vocabulary = vocabulary  # every term the corpus uses

    def missing(self, question: Question) -> str | None:
        """The note for the user when the articles never mention what was acted on."""
        head = terms(question.acted_on.split()[-1]) if question.acted_on else []
        if not head or covered(head[0], self.vocabulary(), alternatives(set(head))):
            return None
        return f"The articles never mention {question.acted_on}."


OPENING_WORDS = 6  # a title this early in a sentence is what the sentence is about


class OtherWorkRule:
    """*Which company distributed Anora in U.S. theaters?* answered from "His most recent
    film Red Rocket (2021) premiered … and was distributed by A24" would give another
    film's distributor: a sentence opening on another work's title, the film the
    question names (or calls "the film", naming nothing else) left unnamed, says what it
    says of that work."""

    def __init__(
        self,
        titles: Callable[[], Iterable[str]],
        sentences: Sequence[Sentence] = (),
        names: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        self.titles = titles  # the articles' titles, for the film they are about
        self.sentences = sentences  # the corpus's, by id: the sentence before a candidate
        self.names = names  # the corpus's names: "the film" stands for the subject alone

    @functools.cached_property
    def subject(self) -> str:
        """The film the articles are about ("Anora": ``rag.canonical.corpus_subject``)."""
        return corpus_subject(self.titles())

    def missing(self, question: Question, chosen: Sequence[Candidate]) -> str | None:
        """The note for the user when the best chosen sentence is about another work."""
        subject = self.subject
        asked = re.search(rf"\b{re.escape(subject)}\b(?![’']s)", question.text, re.I)
        if asked is None and refers_to_subject(question.text, self.names()):
            asked = re.search(r"\b(?:the\s+(?:film|movie))\b(?![’']s)", question.text, re.I)
        if not subject or not chosen or asked is None:
            return None  # the subject not named, or only as an owner ("Anora's director")
        other = opening_work(chosen[0].sentence.text, subject)
        if other is None or title_key(other) in " ".join(words(question.text)):
            return None
        return f"The closest passages say that of {other}, not of {subject}."

    def of_the_film(
        self, question: str, candidates: list[Candidate], names: Mapping[str, str]
    ) -> list[Candidate]:
        """For a list asked of the film ("what awards did it win?", "… did Anora win?",
        naming no one else), the candidates less those opening on another work's title
        ("Starlet (2012) was the winner of …") or speaking of "the film" right after a
        sentence that does (``of_other_work``), and less those no longer relevant beside
        the best one (``MMR_FLOOR``, as a list measures it); all of them if that leaves none."""
        subject = self.subject
        named = set(names_in(question, names))
        about = subject in named or refers_to_subject(question, names)
        if not subject or not candidates or named - {subject} or not about:
            return candidates
        top = max(c.score for c in candidates)
        kept = [
            c
            for c in candidates
            if not self.of_other_work(c.sentence) and c.score >= top - MMR_FLOOR
        ]
        return kept or candidates

    def of_other_work(self, sentence: Sentence) -> bool:
        """Whether ``sentence`` speaks of another work than the subject: it opens on its
        title, or says "the film" right after a sentence of its article that does ("His
        previous film The Florida Project (2017) premiered …" then "Among the many
        accolades the film received …")."""
        subject = self.subject
        if opening_work(sentence.text, subject) is not None:
            return True
        if not 0 < sentence.id < len(self.sentences) or not _BACK.search(sentence.text):
            return False
        before = self.sentences[sentence.id - 1]
        return (
            before.source == sentence.source
            and subject.lower() not in words(sentence.text)
            and opening_work(before.text, subject) is not None
        )


# a definite work noun, speaking of a work named before: "the film received", "this movie"
_BACK = re.compile(rf"\b(?:the|this|that)\s+(?:{'|'.join(sorted(WORK_NOUNS))})\b", re.I)


def opening_work(sentence: str, subject: str) -> str | None:
    """The title of another work ``sentence`` opens on, when it does not name ``subject``:
    the title first, or after a noun phrase ending in a work noun ("His most recent film
    Red Rocket (2021) …"), within ``OPENING_WORDS`` words and no preposition; else None.

    >>> opening_work("His most recent film Red Rocket (2021) was distributed by A24.", "Anora")
    'Red Rocket'
    >>> opening_work("He made films like Starlet, Tangerine and Red Rocket.", "Anora") is None
    True
    """
    if subject.lower() in words(sentence):
        return None
    for title in titles(sentence):
        at = sentence.find(title)
        before = words(sentence[:at]) if at >= 0 else []
        if title_key(title) == subject.lower() or len(before) >= OPENING_WORDS:
            continue
        if not before or (before[-1] in WORK_NOUNS and not set(before) & PREPOSITIONS):
            return title
    return None

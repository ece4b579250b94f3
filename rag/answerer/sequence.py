"""Which work came right before or after another: "what did Baker make right before Anora?".

``asked_neighbour(question)`` reads a question asking for the work next to a named one in
time (``Neighbour``: which side, and the work named); ``SequenceRule`` answers it from
the works the corpus dates in brackets ("Red Rocket (2021)"): of those by the same maker,
the one with the nearest year on that side, quoted from the sentence dating it and led
by its title.  The film the articles are about, when nothing dates it, is their latest
work: what they are about is what came last ("right before Anora" is the newest of the
others).

A work belongs to the maker the question names when the sentence dating it, or the one
before it, names the maker ("Baker’s films, the iPhone-shot Tangerine (2015)"; "His
most recent film Red Rocket (2021)" after a sentence about Baker), and the first person
named, if the sentence opens on one, is the maker or an owner ("Sean’s previous film").  "Mikey Madison … first caught Baker’s eye in Once
Upon a Time… in Hollywood (2019)" dates a film of Madison's, not of Baker's.

What this module does not do: list works (``compose.compose_titles``) or date events.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rag.answerer.question import Question
from rag.answerer.rules import Requirement
from rag.answerer.titles import TITLES, title_key
from rag.conversation import names_in
from rag.lexicon import MAKING_VERBS, WORK_NOUNS
from rag.schema import Sentence
from rag.text import words

# "right before Anora", "just after Tangerine", "prior to The Florida Project"
_SIDE = re.compile(
    r"\b(?:(?:right|just|immediately|directly)\s+)?(before|after|prior\s+to|following)\s+"
    r"(.+?)[\s?.!]*$",
    re.IGNORECASE,
)
# ... of a work made: a verb of making ("what did he direct before …"), "came out", or a
# work noun ("which film came after …")
_MADE = re.compile(
    rf"\b(?:{'|'.join(sorted(MAKING_VERBS))}|come\s+out|came\s+out)\b", re.IGNORECASE
)


# the capitalised run a sentence opens on ("Mikey Madison, best known for …", "Sean’s …")
_OPENING_NAME = re.compile(r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*")
# "before it": the film the articles are about, when the conversation named no other work
# (the pipeline puts a work an earlier turn named in place of "it")
_ITSELF = re.compile(r"(?:it|this|that|(?:this|the)\s+(?:film|movie))$", re.IGNORECASE)


@dataclass(frozen=True)
class Neighbour:
    """A question for the work next to another in time."""

    side: str  # "before" or "after"
    of: str  # the work named, as typed: "anora", "tangerine"


def asked_neighbour(question: Question) -> Neighbour | None:
    """The side and the work of a *what did X make right before Y* question, or None.

    >>> from rag.answerer.question import analyse
    >>> asked_neighbour(analyse("what did baker make right before anora"))
    Neighbour(side='before', of='anora')
    >>> asked_neighbour(analyse("Which film came after Tangerine?")).side
    'after'
    >>> asked_neighbour(analyse("when did it premiere after cannes")) is None  # not a what
    True
    """
    text = question.text
    if not re.match(r"\s*(?:what|which)\b", text, re.IGNORECASE):
        return None
    m = _SIDE.search(text)
    if m is None:
        return None
    head = text[: m.start()]
    if not (_MADE.search(head) or set(words(head)) & WORK_NOUNS):
        return None
    side = "before" if m.group(1).lower() in ("before", "prior to") else "after"
    return Neighbour(side, m.group(2))


@dataclass(frozen=True)
class Dated:
    """A work dated in brackets, and the sentence dating it."""

    title: str
    year: int
    sentence: int  # its id


class SequenceRule:
    """*What did Baker make right before Anora?* is answered by the sentence dating the
    maker's work with the nearest earlier year, led by its title ("Red Rocket")."""

    def __init__(
        self,
        sentences: Sequence[Sentence],
        names: Callable[[], Mapping[str, str]],
        subject: Callable[[], str],
    ) -> None:
        self.sentences = sentences
        self.names = names
        self.subject = subject

    def dated(self, maker: Sequence[str]) -> list[Dated]:
        """Every work the corpus dates in brackets that belongs to ``maker`` (to whoever the
        sentence is about, when none is named)."""
        out: list[Dated] = []
        for s in self.sentences:
            found = list(TITLES.finditer(s.text))
            works = [(m.start(), m.end()) for m in found]  # titles name no one who made them
            for m in found:
                if m.group(2) and self._made_by(s, m.start(2), works, maker):
                    year = int(s.text[m.end(2) :].split("(")[1][:4])
                    out.append(Dated(m.group(2), year, s.id))
        return out

    def _made_by(
        self, sentence: Sentence, at: int, works: list[tuple[int, int]], maker: Sequence[str]
    ) -> bool:
        """Whether the work at ``at`` is the maker's: a sentence opening on a name is about
        that one ("Mikey Madison … first caught Baker’s eye in …": hers; with no maker
        named, only an owner's is taken: "Sean’s previous film"); otherwise, when a maker is
        named, the sentence or the one before it names the maker ("Sean’s previous film
        Tangerine (2015)" before "Starlet (2012) … his previous two features")."""
        subject = self.subject().lower()
        before = sentence.text[:at]
        asked = set(words(" ".join(maker)))
        # the maker by every name of theirs: "Baker" is "Sean Baker", and "Sean"
        makers = {w for key in self.names() for w in key.split() if set(key.split()) & asked}
        opening = _OPENING_NAME.match(before)  # a name the sentence opens on, not a title's
        key = " ".join(words(opening.group(0))) if opening else ""
        if opening and key in self.names() and key != subject and not any(a == 0 for a, _ in works):
            named = bool(set(key.split()) & makers)  # the maker's, or, none named, an owner's
            return named if makers else bool(re.match(r"[’']s\b", before[opening.end() :]))
        if not makers:
            return True
        previous = self.sentences[sentence.id - 1] if sentence.id else None
        said = words(before)
        if previous is not None and previous.source == sentence.source:
            said = said + words(previous.text)
        return bool(makers & set(said))

    def requirement(self, question: Question) -> Requirement | None:
        """The sentence dating the neighbour as a decisive ``Requirement``, or None; the
        maker is the name the question gives, other than the work's."""
        ask = asked_neighbour(question)
        if ask is None:
            return None
        key = title_key(ask.of)
        subject = self.subject().lower()
        maker = [
            n
            for n in names_in(
                question.text[: question.text.lower().rfind(ask.of.lower())], self.names()
            )
            if n.lower() != subject
        ]
        works = self.dated(maker)
        anchor = [w.year for w in works if title_key(w.title) == key]
        if anchor:
            year = anchor[0]
        elif ask.side == "before" and (key == title_key(self.subject()) or _ITSELF.match(ask.of)):
            year = max((w.year for w in works), default=0) + 1
        else:
            return None
        if ask.side == "before":
            side = [w for w in works if w.year < year]
            best = max(side, key=lambda w: w.year, default=None)
        else:
            side = [w for w in works if w.year > year]
            best = min(side, key=lambda w: w.year, default=None)
        if best is None:
            return None
        found: Dated = best
        return Requirement(
            holds=lambda c: c.sentence.id == found.sentence,
            note="",
            lead=lambda text: found.title if found.title in text else None,
            decisive=True,
            where=frozenset({found.sentence}),
        )

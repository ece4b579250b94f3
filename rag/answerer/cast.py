"""Who plays whom, as the articles' own sentences state it.

Articles about a film credit its actors in a handful of English constructions,
and ``Cast`` reads them once from every sentence of the index:

- "Mark Eydelshteyn, who played Vanya", "Madison plays Ani";
- "Ivan Zakharov, played by Mark Eydelshteyn", and with an apposition between,
  "Ani, a stripper and escort from Brighton Beach, played by Mikey Madison";
- "Karagulian’s character, Toros", "Madison’s portrayal of Ani";
- "Igor doesn’t lose his temper and in Borisov’s hands, the character was ..."
  (the character is the name the sentence opens with);
- "Mikey Madison (Ani)", a cast list's parenthesis.

Each match is a ``Credit``: the actor and the character as that sentence spells
them, and the sentence's id, so an answer built on it quotes and cites the very
sentence that states it.  A character the articles name but never credit
("Garnick") has no credit, and "who plays Garnick?" is then not answered from a
sentence that merely mentions him.

What this module does not do: read questions (``cast_ask.CastAsk``) or decide what
to quote (``rules.CastRule``).  It knows English constructions, not this film.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rag.lexicon import STOPWORDS
from rag.schema import Sentence
from rag.text import terms, words

# a name: one to three capitalised words ("Toros", "Mark Eydelshteyn")
_N = r"[A-Z][\w’'-]*[a-z](?:\s+[A-Z][\w’'-]*[a-z]){0,2}"
_S = r"(?:’s|'s)"
_PLAY = r"(?:plays|played|portrays|portrayed|is\s+playing|was\s+playing)"
# (pattern, which group is the actor, which the character)
_CREDITS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(rf"(?P<a>{_N}),\s+who\s+{_PLAY}\s+(?P<c>{_N})"), "a", "c"),
    (re.compile(rf"(?P<a>{_N})\s+{_PLAY}\s+(?P<c>{_N})"), "a", "c"),
    (
        re.compile(
            rf"(?P<c>{_N}),\s+(?:(?:a|an|the)\s+[^,;()]{{1,80}},\s+)?(?:who\s+is\s+)?"
            rf"(?:played|portrayed)\s+by\s+(?P<a>{_N})"
        ),
        "a",
        "c",
    ),
    (re.compile(rf"(?P<a>{_N}){_S}\s+character,?\s+(?P<c>{_N})"), "a", "c"),
    (
        re.compile(rf"(?P<a>{_N}){_S}\s+(?:portrayal|performance|turn)\s+(?:of|as)\s+(?P<c>{_N})"),
        "a",
        "c",
    ),
    (re.compile(rf"(?P<a>{_N})\s+\((?:as\s+)?(?P<c>{_N})\)"), "a", "c"),
)
# "in Borisov’s hands, the character": the character is who the sentence is about
_HANDS = re.compile(rf"\bin\s+(?P<a>{_N}){_S}\s+hands,?\s+the\s+(?:character|role)\b")
_ASKS_ACTOR = re.compile(
    r"\b(?:actor|actress)(?:e?s)?\b|\bwho\s+(?:plays?|played|portray(?:s|ed)?)\b", re.IGNORECASE
)
_APPOSED = re.compile(r"[,;:()—–.]")  # what bounds a phrase in apposition to a name
_DETERMINERS = frozenset(("the", "a", "an", "his", "her", "their", "its"))
_RELATIVE = frozenset(("who", "whom", "whose", "which", "that"))
APPOSITION_WORDS = 10  # a longer phrase beside a name is a clause, not a description of it
_OPENING_NAME = re.compile(rf"^[“\"‘]?(?P<c>{_N})\b")


@dataclass(frozen=True)
class Credit:
    """One sentence's statement that an actor plays a character."""

    actor: str  # as the sentence spells it: "Karagulian", "Mark Eydelshteyn"
    character: str  # "Toros", "Ivan Zakharov"
    sentence: int  # the id of the sentence that says so


def _folded(name: str) -> tuple[str, ...]:
    return tuple(w for w in words(name) if w not in STOPWORDS)


def _same(asked: str, name: str) -> bool:
    """Whether ``asked`` ("ivan", "yura borisov") names the one called ``name``: one holds
    all the other's words ("Ivan" of "Ivan Zakharov", "Yura Borisov" for "Borisov")."""
    said, full = set(_folded(asked)), set(_folded(name))
    return bool(said) and bool(full) and (said <= full or full <= said)


def credits_in(sentence: Sentence) -> list[Credit]:
    """The credits one sentence states, in the order its constructions match."""
    text = sentence.text
    found: list[Credit] = []
    for pattern, actor, character in _CREDITS:
        for m in pattern.finditer(text):
            a, c = m.group(actor), m.group(character)
            if not (set(_folded(a)) & set(_folded(c))) and _folded(a) and _folded(c):
                found.append(Credit(a, c, sentence.id))
    hands = _HANDS.search(text)
    opening = _OPENING_NAME.match(text)
    if hands and opening and not _same(opening.group("c"), hands.group("a")):
        found.append(Credit(hands.group("a"), opening.group("c"), sentence.id))
    return list(dict.fromkeys(found))


def _opening_np(text: str) -> list[str]:
    """The noun phrase ``text`` ends with, from its first determiner after any relative
    pronoun ("the oligarch’s son" of "… who impulsively marries the oligarch’s son"), within
    ``APPOSITION_WORDS``; or []."""
    said = text.split()[-APPOSITION_WORDS:]
    clause = max((i + 1 for i, w in enumerate(said) if w.lower() in _RELATIVE), default=0)
    return next((said[i:] for i in range(clause, len(said)) if said[i].lower() in _DETERMINERS), [])


class Cast:
    """Every credit the corpus states, looked up by character or by actor."""

    def __init__(self, sentences: Iterable[Sentence]) -> None:
        self.sentences = tuple(sentences)
        self.credits: tuple[Credit, ...] = tuple(c for s in self.sentences for c in credits_in(s))
        actors = {w for c in self.credits for w in _folded(c.actor)}
        # a name credited as an actor somewhere is not a character elsewhere ("Madison’s
        # portrayal" and "Madison plays Ani" agree; "Baker’s character" would not)
        self.credits = tuple(c for c in self.credits if not set(_folded(c.character)) & actors)

    def actors_of(self, character: str) -> list[Credit]:
        """The credits naming who plays ``character`` (any spelling of part of the name)."""
        return [c for c in self.credits if _same(character, c.character)]

    def one_role(self, first: str, second: str) -> tuple[bool, Credit, Credit] | None:
        """Whether two character names are one role, by their credits: (True, a, b) when an
        actor is credited with both ("Mark Eydelshteyn, who played Vanya" and "Ivan
        Zakharov, played by Mark Eydelshteyn"; two sentences if the articles have them),
        (False, a, b) when no actor is; None when either name has no credit."""
        mine, theirs = self.actors_of(first), self.actors_of(second)
        if not mine or not theirs:
            return None
        pairs = [(a, b) for a in mine for b in theirs if _same(a.actor, b.actor)]
        if not pairs:
            return False, mine[0], theirs[0]
        a, b = next(((a, b) for a, b in pairs if a.sentence != b.sentence), pairs[0])
        return True, a, b

    def described(self, description: str, names: Mapping[str, str]) -> str | None:
        """The credited character a description ("the oligarch's son", "ivans parents")
        stands for: one a sentence puts in apposition with a phrase holding the
        description's noun and its owner ("the oligarch’s son, Ivan", "Vanya, the son of a
        Russian oligarch"); None when no sentence does ("her fugitive husband" names no one).
        """
        said = [w.removesuffix("'s") for w in words(description.replace("’", "'"))]
        said = [w[:-1] if w not in names and w[:-1] in names else w for w in said]  # "ivans"
        wanted = [t for w in said if w not in STOPWORDS for t in terms(w)]
        if not wanted:
            return None
        characters = {c.character for c in self.credits}
        for sentence in self.sentences:
            text = sentence.text
            for name in characters:
                for m in re.finditer(rf"\b{re.escape(name)}\b", text):
                    head, tail = text[: m.start()].rstrip(), text[m.end() :]
                    phrases = [
                        *([_APPOSED.split(tail[1:])[0].split()] if tail.startswith(",") else []),
                        *(
                            [_opening_np(_APPOSED.split(head[:-1])[-1])]
                            if head.endswith(",")
                            else []
                        ),
                    ]
                    if any(
                        p
                        and p[0].lower() in _DETERMINERS
                        and len(p) <= APPOSITION_WORDS
                        and set(wanted) <= set(terms(" ".join(p)))
                        for p in phrases
                    ):
                        return name
        return None

    def roles_of(self, actor: str) -> list[Credit]:
        """The credits naming whom ``actor`` plays."""
        return [c for c in self.credits if _same(actor, c.actor)]

    def counterparts(self, name: str) -> list[str]:
        """The characters an actor plays and the actors who play a character ("Borisov":
        Igor; "Igor": Borisov, Yura Borisov); none for a name with no credit or no name."""
        if not name:
            return []
        found = [c.character for c in self.roles_of(name)]
        found += [c.actor for c in self.actors_of(name)]
        return list(dict.fromkeys(found))

    def is_actor(self, name: str) -> bool:
        return bool(self.roles_of(name))

    def miscast(self, lead: str, question: str) -> bool:
        """Whether ``lead`` names a character, not an actor, for a question asking for an
        actor ("which actor plays the character who drives Ani home?": not "Toros")."""
        asks = bool(_ASKS_ACTOR.search(question))
        return asks and bool(lead) and bool(self.actors_of(lead)) and not self.is_actor(lead)

    def characters(self) -> frozenset[str]:
        """Every word of every credited character's name, folded ("ani", "ivan", "toros")."""
        return frozenset(w for c in self.credits for w in _folded(c.character))

    def roster(self) -> list[list[Credit]]:
        """The credits grouped by actor (any spelling: "Madison", "Mikey Madison"), the
        most credited first: an article credits its lead more often than a supporting
        player."""
        groups: dict[str, list[Credit]] = {}
        for credit in self.credits:
            groups.setdefault(_folded(credit.actor)[-1], []).append(credit)
        return sorted(groups.values(), key=lambda g: -len(g))

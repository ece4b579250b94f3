"""The verb a question asks with, and whether a sentence states it.

- ``asked_predicate``: the words of a *did*-question after its subject, its verb among
  them ("When did The Florida Project come out?": come out);
- ``passive_predicate``: the participle a passive *where* or *who* question ends in
  ("where was she born?": born; "who is he married to?": married), which a sentence
  must state to answer it (``states``);
- ``measures_predicate``: a number right after a word of the predicate ("shot for 37
  days" for "how long did they shoot for");
- ``subject_of_predicate``: a name standing as the predicate's subject in a sentence
  ("Ivan is living …" for "who does Ani live with?": Ivan lives, he is not lived with);
- ``stranded_object``: the object a sentence gives the preposition a question ends in
  ("she shares with her sister" for "who does Ani share her duplex with?");
- ``contrasted``: what a sentence puts in place of the thing a question sets its ask
  against ("not wealth, but validation" for "what motivates her rather than riches?").

What this module does not do: decide anything (``rules``, ``compose`` and ``spans`` read
these).  It reads English grammar, not this corpus.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rag.answerer.patterns import NUMBER
from rag.answerer.question import Question
from rag.lexicon import FILM_EVENTS, IRREGULAR_PAST, PARTICLES, STOPWORDS, WORK_NOUNS
from rag.text import terms, words
from rag.thesaurus import alternatives, covered

_AFTER_DO = re.compile(r"\b(?:did|does|do)\s+(.+)$", re.IGNORECASE)


def asked_predicate(question: str, names: Mapping[str, str]) -> tuple[str, ...]:
    """The words of a *did*-question after its subject (pronouns, determiners and names
    left out), its verb among them; a phrasal verb keeps its particle ("come out").

    >>> asked_predicate("When did The Florida Project come out?", {"florida project": "Florida Project"})
    ('come out',)
    >>> asked_predicate("When did Karagulian first meet Baker?", {"karagulian": "K", "baker": "B"})
    ('first', 'meet')
    >>> asked_predicate("What year was his first movie?", {})
    ()
    """
    m = _AFTER_DO.search(question)
    if m is None:
        return ()
    after = words(m.group(1))
    folded = f" {' '.join(after)} "
    subject = {w for key in names for w in key.split() if f" {key} " in folded}
    out = []
    for i, word in enumerate(after):
        if word in subject or (word in STOPWORDS and word not in IRREGULAR_PAST.values()):
            continue
        particle = after[i + 1] if i + 1 < len(after) and after[i + 1] in PARTICLES else ""
        out.append(f"{word} {particle}".strip())
    return tuple(out)


def measures_predicate(
    question: Question, sentence: str, names: Mapping[str, str] | None = None
) -> bool:
    """Whether a number follows a word of the question's predicate within three words:
    the measure of what was asked ("shot for 37 days" for "how long did they shoot
    for"), not a number elsewhere in the sentence ("shooting in the winter with only
    about 8 hours of light").

    >>> from rag.answerer.question import analyse
    >>> measures_predicate(analyse("how long did they shoot for"), "It shot for 37 days in New York.")
    True
    >>> measures_predicate(analyse("how long did they shoot for"), "We were shooting in the winter with about 8 hours of light.")
    False
    """
    wanted = {t for word in asked_predicate(question.text, names or {}) for t in terms(word)}
    if not wanted:
        return False
    tokens = re.findall(r"[\w’'-]+", sentence)
    for i, token in enumerate(tokens):
        if set(terms(token)) & wanted and any(NUMBER.fullmatch(t) for t in tokens[i + 1 : i + 4]):
            return True
    return False


_WHERE_PASSIVE = re.compile(
    r"^\s*(?:where|when|who|whom|(?:what|which)\s+year)\s+(?:was|were|is|are)\s+(.+?)[?.!\s]*$",
    re.IGNORECASE,
)
_SUBJECT_PRONOUNS = frozenset(("it", "he", "she", "they"))


def passive_predicate(question: str, names: Mapping[str, str]) -> tuple[str, ...]:
    """The participle ending a passive *where*, *when*, *what year* or *who* question ("where was Madison
    born?": born; "who is Karagulian married to?": married), which only a sentence stating it
    (or a synonym) answers; none for a question ending in a noun ("where is the club?").

    >>> passive_predicate("Where was Mikey Madison born?", {"mikey madison": "Mikey Madison"})
    ('born',)
    >>> passive_predicate("Who is Karren Karagulian married to?", {}), passive_predicate("where was the wedding", {})
    (('married',), ())
    >>> passive_predicate("when was baker born", {"baker": "Baker"})
    ('born',)
    >>> passive_predicate("what year is it set", {}), passive_predicate("where is it set?", {})
    (('set',), ('set',))
    """
    m = _WHERE_PASSIVE.match(question)
    if m is None:
        return ()
    last = [w for w in words(m.group(1)) if w not in STOPWORDS][-1:]
    if not last or any(last[0] in key.split() for key in names):
        return ()
    word, said = last[0], words(m.group(1))
    participle = word in IRREGULAR_PAST or word == "born" or re.search(r"[^e]ed$|[^e]en$", word)
    # after a pronoun subject the last word is the participle, whatever its form ("is it set")
    after_pronoun = len(said) >= 2 and said[-1] == word and said[-2] in _SUBJECT_PRONOUNS
    return (word,) if participle or after_pronoun else ()


_WHO_DOES = re.compile(r"^\s*(?:who|whom)\s+(?:do|does|did)\s+", re.IGNORECASE)
_AUXILIARY = re.compile(r"\s+(?:is|was|are|were|has|had|have|been|will|would|also|now)\b")


def subject_of_predicate(question: str, sentence: str, end: int, names: Mapping[str, str]) -> bool:
    """Whether the name ending at ``end`` stands as the subject of the question's verb: a
    *who does X verb* question asks whom its own subject verbs, so "Ivan is living a very
    fast life …" does not answer "who does Ani live with?" with Ivan.

    >>> subject_of_predicate("who does ani live with", "Ivan is living a fast life.", 4, {"ani": "Ani"})
    True
    >>> subject_of_predicate("who does ani live with", "She lives with Ivan.", 19, {"ani": "Ani"})
    False
    """
    if not _WHO_DOES.match(question):
        return False
    predicate = asked_predicate(question, names)
    verb = set(terms(predicate[0].split()[0])) if predicate else set()
    rest = sentence[end:]
    while (aux := _AUXILIARY.match(rest)) is not None:
        rest = rest[aux.end() :]
    following = re.match(r"\s+([\w’'-]+)", rest)
    return bool(verb and following and set(terms(following.group(1))) & verb)


def states(predicate: tuple[str, ...], sentence: str) -> bool:
    """Whether ``sentence`` states a word of ``predicate`` in any form, or a film-making
    synonym of it (``rag.thesaurus``: "filmed" is "shot"), or another expression of the same
    event of a film's life (``lexicon.FILM_EVENTS``: "awarded" is "won"); a phrasal verb with
    its own particle ("came out", not "came in").

    >>> states(("married",), "He knew that Karagulian is married to a Russian-American woman.")
    True
    >>> states(("come out",), "Anora came in second."), states(("come out",), "It came out in May.")
    (False, True)
    >>> states(("awarded",), "It won the Palme d’Or at the Cannes in 2024.")
    True
    """
    said = words(sentence)
    held = set(terms(" ".join(said)))
    folded = f" {' '.join(said)} "
    for asked in predicate:
        events = [g for g in FILM_EVENTS if asked in g]
        if any(f" {e.lower()} " in folded for g in events for e in g):
            return True
        word, _, particle = asked.partition(" ")
        wanted = set(terms(word))
        if not wanted:
            continue
        if not particle and all(covered(t, held, alternatives(wanted)) for t in wanted):
            return True
        if particle and any(
            set(terms(w)) == wanted and particle in said[i + 1 : i + 3] for i, w in enumerate(said)
        ):
            return True
    return False


# A preposition a what/which/who question leaves at its end ("who does Ani share her
# duplex with?", "what is he interested in?"): the question asks for its object.
_STRANDED = re.compile(
    r"^\s*(?:what|which|who)[\w’']*\s.*\s(with|in|for|to|about|from|on|of|at|by|into|as)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"“[^”]*”|\"[^\"]*\"|[\w’'-]+|[^\w\s]")
# what ends the object a preposition takes: a clause's own punctuation or its conjunction
_CLAUSE_END = re.compile(
    r"[,;:.!?()\[\]—–]|that|which|who|whom|whose|when|where|while|because|but|although|if"
)
OBJECT_SKIP = 3  # words of an object between the verb and its preposition ("shoot the film in")
_STAND_INS = frozenset(["it", "them", "this", "that", "the", "its", "their"])
OBJECT_WORDS = 12  # longer than this and the object is a clause, not the thing asked


def _stands_in(token: str, asked: set[str]) -> bool:
    """A word of an object naming what a question already names: a pronoun or determiner,
    a noun for the work ("the film"), or a word of the question."""
    word = token.lower()
    own = set(terms(word))
    return word in _STAND_INS or word in WORK_NOUNS or (bool(own) and own <= asked)


def stranded_object(question: str, sentence: str) -> str | None:
    """The object ``sentence`` gives the preposition a question ends in, where a word of
    the question (or a form or synonym of it) stands right before that preposition in
    the sentence: "shares with her sister" for "who does Ani share her duplex with?";
    None when none does, or when the object is made of the question's own words.

    >>> stranded_object("Who does Ani share her duplex with?", "It picks her up at the duplex she shares with her sister.")
    'her sister'
    >>> stranded_object("What is he interested in?", "He has always been interested in “people nobody sees.”")
    '“people nobody sees.”'
    >>> stranded_object("Who does Ani share her duplex with?", "She talks with Ivan.") is None
    True
    >>> stranded_object("What was it shot in?", "He wanted to shoot the film in 35mm using lenses.")
    '35mm using lenses'
    """
    m = _STRANDED.match(question)
    if m is None:
        return None
    preposition = m.group(1).lower()
    asked = set(terms(question))
    alts = alternatives(asked)
    tokens = _TOKEN.findall(sentence)
    for i, token in enumerate(tokens[:-2]):
        held = set(terms(token))
        if not held or token[0].isupper() or not any(covered(t, held, alts) for t in asked):
            continue
        j = i + 1 + bool(tokens[i + 1].lower().endswith("ly") and tokens[i + 1].isalpha())
        # the thing a passive question's subject is, as the active sentence's object, between
        # verb and preposition: "shoot the film in 35mm" for "what was it shot in?"
        skip = 0
        while skip < OBJECT_SKIP and j + skip < len(tokens) and _stands_in(tokens[j + skip], asked):
            skip += 1
        if j + skip < len(tokens) and tokens[j + skip].lower() == preposition:
            j += skip
        if j >= len(tokens) or tokens[j].lower() != preposition:
            continue
        taken: list[str] = []
        for piece in tokens[j + 1 :]:
            if _CLAUSE_END.fullmatch(piece.lower()) or len(taken) > OBJECT_WORDS:
                break
            taken.append(piece)
            if piece[0] in '“"':
                break  # a quotation is its own object, whole
        own = set(terms(" ".join(taken)))
        if own and not own <= asked and len(taken) <= OBJECT_WORDS:  # longer: a clause
            return " ".join(taken)
    return None


# A what-question setting one thing against another ("what motivates her rather than
# riches?") asks for the thing a sentence puts in place of the other: "not wealth, but
# validation".  "not only X but also Y" adds Y to X, so it is no contrast.
_SET_AGAINST = re.compile(r"\b(?:rather\s+than|instead\s+of|as\s+opposed\s+to)\b", re.IGNORECASE)
_NOT_BUT = re.compile(
    r"\bnot\s+(?!only\b|just\b|merely\b|simply\b)[^,;:.!?—–()]{1,60}?,?\s+but\s+(?:rather\s+)?"
    r"([^,;:.!?—–()“”\"]+)",
    re.IGNORECASE,
)


def contrasted(question: str, sentence: str) -> str | None:
    """What ``sentence`` puts in place of another thing ("not wealth, but validation":
    validation), when a what/which question asks for something *rather than* or *instead
    of* another; None when the question sets nothing against anything, or the sentence
    says no "not X but Y" of at most ``OBJECT_WORDS`` words.

    >>> contrasted("What truly drives her rather than riches?", "What drives her — not wealth, but validation.")
    'validation'
    >>> contrasted("What drives her?", "What drives her — not wealth, but validation.") is None
    True
    >>> contrasted("What drives her instead of money?", "It is not only money but also fame.") is None
    True
    """
    if not _SET_AGAINST.search(question) or not re.search(r"\b(?:what|which)\b", question, re.I):
        return None
    m = _NOT_BUT.search(sentence)
    if m is None:
        return None
    said = m.group(1).strip()
    return said if said and len(said.split()) <= OBJECT_WORDS else None

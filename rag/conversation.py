"""Make a follow-up question self-contained from the conversation, without an LLM.

In a chat, "How did he prepare for it?" means nothing on its own.  ``is_follow_up``
says whether a question needs the conversation at all (an ellipsis, a request for more,
a pronoun with nothing in the question to stand for); every other question is searched
and answered exactly as in a new chat, so the history cannot drag it off course.
``resolve`` then fills in what the follow-up refers to: "and igor?" after "who plays
toros" asks who plays Igor; "what else has she been in" names the actress the last
answer gave; "it" after a question about another work ("what awards did The Florida
Project receive?") is that work.  What it cannot rewrite it leaves to the search
query, the question followed by the earlier questions it needs (``rag.context``).

One case needs the earlier *answer*, not the earlier question: "Which comedian did
Madison compare him to?" after "Who plays Ivan?".  "Him" is the actor, whom the
articles call Mark and never Ivan.  When the question has a personal pronoun and
the previous question asked *for* a person (``asks_for_person``: "who plays ...",
"which actor ..."; not "who is Samantha Quan?", which names its person), the
search query becomes the question followed by the names that answer quotes
(``answer_names``), in place of the previous question's words.

A "that" or "about it" that stands for a topic is named when the question before asked
how something happened ("what did the director say about it" after "how does anora end":
about the ending, ``topic_phrase``), and "and the lead actress?" then asks her the same;
otherwise it is searched with its thread's questions only (``_thread``: an off-topic
question before the thread plays no part) and answered by its words plus the newest
one's (``Resolved.focus``).

What this module does not do: rewrite the question the user sees, or run a search.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.answerer.cast_ask import asked_cast
from rag.answerer.intent import asks_yes_no
from rag.context import (  # noqa: F401  (the search-query helpers, re-exported)
    MAX_CONTEXT_TURNS,
    MIN_OWN_TERMS,
    answer_names,
    asked_besides,
    asked_group,
    asks_for_person,
    contextualize,
    for_group,
    needs_context,
)
from rag.lexicon import PERSON_NOUNS, REFERENT_NOUNS
from rag.schema import Turn
from rag.text import corpus_names, gerund, proper_names, terms, words  # noqa: F401  (corpus_names re-exported)

MAX_TURNS = 6  # earlier turns read at most (the newest); older ones are another topic
_ELLIPSIS = re.compile(r"^\s*(?:and|what\s+about|how\s+about|also|or)\b\s*(.*?)\s*\??\s*$", re.I)
_MORE = re.compile(
    r"^\s*(?:tell\s+me\s+more|more|go\s+on|(?:anything|anywhere|what)\s+else|and\s+then|keep\s+going"
    r"|(?:any\s+)?others)\b\W*$|\b(?:else|more|another|other\s+(?:things?|ones?))\b",
    re.I,
)
_BARE_WH = re.compile(
    r"^\s*(why|how|when|where|who|how\s+old|how\s+long|how\s+many|how\s+much|how\s+often)"
    r"\s*\??\s*$",
    re.I,
)
_THING = frozenset(["it", "its", "this", "that", "one", "ones", "there", "then"])
_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|they|them|their)\b", re.I)
# a pronoun that cannot stand for a name the question itself gives: an object ("did Madison
# compare him", "working with her") is someone else than the clause's subject
_OUTSIDE = re.compile(
    r"\b(?:him\b|them\b|her(?=\s*(?:$|[?.!,]|\b(?:to|in|on|at|with|for|about|from|and|or|as|like|was|is)\b)))",
    re.I,
)
_DEMONSTRATIVE = re.compile(
    r"\b(?:that|those|these)\s+(?!is\b|was\b|are\b|were\b|the\b|a\b|an\b|he\b|she\b|it\b|they\b)"
    r"[a-z][\w-]*(?:\s+[a-z][\w-]*)?\s+(?:scene|scenes|sequence|shot|film|movie|character|role|"
    r"part|place|places|book|moment|line|one|ones|guy|woman|man|actor|actress)\b"
    r"|\b(?:that|those|these)\s+(?:scene|scenes|sequence|shot|film|movie|character|role|part|place"
    r"|places|book|moment|line|one|ones|guy|woman|man|actor|actress)\b",
    re.I,
)
_THAT = re.compile(r"\b(?:that|those)\b", re.I)  # a demonstrative pronoun, when nothing precedes it
_ASKS_FOR_WORK = re.compile(
    r"^\s*(?:what|which)\b(?:\s+[\w'’-]+){0,6}?\s+(?:film|movie|feature|book|memoir|title|project"
    r"|short|documentary|play|song)s?\b",
    re.I,
)
_IT = re.compile(r"\bit\b", re.I)
# a person described: "the director", "the lead actress", "his producer"
_PERSON_PHRASE = re.compile(
    rf"\b(?:the|his|her|their)\s+(?:[\w-]+\s+)?(?:{'|'.join(PERSON_NOUNS)})s?\b", re.I
)
_SINGULAR = re.compile(r"\b(he|him|his|she|her|hers)\b", re.I)
# a pronoun a verb of speech or thought is "about": a topic, not a work ("what did the director
# say about it", "how did she feel about that")
_ABOUT_IT = re.compile(r"\babout\s+(?:it|that|this)\b", re.I)


@dataclass(frozen=True)
class Resolved:
    """A question made self-contained: what is searched and answered in its place."""

    question: str  # the question with its references filled in (or as typed)
    follow_up: bool  # it needed the conversation
    more: bool = False  # it asks for more than earlier turns showed
    referent: str = ""  # the name a pronoun or ellipsis stood for
    needs_answer: bool = False  # resolving it would read the previous turn's answer
    rewritten: bool = False  # ``question`` reads as a question of its own (not text + history)
    # the question with the topic it leaves to the conversation ("what did the director say
    # about it" + "end"), which the answerer ranks sentences by; "" when it is ``question``
    focus: str = ""


def names_in(text: str, names: Mapping[str, str]) -> list[str]:
    """The corpus names ``text`` mentions, in any case ("igor", "mikey madison"), longest first."""
    folded = " " + " ".join(words(text)) + " "
    found = sorted(
        dict.fromkeys(canon for key, canon in names.items() if f" {key} " in folded),
        key=len,
        reverse=True,
    )
    # a word of a longer name found ("Mark" of "Mark Eydelshteyn") is that name again
    return [n for i, n in enumerate(found) if not any(n in longer for longer in found[:i])]


def _conjoined(text: str, names: Mapping[str, str]) -> bool:
    """Whether ``text`` joins two names with "and" ("Baker and Madison"), as "they" can
    stand for; "is igor russian or armenian" names no two people together."""
    folded = " ".join(words(text))
    found = names_in(text, names)
    spots = sorted(
        (folded.find(key), folded.find(key) + len(key))
        for key in (" ".join(words(n)) for n in found)
        if key in folded
    )
    return any(folded[a[1] : b[0]].strip() == "and" for a, b in itertools.pairwise(spots))


def _people(text: str, names: Mapping[str, str]) -> int:
    """How many people ``text`` names or describes ("Madison", "the lead actress")."""
    said = words(text)
    described = sum(1 for w in said if w in PERSON_NOUNS or w in REFERENT_NOUNS)
    return len(names_in(text, names)) + described


def is_follow_up(
    question: str, turns: Sequence[Turn], names: Mapping[str, str], subject: str = ""
) -> bool:
    """Does the question need the conversation?  Only an ellipsis ("and igor?", "how
    old?", "why?"), a request for more ("what else has she been in"), a personal
    pronoun when the question names no one, "that" with nothing before it to stand for
    ("did that cause problems"), or "it"/"that"/"there" while the conversation is on
    something other than the film; every other question is answered exactly as in a
    new chat.
    """
    if not turns:
        return False
    said = set(words(question))
    own_names = names_in(question, names)
    if _ELLIPSIS.match(question) or _BARE_WH.match(question):
        return True
    if _MORE.search(question) and not own_names:
        return True
    if _DEMONSTRATIVE.search(question):
        return True  # "that sequence", "those scenes": something said before
    that = _THAT.search(question)
    if that and not terms(question[: that.start()]):
        return True  # "did that cause problems", "who did that": nothing before it to stand for
    if (
        _ABOUT_IT.search(question)
        and not own_names
        and not _about_someone(turns[-1], names, subject)
    ):
        return True  # "what did the director say about it": the topic the last turn was on
    pronoun = _PRONOUN.search(question)
    if pronoun and pronoun.group(1).lower() in ("they", "them", "their"):
        # "what lenses did they use": the film-makers, unless the talk is on a sub-topic;
        # "the group ... their trip": the group
        if _people(question[: pronoun.start()], names):
            return False
        # ... or the people the last question named together ("Baker and Madison")
        together = _conjoined(turns[-1].question, names) or bool(asked_group(turns[-1].question))
        return not own_names and (together or _on_sub_topic(turns, names, subject))
    if pronoun:
        before = _people(question[: pronoun.start()], names)
        # no one before it for it to stand for ("had he used ... with Baker"), or an object
        # whose clause's subject is the one person named ("did Madison compare him")
        return before == 0 or (before == 1 and bool(_OUTSIDE.match(question, pronoun.start())))
    if not (said & _THING):
        return False
    if own_names:
        # "what did baker think of it" while the talk is on his audition: "it" is that, not
        # the person named; after a question that stands on its own, the question does too
        return bool(said & {"it", "its"}) and _on_sub_topic(turns, names, subject)
    # "it" is the film, unless the last question asked for another work ("What was Baker's
    # first feature film?" -> "Which filmmaker influenced it?") or the talk is on a sub-topic
    return bool(_ASKS_FOR_WORK.match(turns[-1].question)) or _on_sub_topic(turns, names, subject)


def _about_someone(turn: Turn, names: Mapping[str, str], subject: str) -> bool:
    """Whether ``turn`` asked for or about a person ("who plays ani"), whom "it" cannot
    stand for; the film the articles are about is not a person."""
    named = _named_besides(turn.question, names, subject)
    described = sum(1 for w in words(turn.question) if w in PERSON_NOUNS or w in REFERENT_NOUNS)
    return asks_for_person(turn.question) or bool(named) or described > 0


def _on_sub_topic(turns: Sequence[Turn], names: Mapping[str, str], subject: str = "") -> bool:
    """Whether the last turn was itself a follow-up, so the conversation is on something
    narrower than the film and "it" may stand for that.  After a question that stands
    on its own, "it" is the film the articles are about."""
    return is_follow_up(turns[-1].question, turns[:-1], names, subject)


def resolve(
    question: str, turns: Sequence[Turn], names: Mapping[str, str], subject: str = ""
) -> Resolved:
    """The question with what it refers to filled in from ``turns`` (oldest first).

    ``names`` maps each corpus name, folded ("mark eydelshteyn"), to its spelling;
    ``subject`` is the film the articles are about, which no "he" or "she" stands for.

    >>> names = {"toros": "Toros", "igor": "Igor", "karagulian": "Karagulian"}
    >>> resolve("and igor?", [Turn("who plays toros")], names).question
    'who plays Igor'
    >>> resolve("what else has he been in", [Turn("who plays toros", short_answer="Karagulian")],
    ...         names).question
    'what else has Karagulian been in'
    >>> resolve("who shot it", [Turn("who plays toros")], names).follow_up
    False
    """
    turns = list(turns)[-MAX_TURNS:]
    if not is_follow_up(question, turns, names, subject):
        return Resolved(question, False)
    last = turns[-1]
    more = bool(_MORE.search(question))
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis and ellipsis.group(1):
        fragment = ellipsis.group(1)
        new = names_in(fragment, names)
        # the predicate of the last question that was not itself an ellipsis: after "how many
        # days in Las Vegas?" and "and which hotel?", "and how many days in New York?"
        base = next((t for t in reversed(turns[-2:]) if not _ELLIPSIS.match(t.question)), last)
        old = names_in(base.question, names)
        if new and old:  # "who plays toros" -> "and igor?": who plays Igor
            pattern = re.compile(r"\b" + r"\s+".join(map(re.escape, old[0].split())) + r"\b", re.I)
            rewrite = pattern.sub(new[0], base.question.rstrip(" ?"), count=1)
            return Resolved(rewrite, True, more, new[0], rewritten=True)
        person = new[0] if new else (fragment if _PERSON_PHRASE.fullmatch(fragment) else "")
        if person and not old:  # "what did the director say about it" -> "and the lead actress?"
            at = len(turns) - 1 - turns[::-1].index(base)
            asked = resolve(base.question, turns[:at], names, subject)
            said = (asked.question if asked.rewritten else base.question).rstrip(" ?")
            if _PERSON_PHRASE.search(said):  # the person asked about, replaced
                rewrite = _PERSON_PHRASE.sub(person, said, count=1)
                return Resolved(rewrite, True, more, new[0] if new else "", rewritten=True)
        if new and _IT.search(base.question):  # "where did it premiere" -> "and tangerine?"
            rewrite = _IT.sub(new[0], base.question.rstrip(" ?"), count=1)
            return Resolved(rewrite, True, more, new[0], rewritten=True)
        return Resolved(f"{last.question.rstrip(' ?')} {fragment}", True, more, "")
    bare = _BARE_WH.match(question)
    if bare:
        who = _referent(turns, names, subject)
        # a wh-word before a yes/no question is a question ("how much" after "did the
        # actors improvise": how much did the actors improvise); before another wh-question
        # it is not ("why who directed it"), so only the search reads it
        body = who or last.question.strip().rstrip("?")
        return Resolved(
            f"{bare.group(1)} {body}".strip(),
            True,
            more,
            who,
            needs_answer=not last.answered and asks_for_person(last.question),
            rewritten=bool(who) or asks_yes_no(last.question),
        )
    besides = asked_besides(question, last.question, last.short_answer)  # "anyone else?"
    if besides:
        return Resolved(besides, True, True, "", rewritten=True)
    # "what do they want" after "who are ivans parents": what do ivans parents want
    grouped = for_group(question, asked_group(last.question))
    if grouped != question and not names_in(question, names):
        return Resolved(grouped, True, more, "", rewritten=True)
    who = _referent(turns, names, subject)
    answered = asks_for_person(last.question) and bool(last.answered or last.short_answer)
    if who and more and _SINGULAR.search(question):  # "what else has she been in"
        return Resolved(_substitute(question, who), True, True, who, rewritten=True)
    if who and _SINGULAR.search(question) and asked_cast(_substitute(question, who)):
        # "who does she play" after "whos the lead actress": who does Mikey Madison play
        return Resolved(_substitute(question, who), True, more, who, rewritten=True)
    if answered and _PRONOUN.search(question):
        # "him" after "Who plays Ivan?": searched beside the names the answer gave (its short
        # answer if it led with one: "Director Sean Baker ... films like Starlet" names others)
        quoted = last.answer.removeprefix(f"{last.short_answer} — ").lstrip("- ")
        found = (
            [last.short_answer]
            if last.short_answer
            else answer_names(quoted, f"{last.question} {question}") or [who]
        )
        if any(found):
            return Resolved(" ".join([question, *found]), True, more, found[0])
    if _SINGULAR.search(question) and asks_for_person(last.question) and not last.answered:
        return Resolved(question, True, more, "", needs_answer=True)
    if more and not _PRONOUN.search(question):  # "tell me more": what was asked last, as
        # it was understood ("what else" after "what did mikey say about working with him")
        asked = resolve(last.question, turns[:-1], names, subject)
        return Resolved(f"{question.rstrip(' ?')} {asked.question}", True, True, asked.referent)
    if who and _SINGULAR.search(question) and not _named_besides(last.question, names, subject):
        # "did he enjoy making it" two turns after the DP was named, past "what is anora
        # about?": searched by the one it stands for, not the question in between
        return Resolved(f"{question} {who}", True, more, who)
    thread = _thread(turns, names, subject)
    topic = topic_phrase(thread[-1]) if _stands_for_topic(question) else ""
    if topic and not _PRONOUN.search(question):
        # "what did the director say about it" after "how does anora end": about the ending
        return Resolved(_name_topic(question, topic), True, more, "", rewritten=True)
    focus = _focus(question, thread, subject)
    return Resolved(contextualize(question, thread), True, more, "", focus=focus)


def _thread(turns: Sequence[Turn], names: Mapping[str, str], subject: str = "") -> list[str]:
    """The questions of the conversation's current thread, oldest first: the last one and,
    while each was itself a follow-up, the one before it (at most ``MAX_CONTEXT_TURNS``).
    A question that stood on its own starts the thread: "what was the weather like when
    they shot anora" after "whats the weather in new york" is not about New York."""
    at = len(turns) - 1
    while at > 0 and len(turns) - at < MAX_CONTEXT_TURNS:
        if not is_follow_up(turns[at].question, turns[:at], names, subject):
            break
        at -= 1
    return [t.question for t in turns[at:]]


def _stands_for_topic(question: str) -> bool:
    """Whether the question leaves a topic to the conversation rather than a work: "that"
    with nothing before it ("did that cause problems"), or what something is "about"."""
    that = _THAT.search(question)
    return bool(_ABOUT_IT.search(question)) or bool(that and not terms(question[: that.start()]))


# a question about how something happens: "how does anora end", "how did they film the
# home invasion" (the subject, the verb in its base form after "do", what follows)
_HOW_DID = re.compile(
    r"^\s*(?:how|why|when|where)\s+(?:do|does|did)\s+((?:the\s+)?[\w’'-]+)\s+([a-z]+)\b\s*(.*?)"
    r"[\s?.!]*$",
    re.I,
)
_DETERMINER = re.compile(r"^(?:the|a|an|his|her|their|its|this|that|these|those)\s", re.I)
_PREPOSITION = re.compile(r"\s+(?:in|on|at|for|with|during|from|to|by|after|before)\s.*$", re.I)


def topic_phrase(question: str) -> str:
    """What a *how/why did X do Y* question is about, as a noun phrase a later "about it"
    can stand for: its object ("how did they film the home invasion": the home invasion),
    else its verb as a noun ("how does anora end": the ending; "how did she prepare for
    the role": preparing for the role); "" for any other question.

    >>> topic_phrase("how does anora end"), topic_phrase("How did they film the home invasion?")
    ('the ending', 'the home invasion')
    >>> topic_phrase("how did she prepare for the role"), topic_phrase("who plays ani")
    ('preparing for the role', '')
    """
    m = _HOW_DID.match(question)
    if not m:
        return ""
    verb, rest = m.group(2), m.group(3).strip()
    if not rest or rest.lower() in ("it", "her", "him", "them", "that", "this"):
        return f"the {gerund(verb)}"
    if _DETERMINER.match(rest):
        return _PREPOSITION.sub("", rest)
    return f"{gerund(verb)} {rest}"


def _name_topic(question: str, topic: str) -> str:
    """``question`` with the "it" or "that" standing for ``topic`` replaced by it."""
    about = _ABOUT_IT.search(question)
    if about:
        return f"{question[: about.start()]}about {topic}{question[about.end() :]}"
    return _THAT.sub(topic, question, count=1)


def _focus(question: str, thread: Sequence[str], subject: str) -> str:
    """``question`` followed by the content words of the newest question of its thread,
    when its "it" or "that" stands for a topic (``_stands_for_topic``: "what did the
    director say about it" after "how does anora end": + "end"); else "" (a pronoun for
    a person or a work is found by the search with the earlier questions)."""
    if not thread or _PRONOUN.search(question) or not _stands_for_topic(question):
        return ""
    own = set(words(question)) | {subject.lower()}
    topic = [w for w in dict.fromkeys(words(thread[-1])) if w not in own and terms(w)]
    return f"{question.rstrip(' ?')} {' '.join(topic)}" if topic else ""


def _referent(
    turns: Sequence[Turn], names: Mapping[str, str], subject: str = "", depth: int = 0
) -> str:
    """Whom a pronoun stands for: the person the previous answer named when the previous
    question asked for one; else whom that question's own "he" stood for (a pronoun keeps
    its referent from turn to turn: "has he worked with baker before" is about the DP the
    turn before named, not Baker); else the name the previous question (or the one before)
    used, the film the articles are about (``subject``) aside."""
    turns = list(turns)
    for at in range(len(turns) - 1, max(len(turns) - 3, -1), -1):
        turn = turns[at]
        if asks_for_person(turn.question) and (turn.answered or turn.short_answer):
            found = turn.short_answer or next(iter(answer_names(turn.answer, turn.question)), "")
            if found:
                return found
        if depth < MAX_CONTEXT_TURNS and _SINGULAR.search(turn.question):
            kept = _referent(turns[:at], names, subject, depth + 1)
            if kept:
                return kept
        named = _named_besides(turn.question, names, subject)
        if named:
            return named[0]
    return ""


def _named_besides(text: str, names: Mapping[str, str], subject: str) -> list[str]:
    """The corpus names ``text`` mentions, the film the articles are about aside."""
    return [n for n in names_in(text, names) if n.lower() != subject.lower()]


def _substitute(question: str, name: str) -> str:
    """The first personal pronoun replaced by ``name`` ("his" by "Name's").

    >>> _substitute("what else has she been in", "Mikey Madison")
    'what else has Mikey Madison been in'
    """

    def swap(m: re.Match[str]) -> str:
        word = m.group(1).lower()
        return f"{name}'s" if word in ("his", "hers", "their") else name

    return _SINGULAR.sub(swap, question, count=1)

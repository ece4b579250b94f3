"""What the evidence for a yes/no or either/or question must say, and what it chose.

``complement`` is what "is X Y?" asks of X (its Y); ``complemented`` puts first, for
"is X Y?", a close sentence stating X and Y when the best one lacks Y ("is anis husband
russian": "Ani … a coltish Russian" over "Ani’s soon-to-be ex-husband is brought to
heel"); ``unnamed`` says when the question names a person the best sentences never name
(quoting them would read as a yes); ``choice`` is the lead of an either/or question:
"Both" when the sentence holds both options apart, the whole pair when the one option it
holds is a side of "both A and B", the one option as the sentence spells it, or nothing
when an option is said only under a negation ("not in triumph or tragedy");
``chosen_by_verb`` puts first, for an either/or question with a verb ("was it shot on film
or digital?"), a close sentence where that verb takes an option ("shoot the film in 35mm")
over a best one holding the option in another sense ("approach the film the way …").

What this module does not do: answer "yes" or "no" (the evidence is quoted, never judged),
or pick the sentence an either/or lead is read from (``compose``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rag.answerer.features import Candidate
from rag.answerer.question import Question
from rag.claimwords import NEGATION_IDIOMS, NEGATIONS
from rag.text import terms, words

RESTATE_MARGIN = 2.0  # a sentence holding what was asked beats a best one within this that does not
DENIAL_WORDS = 5  # an option this close after "not" in its clause is denied, not chosen
VERB_REACH = 4  # an option this close after the question's verb is what the verb took


# a copular yes/no question, its subject and complement: "is anis husband russian"
_COMPLEMENT = re.compile(
    r"^\s*(?:is|are|was|were)\s+((?:[\w’'-]+\s+){1,3}?)(?:an?\s+|the\s+)?([a-z][\w-]*)\W*$", re.I
)


def complemented(question: str, pool: Sequence[Candidate], first: Candidate) -> Candidate:
    """For "is X Y?", a sentence within ``RESTATE_MARGIN`` of ``first`` stating X and Y
    when ``first`` lacks Y ("is anis husband russian": "Ani … a coltish Russian" over
    "Ani’s soon-to-be ex-husband is brought to heel")."""
    m = _COMPLEMENT.match(question)
    said, of = (set(complement(question)), set(terms(m.group(1)))) if m else (set(), set())
    if not said or not of or said <= set(terms(first.sentence.text)):
        return first
    for c in pool:
        held = set(terms(c.sentence.text))
        if c.score >= first.score - RESTATE_MARGIN and said <= held and of & held:
            return c
    return first


def chosen_by_verb(
    question: str,
    options: Sequence[str],
    pool: Sequence[Candidate],
    first: Candidate,
    names: Mapping[str, str],
) -> Candidate:
    """For an either/or question with a verb ("was it shot on film or digital?"), a
    sentence within ``RESTATE_MARGIN`` of ``first`` giving an option as what that verb was
    done with ("… to shoot the film in 35mm …") when ``first`` holds an option only
    elsewhere ("I tried to approach the film the way …", the film as the movie)."""
    verb = _choice_verb(question, options, names)
    if not verb or _verb_takes(verb, options, first.sentence.text):
        return first
    for c in pool:
        if c.score < first.score - RESTATE_MARGIN:
            break
        if _verb_takes(verb, options, c.sentence.text):
            return c
    return first


def _choice_verb(question: str, options: Sequence[str], names: Mapping[str, str]) -> frozenset[str]:
    """The terms of an either/or question's words before its first option, stop words and
    the corpus's names left out (its auxiliary and subject): its verb, or none for a
    copular question.

    >>> sorted(_choice_verb("was it shot on film or digital", ("film", "digital"), {}))
    ['shoot']
    >>> _choice_verb("is ani a stripper or an escort?", ("stripper", "escort"), {"ani": "Ani"})
    frozenset()
    """
    if not options:
        return frozenset()
    at = re.search(rf"\b{re.escape(options[0])}\b", question, re.IGNORECASE)
    before = question[: at.start()] if at else ""
    named = {w for key in names for w in key.split()}
    return frozenset(terms(" ".join(w for w in words(before) if w not in named)))


def _verb_takes(verb: frozenset[str], options: Sequence[str], sentence: str) -> bool:
    """Whether an option follows a form of ``verb`` within ``VERB_REACH`` words of its clause.

    >>> _verb_takes(frozenset({"shoot"}), ("film", "digital"), "He shot it on 35mm film.")
    True
    >>> _verb_takes(frozenset({"shoot"}), ("film", "digital"), "We shot outside; the film is loose.")
    False
    """
    wanted = [set(terms(o)) for o in options if terms(o)]
    for clause in re.split(r"[,;:.!?()—–]", sentence):  # the verb's own clause
        tokens = re.findall(r"[\w’'-]+", clause)
        for i, token in enumerate(tokens):
            if set(terms(token)) & verb:
                after = set(terms(" ".join(tokens[i + 1 : i + 1 + VERB_REACH])))
                if any(w <= after for w in wanted):
                    return True
    return False


def complement(question: str) -> frozenset[str]:
    """What "is X Y?" asks of X: the terms of Y, else none.

    >>> sorted(complement("is anis husband russian"))
    ['russian']
    >>> complement("who is ani")
    frozenset()
    """
    m = _COMPLEMENT.match(question)
    return frozenset(terms(m.group(2))) if m else frozenset()


def unnamed(question: Question, quotable: Sequence[Candidate], names: Mapping[str, str]) -> bool:
    """Whether the question names a person (a corpus name of two words: "did mikey madison
    win an oscar for it") whom neither of the two best ``quotable`` sentences names: they
    are about someone else, and quoting them reads as a yes."""
    folded = f" {' '.join(words(question.text))} "
    people = [key for key in names if " " in key and f" {key} " in folded]
    said = [set(words(c.sentence.text)) for c in quotable[:2]]
    return bool(people and said) and not any(set(key.split()) & s for key in people for s in said)


# "both A and B", each side one to three words, B ending at punctuation or a preposition
_SIDE = r"[\w’'-]+(?:\s+[\w’'-]+){0,2}?"
_BOTH = re.compile(
    rf"\bboth\s+({_SIDE})\s+and\s+({_SIDE})(?=\s*[,.;:—–)]|\s+(?:in|on|at|for|with|to|of|"
    r"from|by|set|that|which|who|as|but)\b|\s*$)",
    re.IGNORECASE,
)


def choice(options: Sequence[str], sentence: str) -> str:
    """ "Both" when the (best) sentence holds both of two options, the one option it holds,
    or "" (none, or several of a longer list)."""
    text = set(terms(sentence))
    held = [o for o in options if set(terms(o)) and set(terms(o)) <= text]
    if any(_denied(o, sentence) for o in held):  # "not in triumph or tragedy": no lead
        return ""
    if len(held) == 2 == len(options):
        # both, unless one is only read inside the other: "non professional actors" holds
        # "non professionals", and "professional actors" only as its own words
        return "Both" if _apart(held, terms(sentence)) else ""
    if len(held) != 1:
        return ""
    # the option as one side of "both … and …" ("a comedy or a drama?": "with both humor
    # and drama"): the whole pair, as the sentence says it; one side alone would mislead
    for pair in _BOTH.finditer(sentence):
        if any(set(terms(held[0])) <= set(terms(side)) for side in pair.groups()):
            return f"Both {pair.group(1)} and {pair.group(2)}"
    # as the sentence writes it ("Russian"), not as typed ("russian"); an option whose
    # words are only scattered over the sentence is not what it says
    spelled = re.search(rf"\b{re.escape(held[0])}\b", sentence, re.IGNORECASE)
    return spelled.group(0) if spelled else ""


def _denied(option: str, sentence: str) -> bool:
    """Whether the sentence says ``option`` only under a negation of its own clause
    ("… and not in triumph or tragedy"): up to ``DENIAL_WORDS`` words before it, back to a
    comma or a semicolon.

    >>> _denied("tragedy", "It ended with quiet uncertainty and not in triumph or tragedy.")
    True
    >>> _denied("comedy", "It is not only a comedy but a drama.")
    False
    """
    said = list(re.finditer(rf"\b{re.escape(option)}\b", sentence, re.IGNORECASE))
    if not said:
        return False
    for found in said:
        clause = re.split(r"[,;:—–]", sentence[: found.start()])[-1]
        before = [w.lower() for w in re.findall(r"[\w’'-]+", clause)][-DENIAL_WORDS:]
        denied = any(
            (w in NEGATIONS or w.endswith(("n't", "n’t")))
            and (i + 1 == len(before) or before[i + 1] not in NEGATION_IDIOMS)
            for i, w in enumerate(before)
        )
        if not denied:
            return False
    return True


def _apart(options: Sequence[str], said: Sequence[str]) -> bool:
    """Whether each option's terms are met in ``said`` at positions no other option's are."""
    used: list[set[int]] = []
    for option in options:
        wanted = set(terms(option))
        at = {i for i, t in enumerate(said) if t in wanted}
        if any(at & other for other in used):
            at -= set().union(*used)
            if not wanted <= {said[i] for i in at}:
                return False
        used.append(at)
    return True

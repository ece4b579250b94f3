"""Turn a follow-up question into a self-contained search query, without an LLM.

In a chat, "How did he prepare for it?" means nothing on its own.  When a question
leans on earlier turns, the search query becomes the question followed by the
earlier user questions it needs (newest first, up to ``MAX_CONTEXT_TURNS``), so
both BM25 and the embedder see the names and topics it refers to.

A question leans on the history when it has an anaphoric pronoun or adverb
("he", "her", "it", "that", "there", "then"), opens with a continuation ("and",
"what about", "also"), or has fewer than ``MIN_OWN_TERMS`` content words of its
own.  A question that names its own subject is searched as it is, even in a long
conversation, so the history cannot drag it off course.

One case needs the earlier *answer*, not the earlier question: "Which comedian did
Madison compare him to?" after "Who plays Ivan?".  "Him" is the actor, whom the
articles call Mark and never Ivan, so the words of "Who plays Ivan?" lead the search
back to the passage that answered it.  When the question has a personal pronoun and
the previous question asked *for* a person (``asks_for_person``: "who plays ...",
"which actor ..."; not "who is Samantha Quan?", which names its person), the
pipeline answers the previous question again (extractively, a few milliseconds) and
the search query becomes the question followed by the names that answer quotes
(``answer_names``), in place of the previous question's words.

What this module does not do: rewrite the question the user sees, run a search
itself, or resolve pronouns that stand for anything but the person asked for last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.lexicon import ANAPHORA, PERSON_NOUNS, PERSONAL
from rag.text import proper_names, terms, words

MAX_CONTEXT_TURNS = 2
MIN_OWN_TERMS = 2
_ASKS_FOR_PERSON = re.compile(
    rf"^\s*(?:who\b|(?:which|what)\s+(?:\w+\s+)?(?:{'|'.join(PERSON_NOUNS)})s?\b)",
    re.IGNORECASE,
)
_NAMES_PERSON = re.compile(r"^\s*(?i:who)(?:'s|\s+(?:is|was|are|were))\s+[A-Z]")
_CONTINUATION = re.compile(r"^\s*(and|but|also|what about|how about|so|then|or)\b", re.IGNORECASE)


def needs_context(question: str) -> bool:
    """Does the question lean on earlier turns?

    >>> needs_context("How did he prepare for it?"), needs_context("Who shot Anora?")
    (True, False)
    >>> needs_context("And in Las Vegas?")
    True
    """
    if _CONTINUATION.match(question):
        return True
    if any(w in ANAPHORA for w in words(question)):
        return True
    return len(set(terms(question))) < MIN_OWN_TERMS


def asks_for_person(question: str) -> bool:
    """Is the answer to ``question`` a person it does not name itself?

    >>> asks_for_person("Who plays Ivan?"), asks_for_person("Which actor plays Igor?")
    (True, True)
    >>> asks_for_person("Who is Samantha Quan?"), asks_for_person("Where was it shot?")
    (False, False)
    """
    return bool(_ASKS_FOR_PERSON.match(question)) and not _NAMES_PERSON.match(
        question.replace("’", "'")
    )


def refers_to_answer(question: str, history: Sequence[str]) -> bool:
    """Does a pronoun in ``question`` stand for the person the previous turn asked for?

    >>> refers_to_answer("Which comedian did Madison compare him to?", ["Who plays Ivan?"])
    True
    >>> refers_to_answer("What did she say about him?", ["Who is Samantha Quan?"])
    False
    >>> refers_to_answer("How long did it take?", ["Who shot Anora?"])
    False
    """
    turns = [h for h in history if h and h.strip()]
    return (
        bool(turns) and bool(PERSONAL.intersection(words(question))) and asks_for_person(turns[-1])
    )


def answer_names(answer: str, known: str) -> list[str]:
    """The names the answer's first quoted sentence adds to ``known`` (the questions).

    Only the first sentence: it is the one the answerer ranked best, and later ones
    bring in people the question is not about.

    >>> answer_names("She meets Ivan Zakharov, played by Mark Eydelshteyn. [1] Then Baker.",
    ...              "Who plays Ivan? Which comedian did he resemble?")
    ['Mark Eydelshteyn']
    """
    first = re.split(r"\s*\[\d+(?:\s*,\s*\d+)*\]", answer, maxsplit=1)[0]
    seen = set(words(known))
    names: list[str] = []
    for name in proper_names(first):
        if name not in names and not seen.intersection(words(name)):
            names.append(name)
    return names


def contextualize(question: str, history: Sequence[str], referent: Sequence[str] = ()) -> str:
    """The search query for ``question`` given earlier user turns (oldest first).

    ``referent`` holds the names the previous answer gave, when the question's
    pronoun stands for them (``refers_to_answer``); they replace the history.

    >>> contextualize("How did she prepare?", ["Who played Ani?"])
    'How did she prepare? Who played Ani?'
    >>> contextualize("How did she prepare?", ["Who played Ani?"], ["Mikey Madison"])
    'How did she prepare? Mikey Madison'
    >>> contextualize("Who shot Anora?", ["Who played Ani?"])
    'Who shot Anora?'
    """
    turns = [h.strip() for h in history if h and h.strip()]
    if not turns or not needs_context(question):
        return question
    if referent:
        return " ".join([question, *referent])
    context: list[str] = []
    for turn in reversed(turns):
        context.append(turn)
        # stop at the first turn that stands on its own: older ones are another topic
        if len(context) >= MAX_CONTEXT_TURNS or not needs_context(turn):
            break
    return " ".join([question, *context])

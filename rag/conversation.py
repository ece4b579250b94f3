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

What this module does not do: rewrite the question the user sees, or resolve
pronouns to particular names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import terms, words

MAX_CONTEXT_TURNS = 2
MIN_OWN_TERMS = 2
ANAPHORA = frozenset(
    [
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "they",
        "them",
        "their",
        "theirs",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "such",
        "same",
        "former",
        "latter",
        "one",
    ]
)
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


def contextualize(question: str, history: Sequence[str]) -> str:
    """The search query for ``question`` given earlier user turns (oldest first).

    >>> contextualize("How did she prepare?", ["Who played Ani?"])
    'How did she prepare? Who played Ani?'
    >>> contextualize("Who shot Anora?", ["Who played Ani?"])
    'Who shot Anora?'
    """
    turns = [h.strip() for h in history if h and h.strip()]
    if not turns or not needs_context(question):
        return question
    context: list[str] = []
    for turn in reversed(turns):
        context.append(turn)
        # stop at the first turn that stands on its own: older ones are another topic
        if len(context) >= MAX_CONTEXT_TURNS or not needs_context(turn):
            break
    return " ".join([question, *context])

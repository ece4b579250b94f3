"""Notices in a user's words: what the page and the CLI say about an answer.

The pipeline and the generators write notices for developers ("the LLM endpoint at
http://127.0.0.1:9/v1 refused the connection (is the server running? check
RAG_LLM_BASE_URL)").  ``user_notices(answer)`` turns them into ``Notice``s: one short
sentence a reader understands, with the technical detail kept aside (the page shows it
in a collapsed "details", the CLI in brackets, the log has it already).  A fallback is
explained once, however many notices mention it.

What the reasons mean is data: ``FALLBACK_WORDS`` maps a phrase of the developer
reason to the user's sentence; the first match wins.

What this module does not do: render HTML (``rag.ui_render`` does) or log.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.schema import Answer

QUOTED = "so this answer is quoted from the articles."
# (a phrase of a generator's fallback reason, what the user is told), first match wins
FALLBACK_WORDS: tuple[tuple[str, str], ...] = (
    ("refused the connection", f"The language model is not reachable, {QUOTED}"),
    ("could not be reached", f"The language model is not reachable, {QUOTED}"),
    ("did not answer within", f"The language model took too long to answer, {QUOTED}"),
    ("timed out", f"The language model took too long to answer, {QUOTED}"),
    ("api key", f"The language model refused the app's access key, {QUOTED}"),
    ("rate limiting", f"The language model is busy right now, {QUOTED}"),
    ("could not load", f"The language model could not be started, {QUOTED}"),
)
FALLBACK_OTHER = (
    "The language model's answer could not be checked against the articles, "
    "so this answer is quoted from them instead."
)


@dataclass(frozen=True)
class Notice:
    """One note for the user: a plain sentence, and the technical detail if any."""

    text: str
    detail: str = ""

    def line(self) -> str:
        """One line for a terminal: the sentence, the detail in brackets."""
        return f"{self.text} ({self.detail})" if self.detail else self.text


def fallback_words(reason: str) -> str:
    """The user's sentence for a generator's fallback reason.

    >>> fallback_words("the LLM endpoint at http://x/v1 did not answer within 30 s")
    'The language model took too long to answer, so this answer is quoted from the articles.'
    """
    low = reason.lower()
    return next((words for phrase, words in FALLBACK_WORDS if phrase in low), FALLBACK_OTHER)


def user_notices(answer: Answer) -> tuple[Notice, ...]:
    """The answer's notices for a reader: the fallback once, in plain words, first.

    A notice that repeats the answer text (the empty-question refusal) is dropped.
    """
    reason = answer.fallback_reason or ""
    out: list[Notice] = [Notice(fallback_words(reason), reason)] if reason else []
    for note in answer.notices:
        if note == answer.text or (reason and reason in note):
            continue  # the fallback, already explained above
        out.append(Notice(note))
    return tuple(out)

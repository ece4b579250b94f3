"""What a long chat message asks: its question, found by the grammar of the message.

People paste a synopsis, a review or a friend's message and ask about it at the end
("… ok i read that much. what happens after his parents find out?").  Two limits
would cut that question off if the message were read from its start: the
characters the pipeline keeps (``RAG_MAX_QUESTION_CHARS``) and the word pieces the
embedder reads (256 for MiniLM).  This module keeps the question instead:

- ``question_sentence``: the last sentence that ends with a question mark, else the
  last sentence (a pasted text comes first, the request last);
- ``keep_question``: a window of at most ``limit`` characters that holds that
  sentence whole, with what surrounds it as room allows (the text just before a
  question is what it is about);
- ``search_text``: the question first, then the sentences before it, nearest first,
  while the embedder still reads everything;
- ``clean_question``: control characters removed, whitespace collapsed, and a
  message over the character limit cut to the window ``keep_question`` gives.

What this module does not do: decide what is asked (``rag.answerer.intent``) or
resolve pronouns from earlier turns (``rag.conversation``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from rag.chunking import split_sentences

# a full stop or exclamation after a word of two lower-case letters or digits ends a
# sentence even before a lower-case word ("Dr." and "St." do not)
_END = re.compile(r"(?<=[a-z0-9”\"’)]{2}[.!])\s+")


def sentences(text: str) -> list[str]:
    """The message's sentences, as typed."""
    return [text[s:e] for s, e in split_sentences(text, 0, len(text))] or [text]


def question_sentence(text: str) -> str:
    """The sentence of ``text`` that asks: the last one ending with "?", else the last.

    >>> question_sentence("Anora is a film. Who shot it? No spoilers pls")
    'Who shot it?'
    >>> question_sentence("I read the synopsis. Tell me about the ending")
    'Tell me about the ending'
    >>> question_sentence("She felt it was genuine. ok. what did Dr. Baker do before?")
    'what did Dr. Baker do before?'
    """
    parts = sentences(text)
    asking = [p for p in parts if p.rstrip(" \"'”’)").endswith("?")]
    # the segmenter keeps "… genuine. what did baker do?" together (a lower-case start)
    return _END.split((asking or parts)[-1].strip())[-1]


def keep_question(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text`` around its question, cut at word
    boundaries; the whole text when it fits.

    >>> keep_question("a long paste here. So who shot it? thanks", 22)
    'here. So who shot it?'
    """
    if len(text) <= limit:
        return text
    question = question_sentence(text[-50_000:])  # a question sits near the end of a paste
    end = text.rfind(question)
    if end < 0 or len(question) >= limit:  # the question alone is too long: its start
        return _words(text[: limit + 1])[:limit].strip()
    end += len(question)
    start = max(0, end - limit)
    after = text[end : end + limit - (end - start)]  # what follows it, as room allows
    window = text[start:end] + after
    if start > 0:
        window = window.split(" ", 1)[-1]  # no half word at the start
    return window.strip() if len(window) <= limit else window[:limit].strip()


def search_text(text: str, fits: Callable[[str], bool]) -> str:
    """What to embed for a message the embedder cannot read whole: its question, then
    the sentences just before it, nearest first, while ``fits`` says it reads them."""
    if fits(text):
        return text
    parts = sentences(text)
    question = question_sentence(text)
    at = max((i for i, p in enumerate(parts) if p.strip() == question), default=len(parts) - 1)
    kept = question
    for part in reversed(parts[:at]):
        longer = f"{kept} {part.strip()}"
        if not fits(longer):
            break
        kept = longer
    return kept


def shortened(text: str, words: int) -> str:
    """``text``'s first ``words`` words, with an ellipsis when there were more.

    >>> shortened("what happens after his parents find out?", 4)
    'what happens after his …'
    """
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


def _words(text: str) -> str:
    """``text`` without a last, cut-off word."""
    return text.rsplit(" ", 1)[0] if " " in text else text


def clean_question(question: str, limit: int) -> tuple[str, list[str]]:
    """Remove control characters and keep at most ``limit`` characters, those around the
    message's question (``keep_question``); notices for the user.

    >>> clean_question("Who\\x00 shot\\tit?", 100)
    ('Who shot it?', [])
    """
    notices: list[str] = []
    text = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in str(question)
        if ch in "\t\n\r" or unicodedata.category(ch)[0] != "C"
    )
    text = " ".join(text.split())
    if len(text) > limit:
        notices.append(
            f"Your message was {len(text):,} characters long; the {limit:,} around its "
            "question were read."
        )
        text = keep_question(text, limit)
    return text, notices

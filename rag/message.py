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
  message over the character limit cut to the window ``keep_question`` gives;
- ``text_before`` and ``pasted_in``: the text before the question, and whether it
  already holds a sentence (the answer does not quote back what the user has read).

What this module does not do: decide what is asked (``rag.answerer.intent``) or
resolve pronouns from earlier turns (``rag.conversation``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from difflib import SequenceMatcher

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


def text_before(text: str) -> str:
    """What a message says before its question (``question_sentence``): "" for a message
    that is only a question.

    >>> text_before("I read the synopsis. Who shot it?")
    'I read the synopsis. '
    """
    return text[: max(0, text.rfind(question_sentence(text)))]


PASTED_SHARE = 0.6  # of a sentence's words, in one run, for the paste to hold it
PASTED_RUN = 6  # ... and never fewer words than this


def pasted_in(sentence: str, pasted: str) -> bool:
    """Whether ``pasted`` holds ``sentence``: one run of at least ``PASTED_SHARE`` of its
    words (and ``PASTED_RUN``), in order, case and punctuation aside, so a sentence copied
    in part, or with its quotation marks changed, counts.

    >>> pasted_in("Ani meets Vanya, the oligarch’s son.", "so: ani meets vanya, the oligarch's son!!")
    True
    >>> pasted_in("Ani meets Vanya, the oligarch’s son.", "who is vanya, the oligarch's son?")
    False
    """
    said, heard = _folded(sentence), _folded(pasted)
    if len(said) < PASTED_RUN or len(heard) < PASTED_RUN:
        return False
    match = SequenceMatcher(None, said, heard, autojunk=False)
    run = match.find_longest_match(0, len(said), 0, len(heard)).size
    return run >= max(PASTED_RUN, PASTED_SHARE * len(said))


def _folded(text: str) -> list[str]:
    """``text``'s words, lower-cased, apostrophes of any kind dropped."""
    return re.findall(r"\w+", text.lower().replace("’", "").replace("'", ""))


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

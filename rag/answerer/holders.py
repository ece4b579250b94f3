"""The name a sentence gives the holder of a film-making job, as English titles a person.

``role_holder(role, sentence)`` finds the job in the sentence (its terms, or a film-making
synonym from ``thesaurus``: "DP" for the cinematographer) and returns the name it titles:
right after the job ("production designer Stephen Phelps", "his director of photography,
Drew Daniels"), closing an apposition before it ("Samantha Quan, a producer of …") or
said of it ("Sean Baker is an award-winning writer, director, producer and editor").
``spans`` leads *who directed it?* with it, ``rules`` and ``speech`` find a job's holder.

What this module does not do: decide whether the job is what was asked (``question``,
``rules``), or read credits of the cast (``cast``).
"""

from __future__ import annotations

import re

from rag.text import terms, words
from rag.thesaurus import alternatives

_NAME_RUN = r"[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,3}"
_HOLDER_AFTER = re.compile(rf",?\s+({_NAME_RUN})")
_HOLDER_BEFORE = re.compile(  # the job closing an apposition, or a second one "and" joins
    rf"({_NAME_RUN}),\s+(?:a|an|the|his|her|their)\s+"
    r"(?:(?:[\w’'-]+\s+){0,2}|[^,;:()—–]{1,60}?\s+and\s+(?:[\w-]+[’']s\s+)?)$"
)
# ... or a job the sentence says the name is, alone or last of several: "Sean Baker is an
# award-winning writer, director, producer and editor"; no clause or phrase of another
# person's between ("X is a longtime collaborator of the editor")
_HOLDER_IS = re.compile(
    rf"({_NAME_RUN})\s+(?:is|was)\s+(?:a|an|the)\s+"
    r"(?:(?!(?:of|with|for|to|by|who|whom|whose|that|which)\s)[\w’'-]+,?\s+){0,6}$"
)


def role_holder(role: frozenset[str], sentence: str, asked: str = "") -> str | None:
    """The name a sentence gives the holder of a film-making job, as English titles a
    person: the job right before the name ("production designer Stephen Phelps", "his
    director of photography, Drew Daniels") or in apposition after it ("Samantha Quan, a
    producer of …").  ``role`` holds the job's terms; a name the question says is not it.

    >>> role_holder(frozenset({"director"}), "Director Sean Baker has built a career.")
    'Sean Baker'
    >>> role_holder(frozenset({"cinematograph"}), "He re-teamed with his director of photography, Drew Daniels.")
    'Drew Daniels'
    >>> role_holder(frozenset({"produc"}), "Samantha Quan, a producer of “Anora” and his wife, says so.")
    'Samantha Quan'
    >>> role_holder(frozenset({"wife"}), "Quan, a producer of “Anora” and Baker’s wife, said.")
    'Quan'
    >>> role_holder(frozenset({"edit"}), "Sean Baker is an award-winning writer, director and editor.")
    'Sean Baker'
    >>> role_holder(frozenset({"edit"}), "Drew Daniels is a friend of the editor.") is None
    True
    >>> role_holder(frozenset({"produc"}), "The producers met in Brooklyn.") is None
    True
    """
    alts = alternatives(role)
    job = set(role) | {t for found in alts.values() for alt in found for t in alt}
    said = set(words(asked))
    tokens = list(re.finditer(r"[\w’'-]+", sentence))
    i = 0
    while i < len(tokens):
        if not set(terms(tokens[i].group(0))) & job:
            i += 1
            continue
        start, end = tokens[i].start(), tokens[i].end()
        # the whole job: "director of photography", "production designer"
        while i + 1 < len(tokens) and (
            set(terms(tokens[i + 1].group(0))) & job or tokens[i + 1].group(0) == "of"
        ):
            i += 1
            end = tokens[i].end()
        before = sentence[:start]
        for m in (
            _HOLDER_AFTER.match(sentence, end),
            _HOLDER_BEFORE.search(before),
            _HOLDER_IS.search(before),
        ):
            name = m.group(1).rstrip(".").removesuffix("’s").removesuffix("'s") if m else ""
            if name and not set(words(name)) & (said | job) and not set(terms(name)) & job:
                return name
        i += 1
    return None

"""Questions many phrasings share, asked as one, and the film the articles are about.

``corpus_subject`` reads what the articles are about from their titles ("Anora").
``role_question`` turns "who shot it?" or "who filmed anora" into the job question it
is ("Who was the cinematographer of Anora?"); ``lead_character_question`` turns "who is
the main character" into the question the articles answer ("Who is Anora about?"), and
``with_lead_character`` names that character in any other question; ``titled_question``
asks "what does the title mean" of the film's name; ``genre_question`` asks "what genre
is it" in the genres' own words; ``synopsis_question``
turns "what is the movie about" and "whats the plot" into one question, so every phrasing
gets the same summary; ``canonical`` applies these in turn.  ``refers_to_subject`` says
whether "it" or "the film" in a question can only be that film.

What this module does not do: resolve follow-ups (``conversation``) or answer
(``rag.answerer``).  The pipeline applies these only to a question that stands on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from rag.answerer.intent import intent
from rag.conversation import names_in
from rag.lexicon import GENRES, ROLE_VERBS, STOPWORDS

_GENERIC = re.compile(r"\b(?:it|its|this|the\s+(?:film|movie|story)|this\s+(?:film|movie))\b", re.I)


def corpus_subject(titles: Iterable[str]) -> str:
    """The capitalised word most titles hold: what the articles are about.

    >>> corpus_subject(["Anora – a raw portrayal", "Anora Production Notes", "Peeling Back Anora"])
    'Anora'
    """
    counts: Counter[str] = Counter()
    for title in titles:
        counts.update(
            {w for w in re.findall(r"\b[A-Z][a-z]{2,}\b", title) if w.lower() not in STOPWORDS}
        )
    best = counts.most_common(1)
    return best[0][0] if best and best[0][1] > 1 else ""


_ROLE_VERB = (
    rf"^\s*who\s+(?:was\s+it\s+that\s+|actually\s+)?({'|'.join(ROLE_VERBS)})\s+"
    r"(?:it|this|that|the\s+(?:film|movie|script|screenplay)|this\s+(?:film|movie){subject})"
    r"\s*\??\s*$"
)


# "who is the director", "whos the editor": a job of the film's crew, of no film named
_WHO_IS_JOB = (
    r"^\s*who(?:'s|’s|s|\s+is|\s+was)\s+the\s+("
    + "|".join(sorted(set(ROLE_VERBS.values()), key=len, reverse=True))
    + r")\s*\??\s*$"
)


def role_question(question: str, subject: str) -> str | None:
    """ "who shot it?" as the role question it is ("Who was the cinematographer of Anora?");
    "who is the director" likewise asks for the director of the film the articles are about.

    >>> role_question("who filmed it", "Anora")
    'Who was the cinematographer of Anora?'
    >>> role_question("who directed vampyros lesbos", "Anora") is None
    True
    >>> role_question("who filmed anora", "Anora")
    'Who was the cinematographer of Anora?'
    >>> role_question("who wrote the script", "Anora")
    'Who was the screenwriter of Anora?'
    >>> role_question("whos the editor", "Anora")
    'Who was the editor of Anora?'
    """
    named = rf"|{re.escape(subject)}" if subject else ""
    of = f" of {subject}" if subject else ""
    job = re.match(_WHO_IS_JOB, question, re.I)
    if job is not None:
        return f"Who was the {job.group(1).lower()}{of}?"
    m = re.match(_ROLE_VERB.replace("{subject}", named), question, re.I)
    if m is None:
        return None
    return f"Who was the {ROLE_VERBS[m.group(1).lower()]}{of}?"


# "who is the main character", "whos the protagonist in the movie": the film's own lead
_LEAD_CHARACTER = (
    r"^\s*who(?:'s|’s|s|\s+is|\s+was)\s+(?:the\s+)?"
    r"(?:(?:main|lead|leading|central|principal|title)\s+character|protagonist|heroine|hero)"
    r"(?:\s+(?:of|in)\s+(?:it|this|the\s+(?:film|movie|story)|this\s+(?:film|movie){subject}))?"
    r"\s*\??\s*$"
)


def lead_character_question(question: str, subject: str) -> str | None:
    """ "who is the main character" as the question the articles answer of their film:
    whom it is about ("Who is Anora about?"), so the answer names the character, not the
    actor playing her.  None for another work's ("the protagonist of Tangerine").

    >>> lead_character_question("whos the main character", "Anora")
    'Who is Anora about?'
    >>> lead_character_question("who is the protagonist of anora?", "Anora")
    'Who is Anora about?'
    >>> lead_character_question("who is the hero of tangerine", "Anora") is None
    True
    >>> lead_character_question("who plays the main character", "Anora") is None
    True
    """
    if not subject:
        return None
    pattern = _LEAD_CHARACTER.replace("{subject}", rf"|{re.escape(subject)}")
    if re.match(pattern, question, re.I) is None:
        return None
    return f"Who is {subject} about?"


def synopsis_question(question: str, subject: str, names: Mapping[str, str]) -> str | None:
    """ "what is the movie about", "whats the plot": the one question all of them are, so
    each phrasing gets the same summary of the film the articles are about (``subject``).
    None for another work's ("the plot of Tangerine").

    >>> synopsis_question("what is the movie about", "Anora", {"anora": "Anora"})
    'What is it about?'
    >>> synopsis_question("whats the plot of tangerine", "Anora", {"tangerine": "Tangerine"}) is None
    True
    """
    if not subject or not intent(question).synopsis:
        return None
    if set(names_in(question, names)) - {subject}:
        return None
    return "What is it about?"  # searched with the subject added (``refers_to_subject``)


# "the main character", "the film's title character", "the protagonist" inside a question
_LEAD_PHRASE = re.compile(
    r"\bthe\s+(?:(?:film|movie|story)['’]s\s+)?"
    r"(?:(?:main|lead|leading|central|principal|title)\s+character|protagonist|heroine)\b",
    re.I,
)


def with_lead_character(question: str, character: str) -> str | None:
    """The question with the film's lead character named for "the main character" (the
    protagonist, the title character): ``character``, whom the articles' most credited
    actor plays (``answerer.cast.Cast.roster``).  None when the question names no such role.

    >>> with_lead_character("What is the family name of the film's title character?", "Ani")
    'What is the family name of Ani?'
    >>> with_lead_character("what does the main character do for work", "Ani")
    'what does Ani do for work'
    >>> with_lead_character("who plays Toros", "Ani") is None
    True
    """
    return _named(_LEAD_PHRASE, question, character)


def _named(phrase: re.Pattern[str], question: str, name: str) -> str | None:
    """The question with its first ``phrase`` replaced by ``name``; None without either."""
    if not name or not phrase.search(question):
        return None
    return phrase.sub(name, question, count=1)


def canonical(
    question: str, subject: str, names: Mapping[str, str], lead: Callable[[], str]
) -> tuple[str, str] | None:
    """The question as the one many phrasings share, and the text to search it by; None
    when it is asked in its own words.  ``lead``: the film's lead character, asked only
    when the question speaks of "the main character"."""
    role = role_question(question, subject) or lead_character_question(question, subject)
    if role is not None:
        return role, role
    synopsis = synopsis_question(question, subject, names)
    if synopsis is not None:
        return synopsis, f"{synopsis} {subject}"  # with the subject (``refers_to_subject``)
    genre = genre_question(question, subject, names)
    if genre is not None:
        return genre, genre
    named = with_lead_character(question, lead()) if _LEAD_PHRASE.search(question) else None
    if named is None:
        named = titled_question(question, subject)
    return (named, named) if named else None


# "what genre is it", "genre?", "what kind of movie is anora": the category of the film;
# not "what kind of film did they shoot on" (the stock), nor a kind of anything else
_GENRE = re.compile(
    r"\bgenres?\b(?!\s+of\s+(?!(?:a\s+)?(?:film|movie)))"  # "genre", not "genre of music"
    r"|\bwhat\s+(?:kind|type|sort)\s+of\s+(?:a\s+)?(?:film|movie|story)\s+(?:is|was)\s+"
    r"(?:it|this|that|the\s+(?:film|movie)|\w+)\s*[?,.!]*(?:\s+genre|$)",  # \w+: its name
    re.IGNORECASE,
)


def genre_question(question: str, subject: str, names: Mapping[str, str]) -> str | None:
    """ "what genre is it", "what kind of movie is anora": the question asked in the
    genres' own words (``lexicon.GENRES``), since the articles tell a film's category
    ("both humor and drama", "a modern fairy tale") without the word "genre".  None
    for another work's genre ("what genre is tangerine") or a kind of film stock.

    >>> genre_question("what genre is anora", "Anora", {"anora": "Anora"})
    'What kind of film is Anora: comedy, drama, fairy tale?'
    >>> genre_question("what kind of movie is it", "Anora", {})
    'What kind of film is Anora: comedy, drama, fairy tale?'
    >>> genre_question("what kind of film did they shoot on", "Anora", {}) is None
    True
    >>> genre_question("what genre of music plays in the club", "Anora", {}) is None
    True
    >>> genre_question("what genre is tangerine", "Anora", {"tangerine": "Tangerine"}) is None
    True
    """
    if not subject or not _GENRE.search(question):
        return None
    if set(names_in(question, names)) - {subject}:
        return None
    return f"What kind of film is {subject}: {', '.join(GENRES)}?"


# "the title", "the film's name": the name of the film the articles are about; not "the
# title of" something else, nor the title character, card or song
_TITLE = re.compile(
    r"\b(?:the|its|this|the\s+(?:film|movie)(?:'s|’s))\s+(?:title|name)\b"
    r"(?!\s+(?:of|character|role|card|cards|sequence|song|track)\b)",
    re.IGNORECASE,
)


def titled_question(question: str, subject: str) -> str | None:
    """The question with "the title" (the film's name) replaced by the film's name, so it
    is asked of that word: "what does the title mean" is what "Anora" means.

    >>> titled_question("what does the title mean", "Anora")
    'what does Anora mean'
    >>> titled_question("who plays the title character", "Anora") is None
    True
    """
    return _named(_TITLE, question, subject)


def refers_to_subject(question: str, names: Mapping[str, str]) -> bool:
    """Does the question speak of "it" / "the film" and name nothing else?

    >>> refers_to_subject("whats it about", {}), refers_to_subject("who plays toros", {})
    (True, False)
    """
    return bool(_GENERIC.search(question)) and not names_in(question, names)

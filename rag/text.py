"""Word-level text helpers shared by BM25, answer selection and follow-up detection.

``terms()`` lower-cases, splits on words, drops English stop words (question
words and function words such as "according" and "besides" included, negations
not: "no interest" and "not big spenders" need their "no" and "not", and every
"n't" counts as "not") and stems with Snowball (PyStemmer), so "photographed",
"photography" and "photographs" meet at one term.  Curly quotes and accents are
folded first.  ``corpus_names`` finds the corpus's proper names, and ``cased`` restores
their capitals in a question typed in lower case.

What this module does not do: sentence splitting (``chunking``) or answer
normalisation for grading (``evaluation``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

import Stemmer

from rag.lexicon import AUXILIARIES, STOPWORDS, WORD_FORMS

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# capitalised words not opening a sentence or a quotation, run together: proper names
_PROPER = re.compile(
    r"(?<![.!?“\"]\s)(?<![.!?][”\"’]\s)(?<!^)(?<![“\"])\b[A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)*"
)
# a title dated in brackets, as film writing dates one: "The Florida Project (2017)",
# "Four Letter Words (2000)"; group 1 the title, group 2 the year
DATED_TITLE = re.compile(
    r"((?:[A-Z][\w’'.-]*|of|the|a|an|and)(?:\s+(?:[A-Z][\w’'.-]*|of|the|a|an|and))*)"
    r"\s+\(((?:18|19|20)\d\d)\)"
)
_IRREGULAR_PLURALS = {
    "person": "people", "people": "people", "child": "children", "wife": "wives",
    "life": "lives", "hero": "heroes",
}  # fmt: skip
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower case, straight quotes, no accents.

    >>> fold("Jesús’ “Café”")
    'jesus\\' "cafe"'
    """
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def words(text: str) -> list[str]:
    """Folded words, possessive ``'s`` removed.

    >>> words("Baker’s films, 35mm!")
    ['baker', 'films', '35mm']
    """
    return [w[:-2] if w.endswith("'s") else w for w in _WORD.findall(fold(text))]


def plural(noun: str) -> str:
    """The plural of an English noun for people or things, irregular ones included.

    >>> [plural(n) for n in ("actor", "actress", "man", "woman", "person", "boss", "lady")]
    ['actors', 'actresses', 'men', 'women', 'people', 'bosses', 'ladies']
    >>> [plural(n) for n in ("wife", "hero", "people")]
    ['wives', 'heroes', 'people']
    """
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if noun.endswith("man"):  # man, woman, cameraman
        return noun[:-3] + "men"
    if noun.endswith(("s", "sh", "ch", "x", "z")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def gerund(verb: str) -> str:
    """The -ing form of an English verb ("end" -> "ending", "make" -> "making", "cut" ->
    "cutting"), by the spelling rules: a silent e dropped, a final consonant after one short
    vowel doubled.

    >>> [gerund(v) for v in ("end", "make", "cut", "shoot", "die", "see")]
    ['ending', 'making', 'cutting', 'shooting', 'dying', 'seeing']
    """
    v = verb.lower()
    if v.endswith("ie"):
        return v[:-2] + "ying"
    if v.endswith("e") and not v.endswith(("ee", "ye", "oe")) and len(v) > 2:
        return v[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", v):
        return v + v[-1] + "ing"
    return v + "ing"


def terms(text: str) -> list[str]:
    """Stemmed content words, in order, repeats kept.

    >>> terms("Who photographed the films?")
    ['photograph', 'film']
    >>> terms("According to Baker, he doesn't want no closure")
    ['baker', 'not', 'want', 'no', 'closur']
    >>> terms("Where was the film filmed?")  # the verb is "shoot" (lexicon.WORD_FORMS)
    ['film', 'shoot']
    """
    negated = (
        "not" if w.endswith("n't") or w == "cannot" else WORD_FORMS.get(w, w) for w in words(text)
    )
    content = [w for w in negated if (w not in STOPWORDS and len(w) > 1) or w.isdigit()]
    return _stemmer().stemWords(content)


def proper_names(text: str) -> list[str]:
    """Runs of capitalised words that do not open a sentence or a quotation, in order.

    >>> proper_names("Comments Madison, “I would turn to Yura in a scene.” Then Igor left.")
    ['Madison', 'Yura', 'Igor']
    """
    return _PROPER.findall(text)


CAPTION_WORDS = 14


# where one inner sentence of a quoted paragraph ends and the next begins
INNER_SENTENCE = re.compile(r"(?<=[.!?])[”\"’)]?\s+(?=[“\"‘(]?[A-Z0-9])")


def inner_sentences(text: str) -> list[str]:
    """The inner sentences of a quoted paragraph, as excerpts cut it (one for a plain one).

    >>> inner_sentences("Says Mark, “Life is easy. He is rich.”")
    ['Says Mark, “Life is easy.', 'He is rich.”']
    """
    return INNER_SENTENCE.split(text)


@functools.lru_cache(maxsize=1 << 16)  # asked of every candidate, every question
def is_caption(sentence: str) -> bool:
    """A short line naming someone or something, with no finite verb: a photo caption or
    a headline ("Sean Baker and DP Drew Daniels on the set of ANORA."), not a statement.

    >>> is_caption("Sean Baker and the cast during the filming of Anora.")
    True
    >>> is_caption("4 Time Oscar winner: writer-director Sean Baker")
    True
    >>> is_caption("He attended film school at NYU."), is_caption("“Mikey!,” he exclaims.")
    (False, False)
    """
    found = words(sentence)
    if not found or len(found) > CAPTION_WORDS or sentence.lstrip()[:1] in '“"‘':
        return False
    if not proper_names(sentence) or re.search(
        r"\w+self\b|[’']s\s+(?!\w+\s+(?:of|and)\b)", sentence
    ):
        return False  # a caption names someone; "himself" and "there's" mean a clause
    return not any(
        w in AUXILIARIES or (len(w) > 4 and w.endswith("ed")) or w.endswith("n't") for w in found
    )


def corpus_names(texts: Iterable[str]) -> dict[str, str]:
    """Every proper name the texts use, folded to its spelling ("mikey madison" -> "Mikey
    Madison"), and each word of a longer name that the texts also use alone; not a word
    they write in lower case as often ("director" of a credit line "Director, Writer").

    >>> corpus_names(["Then Sean Baker, Director, spoke.", "The director said so, and Baker agreed."])
    {'sean baker': 'Sean Baker', 'baker': 'Baker'}
    """
    found: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    lower: Counter[str] = Counter()  # each word's uses in lower case
    for text in texts:
        lower.update(w for w in re.findall(r"\b[a-z][\w’'-]*", text))
        for name in proper_names(text):
            key = " ".join(words(name))
            if key and key not in STOPWORDS and len(key) > 2:
                found[key] += 1
                spelling.setdefault(key, name)
    # a word the texts write in lower case as often as capitalised is a common noun a
    # heading or a credit line capitalised ("Director, Writer, Producer"), not a name
    return {key: spelling[key] for key, n in found.items() if " " in key or lower[key] < n}


def cased(text: str, names: Mapping[str, str]) -> str:
    """``text`` with each proper name written in lower case ("which actor plays igor")
    spelt as the corpus spells it (``corpus_names``), longest names first.

    >>> cased("which actor plays igor in new york", {"igor": "Igor", "new york": "New York"})
    'which actor plays Igor in New York'
    """
    for key in sorted(names, key=len, reverse=True):
        if key in text:
            text = re.sub(rf"(?<![\w’'-]){re.escape(key)}(?![\w’'-])", names[key], text)
    return text

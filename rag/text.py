"""Word-level text helpers shared by BM25, answer selection and follow-up detection.

``terms()`` lower-cases, splits on words, drops English stop words (question
words and function words such as "according" and "besides" included, negations
not: "no interest" and "not big spenders" need their "no" and "not", and every
"n't" counts as "not") and stems with Snowball (PyStemmer), so "photographed",
"photography" and "photographs" meet at one term.  Curly quotes and accents are
folded first.

What this module does not do: sentence splitting (``chunking``) or answer
normalisation for grading (``evaluation``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

# English function words plus question words; content words (and negations) survive.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "with",
        "would",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "just",
        "did",
        "does",
        "tell",
        "many",
        "much",
        "whose",
        "s",
        "t",
        "d",
        "ll",
        "re",
        "ve",
        "m",
        "according",
        "besides",
        "despite",
        "although",
        "though",
        "whether",
        "among",
        "amongst",
        "upon",
        "toward",
        "towards",
        "via",
        "within",
        "will",
        "shall",
        "might",
        "must",
        "us",
        "yet",
        "either",
        "neither",
        "every",
        "another",
    ]
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# capitalised words not opening a sentence or a quotation, run together: proper names
_PROPER = re.compile(
    r"(?<![.!?“\"]\s)(?<![.!?][”\"’]\s)(?<!^)(?<![“\"])\b[A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)*"
)
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


def terms(text: str) -> list[str]:
    """Stemmed content words, in order, repeats kept.

    >>> terms("Who photographed the films?")
    ['photograph', 'film']
    >>> terms("According to Baker, he doesn't want no closure")
    ['baker', 'not', 'want', 'no', 'closur']
    """
    negated = ("not" if w.endswith("n't") or w == "cannot" else w for w in words(text))
    content = [w for w in negated if (w not in STOPWORDS and len(w) > 1) or w.isdigit()]
    return _stemmer().stemWords(content)


def proper_names(text: str) -> list[str]:
    """Runs of capitalised words that do not open a sentence or a quotation, in order.

    >>> proper_names("Comments Madison, “I would turn to Yura in a scene.” Then Igor left.")
    ['Madison', 'Yura', 'Igor']
    """
    return _PROPER.findall(text)

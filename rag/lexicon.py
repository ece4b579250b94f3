"""The project's word lists and text patterns, each defined once.

Knowledge the code reads but does not compute lives here as data: English
function words, pronouns, the nouns that name a person by their job, film-making
synonyms, the citation-marker pattern and the sentence shown when the articles do
not answer.  Modules import these names; none keeps a private copy.

What this module does not do: tokenise, stem or match (``rag.text``,
``rag.thesaurus``); every entry is plain data.
"""

from __future__ import annotations

import re

# English function words plus question words; content words (and negations) survive
# ``rag.text.terms``.  "according", "besides", "despite", "will", "must" ... are here
# because the corpus-rarity feature counted them as rare words (docs/experiments.md).
# fmt: off
STOPWORDS = frozenset((
    "a", "about", "above", "according", "after", "again", "against", "all", "also",
    "although", "am", "among", "amongst", "an", "and", "another", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "besides", "between", "both", "but",
    "by", "can", "could", "d", "despite", "did", "do", "does", "doing", "down", "during",
    "each", "either", "every", "few", "for", "from", "further", "had", "has", "have",
    "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself",
    "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in",
    "into", "is", "it", "it's", "its", "itself", "just", "let's", "ll", "m", "many", "me",
    "might", "more", "most", "much", "must", "my", "myself", "neither", "of", "off", "on",
    "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own",
    "re", "s", "same", "shall", "she", "she'd", "she'll", "she's", "should", "so", "some",
    "such", "t", "tell", "than", "that", "that's", "the", "their", "theirs", "them",
    "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're",
    "they've", "this", "those", "though", "through", "to", "too", "toward", "towards",
    "under", "until", "up", "upon", "us", "ve", "very", "via", "was", "we", "we'd", "we'll",
    "we're", "we've", "were", "what", "what's", "when", "when's", "where", "where's",
    "whether", "which", "while", "who", "who's", "whom", "whose", "why", "why's", "will",
    "with", "within", "would", "yet", "you", "you'd", "you'll", "you're", "you've", "your",
    "yours", "yourself", "yourselves"
))
# fmt: on

# Words that stand for something named earlier in a conversation ...
# fmt: off
ANAPHORA = frozenset((
    "he", "him", "his", "she", "her", "hers", "they", "them", "their", "theirs", "it", "its",
    "this", "that", "these", "those", "there", "then", "such", "same", "former", "latter",
    "one"
))
# fmt: on

# ... of which these stand for a person.
# fmt: off
PERSONAL = frozenset((
    "he", "him", "his", "himself", "she", "her", "hers", "herself"
))
# fmt: on

# Nouns that name a person by what they do: "which actor ...", "what designer ...";
# read by follow-up detection and by the answerer's question typing alike.
# fmt: off
PERSON_NOUNS = tuple((
    "actor", "actress", "performer", "person", "man", "woman", "director", "filmmaker",
    "producer", "writer", "composer", "designer", "editor", "star", "consultant"
))
# fmt: on

# Film-making expressions that, in an article about a film, mean the same thing
# (``rag.thesaurus``): written from film-making usage, not from any question.
FILM_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("cinematographer", "cinematography", "director of photography", "DP", "DoP", "lenser"),
    ("screenwriter", "screenplay", "script"),
    ("editor", "edited", "film editing"),
    ("composer", "soundtrack", "film score"),
    ("production designer", "production design", "set designer", "art director"),
    ("costume designer", "costumes", "wardrobe"),
    ("casting director", "casting"),
    ("premiere", "premiered", "debut", "debuted"),
    ("Oscar", "Academy Award"),
    ("box office", "gross", "ticket sales"),
)

# A citation marker group as answers write it: "[1]", "[1, 3]", "[2; 4]".
CITATION_MARKER = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
MARKER_RE = re.compile(CITATION_MARKER)

# What the answerer says when the articles do not answer the question.
NOT_FOUND = "I couldn't find that in the articles."

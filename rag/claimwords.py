"""The closed-class words the answer verifier (``rag.verify``) needs, as data.

Only grammar lives here, never facts about the corpus: the words that negate a
clause, the idioms where a negation adds rather than denies ("not only ... but
also"), English number words, and the openings a claim may carry that state nothing
(an answer particle, a frame naming the cited text: ``unframed``).  Everything else the verifier decides from the
passage itself (which words it states, which number counts what, which name
stands in which clause).

What this module does not do: any checking (``rag.verify``).
"""

from __future__ import annotations

import re

from rag.lexicon import SPEECH_VERBS

# words that deny the clause they stand in; every "n't" counts as "not" (``rag.text.terms``)
NEGATIONS = frozenset(
    ["not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot"]
)

# a negation followed by one of these adds a fact instead of denying one ("not only X but Y")
NEGATION_IDIOMS = frozenset(["only", "just", "merely", "simply"])

# number words -> value.  "one" is left out: as a pronoun ("the one", "one of them", "one fan
# theory") it is far commoner than as a count, and a count of one reads as "a" as often.
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
TENS = frozenset(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])
UNITS_AFTER_TENS = {"one": 1, **{w: v for w, v in NUMBER_WORDS.items() if v < 10}}
# units of time: "a" or "an" before one is a count of one ("over a year" is not "a decade")
TIME_UNITS = frozenset(
    ["second", "minute", "hour", "day", "night", "week", "month", "year", "decade", "century"]
)
# a number in this range with no counted word after it is read as a year ("in 2024")
YEARS = range(1800, 2100)

# do-support: in "When did Anora come out?" the word after the subject is the asked predicate
DO_AUXILIARIES = frozenset(["do", "does", "did"])
# words that open a noun phrase: the word after one is a noun, not the question's verb
DETERMINERS = frozenset(
    ["the", "a", "an", "my", "his", "her", "their", "its", "this", "that", "these", "those", "each"]
)
# a sentence with one of these as a subject goes on from the sentence before it
SUBJECT_PRONOUNS = frozenset(["he", "she", "it", "they"])
# the nouns a text about one work calls it by (stemmed): what "it" stands for in a passage
# about the film ("It won the Palme d'Or" says "the film won")
WORK_ITSELF = frozenset(["film", "movi"])

# an answer particle opening a claim ("Yes, it premiered at Cannes."): it answers a yes/no
# question and states nothing the passage could hold, so the verifier reads what follows
ANSWER_PARTICLE = re.compile(r"^\s*(?:yes|yeah|no|nope)\s*[,:;.!—–-]\s*(?=\S)", re.IGNORECASE)

# the texts an answer may name as its source ("According to the article, …", "The review
# says that …"): a frame that attributes what follows to the cited text itself states
# nothing the passage could hold.  A person ("According to Baker") is no such frame: who
# said it is a claim, held to the passage like any other.
_TEXT_VERBS = frozenset(["reports", "reported", "mentions", "mentioned"])
SOURCE_NOUNS = frozenset(["article", "articles", "review", "piece", "interview", "passage", "text"])
_SOURCE = r"(?:the|this|that|one)\s+(?:" + "|".join(sorted(SOURCE_NOUNS)) + r")"
# what a text does with what it holds: the speech verbs, and two more a text does
_REPORTS = "(?:" + "|".join(sorted(SPEECH_VERBS | _TEXT_VERBS, key=len, reverse=True)) + ")"
SOURCE_FRAME = re.compile(
    rf"^\s*(?:(?:according\s+to|as)\s+{_SOURCE}(?:\s+{_REPORTS}|\s+puts\s+it)?\s*,"
    rf"|{_SOURCE}\s+{_REPORTS}(?:\s+that\b|\s*[,:])?)\s*(?=\S)",
    re.IGNORECASE,
)


def unframed(claim: str) -> str:
    """The claim without an opening answer particle or source frame: what it states.

    >>> unframed("According to the article, Anora won the Palme d’Or in 2024.")
    'Anora won the Palme d’Or in 2024.'
    >>> unframed("The review says that Anora walks the line between empathy and satire.")
    'Anora walks the line between empathy and satire.'
    >>> unframed("Yes, it premiered at Cannes."), unframed("According to Baker, it is a fairy tale.")
    ('it premiered at Cannes.', 'According to Baker, it is a fairy tale.')
    """
    text = ANSWER_PARTICLE.sub("", claim, count=1) or claim
    return SOURCE_FRAME.sub("", text, count=1) or text

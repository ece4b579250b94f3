"""Is a question about what the articles are about at all?

The embedder places a question nearer a few plain descriptions of what the
articles cover ("the actors, the cast and their roles", "how the movie was shot")
or nearer descriptions of what people also ask a chat box ("the weather
forecast", "a recipe for cooking food"); both sets are data in ``rag.lexicon``.
``TopicGate.score`` is the best cosine to the first set minus the best to the
second: below ``OFF_TOPIC_BELOW`` the question is off-topic and is declined with
a short message saying what the app answers, before any passage is quoted.

The gate reads the question as asked (``GenerationRequest.question_vector``), not the search
query, to which the pipeline may add the film's name ("who won ... this year" is not the
film). The cut was read off both gold files' standalone questions: every off-topic
question that scores below it is one (8 of 13 chat off-topic rows; the rest are
small talk, caught by ``intent``, or score between on-topic rows), and the closest
on-topic question scores -0.16 (docs/experiments.md).  Questions about the film's own
places score below the cut too ("what is the strip club called": -0.22, "where is the
strip club": -0.24), so a question is declined only when a fifth or more of its words
(IDF-weighted) are words the articles never use; every declined gold off-topic question
has a third or more ("sushi", "borscht", "weather", "tomorrow").  Below ``OFF_TOPIC_CLEAR``
a question is declined even when every word of it is the articles' ("what's the weather in
vegas today": -0.32; the lowest on-topic question of the gold files and the fresh set scores
-0.16, the made-up "where is the strip club" -0.24).  A question nearer the other
topics at all (below 0) is declined too when four fifths of its words are unknown and it
neither points at the film or someone in it ("it", "he", "the film") nor is a follow-up's
word or two: "whats 17 times 23", "What is the capital of Australia?"; the on-topic questions
of the gold files with as strange words all score above 0 ("whats it about" +0.05).

What this module does not do: decide that an on-topic question is unanswerable
(the answerability model and rules do).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from rag.lexicon import OFF_TOPIC_PROTOTYPES, ON_TOPIC_PROTOTYPES
from rag.text import terms

if TYPE_CHECKING:
    from rag.embedding import Embedder

OFF_TOPIC_BELOW = -0.2
OFF_TOPIC_UNKNOWN = 0.2  # ... and at least this share of the question's words unknown
OFF_TOPIC_CLEAR = -0.3  # this far nearer other topics, it is declined whatever its words
OFF_TOPIC_STRANGE = 0.8  # or nearer other topics at all, with this share of its words unknown
# ... unless it points at the film or at someone in it: "whats it about", "did he"
_ABOUT_IT = re.compile(
    r"\b(?:it|its|this|these|they|them|he|him|his|she|her|film|movie|anora)\b", re.IGNORECASE
)


class TopicGate:
    """Scores questions against the two sets of descriptions (embedded once, lazily)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._on: np.ndarray | None = None
        self._off: np.ndarray | None = None

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        if self._on is None or self._off is None:
            self._on = np.vstack([self.embedder.embed_query(t) for t in ON_TOPIC_PROTOTYPES])
            self._off = np.vstack([self.embedder.embed_query(t) for t in OFF_TOPIC_PROTOTYPES])
        return self._on, self._off

    def score(self, vector: np.ndarray) -> float:
        """How much nearer the articles' topics the question's vector is than other topics."""
        on, off = self._vectors()
        return float((on @ vector).max() - (off @ vector).max())

    def off_topic(self, vector: np.ndarray, unknown: float = 1.0, question: str = "") -> bool:
        """Off-topic: nearer what people ask a chat box, and asking with words the articles
        never use (``unknown``, their IDF-weighted share): "what is the strip club called"
        is near "bars and places to eat", but every word of it is in the articles.  Or
        nearer the other topics at all, asked almost wholly in words the articles never use,
        and not about the film or anyone in it ("whats 17 times 23", "write a python
        function that reverses a string"; "whats it about" is as strange in its words)."""
        score = self.score(vector)
        if score < OFF_TOPIC_CLEAR or (score < OFF_TOPIC_BELOW and unknown >= OFF_TOPIC_UNKNOWN):
            return True
        if len(terms(question)) < 2 or _ABOUT_IT.search(question):
            return False  # "what else", "why?": a follow-up's few words are no topic of their own
        return score < 0.0 and unknown >= OFF_TOPIC_STRANGE

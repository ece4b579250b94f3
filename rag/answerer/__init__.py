"""The extractive answerer, one module per thing it knows.

Read in this order, they are one answer: ``question`` (what is asked, analysed
once), ``patterns`` and ``cues`` (whether a sentence holds it), ``features`` (each
candidate sentence as named numbers), ``model`` (the fitted weights, read from
``models.json``), ``rules`` (name, role and quantity rules beside the model) and
``generator`` (the ``Generator`` backend that puts them together).

What this package does not do: retrieve, or write words of its own.
"""

from rag.answerer.features import AnswerFeatures, Candidate, SentenceFeatures
from rag.answerer.generator import Decision, ExtractiveGenerator
from rag.answerer.question import Question, analyse

__all__ = [
    "AnswerFeatures",
    "Candidate",
    "Decision",
    "ExtractiveGenerator",
    "Question",
    "SentenceFeatures",
    "analyse",
]

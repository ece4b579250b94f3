"""The small frozen dataclasses that pass between pipeline stages.

Read top to bottom, they are the pipeline: a ``Document`` is cut into
``Sentence``s and ``Chunk``s; ``TokenVectors`` carry a text's word-piece vectors
from the embedder to late-interaction scoring; a retriever answers a ``Query``
with ``Hit``s; a generator turns a ``GenerationRequest`` into ``Delta`` pieces and
a ``Draft`` with ``Citation``s, which the pipeline wraps into an ``Answer``.  Offsets (``start``/``end``) are
always character offsets into the *original* article text, so a citation can
point at the exact span a reader can open.

No behaviour lives here beyond JSON conversion.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

BlockKind = Literal["heading", "paragraph"]


@dataclass(frozen=True)
class DroppedLine:
    """A line the cleaner removed, and why (shown by ``rag index --verbose``)."""

    source: str
    line_no: int  # 1-based
    text: str
    reason: str


@dataclass(frozen=True)
class Block:
    """A kept heading or paragraph: ``text[start:end]`` of the original article."""

    kind: BlockKind
    start: int
    end: int
    page: int | None = None  # 1-based page of a PDF; None for other formats


@dataclass(frozen=True)
class Document:
    """One article: its original text, title and the blocks the cleaner kept."""

    source: str  # file name inside the corpus folder
    title: str
    text: str  # the original text, untouched
    sha256: str
    blocks: tuple[Block, ...]
    dropped: tuple[DroppedLine, ...] = ()


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article. ``text`` is whitespace-normalised ``doc.text[start:end]``."""

    id: int  # position in the index's sentence table
    source: str
    start: int
    end: int
    text: str
    is_heading: bool = False


@dataclass(frozen=True)
class Chunk:
    """A passage: consecutive sentences of one section, within the token budget."""

    id: str  # "<source stem>#<n>"
    source: str
    title: str
    heading: str | None
    start: int
    end: int
    text: str  # what users see: the sentences, whitespace-normalised
    sentence_ids: tuple[int, ...]
    n_tokens: int  # tiktoken tokens of ``text``
    page: int | None = None  # the PDF page it is on (chunks never cross a page); else None

    @property
    def context_header(self) -> str:
        """'short title › heading', prefixed to the text that is embedded."""
        title = short_title(self.title)
        return f"{title} › {self.heading}" if self.heading else title

    @property
    def embed_text(self) -> str:
        return f"{self.context_header}\n{self.text}"


CONTEXT_HEADER_STYLE = "short-title › heading"  # recorded in the index manifest


def short_title(title: str, max_words: int = 8) -> str:
    """The head of a title, for context headers: a long subtitle would swamp every vector.

    >>> short_title("Anora – A raw and honest portrayal of the complexities of sex work")
    'Anora'
    """
    head = re.split(r"\s[–—-]\s|:\s", title, maxsplit=1)[0]
    return " ".join(head.split()[:max_words])


@dataclass(frozen=True)
class TokenVectors:
    """One text's contextual word-piece vectors, for late interaction (``rag.late``).

    Only pieces holding a letter or digit are kept (no [CLS], [SEP] or punctuation).
    """

    ids: np.ndarray  # (n,) int32 word-piece ids in the embedder's vocabulary
    vectors: np.ndarray  # (n, dim) float32, each row L2-normalised

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a conversation: the user's question and, when known, what the
    answer established (its short answer, its text and the sentences it quoted)."""

    question: str
    answer: str = ""
    short_answer: str = ""
    sentences: tuple[str, ...] = ()  # the supporting sentences of its citations
    chunk_ids: tuple[str, ...] = ()  # the passages it cited

    @property
    def answered(self) -> bool:
        return bool(self.answer)


@dataclass(frozen=True)
class Query:
    """What a retriever searches with: the text, its vector and word pieces from one
    embedding pass, and the passages the conversation points to."""

    text: str
    vector: np.ndarray  # (dim,) float32, L2-normalised
    tokens: TokenVectors | None = None  # word-piece vectors, for late interaction
    follows: tuple[int, ...] = ()  # chunk positions the conversation points to (hybrid)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the per-retriever scores behind it."""

    chunk: Chunk
    score: float
    rank: int  # 1-based
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the passage and the supporting sentence's span."""

    n: int
    source: str
    title: str
    chunk_id: str
    text: str  # the whole passage
    span: tuple[int, int]  # supporting sentence, offsets in the original article
    score: float
    sentence: str = ""  # the supporting sentence itself
    page: int | None = None  # the PDF page of the passage; None for other formats

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["span"] = list(self.span)
        return out


@dataclass(frozen=True)
class GenerationRequest:
    """What a generator answers: the question, its passages and its embedding."""

    question: str
    hits: tuple[Hit, ...]
    query_vector: np.ndarray  # (dim,) float32, L2-normalised, of ``retrieval_query``
    retrieval_query: str = ""  # the question, plus history context for follow-ups
    history: tuple[str, ...] = ()
    question_tokens: TokenVectors | None = None  # of ``question`` alone, for late interaction
    # of ``question`` alone when the search query is not the question (a follow-up's history,
    # the film's name added): what the topic gate reads; else None (``query_vector`` is it)
    question_vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    shown: frozenset[str] = frozenset()  # sentences earlier turns quoted: not quoted again
    # inner sentences of the quoted paragraphs earlier turns showed only in part: the rest
    # of such a paragraph may be quoted, these parts not again
    seen: frozenset[str] = frozenset()
    # the sentences earlier turns' answers opened with: a close one that says something new
    # opens this answer instead (a turn does not repeat an earlier one)
    opened: frozenset[str] = frozenset()
    # the person or thing a follow-up's pronoun or ellipsis stands for, when the
    # conversation says (``conversation.Resolved.referent``): "he" of "what did he say"
    referent: str = ""
    # the items the previous answer listed, when the question picks one ("which one …"):
    # answered as a choice among them (``rag.picks``)
    options: tuple[str, ...] = ()
    # the text a long message pasted before its question (a synopsis, a friend's message):
    # what the user has already read, so not quoted back to them (``rag.message.pasted_in``)
    pasted: str = ""
    # the passages ranked just below ``hits``, fetched only when the answerer asks for them
    # (a rule looking for a name or role none of ``hits`` gives): ``deeper()``
    more: Callable[[], tuple[Hit, ...]] | None = field(default=None, compare=False, repr=False)

    def deeper(self) -> tuple[Hit, ...]:
        """The next passages of the ranking (the pipeline fetches them once, on demand)."""
        return self.more() if self.more is not None else ()


@dataclass(frozen=True)
class Delta:
    """A piece of streamed answer text."""

    text: str


@dataclass(frozen=True)
class Draft:
    """A generator's answer before the pipeline adds timings."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float = 0.0
    related: tuple[Citation, ...] = ()
    verified: bool | None = None
    fallback_reason: str | None = None
    notices: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    short_answer: str = ""  # the span that is the thing asked, when the answerer found one


@dataclass(frozen=True)
class Answer:
    """What ``Pipeline.ask`` returns.  ``citations`` lists only what ``text`` cites."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    generator: str
    timings_ms: dict[str, float]
    related: tuple[Citation, ...] = ()  # closest passages, shown when abstaining
    confidence: float = 0.0
    verified: bool | None = None  # LLM answers: did every kept sentence pass verification
    fallback_reason: str | None = None  # why an LLM answer was replaced by the extractive one
    notices: tuple[str, ...] = ()  # one-line notes for the user (question trimmed, ...)
    retrieval_query: str = ""  # what was searched (the question, plus context for follow-ups)
    short_answer: str = ""  # the span of a quoted sentence that is the thing asked, or ""

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of ``rag ask --json`` and the app's API."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "related": [c.to_json() for c in self.related],
            "generator": self.generator,
            "verified": self.verified,
            "fallback_reason": self.fallback_reason,
            "confidence": round(self.confidence, 4),
            "short_answer": self.short_answer,
            "notices": list(self.notices),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }

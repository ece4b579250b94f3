"""Read the text out of PDF, HTML and Word files: one small reader per format.

Each reader turns a file's bytes into an ``Extracted``: the title the document gives
itself (PDF metadata, the HTML page's title or first heading, the Word file's core
properties or its first Title/Heading paragraph) and its ``Part``s in reading order,
each a heading or a paragraph, with the page it is on for PDFs.  The libraries, each
maintained and chosen for its format:

- ``.pdf``: pypdf (pure Python, no system library; reads the text layer page by page,
  so page numbers are kept).  Lines are joined back into paragraphs (``_reflow``).  A
  PDF without a text layer is refused as "no text found, scanned PDF?"; an encrypted
  one that needs a password is refused too (one that opens with the empty password,
  as "owner-only" protected files do, is read).
- ``.html`` / ``.htm``: trafilatura (the main-text extractor that scores best on
  web-page benchmarks; drops navigation, scripts, cookie banners, footers, comments).
- ``.docx``: python-docx (paragraphs with their styles: Title, Heading N).  Before
  python-docx opens it, the zip is inspected, so a zip bomb is refused unopened.

``READERS`` maps a suffix to its reader; ``.txt`` and ``.md`` are not here: the
corpus reads them as text (``rag.corpus``).  Each reader raises ``FormatError`` with
one line for the user.  What this module does not do: clean (drop ads, credits,
labels) or chunk: ``rag.corpus`` turns parts into blocks, ``rag.chunking`` cuts them.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from rag.errors import CorpusError

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns of every repaired file at WARNING
logging.getLogger("trafilatura").setLevel(logging.ERROR)  # "discarding data" for empty pages

PartKind = Literal["heading", "paragraph"]

# the largest file each format may be (bytes): a press kit PDF with photos is larger
# than any article's text; all of them are far below what a reader could not hold
MAX_BYTES = {
    ".txt": 20 * 2**20,
    ".md": 20 * 2**20,
    ".html": 20 * 2**20,
    ".htm": 20 * 2**20,
    ".pdf": 100 * 2**20,
    ".docx": 50 * 2**20,
}
# a .docx whose parts inflate beyond this, or any part by more than this ratio, is refused
DOCX_MAX_UNZIPPED = 200 * 2**20
DOCX_MAX_RATIO = 200
# PDF metadata titles that name the tool, not the document
_TOOL_TITLE = re.compile(r"^(?:microsoft word - |untitled\b|document\d*$)", re.IGNORECASE)
_SENTENCE_END = tuple('.!?…"”’:')


class FormatError(CorpusError):
    """A document the reader for its format cannot use (the message is one line)."""


@dataclass(frozen=True)
class Part:
    """A heading or paragraph of a document, whitespace already normalised."""

    kind: PartKind | None  # None: let the cleaner decide (a PDF knows no headings)
    text: str
    page: int | None = None  # 1-based, PDFs only


@dataclass(frozen=True)
class Extracted:
    """What a reader found in a file."""

    title: str | None
    parts: tuple[Part, ...]


class Reader(Protocol):
    """Turns a file's bytes into parts; raises ``FormatError`` for a file it cannot use."""

    name: str

    def read(self, raw: bytes) -> Extracted: ...


def _normal(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- PDF


class PdfReader:
    name = "PDF"

    def read(self, raw: bytes) -> Extracted:
        import pypdf

        if not raw.lstrip()[:5].startswith(b"%PDF"):
            raise FormatError("not a PDF (no %PDF header); is the file name's extension wrong?")
        try:
            reader = pypdf.PdfReader(io.BytesIO(raw))
            if reader.is_encrypted and not reader.decrypt(""):
                raise FormatError(
                    "encrypted PDF: it needs a password to open; save an unprotected copy "
                    "(print to PDF) and add that"
                )
            title = _pdf_title(reader)
            parts: list[Part] = []
            for number, page in enumerate(reader.pages, start=1):
                parts.extend(_reflow(page.extract_text() or "", number))
        except FormatError:
            raise
        except Exception as exc:  # a damaged PDF fails in many ways deep inside the parser
            if "decrypt" in str(exc).lower() or "password" in str(exc).lower():
                raise FormatError("encrypted PDF: it needs a password to open") from None
            raise FormatError(f"unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
        if not parts:
            raise FormatError("no text found, scanned PDF? (it has no text layer; OCR it first)")
        return Extracted(title, tuple(parts))


def _pdf_title(reader: object) -> str | None:
    try:
        title = _normal(str(getattr(reader, "metadata", None).title or ""))  # type: ignore[union-attr]
    except (AttributeError, ValueError, KeyError, TypeError):
        return None
    return title if title and not _TOOL_TITLE.match(title) else None


def _reflow(page_text: str, page: int) -> list[Part]:
    """Join a page's layout lines back into paragraphs; a short unpunctuated line that
    starts a paragraph stands alone (a heading, for the cleaner to judge).

    >>> [p.text for p in _reflow("Cast\\nMikey Madison plays Ani, a dancer from\\nBrighton "
    ...     "Beach who meets a rich heir. She is\\ntwenty-three.\\nThe film opened in May.", 1)]
    ['Cast', 'Mikey Madison plays Ani, a dancer from Brighton Beach who meets a rich heir. She is twenty-three.', 'The film opened in May.']
    """
    lines = [_normal(line) for line in page_text.split("\n")]
    lengths = [len(line) for line in lines if line]
    if not lengths:
        return []
    typical = sorted(lengths)[round(0.9 * (len(lengths) - 1))]  # a full line's length
    parts: list[Part] = []
    current: list[str] = []

    def close() -> None:
        if current:
            parts.append(Part(None, " ".join(current), page))
            current.clear()

    for line in lines:
        if not line:
            close()
            continue
        if not current and not line.endswith(_SENTENCE_END) and len(line) < 0.6 * typical:
            parts.append(Part(None, line, page))  # a heading or label on its own line
            continue
        if current and current[-1].endswith("-") and line[:1].islower():
            current[-1] = current[-1][:-1] + line  # a word hyphenated across lines
        else:
            current.append(line)
        if line.endswith(_SENTENCE_END[:4]) and len(line) < 0.85 * typical:
            close()  # a short line ending a sentence ends its paragraph
    close()
    return parts


# ---------------------------------------------------------------- HTML


_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")


class HtmlReader:
    name = "HTML page"

    def read(self, raw: bytes) -> Extracted:
        import trafilatura

        head = raw[:2048].lstrip().lower()
        if head.startswith((b"%pdf", b"pk\x03\x04")) or b"\x00" in raw[:8192]:
            raise FormatError("not an HTML page (binary content); is the extension wrong?")
        found = trafilatura.bare_extraction(
            raw,  # bytes: trafilatura finds the page's encoding itself
            output_format="python",
            with_metadata=True,
            include_formatting=True,
            include_comments=False,
            include_tables=True,
        )
        text = getattr(found, "text", None) or ""
        parts = []
        for block in text.split("\n"):
            block = block.strip()
            if not block:
                continue
            heading = _MD_HEADING.match(block)
            body = _normal(_MD_MARKUP.sub("", block[heading.end() :] if heading else block))
            if body:
                parts.append(Part("heading" if heading else "paragraph", body))
        if not parts:
            raise FormatError(
                "no article text found in the HTML page (only scripts, navigation or markup?)"
            )
        title = _normal(getattr(found, "title", None) or "") or None
        return Extracted(title, tuple(parts))


# ---------------------------------------------------------------- Word


class DocxReader:
    name = "Word document"

    def read(self, raw: bytes) -> Extracted:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        _check_zip(raw)
        try:
            document = docx.Document(io.BytesIO(raw))
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise FormatError(f"not a Word .docx file ({type(exc).__name__})") from None
        except Exception as exc:  # lxml's XMLSyntaxError and friends: a damaged file
            raise FormatError(f"unreadable .docx ({type(exc).__name__})") from None
        title = _normal(document.core_properties.title or "") or None
        parts: list[Part] = []
        for paragraph in document.paragraphs:
            text = _normal(paragraph.text)
            if not text:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            if style == "Title":
                title = title or text
                continue
            heading = style.startswith("Heading")
            parts.append(Part("heading" if heading else "paragraph", text))
        if not parts:
            raise FormatError("no text found in the Word document")
        if title is None and parts[0].kind == "heading":
            title = parts[0].text
        return Extracted(title, tuple(parts))


def _check_zip(raw: bytes) -> None:
    """Refuse what is not a zip, or a zip that would inflate far beyond its size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FormatError(
            "not a Word .docx file (not a zip archive); is the extension wrong? "
            "(old .doc files: save as .docx)"
        ) from None
    total = sum(m.file_size for m in members)
    worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0.0)
    if total > DOCX_MAX_UNZIPPED or (worst > DOCX_MAX_RATIO and total > 2**20):
        raise FormatError(
            f"refused: the .docx would inflate to {total / 2**20:.0f} MiB "
            f"(up to {worst:.0f}x its packed size), a zip bomb?"
        )
    if "word/document.xml" not in {m.filename for m in members}:
        raise FormatError("not a Word .docx file (no word/document.xml inside)")


READERS: dict[str, Callable[[], Reader]] = {
    ".pdf": PdfReader,
    ".html": HtmlReader,
    ".htm": HtmlReader,
    ".docx": DocxReader,
}
TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (*TEXT_SUFFIXES, *READERS)


def reader_for(suffix: str) -> Reader | None:
    """The reader for a file suffix (``".pdf"``), or None for text files and unknown ones."""
    factory = READERS.get(suffix.lower())
    return factory() if factory else None

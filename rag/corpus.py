"""Load the articles in the corpus folder and mark what is content.

Each file becomes a ``Document`` holding its *original* text untouched, plus the
``Block``s (headings and paragraphs) the cleaner kept, as character offsets into
that text.  Nothing is rewritten, so every later offset maps back exactly.

Cleaning rules, applied line by line (``rag index --verbose`` lists each drop):

1. **Title**: the first non-empty line, when it reads like a title (at most 20
   words, no closing sentence punctuation).  Otherwise the title comes from the
   file name (``my-article.txt`` -> "My article") and the first line is body.
2. **Advertising and spam**: a line with a URL or a bare domain
   (``MyFlixer-to.click``) or a stock ad phrase ("watch free movies",
   "click here", "subscribe now") is dropped.
3. **Photo credits**: ``© Universal Pictures`` is dropped; when a caption stands
   before the ``©`` and says something (3+ words) the caption is kept.
4. **Bare section labels**: a one-word line (``Movie``), or a short known label
   (``Review``, ``Advertisement``), is dropped.
5. **Headings**: a short line (at most 14 words) with no closing punctuation and
   no colon (a colon marks a caption such as "4 Time Oscar winner: …") is kept
   as a heading: chunks record it as their section heading.
6. Everything else is a paragraph.  Whitespace is normalised later, when
   sentences are cut, never in the stored text.

Loading accepts ``.txt`` and ``.md``, read as text, and ``.pdf``, ``.html``/``.htm`` and
``.docx``, whose text ``rag.formats`` extracts and ``assemble`` turns into blocks by
rules 2-6 (the title is the document's own: metadata or first heading); other files, hidden files, empty files,
binary files, files that are not UTF-8, files over their format's size limit (``rag.formats.MAX_BYTES``), symlinks
pointing outside the folder, broken symlinks, symlink loops and files the system
refuses to read are skipped with a one-line warning naming the file: one bad
entry never stops the others from loading.  What this module does not do: split
sentences or chunk (see ``chunking``).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import CorpusError
from rag.formats import MAX_BYTES, SUFFIXES, Extracted, reader_for
from rag.schema import Block, Document, DroppedLine

log = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = SUFFIXES
MAX_FILE_BYTES = max(MAX_BYTES.values())  # the largest any format may be (rag.formats)
MAX_TITLE_WORDS = 20
MAX_HEADING_WORDS = 14
SENTENCE_END = tuple('.!?…"”’)')
KNOWN_LABELS = frozenset(
    {
        "movie",
        "movies",
        "film",
        "films",
        "review",
        "reviews",
        "tv",
        "news",
        "advertisement",
        "sponsored",
        "share",
        "related",
        "features",
        "interview",
        "trailer",
        "ad",
    }
)
_URL = re.compile(
    r"https?://|www\.|\b[\w-]+\.(?:click|com|net|org|to|io|xyz|tv|me|ly|cc|site|online|top)\b",
    re.IGNORECASE,
)
_AD_PHRASES = re.compile(
    r"\b(?:watch (?:free|full) (?:movies?|films?)|free movies? online|click here|subscribe now"
    r"|sign up for our newsletter|download (?:now|free))\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(r"(?:©|\(c\)\s|\bPhoto(?:graph)?(?: credit)?:|\bCredit:)", re.IGNORECASE)
_MD_HEADING = re.compile(r"^(#{1,6})\s+")


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not loaded, and why."""

    path: Path
    reason: str


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[Skipped]]:
    """Load and clean every usable article in ``corpus_dir`` (sorted by file name).

    Raises ``CorpusError`` when the folder is missing or nothing usable is left.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"corpus folder not found: {corpus_dir} (create it and put .txt or .md articles in it,"
            " or point RAG_CORPUS_DIR / --corpus at one)"
        )
    try:
        root = corpus_dir.resolve(strict=True)
        entries = sorted(corpus_dir.iterdir())
    except (OSError, RuntimeError) as exc:
        raise CorpusError(f"cannot read the corpus folder {corpus_dir}: {_why(exc)}") from None
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path in entries:
        try:
            reason = _reject_reason(path, root)
        except (OSError, RuntimeError) as exc:  # the entry changed or vanished meanwhile
            reason = _why(exc)
        if reason is None:
            try:
                doc = read_document(path)
            except CorpusError as exc:
                reason = str(exc)
            except OSError as exc:
                reason = _why(exc)
            else:
                if doc.blocks:
                    documents.append(doc)
                    continue
                reason = "no content left after cleaning"
        if reason:
            log.warning("skipping %s: %s", path.name, reason)
            skipped.append(Skipped(path, reason))
    if not documents:
        detail = "; ".join(f"{s.path.name}: {s.reason}" for s in skipped) or "the folder is empty"
        raise CorpusError(f"no usable articles in {corpus_dir} ({detail})")
    return documents, skipped


def _reject_reason(path: Path, root: Path) -> str | None:
    """Why a directory entry is not an article, or None if it may be one ('' = silently ignored)."""
    if path.name.startswith("."):
        return ""  # hidden files (.gitkeep, .DS_Store) are not articles
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # Python 3.11 raises RuntimeError for a loop
            return _why(exc)
        if not target.is_relative_to(root):
            return f"symlink pointing outside the corpus folder ({target}) is not followed"
    if path.is_dir():
        return "is a folder (sub-folders are not read)"
    if path.suffix.lower() not in ACCEPTED_SUFFIXES:
        return (
            f"not a document this app reads (suffix {path.suffix or 'none'!r}; "
            f"it reads {', '.join(ACCEPTED_SUFFIXES)})"
        )
    if not path.is_file():
        return "not a regular file"
    size = path.stat().st_size
    if size == 0:
        return "empty file"
    limit = MAX_BYTES.get(path.suffix.lower(), MAX_FILE_BYTES)
    if size > limit:
        return (
            f"too large ({size / 2**20:.0f} MiB; the limit for {path.suffix.lower()} "
            f"files is {limit // 2**20} MiB)"
        )
    return None


def _why(exc: OSError | RuntimeError) -> str:
    """A short reason for a file-system error, naming a symlink loop as such.

    >>> _why(OSError(40, "Too many levels of symbolic links"))
    'symlink loop (the link points back to itself through other links)'
    >>> _why(FileNotFoundError(2, "No such file or directory"))
    'broken symlink or vanished file (No such file or directory)'
    """
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "symlink loop (the link points back to itself through other links)"
    if isinstance(exc, FileNotFoundError):
        return f"broken symlink or vanished file ({exc.strerror})"
    return f"unreadable ({exc.strerror or exc})"


def read_document(path: Path) -> Document:
    """Read and clean one article.  Raises ``CorpusError`` (one line) for a file its
    format's reader cannot use, a binary or non-UTF-8 text file."""
    raw = path.read_bytes()
    reader = reader_for(path.suffix)
    if reader is not None:
        text, title, blocks, dropped = assemble(reader.read(raw), path.name)
    else:
        text = _plain_text(raw)
        title, blocks, dropped = clean(text, path.name)
    return Document(
        source=path.name,
        title=title,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        blocks=tuple(blocks),
        dropped=tuple(dropped),
    )


def _plain_text(raw: bytes) -> str:
    """A ``.txt``/``.md`` file's text: UTF-8 (a byte-order mark allowed), never binary."""
    if b"\x00" in raw[:8192]:
        raise CorpusError("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"not UTF-8 (bad byte at position {exc.start}); re-save the file as UTF-8"
        ) from None


def clean(text: str, source: str) -> tuple[str, list[Block], list[DroppedLine]]:
    """Apply the cleaning rules to an article's text.

    Returns the title, the kept blocks (offsets into ``text``) and the dropped lines.

    >>> title, blocks, dropped = clean("Anora\\n\\nMovie\\n\\nIt won the Palme. © Neon\\n", "a.txt")
    >>> title, [b.kind for b in blocks], [d.reason for d in dropped]
    ('Anora', ['paragraph'], ['section label', 'photo credit'])
    """
    blocks: list[Block] = []
    dropped: list[DroppedLine] = []
    title: str | None = None
    for line_no, start, end in _lines(text):
        line = text[start:end]
        if title is None:
            if _reads_like_title(line):
                title = " ".join(line.split())
                continue
            title = title_from_filename(source)
        block = _keep(text, start, end, None, DroppedLine(source, line_no, "", ""), dropped)
        if block is not None:
            blocks.append(block)
    return title or title_from_filename(source), blocks, dropped


def _keep(
    text: str,
    start: int,
    end: int,
    kind: str | None,
    where: DroppedLine,
    dropped: list[DroppedLine],
    page: int | None = None,
) -> Block | None:
    """Rules 2-6 for one line ``text[start:end]``: the block it becomes, or None (dropped,
    recorded in ``dropped``).  ``kind`` is what the file's format said, if it said."""
    line = text[start:end]
    if _URL.search(line) or _AD_PHRASES.search(line):
        dropped.append(DroppedLine(where.source, where.line_no, line, "advertising or spam"))
        return None
    credit = _CREDIT.search(line)
    if credit:
        caption_end = start + len(line[: credit.start()].rstrip())
        dropped.append(
            DroppedLine(where.source, where.line_no, text[caption_end:end].strip(), "photo credit")
        )
        if len(text[start:caption_end].split()) < 3:
            return None
        end = caption_end
        line = text[start:end]
    words = line.split()
    if (
        kind != "heading"
        and not line.endswith(SENTENCE_END)
        and (len(words) == 1 or (len(words) <= 2 and line.lower().strip(":") in KNOWN_LABELS))
    ):
        dropped.append(DroppedLine(where.source, where.line_no, line, "section label"))
        return None
    md = _MD_HEADING.match(line) if kind is None else None
    if md:
        return Block("heading", start + md.end(), end, page)
    if kind == "heading" or (
        kind is None
        and len(words) <= MAX_HEADING_WORDS
        and not line.endswith(SENTENCE_END)
        and ":" not in line  # "4 Time Oscar winner: …" is a caption, not a section
    ):
        return Block("heading", start, end, page)
    return Block("paragraph", start, end, page)


def assemble(found: Extracted, source: str) -> tuple[str, str, list[Block], list[DroppedLine]]:
    """The text, title, blocks and dropped lines of a document a format reader extracted.

    The text is the parts, one per line, a blank line between them (what the "In the
    article" view shows); each part goes through rules 2-6 as a line would.  The title
    is the document's own (metadata, else its first heading or title-like first line).

    >>> from rag.formats import Part
    >>> text, title, blocks, _ = assemble(Extracted(None, (Part("heading", "Anora"),
    ...     Part(None, "It won the Palme d'Or.", 2))), "a.pdf")
    >>> title, text, [(b.kind, b.page) for b in blocks]
    ('Anora', "Anora\\n\\nIt won the Palme d'Or.", [('heading', None), ('paragraph', 2)])
    """
    text = "\n\n".join(part.text for part in found.parts)
    title = found.title
    blocks: list[Block] = []
    dropped: list[DroppedLine] = []
    start = 0
    for line_no, part in enumerate(found.parts, start=1):
        end = start + len(part.text)
        where = DroppedLine(source, line_no * 2 - 1, "", "")
        block = _keep(text, start, end, part.kind, where, dropped, part.page)
        if block is not None:
            if title is None and (block.kind == "heading" or _reads_like_title(part.text)):
                title = part.text
            blocks.append(block)
        start = end + 2
    return text, title or title_from_filename(source), blocks, dropped


def _lines(text: str) -> list[tuple[int, int, int]]:
    """(1-based line number, start, end) of each non-blank line, outer whitespace excluded."""
    out = []
    pos = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            out.append((line_no, start, start + len(stripped)))
        pos += len(line) + 1
    return out


def _reads_like_title(line: str) -> bool:
    return len(line.split()) <= MAX_TITLE_WORDS and not line.rstrip().endswith((".", "!", "?"))


def title_from_filename(name: str) -> str:
    """A readable title from a file name, in title case.

    >>> title_from_filename("anora-and-sean-bakers-portrait-of-sex-work.txt")
    'Anora and Sean Bakers Portrait of Sex Work'
    """
    words = Path(name).stem.replace("_", " ").replace("-", " ").split()
    small = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to"}
    return (
        " ".join(w if (i and w in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))
        or name
    )

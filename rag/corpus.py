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

Loading accepts ``.txt`` and ``.md``; other files, hidden files, empty files,
binary files, files that are not UTF-8, files over ``MAX_FILE_BYTES``, symlinks
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
from rag.schema import Block, Document, DroppedLine

log = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 20 * 1024 * 1024
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
        return f"not a .txt or .md file (suffix {path.suffix or 'none'!r})"
    if not path.is_file():
        return "not a regular file"
    size = path.stat().st_size
    if size == 0:
        return "empty file"
    if size > MAX_FILE_BYTES:
        return f"too large ({size / 2**20:.0f} MiB; the limit is {MAX_FILE_BYTES // 2**20} MiB)"
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
    """Read and clean one article.  Raises ``CorpusError`` for binary or non-UTF-8 files."""
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise CorpusError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"not UTF-8 (bad byte at position {exc.start}); re-save the file as UTF-8"
        ) from None
    title, blocks, dropped = clean(text, path.name)
    return Document(
        source=path.name,
        title=title,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        blocks=tuple(blocks),
        dropped=tuple(dropped),
    )


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
        if _URL.search(line) or _AD_PHRASES.search(line):
            dropped.append(DroppedLine(source, line_no, line, "advertising or spam"))
            continue
        credit = _CREDIT.search(line)
        if credit:
            caption_end = start + len(line[: credit.start()].rstrip())
            dropped.append(
                DroppedLine(source, line_no, text[caption_end:end].strip(), "photo credit")
            )
            if len(text[start:caption_end].split()) < 3:
                continue
            end = caption_end
            line = text[start:end]
        words = line.split()
        if not line.endswith(SENTENCE_END) and (
            len(words) == 1 or (len(words) <= 2 and line.lower().strip(":") in KNOWN_LABELS)
        ):
            dropped.append(DroppedLine(source, line_no, line, "section label"))
            continue
        md = _MD_HEADING.match(line)
        if md:
            blocks.append(Block("heading", start + md.end(), end))
        elif (
            len(words) <= MAX_HEADING_WORDS
            and not line.endswith(SENTENCE_END)
            and ":" not in line  # "4 Time Oscar winner: …" is a caption, not a section
        ):
            blocks.append(Block("heading", start, end))
        else:
            blocks.append(Block("paragraph", start, end))
    return title or title_from_filename(source), blocks, dropped


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

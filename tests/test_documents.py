"""Reading real PDF, HTML and Word files, and refusing bad ones with one clear line.

The files are written by the tests (fpdf2, python-docx, plain HTML: ``bench.docfiles``)
and read by the real readers (pypdf, trafilatura, python-docx).  Each bad input is
offered to ``rag add`` against a real index: one line comes back, and neither the
corpus folder nor any file of the index changes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from bench.docfiles import (
    write_docx,
    write_encrypted_pdf,
    write_html,
    write_pdf,
    write_scanned_pdf,
    write_script_only_html,
    write_zip_bomb,
)
from rag.corpus import load_corpus, read_document
from rag.errors import CorpusError
from rag.index_update import add_documents
from rag.settings import PROJECT_ROOT

PAGE_1 = [
    "Anora is a 2024 film written and directed by Sean Baker. This press kit describes the "
    "production for journalists and lists the cast and crew."
]
PAGE_2 = [
    "The film's colourist was Ishmael Quintero, who graded the picture at a laboratory in "
    "Burbank over eleven days in the spring of 2024."
]


def test_pdf_keeps_pages_and_takes_its_title_from_metadata(tmp_path):
    path = write_pdf(tmp_path / "kit.pdf", [PAGE_1, PAGE_2], title="Anora Press Kit")
    doc = read_document(path)
    assert doc.title == "Anora Press Kit"
    pages = {doc.text[b.start : b.end]: b.page for b in doc.blocks}
    assert pages[PAGE_1[0]] == 1 and pages[PAGE_2[0]] == 2
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_pdf_without_metadata_takes_its_first_heading(tmp_path):
    path = write_pdf(tmp_path / "notes.pdf", [PAGE_1], heading="Production Notes for Anora")
    assert read_document(path).title == "Production Notes for Anora"


def test_a_pdf_protected_only_against_editing_is_read(tmp_path):
    path = write_encrypted_pdf(tmp_path / "kit.pdf", PAGE_2, password="owner", owner_only=True)
    assert "Ishmael Quintero" in read_document(path).text


def test_html_keeps_the_article_and_drops_the_boilerplate(tmp_path):
    path = write_html(
        tmp_path / "interview.html",
        "Dancing on film | Screen Dispatch",
        "An interview with the choreographer",
        [
            "The choreographer Zorka Vell trained Mikey Madison for three months before "
            "filming began, the studio said this week.",
            "Vell said the hardest routine was filmed in a single night at a Manhattan club.",
        ],
    )
    doc = read_document(path)
    assert doc.title == "An interview with the choreographer"
    assert "Zorka Vell trained Mikey Madison" in doc.text
    for boilerplate in (
        "cookies",
        "Home",
        "All rights reserved",
        "Privacy",
        "dataLayer",
        "Most read",
    ):
        assert boilerplate not in doc.text, boilerplate
    assert [b.kind for b in doc.blocks] == ["heading", "paragraph", "paragraph"]


@pytest.mark.parametrize("core_title", [True, False])
def test_docx_reads_headings_paragraphs_and_its_title(tmp_path, core_title):
    path = write_docx(
        tmp_path / "notes.docx",
        "Anora Shooting Notes",
        [("Schedule", ["The second unit filmed the chapel scenes on a Tuesday in February."])],
        core_title=core_title,
    )
    doc = read_document(path)
    assert doc.title == "Anora Shooting Notes"
    kinds = [(b.kind, doc.text[b.start : b.end]) for b in doc.blocks]
    assert kinds == [
        ("heading", "Schedule"),
        ("paragraph", "The second unit filmed the chapel scenes on a Tuesday in February."),
    ]


def test_a_full_corpus_load_reads_every_format(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_pdf(folder / "kit.pdf", [PAGE_1, PAGE_2], title="Anora Press Kit")
    write_docx(
        folder / "notes.docx", "Notes", [("Cast", ["Mikey Madison plays Ani."])], core_title=True
    )
    (folder / "a.md").write_text("# Anora\n\nA film about a dancer in Brooklyn.\n")
    documents, skipped = load_corpus(folder)
    assert [d.source for d in documents] == ["a.md", "kit.pdf", "notes.docx"] and not skipped


# ---------------------------------------------------------------- bad input


def _scanned(folder: Path) -> Path:
    return write_scanned_pdf(folder / "scan.pdf")


def _encrypted(folder: Path) -> Path:
    return write_encrypted_pdf(folder / "locked.pdf", PAGE_2, password="hunter2")


def _huge(folder: Path) -> Path:
    path = folder / "huge.pdf"
    with open(path, "wb") as handle:  # sparse: 200 MiB on paper, nothing on disk
        handle.truncate(200 * 2**20)
    return path


def _bomb(folder: Path) -> Path:
    return write_zip_bomb(folder / "bomb.docx")


def _script_only(folder: Path) -> Path:
    return write_script_only_html(folder / "app.html")


def _pdf_named_docx(folder: Path) -> Path:
    pdf = write_pdf(folder / "kit.pdf", [PAGE_2])
    return pdf.rename(folder / "kit.docx")


def _text_named_pdf(folder: Path) -> Path:
    path = folder / "notes.pdf"
    path.write_text("The film's colourist was Ishmael Quintero.\n")
    return path


def _unknown_suffix(folder: Path) -> Path:
    path = folder / "table.xlsx"
    path.write_bytes(b"PK\x03\x04 not a document this app reads")
    return path


def _duplicate(folder: Path) -> Path:
    source = sorted((PROJECT_ROOT / "corpus").glob("*.txt"))[0]
    target = folder / f"copy-of-{source.name}"
    target.write_bytes(source.read_bytes())
    return target


BAD = [
    (_scanned, "no text found, scanned PDF?"),
    (_encrypted, "encrypted PDF"),
    (_huge, "too large (200 MiB"),
    (_bomb, "zip bomb"),
    (_script_only, "no article text found in the HTML page"),
    (_pdf_named_docx, "extension wrong"),
    (_text_named_pdf, "not a PDF"),
    (_unknown_suffix, "not a document this app reads"),
    (_duplicate, "a duplicate of"),
]


def _snapshot(settings) -> dict[str, str]:
    """SHA-256 of every file of the corpus and the index, by path."""
    out = {}
    for root in (settings.corpus_dir, settings.index_dir):
        for path in sorted(Path(root).rglob("*")):
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.mark.parametrize(("make", "expected"), BAD, ids=[m.__name__.strip("_") for m, _ in BAD])
def test_bad_input_gets_one_line_and_changes_nothing(
    index_copy, embedder, tmp_path, make, expected
):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    path = make(incoming)
    before = _snapshot(index_copy)
    report = add_documents(index_copy, [path], embedder)
    assert not report.changed and not report.added
    [rejected] = report.rejected
    assert rejected.name == path.name
    assert expected in rejected.reason and "\n" not in rejected.reason
    assert "Traceback" not in rejected.reason
    assert _snapshot(index_copy) == before


def test_a_bad_file_does_not_stop_a_good_one(index_copy, embedder, tmp_path):
    good = write_pdf(tmp_path / "kit.pdf", [PAGE_1, PAGE_2], title="Anora Press Kit")
    report = add_documents(index_copy, [_scanned(tmp_path), good], embedder)
    assert report.added == ("kit.pdf",)
    assert [r.name for r in report.rejected] == ["scan.pdf"]
    assert not (index_copy.corpus_dir / "scan.pdf").exists()


def test_reading_a_bad_file_directly_raises_one_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no text found, scanned PDF"):
        read_document(_scanned(tmp_path))
    assert os.path.getsize(tmp_path / "scan.pdf") > 0

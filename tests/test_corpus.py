"""Cleaning on the real articles, and every kind of odd corpus file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rag.corpus import clean, load_corpus, read_document, title_from_filename
from rag.errors import CorpusError
from tests.conftest import CORPUS, write_corpus


@pytest.fixture(scope="module")
def docs():
    documents, skipped = load_corpus(CORPUS)
    assert skipped == []
    return {d.source: d for d in documents}


def kept_text(doc) -> str:
    return "\n".join(doc.text[b.start : b.end] for b in doc.blocks)


def test_all_three_articles_load_with_titles(docs):
    assert set(docs) == {
        "anora-and-sean-bakers-portrait-of-sex-work.txt",
        "anora-production-notes.txt",
        "peeling-back-the-layers-of-anora.txt",
    }
    assert docs["peeling-back-the-layers-of-anora.txt"].title == "Anora"
    assert docs["anora-production-notes.txt"].title.startswith("Anora – A raw and honest")
    # its first line is a whole paragraph, so the title comes from the file name
    assert docs["anora-and-sean-bakers-portrait-of-sex-work.txt"].title == (
        "Anora and Sean Bakers Portrait of Sex Work"
    )
    first = docs["anora-and-sean-bakers-portrait-of-sex-work.txt"]
    assert first.text[first.blocks[0].start :].startswith("Anora, directed by Sean Baker")


def test_spam_line_is_dropped(docs):
    doc = docs["peeling-back-the-layers-of-anora.txt"]
    assert "MyFlixer" not in kept_text(doc)
    assert any(d.reason == "advertising or spam" and "MyFlixer" in d.text for d in doc.dropped)


def test_bare_label_is_dropped_but_headings_kept(docs):
    doc = docs["peeling-back-the-layers-of-anora.txt"]
    assert [d.text for d in doc.dropped if d.reason == "section label"] == ["Movie"]
    headings = [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "heading"]
    assert "The Ending That Still Divides Viewers" in headings


def test_photo_credits_dropped_and_captions_kept(docs):
    doc = docs["anora-production-notes.txt"]
    text = kept_text(doc)
    assert "©" not in text and "Universal Pictures" not in text
    assert "Sean Baker and DP Drew Daniels on the set of ANORA." in text
    assert "Sean Baker and the cast during the filming of Anora." in text
    assert sum(d.reason == "photo credit" for d in doc.dropped) == doc.text.count("©") == 5


def test_every_content_paragraph_is_kept(docs):
    """Each line of the originals is either kept whole, kept as a caption, or dropped with a reason."""
    for doc in docs.values():
        kept = kept_text(doc)
        dropped = {d.text for d in doc.dropped}
        for line in doc.text.splitlines():
            line = line.strip()
            if not line or line == doc.title:
                continue
            if "©" in line:
                caption = line.split("©")[0].strip()
                assert not caption or len(caption.split()) < 3 or caption in kept
                continue
            assert line in kept or line in dropped, line[:80]


def test_offsets_point_into_original_text(docs):
    for doc in docs.values():
        for block in doc.blocks:
            span = doc.text[block.start : block.end]
            assert span == span.strip() and span


def test_markdown_headings_and_credit_only_lines():
    title, blocks, dropped = clean(
        "# Title\n\n## Part one\n\nBody text here.\n\n© Studio\n", "a.md"
    )
    text = "# Title\n\n## Part one\n\nBody text here.\n\n© Studio\n"
    assert title == "# Title"
    assert [(b.kind, text[b.start : b.end]) for b in blocks] == [
        ("heading", "Part one"),
        ("paragraph", "Body text here."),
    ]
    assert [d.reason for d in dropped] == ["photo credit"]


def test_title_from_filename():
    assert title_from_filename("the-making-of_anora.md") == "The Making of Anora"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", "", "empty file"),
        ("binary.txt", b"\x00\x01\x02binary", "binary file"),
        ("latin1.txt", "Caf\xe9 society.\n".encode("latin-1"), "not UTF-8"),
        ("notes.rtf", b"{\\rtf1 Notes}", "not a document this app reads"),
        ("broken.pdf", b"%PDF-1.4", "unreadable PDF"),
        ("ads.txt", "Watch Free Movies on example.click\n", "no content left"),
    ],
)
def test_bad_files_are_skipped_with_a_named_warning(tmp_path, caplog, name, content, reason):
    folder = write_corpus(
        tmp_path / "c", {"good.txt": "Good\n\nA real paragraph about the film.\n", name: content}
    )
    with caplog.at_level(logging.WARNING):
        documents, skipped = load_corpus(folder)
    assert [d.source for d in documents] == ["good.txt"]
    assert len(skipped) == 1 and skipped[0].path.name == name and reason in skipped[0].reason
    assert name in caplog.text


def test_symlink_outside_corpus_is_not_followed(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret\n\nThis must never be indexed.\n")
    folder = write_corpus(tmp_path / "c", {"good.txt": "Good\n\nA real paragraph.\n"})
    (folder / "link.txt").symlink_to(outside)
    documents, skipped = load_corpus(folder)
    assert [d.source for d in documents] == ["good.txt"]
    assert "outside the corpus folder" in skipped[0].reason


def test_hidden_files_are_ignored_silently(tmp_path):
    folder = write_corpus(
        tmp_path / "c", {"good.txt": "Good\n\nA real paragraph.\n", ".DS_Store": b"\x00junk"}
    )
    documents, skipped = load_corpus(folder)
    assert len(documents) == 1 and all(s.reason == "" for s in skipped)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(tmp_path / "nope")


def test_nothing_usable_is_a_clear_error_naming_files(tmp_path):
    folder = write_corpus(tmp_path / "c", {"a.txt": "", "b.bin": b"\x00"})
    with pytest.raises(CorpusError, match=r"no usable articles.*a\.txt: empty file"):
        load_corpus(folder)


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "c").mkdir()
    with pytest.raises(CorpusError, match="the folder is empty"):
        load_corpus(tmp_path / "c")


def test_bom_is_accepted(tmp_path: Path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffTitle\n\nBody sentence here.\n".encode())
    assert read_document(path).title == "Title"


def test_symlink_loops_and_broken_links_are_skipped_with_a_reason(tmp_path, caplog):
    # reliability issue #23: `ln -s b.txt a.txt; ln -s a.txt b.txt` raised
    # RuntimeError("Symlink loop") out of load_corpus, and so out of every entry point
    folder = write_corpus(tmp_path / "c", {"good.txt": "Good\n\nA real paragraph.\n"})
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    (folder / "self.md").symlink_to("self.md")
    (folder / "dangling.txt").symlink_to("gone.txt")
    with caplog.at_level(logging.WARNING):
        documents, skipped = load_corpus(folder)
    assert [d.source for d in documents] == ["good.txt"]
    reasons = {s.path.name: s.reason for s in skipped}
    assert set(reasons) == {"a.txt", "b.txt", "self.md", "dangling.txt"}
    assert all(reasons[n].startswith("symlink loop") for n in ("a.txt", "b.txt", "self.md"))
    assert reasons["dangling.txt"].startswith("broken symlink")
    for name, reason in reasons.items():
        assert f"skipping {name}: {reason}" in caplog.text


def test_the_corpus_doctests_hold():
    import doctest

    import rag.corpus

    assert doctest.testmod(rag.corpus).failed == 0

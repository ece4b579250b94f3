"""``rag add``, ``rag list``, ``rag remove`` and ``rag index --if-needed``: incremental updates.

A real index of the real corpus (a private copy per test), the real embedder; the
documents are real files the tests write.  After an add, the real pipeline answers
questions only the new documents can answer, citing the PDF's page.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.docfiles import write_docx, write_html, write_pdf
from rag import cli
from rag.errors import CorpusError, IndexWriteError
from rag.index import build_index, check_index, load_index
from rag.index_update import add_documents, list_documents, refresh_index, remove_document
from rag.pipeline import Pipeline, load_pipeline

PDF_PAGES = [
    [
        "Anora is a 2024 film written and directed by Sean Baker. This press kit describes "
        "the production for journalists and lists the cast and crew of the film."
    ],
    [
        "The film's colourist was Ishmael Quintero, who graded the picture at a laboratory "
        "in Burbank over eleven days in the spring of 2024."
    ],
]
HTML_ARTICLE = [
    "The choreographer Zorka Vell trained Mikey Madison for three months before filming "
    "began, the studio said in a statement this week.",
    "Vell said the hardest routine was filmed in a single night at a club in Manhattan.",
]
DOCX_SECTION = [
    "The second unit filmed the Las Vegas chapel scenes over two nights with a crew of "
    "nine people led by the producer Talia Brandwine."
]


def _documents(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [
        write_pdf(folder / "press-kit.pdf", PDF_PAGES, title="Anora Press Kit"),
        write_html(
            folder / "choreography.html",
            "Dancing on film | Screen Dispatch",
            "An interview with the choreographer",
            HTML_ARTICLE,
        ),
        write_docx(
            folder / "shooting-notes.docx",
            "Anora Shooting Notes",
            [("Second unit", DOCX_SECTION)],
            core_title=True,
        ),
    ]


@pytest.fixture
def added(index_copy, embedder, tmp_path):
    """The real corpus plus a PDF, an HTML page and a Word file, added incrementally."""
    before = load_index(index_copy.index_dir)
    report = add_documents(index_copy, _documents(tmp_path / "incoming"), embedder)
    return index_copy, before, report


def test_add_embeds_only_the_new_documents(added):
    settings, before, report = added
    assert report.added == ("choreography.html", "press-kit.pdf", "shooting-notes.docx")
    assert not report.rejected and not report.full_rebuild
    after = load_index(settings.index_dir)
    new = [c for c in after.chunks if c.source in report.added]
    assert report.embedded_chunks == len(new) > 0
    assert report.reused_chunks == len(before.chunks)
    assert report.embedded_sentences == sum(s.source in report.added for s in after.sentences)
    for name in report.added:
        assert (settings.corpus_dir / name).is_file()
    # the unchanged documents kept their vectors bit for bit
    old_rows = {c.id: i for i, c in enumerate(before.chunks)}
    for i, chunk in enumerate(after.chunks):
        if chunk.id in old_rows:
            assert np.array_equal(after.chunk_vectors[i], before.chunk_vectors[old_rows[chunk.id]])
    assert check_index(settings).ok
    manifest = after.manifest
    assert set(manifest["corpus"]) == set(manifest["added_at"]) == set(after.documents)


def test_the_new_documents_answer_questions_with_the_pdf_page(added):
    settings, _, _ = added
    pipe = load_pipeline(settings)
    colourist = pipe.ask("Who was the colourist of Anora?")
    assert not colourist.abstained and "Ishmael Quintero" in colourist.text
    [cited] = [c for c in colourist.citations if "Quintero" in c.sentence]
    assert cited.source == "press-kit.pdf" and cited.page == 2
    assert colourist.to_json()["citations"][0]["page"] == 2
    trainer = pipe.ask("Who trained Mikey Madison to dance?")
    assert "Zorka Vell" in trainer.text
    assert {c.source for c in trainer.citations} == {"choreography.html"}
    assert all(c.page is None for c in trainer.citations)
    crew = pipe.ask("How many people were in the second unit's crew in Las Vegas?")
    assert "nine" in crew.text and crew.citations[0].source == "shooting-notes.docx"
    # the "In the article" view: each citation's span is the sentence in the stored text
    for answer in (colourist, trainer, crew):
        for c in answer.citations:
            text = pipe.index.documents[c.source].text
            assert " ".join(text[c.span[0] : c.span[1]].split()) == c.sentence


def test_an_incremental_add_equals_a_full_rebuild(added, tmp_path):
    settings, _, _ = added
    incremental = load_index(settings.index_dir)
    full_settings = settings.replace(index_dir=tmp_path / "full")
    build_index(full_settings)
    full = load_index(full_settings.index_dir)
    assert incremental.chunks == full.chunks and incremental.sentences == full.sentences
    assert incremental.documents == full.documents
    assert np.allclose(incremental.chunk_vectors, full.chunk_vectors, atol=1e-5)
    assert np.allclose(incremental.sentence_vectors, full.sentence_vectors, atol=1e-5)
    assert np.array_equal(incremental.tokens.ids, full.tokens.ids)
    assert np.array_equal(incremental.tokens.offsets, full.tokens.offsets)


def test_list_and_remove(added, embedder):
    settings, _, _ = added
    rows = {r.source: r for r in list_documents(settings)}
    assert rows["press-kit.pdf"].title == "Anora Press Kit" and rows["press-kit.pdf"].pages == 2
    assert rows["choreography.html"].title == "An interview with the choreographer"
    assert rows["shooting-notes.docx"].title == "Anora Shooting Notes"
    assert all(r.passages > 0 and r.added_at[:4].isdigit() for r in rows.values())
    report = remove_document(settings, "press-kit", embedder)
    assert report.removed == ("press-kit.pdf",) and report.embedded_chunks == 0
    assert not (settings.corpus_dir / "press-kit.pdf").exists()
    after = load_index(settings.index_dir)
    assert "press-kit.pdf" not in after.documents and check_index(settings).ok
    assert all(c.source != "press-kit.pdf" for c in after.chunks)
    with pytest.raises(CorpusError, match="no document is named 'nothing'"):
        remove_document(settings, "nothing", embedder)


def test_if_needed_re_embeds_only_the_changed_document(index_copy, embedder):
    target = sorted(index_copy.corpus_dir.glob("*.txt"))[0]
    target.write_text(
        target.read_text() + "\nThe caterer on set was a firm called Borscht Brothers.\n"
    )
    before = load_index(index_copy.index_dir)
    assert check_index(index_copy).state == "stale"
    report = refresh_index(index_copy, embedder)
    assert report.replaced == (target.name,) and not report.added
    others = sum(c.source != target.name for c in before.chunks)
    assert report.reused_chunks == others
    assert report.embedded_chunks == report.n_chunks - others
    assert check_index(index_copy).ok
    assert not refresh_index(index_copy, embedder).changed  # nothing left to do


def test_a_failed_write_keeps_the_old_index_and_corpus(index_copy, embedder, tmp_path, monkeypatch):
    before = {p.name: p.read_bytes() for p in index_copy.index_dir.iterdir()}
    corpus_before = sorted(p.name for p in index_copy.corpus_dir.iterdir())

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rag.index_build.np.save", no_space)
    with pytest.raises(IndexWriteError, match="previous index is unchanged"):
        add_documents(index_copy, _documents(tmp_path / "incoming")[:1], embedder)
    assert {p.name: p.read_bytes() for p in index_copy.index_dir.iterdir()} == before
    assert sorted(p.name for p in index_copy.corpus_dir.iterdir()) == corpus_before


def test_rag_add_command_prints_what_it_embedded(index_copy, tmp_path, capsys):
    paths = _documents(tmp_path / "incoming")
    flags = ["--corpus", str(index_copy.corpus_dir), "--index", str(index_copy.index_dir)]
    assert cli.main(["add", *map(str, paths[:2]), *flags]) == 0
    out = capsys.readouterr().out
    assert "added press-kit.pdf" in out and "added choreography.html" in out
    assert "reused" in out and "without re-embedding" in out
    assert cli.main(["add", str(paths[0]), *flags]) == 2  # now a duplicate
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "rag: not added press-kit.pdf: a duplicate of press-kit.pdf, already in the corpus"
    ]
    assert cli.main(["list", *flags]) == 0
    listing = capsys.readouterr().out
    assert "press-kit.pdf" in listing and "Anora Press Kit" in listing
    assert cli.main(["ask", "Who was the colourist?", "--json", *flags]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["citations"][0]["page"] == 2


def test_after_an_add_the_pipeline_reads_the_new_documents_words(added, embedder):
    settings, before, _ = added
    pipeline = Pipeline(settings, before, embedder)
    assert "quintero" not in pipeline.speller.counts  # the speller, built over the old corpus
    pipeline.use_index(load_index(settings.index_dir))
    assert "quintero" in pipeline.speller.counts  # a new word is no typo to correct
    assert pipeline.speller.suggest("Quintero") is None

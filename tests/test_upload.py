"""Adding a document from the chat page: a signed-in user can, nobody else can.

The real app on a loopback port, over a private copy of the real index, with a login;
the real embedder.  Over HTTP: without a login the upload route answers 403 (no upload
field either), with a login but not signed in Gradio answers 401, and nothing reaches
the corpus.  In a real Chromium: sign in, upload a two-page PDF whose fact is on page 2,
watch the status line, ask, and find the answer cited with "p. 2" on the source card.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from bench.docfiles import write_pdf
from rag.pipeline import load_pipeline
from rag.settings import Settings
from rag.ui_upload import describe, status_html
from rag.web_guard import NO_UPLOADS
from tests.conftest import free_port
from tests.test_browser import ARGS, CHROMIUM, TIMEOUT

USER, PASSWORD = "ani", "brighton-beach"
PAGES = [
    [
        "Anora is a 2024 film written and directed by Sean Baker. This press kit describes "
        "the production for journalists and lists the cast and crew of the film."
    ],
    [
        "The film's colourist was Ishmael Quintero, who graded the picture at a laboratory "
        "in Burbank over eleven days in the spring of 2024."
    ],
]


@pytest.fixture(scope="module")
def private(built_index: Path, tmp_path_factory: pytest.TempPathFactory):
    """A pipeline over a private copy of the session index (uploads change it)."""
    root = tmp_path_factory.mktemp("upload")
    shutil.copytree(built_index / "corpus", root / "corpus")
    shutil.copytree(built_index / "index", root / "index")
    settings = Settings.load(env={}, corpus_dir=root / "corpus", index_dir=root / "index")
    return load_pipeline(settings)


@pytest.fixture(scope="module")
def signed_in_app(private) -> Iterator[str]:
    from rag.ui import build_app, launch_style

    app = build_app(private, uploads=True)
    _, url, _ = app.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        auth=(USER, PASSWORD),
        **launch_style(uploads=True),
    )
    yield url.rstrip("/")
    app.close()


def test_without_a_login_there_is_no_upload_and_the_route_is_refused(app_url: str):
    with httpx.Client(base_url=app_url.rstrip("/")) as http:
        page = http.get("/")
        assert 'id="upload"' not in page.text and "Add a document" not in page.text
        files = {"files": ("kit.pdf", b"%PDF-1.4 not really", "application/pdf")}
        refused = http.post("/gradio_api/upload", files=files)
    assert refused.status_code == 403 and refused.json()["detail"] == NO_UPLOADS


def test_uploading_needs_a_signed_in_user(signed_in_app: str, private, tmp_path):
    pdf = write_pdf(tmp_path / "kit.pdf", PAGES, title="Anora Press Kit")
    files = {"files": ("kit.pdf", pdf.read_bytes(), "application/pdf")}
    with httpx.Client(base_url=signed_in_app) as http:
        assert http.post("/gradio_api/upload", files=files).status_code == 401
        assert http.post("/login", data={"username": USER, "password": PASSWORD}).is_success
        stored = http.post("/gradio_api/upload", files=files)
    assert stored.status_code == 200  # kept by Gradio for the page's handler, not indexed
    assert not (private.settings.corpus_dir / "kit.pdf").exists()


def test_status_lines():
    from rag.index_update import AddReport, Rejected

    refused = describe(AddReport(rejected=(Rejected("scan.pdf", "no text found, scanned PDF?"),)))
    assert "Not added scan.pdf: no text found, scanned PDF?" in refused and "error" in refused
    assert "&lt;b&gt;" in status_html("<b>")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium")
def test_a_signed_in_user_adds_a_pdf_and_the_next_answer_cites_its_page(
    signed_in_app: str, private, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    pdf = write_pdf(tmp_path / "anora-press-kit.pdf", PAGES, title="Anora Press Kit")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        login = context.request.post(
            signed_in_app + "/login", form={"username": USER, "password": PASSWORD}
        )
        assert login.ok
        page = context.new_page()
        page.goto(signed_in_app + "/")
        page.locator("#question textarea").wait_for(timeout=TIMEOUT)
        status = page.locator("#upload-status")
        expect(status).to_contain_text("PDF")
        page.locator("input[type=file]").first.set_input_files(str(pdf))
        expect(status).to_contain_text("Added anora-press-kit.pdf", timeout=TIMEOUT)
        expect(status).to_contain_text("Ask about it now")
        box = page.locator("#question textarea")
        box.fill("Who was the colourist of Anora?")
        box.press("Enter")
        answer = page.locator("#chat [data-testid=bot]").last
        expect(answer).to_contain_text("Ishmael Quintero", timeout=TIMEOUT)
        card = page.locator("#sources article.card").first
        expect(card).to_contain_text("anora-press-kit.pdf")
        expect(card.locator(".page")).to_have_text("p. 2")
        card.get_by_text("In the article").click()
        expect(card.locator("details")).to_contain_text("Burbank")
        browser.close()
    assert (private.settings.corpus_dir / "anora-press-kit.pdf").is_file()

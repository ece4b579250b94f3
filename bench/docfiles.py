"""Write real PDF, HTML and Word files for the tests and the add benchmark.

PDFs come from fpdf2 (a maintained pure-Python PDF writer), encrypted ones are
re-saved by pypdf with a password; Word files from python-docx.  Each writer takes
the text to put in and writes one file; nothing here reads documents back.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

_TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}
)


def _latin1(text: str) -> str:
    """fpdf2's built-in fonts cover Latin-1 only: typographic quotes and dashes become
    ASCII, anything else outside Latin-1 a '?'."""
    return text.translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")


def write_pdf(
    path: Path,
    pages: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    heading: str | None = None,
) -> Path:
    """A PDF with a text layer: one list of paragraphs per page (``heading`` on page 1)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    if title:
        pdf.set_title(title)
    for number, paragraphs in enumerate(pages):
        pdf.add_page()
        if heading and number == 0:
            pdf.set_font("Helvetica", "B", 16)
            pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, _latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path, n_pages: int = 2) -> Path:
    """A PDF of pictures only (what a scanner makes): shapes, no text layer."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for _ in range(n_pages):
        pdf.add_page()
        pdf.set_fill_color(90, 90, 90)
        for row in range(20):
            pdf.rect(20, 20 + row * 12, 170 - (row % 3) * 20, 6, style="F")
    pdf.output(str(path))
    return path


def write_encrypted_pdf(
    path: Path, paragraphs: Sequence[str], password: str, *, owner_only: bool = False
) -> Path:
    """A PDF that needs ``password`` to open (``owner_only``: opens without one, as
    "protected" PDFs that only forbid editing do)."""
    from pypdf import PdfReader, PdfWriter

    plain = write_pdf(path.with_name(f"plain-{path.name}"), [paragraphs])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(
        user_password="" if owner_only else password, owner_password=password, algorithm="AES-256"
    )
    with open(path, "wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def write_html(path: Path, title: str, heading: str, paragraphs: Sequence[str]) -> Path:
    """A saved web page: navigation, a cookie banner, scripts, an article, a footer."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    path.write_text(
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script>window.dataLayer = []; function track() {{ return "Subscribe now"; }}</script>
<style>.cookie {{ position: fixed; }}</style></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/reviews">Reviews</a></li><li><a href="/shop">Shop our merchandise</a></li></ul>
</nav></header>
<div class="cookie" id="cookie-banner">We use cookies to personalise content and ads.
Accept all cookies or manage your preferences in our privacy centre.</div>
<main><article>
<h1>{heading}</h1>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Ten films to stream this weekend</a></li>
<li><a href="/b">The best horror films of the year ranked</a></li></ul></aside>
<footer><p>Copyright 2025 Screen Dispatch Media. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p></footer>
<script>track(); document.write("<div>Advertisement</div>");</script>
</body></html>
""",
        encoding="utf-8",
    )
    return path


def write_script_only_html(path: Path) -> Path:
    """A page that is all script: the text is built in the browser, none is in the file."""
    path.write_text(
        "<!DOCTYPE html><html><head><title>Loading…</title>"
        '<script src=\'/app.js\'></script><script>window.__STATE__ = {"film": "Anora"};'
        "</script></head><body><div id='root'></div><noscript></noscript>"
        "<script>render(document.getElementById('root'));</script></body></html>",
        encoding="utf-8",
    )
    return path


def write_docx(
    path: Path, title: str, sections: Sequence[tuple[str, Sequence[str]]], *, core_title: bool
) -> Path:
    """A Word file: a Title paragraph, then a Heading 1 and paragraphs per section."""
    import docx

    document = docx.Document()
    if core_title:
        document.core_properties.title = title
    document.add_heading(title, level=0)  # the "Title" style
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def write_zip_bomb(path: Path, inflated_mib: int = 300) -> Path:
    """A ``.docx`` whose document part inflates to ``inflated_mib`` MiB of zeros."""
    block = b"\0" * 2**20
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(inflated_mib):
                member.write(block)
    return path

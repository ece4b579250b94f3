"""The app in a real Chromium (Debian's, through Playwright): chat, sources, links, escaping.

Also saves ``docs/screenshot.png``: a question and a follow-up at 1280x800.
Skipped when /usr/bin/chromium is absent (``make browser`` installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ATTACK = "<img src=x onerror=alert(1)>"
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot.png"
IN_VIEW = """el => { const r = el.getBoundingClientRect(), p = el.closest('#sources')
  .querySelector('[style*=overflow]') || document.documentElement; const q = p.getBoundingClientRect();
  return r.top < q.bottom && r.bottom > q.top; }"""
TIMEOUT = 60_000  # ms; the first answer also warms the model up

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium "
        "(run `make browser`, or apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url: str):
    """A fresh page (a new Gradio session) at 1280x800 that records any JS dialog."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)
    page.locator("#question textarea").wait_for(timeout=TIMEOUT)
    yield page
    context.close()


def ask(page, question: str) -> None:
    """Type a question, submit it, and wait until its answer is final."""
    from playwright.sync_api import expect

    bots = page.locator("#chat [data-testid=bot]")
    before = bots.count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    expect(bots).to_have_count(before + 1, timeout=TIMEOUT)
    expect(page.locator("#chat .cursor")).to_have_count(0, timeout=TIMEOUT)


def test_cited_answer_sources_and_marker_links(page, app_url: str):
    from playwright.sync_api import expect

    ask(page, "Who was the director of photography?")
    answer = page.locator("#chat [data-testid=bot]").nth(0)  # locators are lazy: pin it
    expect(answer).to_contain_text("Drew Daniels")
    link = answer.locator("a.cite", has_text="[1]")
    expect(link).to_have_attribute("href", "#src-1-1")
    card = page.locator("#sources #src-1-1")
    expect(card.locator("blockquote mark")).to_contain_text("Drew Daniels")
    expect(card).to_contain_text("anora-production-notes.txt")

    # an abstention lists related passages above, pushing the card out of the panel's view
    ask(page, "What is the capital of Australia?")
    expect(page.locator("#chat .abstained")).to_have_count(1)
    expect(page.locator("#sources .abstain h4")).to_have_text("Related passages")
    assert not card.evaluate(IN_VIEW)
    link.click()  # the first answer's [1] brings its card back
    page.wait_for_function(f"({IN_VIEW})(document.getElementById('src-1-1'))", timeout=5_000)
    expect(card).to_be_in_viewport()
    expect(card).to_have_class("card flash")
    assert page.url == app_url  # the click did not navigate away
    assert page.dialogs == []


def test_user_html_is_shown_as_text_and_never_runs(page):
    from playwright.sync_api import expect

    ask(page, f"Who shot it? {ATTACK} <script>alert(2)</script>")
    question = page.locator("#chat [data-testid=user]").last
    expect(question).to_contain_text(ATTACK)
    expect(question).to_contain_text("<script>alert(2)</script>")
    assert page.locator("#chat img[src='x']").count() == 0
    assert page.locator("#chat script").count() == 0
    page.wait_for_timeout(500)  # give an onerror handler time to fire, were there one
    assert page.dialogs == []


def test_screenshot_of_a_conversation(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="How many days did they shoot in Las Vegas?").click()
    expect(page.locator("#chat [data-testid=bot]").first).to_contain_text(
        "3 days in Las Vegas", timeout=TIMEOUT
    )
    expect(page.locator("#chat .cursor")).to_have_count(0, timeout=TIMEOUT)
    page.get_by_role("button", name="And which hotel did they film in?").click()
    expect(page.locator("#chat [data-testid=bot]").last).to_contain_text("Palms", timeout=TIMEOUT)
    expect(page.locator("#chat .cursor")).to_have_count(0, timeout=TIMEOUT)
    # the citation that carries the hotel highlights its sentence in the second answer's sources
    marks = page.locator("#sources [id^=src-2-] blockquote mark").filter(has_text="Palms")
    expect(marks).to_have_count(1)
    page.wait_for_timeout(300)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000

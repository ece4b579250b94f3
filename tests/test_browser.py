"""The app in a real Chromium (Debian's, through Playwright), at desktop and phone widths.

Covers: cited answers and their links (accessible names, focus moves to the card),
escaping, contrast of text, links and highlights measured in the page in the light
and the dark theme, the answering state (box disabled, Stop ends the answer and gives
the question back, an empty submit does nothing), notices in the user's words,
copy / retry / thumbs (stored in a feedback file) and the optional comment a thumb
opens (typed and sent with the keyboard, stored with the verdict), history across a reload with
separate tabs independent, "New chat" with undo, the sources panel following the
newest answer, and the phone layout (each answer's sources under it, collapsed).

The LLM is a tiny OpenAI-compatible stdlib server on 127.0.0.1: it stalls (so an
answer is still being written when Stop is pressed) or answers HTTP 429 (busy).
Saves docs/screenshot.png, docs/screenshot-dark.png and docs/screenshot-phone.png.
Skipped when /usr/bin/chromium is absent (``make browser`` installs it).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag.settings import PROJECT_ROOT
from tests.conftest import free_port

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
DOCS = PROJECT_ROOT / "docs"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DP = "Who was the director of photography?"
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


# ---------------------------------------------------------------- a stub LLM server


class SlowLLM(BaseHTTPRequestHandler):
    """Answers 429 when the question says "busy"; otherwise stalls until released."""

    release = threading.Event()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if b"busy" in body:
            data = b'{"error": {"message": "Rate limit reached"}}'
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.flush()  # headers, then no words at all: a model still thinking
        self.release.wait(30)


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowLLM)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    SlowLLM.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def feedback_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback") / "feedback.jsonl"


@pytest.fixture(scope="module")
def url(pipeline, llm_url: str, feedback_file: Path) -> Iterator[str]:
    """The real app, with an openai generator on the stub server and a private feedback file."""
    from rag.feedback import FeedbackStore
    from rag.ui import build_app, launch_style

    pipe = pipeline.with_settings(llm_base_url=llm_url, llm_api_key="sk-x", llm_timeout=25.0)
    app = build_app(pipe, FeedbackStore(feedback_file))
    _, address, _ = app.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        **launch_style(),
    )
    yield address
    app.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, viewport=DESKTOP, query: str = "", context=None):
    context = context or browser.new_context(viewport=viewport)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url + query)
    page.locator("#question textarea").wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(300)  # the page's load event (restoring a saved chat) has run
    return page


@pytest.fixture
def page(browser, url: str):
    """A fresh page (a new Gradio session, empty storage) at 1280x800."""
    page = open_page(browser, url)
    yield page
    page.context.close()


def ask(page, question: str) -> None:
    """Type a question, submit it, and wait until its answer is final."""
    from playwright.sync_api import expect

    answers = page.locator("#chat button.copy-answer, #chat .error")  # one per final answer
    before = answers.count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    expect(answers).to_have_count(before + 1, timeout=TIMEOUT)
    expect(page.locator("#chat .cursor")).to_have_count(0, timeout=TIMEOUT)
    expect(box).to_be_enabled(timeout=TIMEOUT)


def choose_generator(page, name: str) -> None:
    radio = page.get_by_label(name, exact=True)
    if not radio.is_visible():
        page.get_by_text("Answer options").click()
    radio.check()


# ---------------------------------------------------------------- answers and links


def test_cited_answer_sources_and_marker_links(page, url: str):
    from playwright.sync_api import expect

    ask(page, DP)
    answer = page.locator("#chat [data-testid=bot]").nth(0)  # locators are lazy: pin it
    expect(answer).to_contain_text("Drew Daniels")
    link = answer.get_by_role("link", name="Source 1: Anora")
    expect(link).to_have_attribute("href", "#src-1-1")
    card = page.locator("#sources #src-1-1")
    expect(card.locator("blockquote mark")).to_contain_text("Drew Daniels")
    expect(card).to_contain_text("anora-production-notes.txt")

    # an abstention lists related passages above, pushing the card out of the panel's view
    ask(page, "Who composed the score?")
    expect(page.locator("#chat .abstained")).to_have_count(1)
    expect(page.locator("#sources .abstain h4")).to_have_text("Related passages")
    assert not card.evaluate(IN_VIEW)
    link.focus()
    # focusing a citation previews its sentence
    tip = link.evaluate("el => getComputedStyle(el, '::after').content")
    assert "Drew Daniels" in tip
    link.press("Enter")  # the keyboard: Enter on [1] brings its card back and focuses it
    page.wait_for_function(f"({IN_VIEW})(document.getElementById('src-1-1'))", timeout=5_000)
    expect(card).to_be_focused()
    expect(card).to_have_class("card flash")
    assert page.url == url  # the click did not navigate away

    # the next answer brings the panel back to the top, where its cards are
    ask(page, "How many days did they shoot in Las Vegas?")
    newest = page.locator("#sources #src-3-1")
    page.wait_for_function(f"({IN_VIEW})(document.getElementById('src-3-1'))", timeout=5_000)
    expect(newest).to_be_in_viewport()
    assert page.dialogs == []


def test_an_example_button_asks_its_question(page):
    # the button fills the hidden field the server reads (rag.ui): the box is never read
    from playwright.sync_api import expect

    page.get_by_role("button", name="How many days did they shoot in Las Vegas?").click()
    expect(page.locator("#chat [data-testid=user]")).to_have_text(
        "How many days did they shoot in Las Vegas?"
    )
    expect(page.locator("#chat .answer")).to_contain_text("Las Vegas", timeout=TIMEOUT)
    expect(page.locator("#sources .card").first).to_be_visible()
    expect(page.locator("#question textarea")).to_be_enabled(timeout=TIMEOUT)


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


# ---------------------------------------------------------------- contrast in both themes

CONTRAST_JS = """([text, links]) => {
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (c) => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = '#000'; ctx.fillStyle = c;
    ctx.fillRect(0, 0, 1, 1); const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255]; };
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3]));
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== 'none') return null;  // a gradient: skip
      const c = rgba(s.backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let color = [255, 255, 255];
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const lum = (c) => { const f = (v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const out = {};
  for (const [selector, need] of [...text.map((s) => [s, 4.5]), ...links.map((s) => [s, 3])]) {
    let worst = null;
    for (const el of document.querySelectorAll(selector)) {
      if (!el.textContent.trim() || !el.getClientRects().length) continue;
      const bg = background(el); if (!bg) continue;
      const fg = over(rgba(getComputedStyle(el).color), bg);
      const r = ratio(fg, bg);
      if (worst === null || r < worst.ratio) worst = {ratio: Math.round(r * 100) / 100, need,
        text: el.textContent.trim().slice(0, 40)};
    }
    out[selector] = worst;
  }
  return out;
}"""
TEXT = [
    ".side-title",
    "#sources .turn-q",
    "#sources .turn-q span",
    "#sources .card .title",
    "#sources .card .num",
    "#sources .card .meta code",
    "#sources blockquote",
    "#sources mark",
    "#sources .card summary",
    "#sources .card details p",
    "#sources h4",
    "#sources .abstained",
    "#chat [data-testid=user]",
    "#chat .answer",
    "#chat .abstained",
    "#chat .note",
    "#chat button.copy-answer",
    ".examples button",
]
LINKS = ["#chat a.cite"]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_links_and_highlights_are_readable_in_both_themes(browser, url: str, theme: str):
    page = open_page(browser, url, query=f"?__theme={theme}")
    assert page.evaluate("document.body.classList.contains('dark')") == (theme == "dark")
    ask(page, "Who composed the score?")  # an abstention: its related passages' heading
    ask(page, DP)
    choose_generator(page, "openai")
    ask(page, "How many days did they shoot in Las Vegas? (busy)")
    for details in page.locator("#sources .card details").all()[:3]:
        details.evaluate("d => d.open = true")
    measured = page.evaluate(CONTRAST_JS, [TEXT, LINKS])
    missing = [s for s, v in measured.items() if v is None]
    assert not missing, f"nothing measured for {missing}"
    failing = {s: v for s, v in measured.items() if v["ratio"] < v["need"]}
    assert not failing, f"{theme}: contrast too low: {failing}"
    if theme == "dark":
        page.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = false)")
        page.get_by_text("Answer options").click()  # fold the options away again
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(DOCS / "screenshot-dark.png"))
    page.context.close()


# ---------------------------------------------------------------- answering state


def test_empty_submit_does_nothing(page):
    box = page.locator("#question textarea")
    box.fill("   ")
    box.press("Enter")
    page.get_by_role("button", name="Send").click()
    page.wait_for_timeout(1_000)
    assert page.locator("#chat [data-testid=bot]").count() == 0
    assert page.locator("#chat [data-testid=user]").count() == 0


def test_stop_ends_an_answer_and_gives_the_question_back(page):
    from playwright.sync_api import expect

    choose_generator(page, "openai")
    box = page.locator("#question textarea")
    question = "Who was the director of photography on the film?"
    box.fill(question)
    box.press("Enter")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible(timeout=TIMEOUT)
    expect(box).to_be_disabled()  # nothing can be typed, so nothing typed is lost
    status = page.locator("#chat .status")
    expect(status).to_contain_text("Writing the answer (each sentence is checked", timeout=TIMEOUT)
    stop.click()
    expect(box).to_be_enabled(timeout=10_000)
    expect(box).to_have_value(question)  # the question is back in the box
    expect(stop).to_be_hidden()
    expect(page.locator("#chat [data-testid=bot]").last).to_contain_text("Stopped.")
    assert page.locator("#sources .card").count() == 0  # nothing half-done was kept
    # the next question is answered as usual
    choose_generator(page, "extractive")
    ask(page, DP)
    expect(page.locator("#chat .answer").last).to_contain_text("Drew Daniels")


def test_a_fallback_notice_is_in_the_users_words(page):
    from playwright.sync_api import expect

    choose_generator(page, "openai")
    ask(page, "Who was the director of photography? (busy)")
    note = page.locator("#chat .note").last
    expect(note).to_contain_text("The language model is busy right now, so this answer is quoted")
    detail = note.locator("details")
    expect(detail).not_to_have_attribute("open", "")
    assert "429" not in note.evaluate("n => n.innerText")  # the detail stays collapsed
    detail.locator("summary").click()
    expect(detail).to_contain_text("429")


# ---------------------------------------------------------------- per-answer controls


def test_copy_retry_and_thumbs(browser, url: str, feedback_file: Path):
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"]
    )
    page = open_page(browser, url, context=context)
    ask(page, DP)
    page.get_by_role("button", name="Copy answer 1 with its sources").click()
    expect(page.locator("button.copy-answer")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Drew Daniels — To help him") and "Sources:\n[1] " in copied
    assert "anora-production-notes.txt" in copied and "<" not in copied

    before = feedback_file.read_text().splitlines() if feedback_file.exists() else []
    page.locator("#chat [data-testid=bot]").last.hover()
    page.get_by_role("button", name="Dislike").last.click()
    for _ in range(50):  # the click is stored by a queued event: give it a moment
        if feedback_file.exists() and len(feedback_file.read_text().splitlines()) > len(before):
            break
        page.wait_for_timeout(100)
    rows = [json.loads(line) for line in feedback_file.read_text().splitlines()[len(before) :]]
    assert [r["verdict"] for r in rows] == ["down"] and rows[0]["question"] == DP
    assert rows[0]["citations"][0]["source"] == "anora-production-notes.txt"

    page.get_by_role("button", name="Retry").last.click()
    expect(page.locator("#chat .cursor")).to_have_count(0, timeout=TIMEOUT)
    page.wait_for_timeout(500)
    expect(page.locator("#chat [data-testid=user]")).to_have_count(1)  # re-asked, not added
    expect(page.locator("#chat .answer")).to_contain_text("Drew Daniels")
    context.close()


def _new_rows(feedback_file: Path, before: int, want: int, page) -> list[dict]:
    """The feedback file's rows after the first ``before``, once ``want`` of them are there."""
    for _ in range(50):  # each is stored by a queued event: give it a moment
        if feedback_file.exists() and len(feedback_file.read_text().splitlines()) >= before + want:
            break
        page.wait_for_timeout(100)
    return [json.loads(line) for line in feedback_file.read_text().splitlines()[before:]]


def test_a_thumb_opens_a_comment_box_sent_with_the_keyboard(page, feedback_file: Path):
    from playwright.sync_api import expect

    ask(page, DP)
    comment = page.get_by_role("textbox", name="Tell us more about this answer (optional)")
    expect(comment).to_be_hidden()
    before = len(feedback_file.read_text().splitlines()) if feedback_file.exists() else 0
    page.locator("#chat [data-testid=bot]").last.hover()
    page.get_by_role("button", name="Like").last.click()
    (thumb,) = _new_rows(feedback_file, before, 1, page)  # the verdict is stored at once
    assert thumb["verdict"] == "up" and thumb["question"] == DP and thumb["comment"] == ""
    expect(comment).to_be_focused(timeout=10_000)  # the box opens with focus in it
    assert comment.get_attribute("maxlength") == "500"
    # a bell, a line break and a password: the first two go, the last is redacted
    comment.fill("Right, but cite\x07 the interview\nmy password: hunter2")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send feedback")).to_be_focused()
    page.keyboard.press("Enter")
    rows = _new_rows(feedback_file, before, 2, page)
    assert len(rows) == 2, rows
    sent = rows[1]
    assert sent["verdict"] == "up" and sent["question"] == DP and sent["id"] == thumb["id"]
    assert sent["comment"] == "Right, but cite the interview my password: [redacted]"
    assert sent["citations"][0]["source"] == "anora-production-notes.txt"
    assert "hunter2" not in feedback_file.read_text()
    expect(comment).to_be_hidden()


# ---------------------------------------------------------------- history


def test_history_survives_a_reload_and_tabs_are_independent(browser, url: str):
    from playwright.sync_api import expect

    page = open_page(browser, url)
    ask(page, "How many days did they shoot in Las Vegas?")
    ask(page, "And which hotel did they film in?")
    page.reload()
    page.locator("#question textarea").wait_for(timeout=TIMEOUT)
    expect(page.locator("#chat .answer")).to_have_count(2, timeout=10_000)
    expect(page.locator("#sources #src-2-1")).to_have_count(1)
    # the restored history still makes a follow-up work
    ask(page, "And how many days in New York?")
    expect(page.locator("#chat .answer").last).to_contain_text("37 days")

    other = open_page(browser, url, context=page.context)  # a second tab: its own chat
    assert other.locator("#chat [data-testid=bot]").count() == 0
    ask(other, DP)
    page.reload()
    page.locator("#question textarea").wait_for(timeout=TIMEOUT)
    expect(page.locator("#chat .answer")).to_have_count(3, timeout=10_000)

    # New chat starts over; the old one can be restored until the next question
    page.get_by_role("button", name="New chat").click()
    expect(page.locator("#chat .answer")).to_have_count(0)
    expect(page.locator("#sources .empty")).to_have_count(1)
    page.get_by_role("button", name="Restore the previous chat").click()
    expect(page.locator("#chat .answer")).to_have_count(3)
    page.get_by_role("button", name="New chat").click()
    expect(page.locator("#chat .answer")).to_have_count(0)
    ask(page, DP)
    expect(page.get_by_role("button", name="Restore the previous chat")).to_be_hidden()
    page.context.close()


# ---------------------------------------------------------------- keyboard and names


def test_keyboard_only_use(page):
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name="Your question")
    expect(page.get_by_role("button", name="Send")).to_have_count(1)
    box.focus()
    outline = box.evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth"
    )
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
    page.keyboard.type(DP)
    page.keyboard.press("Enter")
    expect(page.locator("#chat .answer")).to_have_count(1, timeout=TIMEOUT)
    expect(box).to_be_focused(timeout=10_000)  # focus comes back to the box
    # from the box, Shift+Tab reaches the answer's citation in a few steps
    presses = 0
    while presses < 8:
        presses += 1
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('cite')"):
            break
    assert presses <= 6, "the citation is not reachable in 6 Shift+Tabs from the box"
    page.keyboard.press("Enter")
    expect(page.locator("#sources #src-1-1")).to_be_focused()


# ---------------------------------------------------------------- screenshots and phone


def test_screenshot_of_a_conversation(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="How many days did they shoot in Las Vegas?").click()
    expect(page.locator("#chat .answer").first).to_contain_text(
        "3 days in Las Vegas", timeout=TIMEOUT
    )
    expect(page.locator("#question textarea")).to_be_enabled(timeout=TIMEOUT)
    page.get_by_role("button", name="And which hotel did they film in?").click()
    expect(page.locator("#chat .answer")).to_have_count(2, timeout=TIMEOUT)
    expect(page.locator("#chat .answer").last).to_contain_text("Palms", timeout=TIMEOUT)
    # the citation that carries the hotel highlights its sentence in the second answer's sources
    marks = page.locator("#sources [id^=src-2-] blockquote mark").filter(has_text="Palms")
    expect(marks).to_have_count(1)
    page.wait_for_timeout(300)
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "screenshot.png"))
    assert (DOCS / "screenshot.png").stat().st_size > 20_000


def test_phone_sources_sit_under_each_answer_collapsed(browser, url: str):
    from playwright.sync_api import expect

    page = open_page(browser, url, viewport=PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("#sources-col")).to_be_hidden()
    ask(page, DP)
    inline = page.locator("#chat .inline-sources").last
    expect(inline).to_be_visible()
    expect(inline).not_to_have_attribute("open", "")
    # the start of the answer is on screen, not its end
    first_line = page.locator("#chat [data-testid=user]").last
    expect(first_line).to_be_in_viewport()
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(DOCS / "screenshot-phone.png"))
    page.locator("#chat a.cite").first.click()
    card = page.locator("#chat #isrc-1-1")
    expect(card).to_be_visible()
    expect(card).to_be_focused()
    expect(card.locator("blockquote mark")).to_contain_text("Drew Daniels")
    page.context.close()

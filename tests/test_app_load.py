"""The real app under load (#23 items 1 and 4), both marked ``slow``.

- 100 concurrent three-turn conversations through ``/ask``: all 300 are answered;
- 500 chat turns in one page session, driven over HTTP the way the page drives it
  (``run/predict`` for the quick steps, ``queue/join`` + ``queue/data`` for the answer):
  the server's memory grows by less than 50 MiB and the replies stop growing.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from gradio_client import Client

from tests.gradio_page import PageSession

pytestmark = pytest.mark.slow

TURNS = (
    ("How many days did Anora shoot in New York City?", "37 days"),
    ("And how many in Vegas?", "3 days in Las Vegas"),
    ("Who was the director of photography?", "Drew Daniels"),
)


def test_a_hundred_concurrent_conversations_are_all_answered(app_url: str):
    client = Client(app_url, verbose=False)
    errors: list[str] = []
    answered = []
    lock = threading.Lock()

    def conversation(_: int) -> None:
        history: list[str] = []
        for question, expected in TURNS:
            try:
                result = client.predict(question, history, api_name="/ask")
            except Exception as exc:  # a refusal: counted, never raised from a thread
                with lock:
                    errors.append(repr(exc))
                return
            with lock:
                answered.append(expected in result["answer"])
            history.append(question)

    with ThreadPoolExecutor(100) as pool:
        list(pool.map(conversation, range(100)))
    assert errors == [] and len(answered) == 300
    assert all(answered)


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_five_hundred_turns_in_one_session_stay_bounded(app_url: str):
    page = PageSession(app_url, "soak-session-1")
    sizes = [page.turn(f"Who was the director of photography? ({i})") for i in range(50)]
    before = rss_mib()
    sizes += [page.turn(f"How many days did they shoot in Las Vegas? ({i})") for i in range(450)]
    grown = rss_mib() - before
    print(f"the server grew by {grown:.1f} MiB over 450 turns")  # docs/reliability.md
    assert grown < 50, f"the server grew by {grown:.0f} MiB over 450 turns"
    # replies stop growing once the session holds its most turns
    assert max(sizes[-50:]) < 1.5 * max(sizes[40:50]) + 20_000, (sizes[40:50], sizes[-50:])

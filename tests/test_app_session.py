"""Gradio's record of one page session holds the page's components, none per turn (#23 item 1).

Gradio 6 answers ``gr.skip()`` or a component update by building a replacement component;
when a value later reaches that output (or the server reads it as an input), Gradio files
the replacement in the session under a new id, with a copy of the value, for the session's
life.  ``rag.ui`` never does that (``rag.ui_chat``'s docstring says how), which kept ~150 KiB
per turn before.  These tests drive the page's own events over HTTP (``tests.gradio_page``)
and check that every component Gradio holds for the session is one of the app's own.
Reading ``Blocks.state_holder`` is Gradio's internals: a test may look, the app does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import pairwise

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from tests.conftest import launch_app
from tests.gradio_page import PageSession


@pytest.fixture(scope="module")
def served(pipeline) -> Iterator[tuple[object, str]]:
    app, url = launch_app(pipeline)
    yield app, url
    app.close()  # type: ignore[attr-defined]


def held(app, session: str) -> set[int]:
    """The ids of the components Gradio keeps for ``session``."""
    return set(app.state_holder[session].blocks_config.blocks)


def test_turns_add_nothing_to_gradios_record_of_the_session(served):
    app, url = served
    page = PageSession(url, "record-turns")
    sizes = [page.turn(f"How many days did they shoot in Las Vegas? ({i})") for i in range(2)]
    after_two = held(app, page.session)
    page.turn("   ")  # an empty submit asks nothing
    sizes += [page.turn(f"Who was the director of photography? ({i})") for i in range(4)]
    assert held(app, page.session) <= set(app.blocks), "Gradio keeps components per turn"
    assert held(app, page.session) == after_two
    # each turn was answered: its replies carry one more turn than the one before
    assert all(b > a + 2_000 for a, b in pairwise(sizes)), sizes


def test_a_retry_with_nothing_answered_adds_nothing_either(served):
    app, url = served
    page = PageSession(url, "record-retry")
    page.quick(page.on("chat", "retry"), [None])  # a fresh session: nothing to ask again
    page.turn("Who was the director of photography?")
    page.quick(page.on("new-chat", "click"), [None])
    page.quick(page.on("undo", "click"), [None])
    page.turn("How many days did they shoot in Las Vegas?")
    assert held(app, page.session) <= set(app.blocks), "Gradio keeps components per event"

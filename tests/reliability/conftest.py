"""Fixtures of the reliability tests: one real app for the whole package.

``python app.py`` starts once (model load takes a while on a busy machine) and serves
the load, input, security and soak tests, as it did when they shared one file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.settings import Settings
from tests.reliability.helpers import AppProcess, start_app, stop_app


@pytest.fixture(scope="package")
def app(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """The app with default settings (no login, extractive answers)."""
    running = start_app(settings, tmp_path_factory.mktemp("app"))
    yield running
    stop_app(running)

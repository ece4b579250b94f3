"""Run the Anora Q&A web app: ``python app.py`` (or ``make run``).

Thin by design: settings come from defaults and ``RAG_*`` variables (``RAG_HOST``,
``RAG_PORT``, ``RAG_AUTH=user:password``, ``RAG_API_KEY``, ``RAG_CONCURRENCY``, ...);
the index is built first if it is missing or stale (with progress on the terminal); the
UI is ``rag.ui.build_app``, its queue limited to ``RAG_CONCURRENCY`` answers at a time,
and its server also carries the HTTP API of ``rag.api`` (``/v1/...``, ``/api/ask``).
A ``RagError`` at start-up, or a port already in use, becomes one line and exit status 2.
"""

from __future__ import annotations

import logging
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag.errors import ConfigError, RagError
from rag.settings import Settings


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` -> ``("user", "password")``; None stays None.

    >>> parse_auth("ani:secret:42")
    ('ani', 'secret:42')
    """
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("RAG_AUTH must look like 'user:password' (both non-empty)")
    return user, password


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="app: %(message)s")
    for handler in logging.getLogger().handlers:  # bm25s sets its own logger to DEBUG
        handler.setLevel(logging.INFO)
    for noisy in ("httpx", "sentence_transformers", "transformers", "faiss", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        from rag.index import check_index
        from rag.pipeline import load_pipeline
        from rag.ui import build_app, launch_style

        settings = Settings.load()
        auth = parse_auth(settings.auth)
        status = check_index(settings)
        if not status.ok:
            print(f"Building the index first ({status.state}: {status.reason}) ...", flush=True)
        pipeline = load_pipeline(settings, progress=True)
        print(
            f"Index ready: {len(pipeline.index.chunks)} passages from "
            f"{len(pipeline.index.documents)} articles. Loading the models ...",
            flush=True,
        )
        pipeline.warm_up()
        app = build_app(pipeline)
    except RagError as exc:
        print(f"app: {exc}", file=sys.stderr)
        return 2
    try:
        _, url, _ = app.launch(
            server_name=settings.host,
            server_port=settings.port,
            auth=auth,
            show_error=False,
            quiet=True,
            # every API call opens a session; keep a bounded number (the soak test checks RSS)
            state_session_capacity=settings.sessions,
            prevent_thread_lock=True,
            **launch_style(uploads=auth is not None),  # signed-in users may add documents
        )
    except OSError as exc:  # the port is taken, or the host is not an address of this machine
        print(
            f"app: cannot serve on {settings.host}:{settings.port} ({exc}); "
            "set RAG_HOST / RAG_PORT",
            file=sys.stderr,
        )
        return 2
    print(f"Anora Q&A is running on {url}" + (" (login required)" if auth else ""), flush=True)
    locked = " (key required)" if settings.api_key or auth else ""
    print(f"OpenAI-compatible API: {url.rstrip('/')}/v1{locked}; see docs/api.md", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    app.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())

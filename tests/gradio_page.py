"""One page session over HTTP, speaking the Gradio protocol the browser speaks.

``PageSession`` finds ``rag.ui``'s answer chain in ``/config`` (Enter copies the question
into a hidden field in the page, then ``start``, the scroll, ``respond``, ``finish``) and
drives it as the page does: ``run/predict`` for the quick steps, ``queue/join`` +
``queue/data`` for the answer.  Used by the soak test and the session-record test.
"""

from __future__ import annotations

import json

import httpx


class PageSession:
    """One page's session, speaking the Gradio protocol the browser speaks."""

    def __init__(self, url: str, session: str) -> None:
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=60)
        self.session = session
        config = self.http.get("/config").json()
        self.deps = config["dependencies"]
        self.ids = {c["props"]["elem_id"]: c["id"] for c in config["components"]
                    if c.get("props", {}).get("elem_id")}  # fmt: skip
        copy = self.on("question", "submit")
        self.start = self.after(copy)
        self.respond = self.after(self.after(self.start))  # after the scroll, in the page
        self.finish = self.after(self.respond)

    def on(self, elem_id: str, trigger: str) -> int:
        """The event ``trigger`` of the component with ``elem_id``."""
        return next(d["id"] for d in self.deps if [self.ids[elem_id], trigger] in d["targets"])

    def after(self, fn: int) -> int:
        """The event chained (``.then``) after event ``fn``."""
        return next(d["id"] for d in self.deps if d.get("trigger_after") == fn)

    def quick(self, fn: int, data: list) -> dict:
        body = {"data": data, "fn_index": fn, "session_hash": self.session, "event_data": None}
        r = self.http.post("/gradio_api/run/predict", json=body)
        r.raise_for_status()
        return r.json()

    def turn(self, question: str) -> int:
        """Ask one question; returns the bytes of its last replies (the stream, then finish)."""
        self.quick(self.start, [question, None])
        body = {
            "data": [None, None, "extractive", "hybrid", 5],
            "fn_index": self.respond,
            "session_hash": self.session,
            "event_data": None,
        }
        self.http.post("/gradio_api/queue/join", json=body).raise_for_status()
        size = 0
        with self.http.stream("GET", "/gradio_api/queue/data",
                              params={"session_hash": self.session}) as stream:  # fmt: skip
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    size = len(line)
                    assert message.get("success"), message
                if message.get("msg") == "close_stream":
                    break  # read to the end, as the browser does: the server lets go
        finished = self.quick(self.finish, [None])  # the turns: a State, held by the server
        return size + len(json.dumps(finished))

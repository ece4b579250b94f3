"""Read and validate gold Q&A files (JSON Lines), one question per line.

A line::

    {"id": "q001", "question": "...", "answers": ["Drew Daniels", "Daniels"],
     "evidence": ["verbatim excerpt of the article"], "answerable": true,
     "kind": "factoid", "history": ["earlier user question", ...],
     "points": [["oligarch"], ["marries", "marriage", "wedding"]]}

- ``id``, ``question``, ``answers``, ``evidence``, ``answerable``, ``kind`` are
  required; ``history`` (earlier user turns, oldest first) and ``points`` (the key
  points a good answer covers, each a list of alternative strings) are optional;
  any other field is ignored, so files written for later versions still load.
- ``kind`` is any non-empty string: the report breaks every metric down by the
  kinds it finds (``KINDS`` only fixes the order of the well-known ones).
- ``answers`` may be empty for an answerable question only when it has ``points``
  (an open question is judged by the points it covers, not by one string).
- The file is UTF-8, with or without a byte-order mark.  Any other encoding, bad
  JSON or a bad field raises ``GoldSetError`` with one line naming the file, the
  line and the problem.

``load_gold`` reads one file, ``load_golds`` several (ids must be unique across
them).  What this module does not do: score anything (``evaluation``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.errors import GoldSetError

# The kinds of the original quiz set, in the order reports list them; any other kind
# is accepted and listed after these, in the order the files first use it.
KINDS = ("factoid", "paraphrase", "multi-hop", "follow-up", "unanswerable")
OFFTOPIC = "offtopic"  # the kind whose questions are about something else entirely

_FIELDS: dict[str, type] = {
    "id": str,
    "question": str,
    "answers": list,
    "evidence": list,
    "answerable": bool,
    "kind": str,
}


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    answerable: bool
    kind: str
    history: tuple[str, ...] = ()
    points: tuple[tuple[str, ...], ...] = ()  # each point: alternative strings, one suffices
    source: str = ""  # the gold file's name

    @property
    def turns(self) -> tuple[str, ...]:
        """The conversation up to this question: earlier user turns, then this one."""
        return (*self.history, self.question)


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise GoldSetError(f"gold file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GoldSetError(f"cannot read gold file {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")  # a leading byte-order mark is dropped
    except UnicodeDecodeError as exc:
        line_no = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise GoldSetError(
            f"{path.name} line {line_no}: not UTF-8 (byte 0x{data[exc.start]:02x} at column "
            f"{column}); save the file as UTF-8"
        ) from None
    return text.splitlines()


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _parse(row: object, where: str, source: str) -> GoldItem:
    if not isinstance(row, dict):
        raise GoldSetError(f"{where}: expected a JSON object, got {type(row).__name__}")
    for name, kind in _FIELDS.items():
        if name not in row:
            raise GoldSetError(f"{where}: missing field {name!r}")
        if not isinstance(row[name], kind):
            raise GoldSetError(
                f"{where}: field {name!r} must be a {kind.__name__}, got {type(row[name]).__name__}"
            )
    history = row.get("history") or []
    for name, value in (
        ("answers", row["answers"]),
        ("evidence", row["evidence"]),
        ("history", history),
    ):
        if not _strings(value):
            raise GoldSetError(f"{where}: field {name!r} must be a list of strings")
    points = row.get("points") or []
    if not isinstance(points, list) or not all(
        _strings(p) and p and all(s.strip() for s in p) for p in points
    ):
        raise GoldSetError(
            f"{where}: field 'points' must be a list of non-empty lists of strings, "
            'e.g. [["oligarch"], ["marries", "wedding"]]'
        )
    if not row["kind"].strip():
        raise GoldSetError(f"{where}: field 'kind' is empty")
    if not row["question"].strip():
        raise GoldSetError(f"{where}: field 'question' is empty")
    if row["answerable"] and not row["answers"] and not points:
        raise GoldSetError(
            f"{where}: field 'answers' is empty for an answerable question without 'points'"
        )
    return GoldItem(
        row["id"],
        row["question"],
        tuple(row["answers"]),
        tuple(row["evidence"]),
        row["answerable"],
        row["kind"],
        tuple(history),
        tuple(tuple(p) for p in points),
        source,
    )


def load_gold(path: Path) -> list[GoldItem]:
    """Read and validate a gold file; the first bad line raises ``GoldSetError``."""
    path = Path(path)
    items: list[GoldItem] = []
    ids: set[str] = set()
    for line_no, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {line_no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldSetError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        item = _parse(row, where, path.name)
        if item.id in ids:
            raise GoldSetError(f"{where}: field 'id' repeats {item.id!r}")
        ids.add(item.id)
        items.append(item)
    if not items:
        raise GoldSetError(f"{path} holds no questions")
    return items


def load_golds(paths: Sequence[Path]) -> list[GoldItem]:
    """Several gold files, in order; an id used by two files is refused."""
    items: list[GoldItem] = []
    seen: dict[str, str] = {}
    for path in paths:
        for item in load_gold(path):
            if item.id in seen:
                raise GoldSetError(
                    f"{Path(path).name}: id {item.id!r} is also used in {seen[item.id]}; "
                    "ids must be unique across the gold files scored together"
                )
            seen[item.id] = Path(path).name
            items.append(item)
    return items


def kinds_found(items: Sequence[GoldItem]) -> list[str]:
    """Every kind present: the well-known ones in ``KINDS`` order, then the rest as met.

    >>> kinds_found([GoldItem("a", "q", (), (), False, "offtopic"),
    ...              GoldItem("b", "q", ("x",), (), True, "factoid")])
    ['factoid', 'offtopic']
    """
    present = dict.fromkeys(item.kind for item in items)
    return [k for k in KINDS if k in present] + [k for k in present if k not in KINDS]

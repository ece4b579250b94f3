"""Readers' thumbs up and down on answers: an append-only JSONL file, and its summary.

``FeedbackStore(path).add(record)`` appends one ``FeedbackRecord`` as one JSON line
(``feedback/feedback.jsonl`` by default).  Appends are safe with many users at once:
each line is written with one ``write`` under an exclusive ``flock``, in append mode.
The file is bounded: every text field is cut to a fixed length, and when the file
passes ``max_bytes`` it is rotated to ``feedback.jsonl.1`` (one old file kept).
Nothing secret is stored: only the fields below, and any text that looks like a key
or a password ("sk-…", "password: …", the configured key) is replaced by "[redacted]".

A record carries an ``id``: a comment the reader types after a thumb is appended as the
same record again (same ``id``, now with the comment), and ``current(records)`` keeps the
latest of each ``id``, so a verdict is counted once.

``summarise(records)`` counts verdicts per generator; ``gold_candidates(records)``
turns the disliked answers into gold-file lines (``eval/gold.jsonl`` shape) for a
person to review: the expected answers and evidence are left empty, to be filled in.

What this module does not do: decide whether an answer was right, or serve HTTP.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rag.errors import RagError

Verdict = Literal["up", "down"]
VERDICTS: tuple[str, ...] = ("up", "down")
MAX_BYTES = 20 * 2**20  # rotate past this size
LIMITS = {"question": 2_000, "answer": 8_000, "comment": 1_000, "history": 10, "citations": 10}
# text that looks like a credential, replaced before anything is written
SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{12,}"),
    re.compile(r"\b(?:hf|ghp|gho|xox[abp])_[A-Za-z0-9]{12,}"),
    re.compile(r"(?i)\b(password|passwd|pwd|api[_ -]?key|token|secret)\b(\s*[:=]\s*)\S+"),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._\-]{12,}"),
)
REDACTED = "[redacted]"


def default_path() -> Path:
    """``feedback/feedback.jsonl`` in the project folder."""
    from rag.settings import PROJECT_ROOT

    return PROJECT_ROOT / "feedback" / "feedback.jsonl"


class FeedbackError(RagError):
    """The feedback file cannot be read or written."""


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with anything that looks like a key or password replaced.

    >>> redact("my password: hunter2 and sk-abcdefghijklmnop")
    'my password: [redacted] and [redacted]'
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(
            lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}" if m.lastindex else REDACTED, text
        )
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class FeedbackRecord:
    """One verdict on one answer: what was asked, answered and cited, and when."""

    verdict: str  # "up" or "down"
    question: str
    answer: str
    generator: str
    history: tuple[str, ...] = ()
    citations: tuple[dict[str, Any], ...] = ()  # n, source, title, sentence
    comment: str = ""
    time: float = field(default_factory=time.time)  # seconds since the epoch, UTC
    id: str = ""  # one thumb click; a later record with the same id replaces it

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def cleaned(self, secrets: Iterable[str] = ()) -> FeedbackRecord:
        """This record cut to the size limits, with secrets redacted."""
        keep = tuple(secrets)

        def clean(text: str, limit: int) -> str:
            return _cut(redact(str(text), keep), limit)

        cites = tuple(
            {
                "n": int(c.get("n", 0)),
                "source": clean(c.get("source", ""), 200),
                "title": clean(c.get("title", ""), 300),
                "sentence": clean(c.get("sentence", ""), 1_000),
            }
            for c in self.citations[: LIMITS["citations"]]
        )
        return FeedbackRecord(
            verdict=self.verdict,
            question=clean(self.question, LIMITS["question"]),
            answer=clean(self.answer, LIMITS["answer"]),
            generator=clean(self.generator, 40),
            history=tuple(clean(h, LIMITS["question"]) for h in self.history[-LIMITS["history"] :]),
            citations=cites,
            comment=clean(self.comment, LIMITS["comment"]),
            time=float(self.time),
            id=clean(self.id, 64),
        )

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["history"], out["citations"] = list(self.history), list(self.citations)
        out["time"] = round(self.time, 3)
        return out

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> FeedbackRecord:
        return cls(
            verdict=str(row["verdict"]),
            question=str(row["question"]),
            answer=str(row["answer"]),
            generator=str(row.get("generator", "")),
            history=tuple(str(h) for h in row.get("history") or ()),
            citations=tuple(dict(c) for c in row.get("citations") or ()),
            comment=str(row.get("comment", "")),
            time=float(row.get("time", 0.0)),
            id=str(row.get("id", "")),
        )


class FeedbackStore:
    """An append-only, size-bounded JSONL file of ``FeedbackRecord``s."""

    def __init__(
        self, path: Path, *, max_bytes: int = MAX_BYTES, secrets: Sequence[str] = ()
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._secrets = tuple(s for s in secrets if s)

    def add(self, record: FeedbackRecord) -> None:
        """Append one record (cut and redacted) as one line; rotate the file when full."""
        line = json.dumps(record.cleaned(self._secrets).to_json(), ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_size + len(data) > self.max_bytes and os.path.exists(self.path):
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                    os.close(fd)
                    fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, data)
            finally:
                os.close(fd)  # closing releases the lock
        except OSError as exc:
            raise FeedbackError(f"cannot write feedback to {self.path}: {exc.strerror}") from None

    def records(self) -> Iterator[FeedbackRecord]:
        """Every readable record, oldest first (the rotated file first); bad lines skipped."""
        for path in (self.path.with_name(self.path.name + ".1"), self.path):
            if not path.is_file():
                continue
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError as exc:
                raise FeedbackError(f"cannot read {path}: {exc.strerror}") from None
            for line in lines:
                try:
                    yield FeedbackRecord.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue  # a torn or foreign line: skip it, keep the rest


@dataclass(frozen=True)
class FeedbackSummary:
    total: int
    verdicts: dict[str, int]
    by_generator: dict[str, dict[str, int]]
    disliked_questions: tuple[str, ...]  # most disliked first

    def describe(self) -> str:
        if not self.total:
            return "no feedback yet"
        lines = [
            f"{self.total} verdicts: {self.verdicts.get('up', 0)} up, "
            f"{self.verdicts.get('down', 0)} down"
        ]
        for name, counts in sorted(self.by_generator.items()):
            lines.append(f"  {name}: {counts.get('up', 0)} up, {counts.get('down', 0)} down")
        if self.disliked_questions:
            lines.append("most disliked questions:")
            lines += [f"  {q}" for q in self.disliked_questions[:10]]
        return "\n".join(lines)


def current(records: Iterable[FeedbackRecord]) -> list[FeedbackRecord]:
    """Each thumb once: a later record with the same ``id`` (the thumb again, with the
    comment typed after it) replaces the earlier one in its place; records without an
    ``id`` (older files) are all kept.

    >>> from dataclasses import replace
    >>> a, b = FeedbackRecord("down", "q", "a", "x", id="1"), FeedbackRecord("up", "q", "a", "x")
    >>> [r.comment for r in current([a, b, replace(a, comment="wrong film")])]
    ['wrong film', '']
    """
    out: list[FeedbackRecord] = []
    where: dict[str, int] = {}
    for r in records:
        if r.id and r.id in where:
            out[where[r.id]] = r
            continue
        if r.id:
            where[r.id] = len(out)
        out.append(r)
    return out


def summarise(records: Iterable[FeedbackRecord]) -> FeedbackSummary:
    """Verdicts per generator and the most disliked questions, each thumb counted once."""
    verdicts: Counter[str] = Counter()
    per: dict[str, Counter[str]] = {}
    disliked: Counter[str] = Counter()
    for r in current(records):
        verdicts[r.verdict] += 1
        per.setdefault(r.generator or "?", Counter())[r.verdict] += 1
        if r.verdict == "down":
            disliked[r.question] += 1
    return FeedbackSummary(
        total=sum(verdicts.values()),
        verdicts=dict(verdicts),
        by_generator={k: dict(v) for k, v in per.items()},
        disliked_questions=tuple(q for q, _ in disliked.most_common()),
    )


def gold_candidates(records: Iterable[FeedbackRecord]) -> list[dict[str, Any]]:
    """Disliked answers as gold-file lines to review, one per distinct question and history.

    ``answers`` and ``evidence`` are empty and ``answerable`` is null: a person decides
    (and checks the guessed ``kind``).
    The answer that was disliked rides along under ``disliked_answer``.
    """
    out: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for r in current(records):
        if r.verdict != "down":
            continue
        key = (r.question, r.history)
        out[key] = {
            "id": f"fb{len(out) + 1:03d}" if key not in out else out[key]["id"],
            "question": r.question,
            "answers": [],
            "evidence": [],
            "answerable": None,
            "kind": "follow-up" if r.history else "factoid",  # a guess for the reviewer
            "origin": "feedback",
            "history": list(r.history),
            "disliked_answer": r.answer,
            "generator": r.generator,
            "comment": r.comment,
        }
    return list(out.values())

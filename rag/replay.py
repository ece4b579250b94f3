"""Replay conversations as a chat would, and draw the questions that test contamination.

``Replay.turns(conversation)`` asks each user turn in order, with the turns before
it as history, and keeps every answer, so a conversation's earlier answers are
known (and a turn shared by several gold rows is asked once).  ``ask_turn`` is the
one place that decides what history carries: each earlier question with its answer,
as the chat page passes it (``Pipeline.ask`` also takes bare question strings).

``distractors(item, gold)`` picks the two unrelated standalone questions asked
before ``item`` to see whether an earlier conversation changes its answer.

What this module does not do: score answers (``evaluation``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rag.gold import GoldItem
from rag.schema import Answer

CONTAMINATION_SEED = 29  # fixed: the same distractors for the same question id every run
CONTAMINATION_TURNS = 2  # unrelated questions asked before the standalone one


@dataclass(frozen=True)
class Turn:
    """One turn a chat user saw: the question and the answer the pipeline gave."""

    question: str
    answer: Answer


def ask_turn(pipeline: Any, question: str, earlier: Sequence[Turn], **options: Any) -> Answer:
    """Ask one turn with the earlier turns as history.

    The one place that says what a conversation's history is: as the chat page and the
    API pass it, each earlier question with the answer it got (``pipeline.as_turn``), so
    a pronoun is resolved from what was shown and nothing shown is opened with again.
    """
    from rag.pipeline import as_turn  # the pipeline imports this module's callers

    history = [replace(as_turn(t.answer), question=t.question) for t in earlier]
    return pipeline.ask(question, history, **options)


class Replay:
    """Asks conversations turn by turn as a chat would, each distinct turn once.

    ``turns(("Who plays Ani?", "what else has she been in"))`` asks the first question
    with no history, then the second with the first as history, and returns both
    ``Turn``s; a later conversation that starts the same way reuses those answers.
    """

    def __init__(self, pipeline: Any, **options: Any) -> None:
        self.pipeline = pipeline
        self.options = options
        self._cache: dict[tuple[str, ...], Answer] = {}  # key: the conversation so far

    def turns(self, conversation: Sequence[str]) -> list[Turn]:
        done: list[Turn] = []
        for i, question in enumerate(conversation):
            key = tuple(conversation[: i + 1])  # (history..., question)
            if key not in self._cache:
                self._cache[key] = ask_turn(self.pipeline, question, done, **self.options)
            done.append(Turn(question, self._cache[key]))
        return done

    @property
    def asked(self) -> int:
        """How many distinct turns were asked."""
        return len(self._cache)


def distractors(
    item: GoldItem, gold: Sequence[GoldItem], seed: int = CONTAMINATION_SEED
) -> tuple[GoldItem, ...]:
    """Two standalone questions of ``item``'s gold file, other than it and not from a
    conversation it starts, drawn with a generator seeded by ``seed`` and the item's id.
    """
    related = {t for g in gold if item.question in g.turns for t in g.turns}
    pool: dict[str, GoldItem] = {}  # by question text, in file order
    for g in gold:
        if not g.history and g.source == item.source and g.question not in related:
            pool.setdefault(g.question, g)
    if len(pool) < CONTAMINATION_TURNS:
        return ()
    # a str seed is hashed the same way in every run (PYTHONHASHSEED plays no part)
    return tuple(
        random.Random(f"{seed}:{item.id}").sample(list(pool.values()), CONTAMINATION_TURNS)
    )

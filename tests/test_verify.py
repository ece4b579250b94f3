"""rag.verify: answer splitting, and support checks with the real embedder and index.

Hand-made answers about real passages: a correct cited sentence passes; a wrong
citation number, a marker pointing nowhere, an unsupported sentence (invented
name, wrong number, wrong person for the role, off-topic) and an uncited
sentence are each caught.  The slow test rebuilds the threshold calibration
table from eval/gold.jsonl (see the comment above ``SUPPORT_THRESHOLD``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from rag import verify
from rag.schema import Chunk, Hit
from rag.text import fold
from rag.verify import Verifier, names_in, split_answer

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"
DP_QUESTION = "Who was the director of photography?"


@pytest.fixture(scope="module")
def pipe(pipeline):
    """The session pipeline of conftest.py (a real index of the real corpus, in a temp folder)."""
    return pipeline


@pytest.fixture(scope="module")
def verifier(pipe) -> Verifier:
    return Verifier(pipe.embedder, pipe.index)


def passage(pipe, needle: str) -> Chunk:
    """The first indexed passage whose text contains ``needle``."""
    for chunk in pipe.index.chunks:
        if needle in chunk.text:
            return chunk
    raise LookupError(needle)


@pytest.fixture(scope="module")
def sources(pipe) -> list[Hit]:
    """[1] the cinematographer passage, [2] the Palme d'Or passage."""
    dp = passage(pipe, "director of photography, Drew Daniels")
    palme = passage(pipe, "It won the Palme d’Or at the Cannes in 2024.")
    return [Hit(dp, 0.9, 1), Hit(palme, 0.5, 2)]


def check_one(pipe, verifier, sources, answer: str, question: str = DP_QUESTION):
    (checked,) = verifier.check(
        split_answer(answer), sources, question, pipe.embedder.embed_query(question)
    )
    return checked


# --- splitting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Drew Daniels shot it [1].", [("Drew Daniels shot it.", (1,))]),
        (
            "Drew Daniels shot it. [1] It won in 2024. [2]",
            [("Drew Daniels shot it.", (1,)), ("It won in 2024.", (2,))],
        ),
        ("Both [1, 2]. Also [1][3].", [("Both.", (1, 2)), ("Also.", (1, 3))]),
        (
            "Dr. Smith and U.S. viewers liked it [2].",
            [("Dr. Smith and U.S. viewers liked it.", (2,))],
        ),
        ("No markers at all.", [("No markers at all.", ())]),
        ("A claim.\n[2]", [("A claim.", (2,))]),
        ("", []),
    ],
)
def test_split_answer(answer, expected):
    assert [(c.text, c.markers) for c in split_answer(answer)] == expected


def test_names_skip_function_words_and_the_first_word():
    assert names_in("Besides Igor, Drew Daniels shot The Florida Project.") == [
        "Igor",
        "Drew Daniels",
        "Florida Project",
    ]


# --- support -----------------------------------------------------------------------------


def test_correct_cited_sentence_passes(pipe, verifier, sources):
    checked = check_one(
        pipe, verifier, sources, "The director of photography was Drew Daniels. [1]"
    )
    assert checked.status == "supported"
    support = checked.supports[1]
    assert support.score >= verify.SUPPORT_THRESHOLD and not support.missing
    assert support.sentence is not None and "Drew Daniels" in support.sentence.text


def test_wrong_citation_number_is_caught(pipe, verifier, sources):
    checked = check_one(
        pipe, verifier, sources, "The director of photography was Drew Daniels. [2]"
    )
    assert checked.status == "unsupported"
    assert checked.valid == (2,) and checked.supporting == ()


def test_marker_pointing_to_no_source_is_caught(pipe, verifier, sources):
    checked = check_one(
        pipe, verifier, sources, "The director of photography was Drew Daniels. [7]"
    )
    assert checked.status == "uncited" and checked.valid == ()


def test_sentence_without_citation_is_caught(pipe, verifier, sources):
    checked = check_one(pipe, verifier, sources, "The director of photography was Drew Daniels.")
    assert checked.status == "uncited"


@pytest.mark.parametrize(
    ("answer", "rule"),
    [
        # invented name: not in the article
        ("The director of photography was Roger Deakins. [1]", "names"),
        # wrong number: the passage says 16mm
        ("Daniels had shot Red Rocket on 35mm film. [1]", "numbers"),
        # every word is in the passage, but Baker is not the one it calls the cinematographer
        ("The director of photography was Sean Baker. [1]", "focus"),
        # it only restates the question: no answer at all
        ("Anora's director of photography was its director of photography. [1]", "focus"),
        # nothing to do with the passage
        ("The film was shot entirely on a submarine near Antarctica. [1]", "score"),
        # the passage's sentence copied with a name swapped: "his director of photography,
        # Drew Daniels" became "his director of photography, Sean Baker"
        ("He re-teamed with his Red Rocket director of photography, Sean Baker. [1]", "misquote"),
    ],
)
def test_unsupported_sentence_is_caught(pipe, verifier, sources, answer, rule):
    checked = check_one(pipe, verifier, sources, answer)
    assert checked.status == "unsupported"
    support = checked.supports[1]
    if rule == "misquote":
        assert support.misquoted and not support.missing and support.focused
    elif rule == "names":
        assert "Roger Deakins" in support.missing
    elif rule == "numbers":
        assert "35" in support.miscounted
    elif rule == "focus":
        assert not support.focused and not support.missing
    else:
        assert support.score < verify.SUPPORT_THRESHOLD


def test_off_topic_sentence_is_caught_even_when_its_passage_says_it(pipe, verifier):
    planted = passage(pipe, "director of photography, Drew Daniels")
    checked = check_one(pipe, verifier, [Hit(planted, 0.9, 1)], "He was excited. [1]")
    assert checked.status == "off-topic"


def test_multi_hop_claim_is_supported_by_the_union(pipe, verifier, sources):
    """Neither passage says both halves; together they do."""
    question = "When did Anora win the Palme d'Or, and who was its director of photography?"
    answer = "Anora won the Palme d’Or in 2024, and Drew Daniels was its director of photography."
    checked = check_one(pipe, verifier, sources[::-1], f"{answer} [1][2]", question)
    assert not any(s.supported for s in checked.supports.values())
    assert checked.status == "supported" and checked.supporting == (1, 2)


def test_passage_outside_the_index_supports_nothing(pipe, verifier):
    outside = Chunk("x#0", "x.txt", "X", None, 0, 10, "Drew Daniels was the director.", (), 8)
    checked = check_one(
        pipe, verifier, [Hit(outside, 1.0, 1)], "The director of photography was Drew Daniels. [1]"
    )
    assert checked.status == "unsupported" and checked.supports[1].sentence is None


# --- calibration -------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


def calibration_pairs(pipe) -> list[tuple[str, str, str, Chunk]]:
    """(kind, claim, question, passage) from the gold set; kinds as in verify.py's comment."""
    rng = random.Random(0)
    rows = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    answerable = [r for r in rows if r["answerable"] and r["evidence"] and r["answers"]]
    pairs = []
    for row in answerable:
        hits = pipe.retrieve(row["question"], row["history"])
        evidence = [_norm(e) for e in row["evidence"]]
        holding = [h for h in hits if any(e in _norm(h.chunk.text) for e in evidence)]
        if not holding:
            continue
        chunk = holding[0].chunk
        answers = [_norm(a) for a in row["answers"]]
        claim = f"{row['question'].rstrip('?').strip()}: {row['answers'][0]}."
        pairs.append(("faithful", claim, row["question"], chunk))
        pairs += [
            ("verbatim", e, "", chunk) for e in row["evidence"] if _norm(e) in _norm(chunk.text)
        ]
        for hit in [
            h
            for h in hits
            if h not in holding and not any(a in _norm(h.chunk.text) for a in answers)
        ][:2]:
            pairs.append(("wrong citation", claim, row["question"], hit.chunk))
        others = [
            o
            for o in answerable
            if o is not row and not any(_norm(a) in _norm(chunk.text) for a in o["answers"])
        ]
        wrong = rng.choice(others)
        pairs.append(
            (
                "wrong answer",
                f"{row['question'].rstrip('?').strip()}: {wrong['answers'][0]}.",
                row["question"],
                chunk,
            )
        )
        unrelated = rng.choice(others)
        pairs.append(
            (
                "unrelated",
                f"{unrelated['question'].rstrip('?').strip()}: {unrelated['answers'][0]}.",
                row["question"],
                chunk,
            )
        )
    return pairs


@pytest.mark.slow
def test_threshold_is_calibrated(pipe, verifier, capsys):
    """SUPPORT_THRESHOLD sits where misses + 2 x false accepts is lowest on the gold set."""
    if not GOLD.is_file():
        pytest.skip("eval/gold.jsonl is missing")
    pairs = calibration_pairs(pipe)
    vectors = pipe.embedder.embed([claim for _, claim, _, _ in pairs])
    rows = []
    for (kind, claim, question, chunk), vector in zip(pairs, vectors, strict=True):
        s = verifier.support(claim, vector, [chunk], question)
        rows.append((kind, s.score, not s.missing and s.focused))
    negative = {"wrong citation", "wrong answer", "unrelated"}

    def rates(threshold: float) -> tuple[float, float, float, float]:
        passed: dict[str, list[bool]] = {k: [] for k in ("faithful", "verbatim", *negative)}
        for kind, score, rules in rows:
            passed[kind].append(score >= threshold and rules)
        kept = float(np.mean(passed["faithful"]))
        verbatim = float(np.mean(passed["verbatim"]))
        rejected = 1 - float(np.mean([p for k in negative for p in passed[k]]))
        return kept, verbatim, rejected, (1 - kept) + 2 * (1 - rejected)

    grid = np.round(np.arange(0.2, 0.801, 0.025), 3)
    costs = {t: rates(t)[3] for t in grid}
    with capsys.disabled():
        print(f"\n{len(rows)} calibration pairs")
        for t in grid:
            kept, verbatim, rejected, cost = rates(t)
            print(
                f"  threshold {t:.3f}: faithful kept {kept:.3f}, verbatim kept {verbatim:.3f}, "
                f"negatives rejected {rejected:.3f}, cost {cost:.3f}"
            )
    kept, verbatim, rejected, cost = rates(verify.SUPPORT_THRESHOLD)
    assert cost <= min(costs.values()) + 0.02
    assert kept >= 0.8 and verbatim >= 0.95 and rejected >= 0.95

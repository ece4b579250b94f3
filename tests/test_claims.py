"""The verifier's claim set (eval/claims.jsonl) and ``rag calibrate --claims``.

The real embedder and index (conftest.py); the claims are the committed ones.  The
figures themselves are reported by the command (docs/verifier.md), not asserted here,
except that each category is exercised and the file is well formed and honest: enough
claims, both labels, every evidence excerpt found in an indexed passage.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rag.calibration import ClaimItem, _passage_of, check_claims, load_claims
from rag.cli import main

CLAIMS = Path(__file__).resolve().parent.parent / "eval" / "claims.jsonl"
# written after the verifier, by a writer who never read it or its rules: the clean held-out
FRESH = CLAIMS.with_name("claims_fresh.jsonl")
SECOND = CLAIMS.with_name("claims_fresh2.jsonl")  # a second blind writer, 100 claims
THIRD = CLAIMS.with_name("claims_fresh3.jsonl")  # a third, after session 19's rules
CATEGORIES = {
    "faithful",
    "negation",
    "number_unit",
    "moved_values",
    "question_name",
    "unstated_predicate",
    "false_clause",
    "wrong_entity",
    "invented_quote",
}


@pytest.mark.parametrize("path", [FRESH, SECOND, THIRD], ids=["fresh", "second", "third"])
def test_the_fresh_claim_sets_are_labelled_grounded_and_apart_from_the_first(pipeline, path):
    fresh, first = load_claims(path), load_claims(CLAIMS)
    assert len(fresh) >= 80 and {c.category for c in fresh} == CATEGORIES
    assert all((c.label == "faithful") == (c.category == "faithful") for c in fresh)
    assert all(_passage_of(pipeline, c.evidence) is not None for c in fresh)
    # written apart: only the plainest restatements can come out word for word the same
    assert len({c.claim for c in fresh} & {c.claim for c in first}) <= len(fresh) // 20
    report = check_claims(pipeline, fresh)
    assert len(report.results) == len(fresh)  # every claim judged (figures: docs/verifier.md)


def test_the_claim_set_is_large_labelled_and_grounded(pipeline):
    claims = load_claims(CLAIMS)
    counts = Counter(c.category for c in claims)
    assert len(claims) >= 200 and set(counts) == CATEGORIES
    assert all((c.label == "faithful") == (c.category == "faithful") for c in claims)
    assert all(_passage_of(pipeline, c.evidence) is not None for c in claims)
    assert {c.held_out for c in claims} == {True, False}  # both halves are populated


def test_a_bad_claim_line_is_one_clear_error(tmp_path: Path, capsys):
    bad = tmp_path / "claims.jsonl"
    bad.write_text('{"id": "c1", "claim": "x"}\n')
    with pytest.raises(ValueError, match=r"claims.jsonl:1: not a claim line"):
        load_claims(bad)
    assert main(["calibrate", "--claims", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rag: cannot read the claim set:") and len(err.splitlines()) == 1


def item(claim: str, question: str, evidence: str, label: str, category: str) -> ClaimItem:
    return ClaimItem("t", "q000", question, evidence, claim, label, category)


def test_claims_are_judged_by_the_real_verifier(pipeline):
    evidence = "shot for 37 days in New York City and 3 days in Las Vegas"
    question = "How many days did Anora shoot in New York City?"
    report = check_claims(
        pipeline,
        [
            item("Anora shot for 37 days in New York City.", question, evidence, "faithful", "faithful"),
            item("Anora shot for 37 weeks in New York City.", question, evidence, "unfaithful", "number_unit"),
            item("The production shot for 37 days in Las Vegas.", question, evidence, "unfaithful", "moved_values"),
        ],
    )  # fmt: skip
    assert [r.passed for r in report.results] == [True, False, False]
    assert "numbers" in report.results[1].rules and "moved" in report.results[2].rules
    text = report.describe(failures=True)
    assert "faithful" in text and "number_unit" in text


def test_the_command_reports_every_category(settings, capsys):
    where = ["--index", str(settings.index_dir), "--corpus", str(settings.corpus_dir)]
    assert main(["calibrate", "--claims", str(CLAIMS), *where]) == 0
    out = capsys.readouterr().out
    for category in CATEGORIES:
        assert f"  {category}" in out
    assert "held-out" in out and "unfaithful (all)" in out
    json.dumps(out)  # plain text, printable

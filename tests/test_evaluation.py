"""Metrics against hand-worked examples, gold-file validation, and a small real `rag eval`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.chunking import normalise_space
from rag.errors import GoldSetError
from rag.evaluation import (
    KINDS,
    GoldItem,
    build_report,
    cited_claims,
    contains_evidence,
    hit_at,
    is_correct,
    load_gold,
    mrr_at,
    ndcg_at,
    normalize_answer,
    percentile,
    score_question,
    token_f1,
)
from rag.schema import Answer, Citation
from tests.conftest import CORPUS, GOLD


def test_ranking_metrics_on_hand_worked_rankings():
    ranking = [False, True, False, True]
    assert hit_at(ranking, 1) == 0.0 and hit_at(ranking, 2) == 1.0
    assert mrr_at(ranking) == 0.5
    # DCG = 1/log2(3) + 1/log2(5) = 0.6309 + 0.4307; ideal = 1 + 1/log2(3) = 1.6309
    assert ndcg_at(ranking) == pytest.approx((0.63093 + 0.43068) / 1.63093, abs=1e-4)
    assert ndcg_at([True, True]) == 1.0 and ndcg_at([False] * 10) == 0.0
    assert mrr_at([False] * 10 + [True]) == 0.0  # beyond @10


def test_answer_normalisation_and_containment():
    assert normalize_answer("  The Palme d’Or!! ") == "palme d or"
    assert is_correct("It won the Palme d'Or [1]", ["Palme d’Or"])
    assert is_correct("Jesus Franco", ["Jesús Franco"])
    assert not is_correct("in a career", ["in a car"])
    assert not is_correct("anything", [])


def test_token_f1_by_hand():
    # predicted: shot, by, drew, daniels (4); gold: drew, daniels (2); common 2
    assert token_f1("Shot by Drew Daniels", ["Drew Daniels"]) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("nothing", ["Drew Daniels"]) == 0.0
    assert token_f1("Drew", ["Drew Daniels", "Drew"]) == 1.0


def test_percentile():
    assert percentile([10, 20, 30, 40, 50], 50) == 30
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile([], 50) == 0.0


def test_cited_claims_and_evidence_matching():
    assert cited_claims("A. [1] B [1, 2] C.") == {1: ["A.", "B"], 2: ["B"]}
    assert contains_evidence("He said “yes”,\n  then  left.", ['He said "yes", then left'])


def _citation(n, text, sentence):
    return Citation(n, "a.txt", "A", f"a#{n}", text, (0, 1), 0.5, sentence)


def test_score_question_by_hand():
    item = GoldItem(
        "q1",
        "Who shot it?",
        ("Drew Daniels",),
        ("director of photography, Drew Daniels",),
        True,
        "factoid",
    )
    good = "his Red Rocket director of photography, Drew Daniels."
    answer = Answer(
        "Who shot it?",
        f"{good} [1] Other words. [2]",
        False,
        (
            _citation(1, f"He re-teamed with {good}", good),
            _citation(2, "Nothing relevant here.", "Other words."),
        ),
        "extractive",
        {},
    )
    result = score_question(item, answer, ["x", f"with {good}"], 12.0)
    assert result.correct and result.cited_relevant and result.relevance == [False, True]
    assert result.citation_ok == [True, False]  # [2] quotes a sentence its passage lacks
    report = build_report([result], {"retriever": "hybrid", "generator": "extractive"})
    assert report["citation"]["precision"] == 0.5 and report["retrieval"]["mrr@10"] == 0.5
    assert report["answer"]["accuracy"] == 1.0 and report["latency_ms"]["p50"] == 12.0


def test_abstention_metrics_by_hand():
    def result(answerable, abstained):
        item = GoldItem(
            f"q{answerable}{abstained}",
            "q",
            ("a",) if answerable else (),
            (),
            answerable,
            "factoid" if answerable else "unanswerable",
        )
        return score_question(item, Answer("q", "x", abstained, (), "extractive", {}), [], 1.0)

    results = [
        result(False, True),
        result(False, True),
        result(False, False),
        result(True, True),
        result(True, False),
    ]
    abstention = build_report(results, {})["abstention"]
    assert abstention["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert abstention["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert abstention["false_abstain_rate"] == 0.5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        (
            '{"id": "x", "question": "q", "answers": [], "evidence": [], "answerable": true}',
            "line 2: missing field 'kind'",
        ),
        (
            '{"id": "x", "question": "q", "answers": "a", "evidence": [], "answerable": true, '
            '"kind": "factoid"}',
            "line 2: field 'answers' must be a list",
        ),
        (
            '{"id": "q1", "question": "q", "answers": ["a"], "evidence": [], "answerable": true, '
            '"kind": "factoid"}',
            "line 2: field 'id' repeats 'q1'",
        ),
    ],
)
def test_bad_gold_lines_name_the_line_and_field(tmp_path, line, message):
    good = json.dumps(
        {
            "id": "q1",
            "question": "Who?",
            "answers": ["a"],
            "evidence": [],
            "answerable": True,
            "kind": "factoid",
        }
    )
    path = tmp_path / "gold.jsonl"
    path.write_text(good + "\n" + line + "\n")
    with pytest.raises(GoldSetError, match=message):
        load_gold(path)


def test_the_project_gold_set_is_well_formed():
    gold = load_gold(GOLD)
    kinds = {k: sum(g.kind == k for g in gold) for k in KINDS}
    assert len(gold) >= 70
    assert kinds["unanswerable"] >= 12 and kinds["follow-up"] >= 8
    assert kinds["paraphrase"] >= 10 and kinds["multi-hop"] >= 5
    for g in gold:
        assert g.answerable == bool(g.answers) == bool(g.evidence)
        assert (g.kind == "follow-up") <= bool(g.history)


def test_every_evidence_excerpt_is_in_the_corpus():
    texts = [normalise_space(p.read_text()) for p in CORPUS.iterdir()]
    sources = set()
    for g in load_gold(GOLD):
        for excerpt in g.evidence:
            found = [i for i, t in enumerate(texts) if normalise_space(excerpt) in t]
            assert found, f"{g.id}: {excerpt!r}"
            sources.update(found)
    assert sources == set(range(len(texts)))  # every article is covered


def test_rag_eval_end_to_end_on_a_few_questions(tmp_path, settings):
    rows = [line for line in GOLD.read_text().splitlines() if line.strip()]
    small = tmp_path / "small.jsonl"
    picked = [r for r in rows if '"unanswerable"' in r][:2] + [
        r for r in rows if '"follow-up"' in r
    ][:2]
    small.write_text("\n".join(rows[:4] + picked) + "\n")
    env = {
        "RAG_CORPUS_DIR": str(settings.corpus_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
    }
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "rag", "eval", "--gold", str(small), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "hit@5" in done.stdout and "accuracy" in done.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["n_questions"] == 8 and len(report["per_question"]) == 8
    assert set(report) >= {
        "config",
        "retrieval",
        "answer",
        "citation",
        "abstention",
        "latency_ms",
        "by_kind",
        "per_question",
    }
    assert report["config"]["gold"] == [str(small)]  # --gold: that file alone
    chosen = [json.loads(r) for r in rows[:4] + picked]
    assert report["kinds"] == {
        k: sum(c["kind"] == k for c in chosen) for k in KINDS if any(c["kind"] == k for c in chosen)
    }
    assert {"answer_first", "coverage", "median_words", "max_words"} <= set(report["answer"])
    assert report["answer"]["coverage"] is None  # the old format has no points
    assert set(report["conversation"]) == {"repeats", "contamination"}
    assert report["conversation"]["repeats"]["n"] == 2
    standalone = [c for c in chosen if c["answerable"] and not c.get("history")]
    assert report["conversation"]["contamination"]["n"] == len(standalone)
    assert report["abstention"]["offtopic_refusal"] is None
    old_keys = {"id", "kind", "question", "history", "answer", "abstained", "correct", "f1"}
    assert all(old_keys <= set(q) for q in report["per_question"])
    page = (out / "report.md").read_text()
    assert "## By kind" in page and "## Every question" in page and "## Notes" in page
    for png in ("accuracy_by_kind.png", "words_by_kind.png", "latency_hist.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rag_eval_refuses_a_bad_gold_file_before_running(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    done = subprocess.run(
        [sys.executable, "-m", "rag", "eval", "--gold", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "rag: bad.jsonl line 1: field 'id' must be a str, got int"

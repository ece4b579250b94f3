"""What a chat user sees: the new gold format, the chat metrics by hand, conversations
replayed through the real pipeline, and the `rag eval` / `rag calibrate` gold-file errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import GoldSetError
from rag.evaluation import (
    CONTAMINATION_SEED,
    GoldItem,
    Replay,
    answers_first,
    build_report,
    distractors,
    evaluate,
    first_sentence,
    load_gold,
    load_golds,
    point_coverage,
    score_question,
)
from rag.report import question_table, results_markdown, write_report
from rag.schema import Answer
from tests.conftest import GOLD


def _row(**fields) -> str:
    row = {
        "id": "x",
        "question": "Who shot it?",
        "answers": ["Drew Daniels"],
        "evidence": [],
        "answerable": True,
        "kind": "factoid",
    }
    row.update(fields)
    return json.dumps(row, ensure_ascii=False)


def _item(id="q", kind="factoid", answers=("Drew Daniels",), answerable=True, **kw) -> GoldItem:
    return GoldItem(id, kw.pop("question", f"question {id}?"), answers, (), answerable, kind, **kw)


def _answer(text: str, abstained: bool = False) -> Answer:
    return Answer("q", text, abstained, (), "extractive", {"total": 1.0})


# ---------------------------------------------------------------- the format


def test_any_kind_points_and_extra_fields_load(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text(
        "\n".join(
            [
                _row(id="c1", kind="chat-open", answers=[], points=[["oligarch"], ["wed", "marr"]]),
                _row(id="c2", kind="offtopic", answers=[], answerable=False, reviewer="ann"),
                _row(id="c3", kind="chat-followup", history=["who plays ani"]),
            ]
        )
        + "\n"
    )
    c1, c2, c3 = load_gold(path)
    assert c1.points == (("oligarch",), ("wed", "marr")) and c1.answers == ()
    assert (c2.kind, c2.answerable, c2.source) == ("offtopic", False, "chat.jsonl")
    assert c3.turns == ("who plays ani", "Who shot it?")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (_row(points=["oligarch"]), "field 'points' must be a list of non-empty lists"),
        (_row(points=[[]]), "field 'points' must be a list of non-empty lists"),
        (_row(kind=" "), "field 'kind' is empty"),
        (_row(answers=[]), "field 'answers' is empty for an answerable question without"),
    ],
)
def test_bad_points_and_kinds_name_the_line(tmp_path, line, message):
    path = tmp_path / "g.jsonl"
    path.write_text(_row(id="ok") + "\n" + line + "\n")
    with pytest.raises(GoldSetError, match=f"g.jsonl line 2: {message}"):
        load_gold(path)


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _row(question="Who is Anora’s DP?").encode() + b"\n")
    assert load_gold(path)[0].question == "Who is Anora’s DP?"


def test_a_latin1_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes((_row(id="a") + "\n" + _row(id="b", question="Où?") + "\n").encode("latin-1"))
    with pytest.raises(GoldSetError, match=r"latin.jsonl line 2: not UTF-8 \(byte 0xf9"):
        load_gold(path)


def test_ids_must_be_unique_across_files(tmp_path):
    (tmp_path / "a.jsonl").write_text(_row(id="q1") + "\n")
    (tmp_path / "b.jsonl").write_text(_row(id="q1") + "\n")
    with pytest.raises(GoldSetError, match=r"b\.jsonl: id 'q1' is also used in a\.jsonl"):
        load_golds([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])


# ---------------------------------------------------------------- the metrics by hand


def test_first_sentence_and_answer_first_by_hand():
    text = "Dr. Baker hired Drew Daniels to shoot it. [1] It was 35mm. [2]"
    assert first_sentence(text) == "Dr. Baker hired Drew Daniels to shoot it."
    assert answers_first(text, ["Drew Daniels"])
    assert not answers_first(text, ["35mm"])  # in the answer, not in its first sentence
    long = " ".join(["word"] * 24) + " Drew Daniels shot it. [1]"
    assert not answers_first(long, ["Drew Daniels"])  # "Drew" is word 25, "Daniels" 26
    assert answers_first(long, ["Drew Daniels"], words=26)


def test_answer_first_counts_abstentions_as_misses_and_skips_points():
    results = [
        score_question(_item("a"), _answer("Drew Daniels shot it. [1]"), [], 1.0),
        score_question(_item("b"), _answer("Baker. [1] Drew Daniels. [2]"), [], 1.0),
        score_question(_item("c"), _answer("I couldn't find that.", abstained=True), [], 1.0),
        score_question(_item("d", points=(("Drew",),)), _answer("Drew Daniels. [1]"), [], 1.0),
        score_question(_item("e", answers=(), answerable=False), _answer("x"), [], 1.0),
    ]
    assert [r.answer_first for r in results] == [True, False, False, None, None]
    answer = build_report(results, {})["answer"]
    assert answer["answer_first"] == pytest.approx(1 / 3, abs=1e-4)
    assert answer["n_answer_first"] == 3


def test_points_coverage_arithmetic():
    points = (("oligarch",), ("marries", "wedding"), ("stripper", "escort", "dancer"))
    assert point_coverage("The son of an oligarch marries her. [1]", points) == pytest.approx(2 / 3)
    assert point_coverage("An Oligarch’s son; a WEDDING in Vegas; a dancer", points) == 1.0
    assert point_coverage("marriage", points) == 0.0  # whole words only, as accuracy
    results = [
        score_question(_item("a", points=points), _answer("An oligarch. [1]"), [], 1.0),
        score_question(_item("b", points=points), _answer("oligarch wedding dancer"), [], 1.0),
        # an abstention covers nothing, whatever its wording
        score_question(_item("c", points=points), _answer("oligarch", abstained=True), [], 1.0),
    ]
    answer = build_report(results, {})["answer"]
    assert answer["coverage"] == pytest.approx((1 / 3 + 1 + 0) / 3, abs=1e-4)
    assert answer["n_points"] == 3 and answer["answer_first"] is None


def test_words_median_and_max_drop_markers():
    results = [
        score_question(_item("a"), _answer("one two three [1]"), [], 1.0),
        score_question(_item("b"), _answer("one [1, 2] two"), [], 1.0),
        score_question(_item("c"), _answer("one two three four five six", True), [], 1.0),
    ]
    answer = build_report(results, {})["answer"]
    assert (answer["median_words"], answer["max_words"], answer["mean_words"]) == (2.5, 3, 2.5)


def test_repeats_same_text_or_same_first_sentence():
    earlier = [_answer("Drew Daniels shot it. [1] On film. [2]")]
    follow = _item("f", history=("who shot it",))
    same_text = score_question(
        follow, _answer("Drew Daniels shot it. [2] On film. [1]"), [], 1, earlier
    )
    same_first = score_question(
        follow, _answer("Drew Daniels shot it. [1] In 2023. [3]"), [], 1, earlier
    )
    new = score_question(follow, _answer("In Las Vegas. [1]"), [], 1, earlier)
    no = _answer("I couldn't find that in the articles.", abstained=True)
    both_abstain = score_question(follow, no, [], 1, [no])
    standalone = score_question(_item("s"), _answer("Drew Daniels shot it. [1]"), [], 1)
    assert [same_text.repeat, same_first.repeat, new.repeat, both_abstain.repeat] == [
        True,
        True,
        False,
        False,
    ]
    assert standalone.repeat is None
    results = [same_text, same_first, new, both_abstain, standalone]
    repeats = build_report(results, {})["conversation"]["repeats"]
    assert repeats == {"count": 2, "share": 0.5, "n": 4}


def test_offtopic_refusal_and_abstention_over_every_unanswerable():
    results = [
        score_question(_item("o1", "offtopic", (), False), _answer("no", True), [], 1),
        score_question(_item("o2", "offtopic", (), False), _answer("a recipe [1]"), [], 1),
        score_question(_item("u1", "chat-unanswerable", (), False), _answer("no", True), [], 1),
        score_question(_item("a1", "chat-fact"), _answer("Drew Daniels [1]"), [], 1),
    ]
    report = build_report(results, {})
    assert report["abstention"]["offtopic_refusal"] == 0.5
    assert report["abstention"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["abstention"]["precision"] == 1.0
    assert report["abstention"]["false_abstain_rate"] == 0.0
    assert report["by_kind"]["chat-fact"]["abstention"]["offtopic_refusal"] is None


def test_every_kind_is_reported_in_order(tmp_path):
    kinds = ["chat-yesno", "factoid", "offtopic", "chat-yesno", "weird kind"]
    results = [
        score_question(_item(f"q{i}", k), _answer("Drew Daniels [1]"), [], 1.0)
        for i, k in enumerate(kinds)
    ]
    report = build_report(results, {"gold": ["x.jsonl"]})
    assert report["kinds"] == {"factoid": 1, "chat-yesno": 2, "offtopic": 1, "weird kind": 1}
    assert list(report["by_kind"]) == list(report["kinds"])
    assert report["by_kind"]["chat-yesno"]["n_questions"] == 2
    paths = write_report(report, tmp_path)
    page = (tmp_path / "report.md").read_text()
    assert "| weird kind | 1 |" in page and "## Notes" in page and "## Every question" in page
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths if p.suffix == ".png")


def test_question_table_shows_history_answer_start_and_verdicts():
    points = (("oligarch",), ("wedding",))
    item = _item("c101-2", "chat-open", (), history=("who is ani",), points=points)
    long = "An oligarch's son takes her to Vegas. [1] " + "more " * 40
    result = score_question(item, _answer(long), [], 1.0, [_answer("Mikey Madison. [1]")])
    row = question_table(build_report([result], {})).splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:4] == ["c101-2", "chat-open", "question c101-2?", "who is ani"]
    assert cells[4].endswith("more …") and len(cells[4].split()) == 31
    assert cells[5:9] == ["–", "–", "1/2", "✓"]


def test_results_page_names_command_date_and_gold_hashes():
    from datetime import UTC, datetime

    results = [
        score_question(_item(i, source=f), _answer("Drew Daniels shot it. [1]"), [], 3.0)
        for i, f in (("a", "gold.jsonl"), ("b", "chat.jsonl"))
    ]
    report = build_report(results, {"retriever": "bm25", "generator": "extractive"})
    page = results_markdown(
        [report],
        command="rag eval --compare",
        date=datetime(2026, 12, 1, 21, 0, tzinfo=UTC),
        files=[{"path": "/x/eval/gold.jsonl", "sha256": "ab" * 32}],
    )
    assert "Date: 2026-12-01 21:00 UTC" in page and "`rag eval --compare`" in page
    assert f"`gold.jsonl`: sha256 `{'ab' * 32}`" in page
    header = next(line for line in page.splitlines() if line.startswith("| retriever"))
    for column in ("hit@5", "MRR@10", "accuracy", "answer_first", "coverage"):
        assert f" {column} " in header
    for column in ("contamination", "offtopic_refusal", "abstain P", "abstain R", "p50 ms"):
        assert f" {column} " in header
    assert "| bm25 | extractive | – | – | 1.000 | 1.000 | – | – | – |" in page
    # and each gold file alone, one row per configuration and file
    by_file = page[page.index("By gold file:") :]
    assert "| retriever | generator | gold file | hit@5 |" in by_file
    assert "| bm25 | extractive | gold.jsonl | – | – | 1.000 |" in by_file
    assert "| bm25 | extractive | chat.jsonl | – | – | 1.000 |" in by_file


# ---------------------------------------------------------------- contamination and replay


def test_distractors_are_seeded_standalone_and_outside_the_conversation():
    gold = [_item(f"s{i}", question=f"standalone {i}?", source="g.jsonl") for i in range(8)]
    gold += [
        _item("c1", question="standalone 0?", source="g.jsonl"),  # the same text again
        _item("c2", question="and her?", history=("standalone 0?",), source="g.jsonl"),
        _item("c3", question="then?", history=("standalone 0?", "standalone 1?"), source="g.jsonl"),
        _item("o1", question="other file?", source="other.jsonl"),
    ]
    first = distractors(gold[0], gold)
    assert first == distractors(gold[0], gold, CONTAMINATION_SEED)  # deterministic
    assert len(first) == 2 and len({d.question for d in first}) == 2
    for _ in range(3):
        for d in distractors(gold[0], gold):
            assert not d.history and d.source == "g.jsonl"
            assert d.question not in ("standalone 0?", "standalone 1?")  # its conversation
    seeds = {tuple(d.id for d in distractors(gold[0], gold, seed)) for seed in range(20)}
    assert len(seeds) > 1  # the seed, not the file order, chooses


class _Recorder:
    """Records each ask (a unit of logic: the replay's order and caching)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def ask(self, question, history, **options):
        # each earlier turn comes with the answer it got, as the chat page passes it
        assert all(t.answer == f"answer to {t.question} after {i}" for i, t in enumerate(history))
        self.calls.append((question, tuple(t.question for t in history)))
        return _answer(f"answer to {question} after {len(history)}")


def test_replay_asks_each_turn_in_order_once():
    pipe = _Recorder()
    replay = Replay(pipe)
    turns = replay.turns(("who plays ani", "and igor?", "what else"))
    replay.turns(("who plays ani", "and igor?"))
    replay.turns(("who plays ani", "and toros?"))
    assert [t.answer.text for t in turns] == [
        "answer to who plays ani after 0",
        "answer to and igor? after 1",
        "answer to what else after 2",
    ]
    assert pipe.calls == [
        ("who plays ani", ()),
        ("and igor?", ("who plays ani",)),
        ("what else", ("who plays ani", "and igor?")),
        ("and toros?", ("who plays ani",)),
    ]
    assert replay.asked == 4


CHAT_GOLD = [
    GoldItem(
        "s1",
        "Who was the director of photography?",
        ("Drew Daniels",),
        (),
        True,
        "chat-fact",
        source="t",
    ),
    GoldItem(
        "s2",
        "In what year did Anora win the Palme d'Or?",
        ("2024",),
        (),
        True,
        "chat-fact",
        source="t",
    ),
    GoldItem("s3", "Which actor plays Igor?", ("Yura Borisov",), (), True, "chat-fact", source="t"),
    GoldItem(
        "c1-2",
        "What kind of sense of humor does Madison say he brings to that character?",
        ("dry",),
        (),
        True,
        "chat-followup",
        history=("Which actor plays Igor?",),
        source="t",
    ),
    GoldItem("o1", "whats the weather like in new york", (), (), False, "offtopic", source="t"),
]


def test_evaluate_replays_conversations_and_contamination_leaves_main_rows(pipeline):
    plain = evaluate(pipeline, CHAT_GOLD, contamination=False)
    full = evaluate(pipeline, CHAT_GOLD)
    again = evaluate(pipeline, CHAT_GOLD)
    assert [r.answer.text for r in plain] == [r.answer.text for r in full]
    assert [r.correct for r in plain] == [r.correct for r in full]
    # the follow-up's earlier turn is the same answer as its own row, and as a chat gives it
    follow = full[3]
    assert [a.text for a in follow.earlier] == [full[2].answer.text]
    direct = pipeline.ask(follow.item.question, list(follow.item.history))
    assert follow.answer.text == direct.text and follow.repeat is not None
    # contamination: the standalone answerable ones, after two others, the same each run
    measured = [r for r in full if r.contamination is not None]
    assert [r.item.id for r in measured] == ["s1", "s2", "s3"]
    for r, r2 in zip(measured, [r for r in again if r.contamination is not None], strict=True):
        assert len(r.contamination.after) == 2 and r.item.id not in r.contamination.after
        assert r.contamination.after == r2.contamination.after
        assert r.contamination.changed == r2.contamination.changed
        expected = pipeline.ask(
            r.item.question,
            [next(g.question for g in CHAT_GOLD if g.id == i) for i in r.contamination.after],
        )
        assert r.contamination.answer.text == expected.text
    report = build_report(full, {})
    contamination = report["conversation"]["contamination"]
    assert contamination["n"] == 3
    assert contamination["count"] == sum(r.contamination.changed for r in measured)
    assert set(report["kinds"]) == {"chat-fact", "chat-followup", "offtopic"}


# ---------------------------------------------------------------- the command


def _rag(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=cwd,
    )


@pytest.mark.parametrize("command", ["eval", "calibrate"])
def test_a_latin1_gold_file_is_one_line_exit_2(tmp_path, command):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes((_row(question="¿Quién filmó la película?") + "\n").encode("latin-1"))
    done = _rag(command, "--gold", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("rag: bad.jsonl line 1: not UTF-8 (byte 0xbf at column ")


def test_bad_json_in_a_second_gold_file_names_that_file(tmp_path):
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(_row(id="a") + "\n")
    bad.write_text(_row(id="b") + "\n{oops\n")
    done = _rag("eval", "--gold", str(good), "--gold", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "rag: bad.jsonl line 2: not valid JSON (Expecting property name enclosed in double "
        "quotes at column 2)"
    )


def test_default_gold_files_and_calibration_gold(tmp_path, monkeypatch):
    import argparse

    from rag import cli

    quiz, chat = tmp_path / "gold.jsonl", tmp_path / "chat.jsonl"
    quiz.write_text(_row() + "\n")
    monkeypatch.setattr(cli, "DEFAULT_GOLD", (quiz, chat))
    assert cli._gold_paths(argparse.Namespace(gold=None)) == [quiz]  # chat.jsonl absent
    chat.write_text(_row(id="c1") + "\n")
    assert cli._gold_paths(argparse.Namespace(gold=None)) == [quiz, chat]
    assert cli._gold_paths(argparse.Namespace(gold=[chat])) == [chat]
    parser = cli.build_parser()
    assert parser.parse_args(["calibrate"]).gold == cli.PROJECT_ROOT / "eval" / "gold.jsonl"
    assert parser.parse_args(["eval", "--gold", "a", "--gold", "b"]).gold == [Path("a"), Path("b")]


def test_compare_writes_the_results_page(tmp_path, settings, monkeypatch):
    from rag import cli

    rows = [line for line in GOLD.read_text().splitlines() if line.strip()][:3]
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(rows) + "\n")
    monkeypatch.setenv("RAG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(settings.index_dir))
    # two extractive rows: the LLM rows are the same code path, only slower
    monkeypatch.setattr(
        cli, "_eval_configs", lambda a, s: [("bm25", "extractive"), ("hybrid", "extractive")]
    )
    page = tmp_path / "docs" / "results.md"
    argv = [
        "eval",
        "--compare",
        "--gold",
        str(small),
        "--out",
        str(tmp_path / "r"),
        "--results",
        str(page),
    ]
    assert cli.main(argv) == 0
    text = page.read_text()
    assert f"Command: `rag {' '.join(argv)}`" in text
    digest = hashlib.sha256(small.read_bytes()).hexdigest()
    assert f"`small.jsonl`: sha256 `{digest}`" in text
    assert "| bm25 | extractive |" in text and "| hybrid | extractive |" in text
    assert (tmp_path / "r" / "bm25+extractive" / "report.json").is_file()

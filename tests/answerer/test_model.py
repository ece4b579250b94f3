"""The models file: read, checked against the code's feature names, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.answerer.features import AnswerFeatures, SentenceFeatures
from rag.answerer.model import MODELS_PATH, read_models, write_models
from rag.calibration import Calibration
from rag.errors import ConfigError


def test_the_shipped_models_match_the_code():
    models = read_models(MODELS_PATH)
    assert models.sentence.features == SentenceFeatures.names()
    assert models.answer.features == AnswerFeatures.names()
    assert 0 < models.threshold < 1
    assert len(models.fitted_on["sha256"]) == 64 and models.cross_validated


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["sentence"]["features"].reverse(), "do not match the code"),
        (lambda d: d["answer"]["features"].pop(), "do not match the code"),
        (lambda d: d.update(format="anora-answerer-models/0"), "expected"),
        (lambda d: d["answer"]["weights"].pop(), "one weight per feature"),
        (lambda d: d.update(threshold=1.5), "between 0 and 1"),
    ],
)
def test_a_models_file_that_does_not_fit_the_code_is_refused(tmp_path: Path, change, message):
    data = json.loads(MODELS_PATH.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "models.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        read_models(path)
    assert "rag calibrate --write" in str(caught.value) or "threshold" in str(caught.value)


def test_a_corrupt_models_file_is_one_clear_error(tmp_path: Path):
    path = tmp_path / "models.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the answerer's models"):
        read_models(path)


def test_calibration_writes_a_file_the_answerer_reads_back(tmp_path: Path):
    n_sentence, n_answer = len(SentenceFeatures.names()), len(AnswerFeatures.names())
    fit = Calibration(
        np.linspace(-1, 1, n_sentence),
        -2.5,
        np.linspace(0, 1, n_answer),
        -1.25,
        0.275,
        cv={"right outcome at the chosen threshold": 0.8},
        fitted_on={"gold": "gold.jsonl", "sha256": "0" * 64},
    )
    path = write_models(fit.models(), tmp_path / "models.json")
    back = read_models(path)
    assert back.threshold == 0.275 and back.sentence.bias == -2.5 and back.answer.bias == -1.25
    assert np.allclose(back.sentence.weights, np.round(np.linspace(-1, 1, n_sentence), 3))
    assert back.fitted_on["gold"] == "gold.jsonl"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_calibration_reports_the_bias_for_a_configured_threshold():
    from rag.calibration import recentred_bias

    fitted = Calibration(np.zeros(1), 0.0, np.zeros(1), -2.0, 0.25, configured_threshold=0.30)
    assert f"answer bias {recentred_bias(-2.0, 0.25, 0.30):.3f}" in fitted.describe()
    same = Calibration(np.zeros(1), 0.0, np.zeros(1), -2.0, 0.30, configured_threshold=0.30)
    assert "overrides it" not in same.describe()

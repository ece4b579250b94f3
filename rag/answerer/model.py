"""The answerer's two fitted linear models, read from a versioned data file.

``models.json`` (beside this module) holds the sentence ranker and the
answerability model: each its feature names, weights and bias; the abstention
threshold chosen with them; the gold file they were fitted on (name and
SHA-256) and their cross-validated figures.  ``rag calibrate --write`` writes it;
nothing is pasted into code by hand.  ``load_models`` refuses a file whose format
or feature names do not match the code's (``SentenceFeatures``,
``AnswerFeatures``), with a message saying to re-run ``rag calibrate --write``.

What this module does not do: fit (``rag.calibration``) or compute features
(``features``).
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.answerer.features import AnswerFeatures, SentenceFeatures
from rag.errors import ConfigError

FORMAT = "anora-answerer-models/1"
MODELS_PATH = Path(__file__).with_name("models.json")


def sigmoid(x: float) -> float:
    """The logistic function, clipped so it never overflows.

    >>> sigmoid(0.0), round(sigmoid(2.0), 4)
    (0.5, 0.8808)
    """
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


@dataclass(frozen=True)
class LinearModel:
    """``weights · features + bias``, with the feature names the weights belong to."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float

    def logit(self, vector: np.ndarray) -> float:
        return float(self.weights @ vector) + self.bias

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "weights": [round(float(w), 3) for w in self.weights],
            "bias": round(float(self.bias), 3),
        }


@dataclass(frozen=True)
class Models:
    """Everything ``models.json`` holds."""

    sentence: LinearModel
    answer: LinearModel
    threshold: float
    fitted_on: dict[str, Any] = field(default_factory=dict)
    cross_validated: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "sentence": self.sentence.to_json(),
            "answer": self.answer.to_json(),
            "threshold": round(float(self.threshold), 3),
            "fitted_on": self.fitted_on,
            "cross_validated": {k: round(float(v), 3) for k, v in self.cross_validated.items()},
        }


def _model(data: Any, expected: Sequence[str], what: str, path: Path) -> LinearModel:
    fix = "re-run `rag calibrate --write`"
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the {what} model is missing; {fix}")
    names = tuple(data.get("features", ()))
    if names != tuple(expected):
        raise ConfigError(
            f"{path}: the {what} model's features {list(names)} do not match the code's "
            f"{list(expected)}; {fix}"
        )
    weights = np.asarray(data.get("weights", ()), dtype=np.float64)
    bias = data.get("bias")
    if weights.shape != (len(expected),) or not isinstance(bias, int | float):
        raise ConfigError(
            f"{path}: the {what} model needs one weight per feature and a bias; {fix}"
        )
    if not (np.isfinite(weights).all() and math.isfinite(bias)):
        raise ConfigError(f"{path}: the {what} model has a weight that is not a number; {fix}")
    return LinearModel(names, weights, float(bias))


def read_models(path: Path) -> Models:
    """Read and check a models file; any problem is one ``ConfigError`` naming the fix."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the answerer's models {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise ConfigError(
            f"{path}: format {found!r}, expected {FORMAT!r}; re-run `rag calibrate --write`"
        )
    threshold = data.get("threshold")
    if not isinstance(threshold, int | float) or not 0.0 < threshold < 1.0:
        raise ConfigError(f"{path}: threshold must be between 0 and 1, got {threshold!r}")
    return Models(
        sentence=_model(data.get("sentence"), SentenceFeatures.names(), "sentence", path),
        answer=_model(data.get("answer"), AnswerFeatures.names(), "answer", path),
        threshold=float(threshold),
        fitted_on=dict(data.get("fitted_on") or {}),
        cross_validated=dict(data.get("cross_validated") or {}),
    )


@functools.cache
def load_models(path: Path = MODELS_PATH) -> Models:
    """The models file, read and checked once per process."""
    return read_models(path)


def write_models(models: Models, path: Path = MODELS_PATH) -> Path:
    """Write atomically (a temporary file renamed over the old one), then re-read it."""
    path = Path(path)
    text = json.dumps(models.to_json(), indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".models-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    load_models.cache_clear()
    read_models(path)
    return path

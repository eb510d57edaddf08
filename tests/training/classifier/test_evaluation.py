"""Metrics and report plots of the classifier evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from training.classifier.evaluation import evaluate_predictions, format_metrics, write_report
from training.errors import EvaluationError


def _probs(predicted: list[int], confidence: float = 0.8) -> np.ndarray:
    probs = np.full((len(predicted), 3), (1 - confidence) / 2)
    probs[np.arange(len(predicted)), predicted] = confidence
    return probs


def test_metrics_match_sklearn_and_confusion():
    truth = [0, 0, 1, 1, 2, 2, 2]
    predicted = [0, 1, 1, 1, 2, 0, 2]
    metrics = evaluate_predictions(truth, _probs(predicted))
    assert metrics["accuracy"] == pytest.approx(5 / 7)
    assert metrics["macro_f1"] == pytest.approx(f1_score(truth, predicted, average="macro"))
    assert metrics["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    assert metrics["per_class"]["neutral"]["recall"] == 1.0
    assert metrics["per_class"]["positive"]["support"] == 3
    text = format_metrics(metrics)
    assert "macro-F1" in text and "positive" in text


def test_shape_mismatch_raises():
    with pytest.raises(EvaluationError):
        evaluate_predictions([0, 1], _probs([0]))


def test_report_writes_the_four_plots(tmp_path: Path):
    truth = [0, 1, 2] * 10
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1, 1, 1], size=30)
    history = {
        "step": [10, 20],
        "train_loss": [1.0, 0.8],
        "eval_step": [20],
        "val_loss": [0.9],
        "val_macro_f1": [0.5],
    }
    written = write_report(tmp_path, truth, probs, history=history)
    for name in ("roc", "confusion", "loss", "calibration"):
        path = written[name]
        assert path.name == f"{name}.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_macro_scores_average_over_the_labels_the_truth_contains():
    # A two-class set (reviews: negative/positive); one positive predicted neutral.
    truth = [0, 0, 2, 2]
    probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.1, 0.2, 0.7], [0.2, 0.6, 0.2]])
    metrics = evaluate_predictions(truth, probs)
    # negative: P 1, R 1, F1 1; positive: P 1, R 0.5, F1 2/3 -> macro over the two present labels
    assert metrics["macro_f1"] == pytest.approx((1 + 2 / 3) / 2)
    assert metrics["macro_recall"] == pytest.approx(0.75)
    assert metrics["per_class"]["neutral"]["support"] == 0

"""Classifier metrics (accuracy, macro-F1/recall, per class, confusion, AUC, calibration) and reports."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
    recall_score,
    roc_auc_score,
)

from models.types import LABELS
from training import plots
from training.errors import EvaluationError

logger = logging.getLogger(__name__)

REPORT_FILES = {
    "roc": "roc.png",
    "confusion": "confusion.png",
    "loss": "loss.png",
    "calibration": "calibration.png",
}


def expected_calibration_error(y_true: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    """Weighted gap between confidence and accuracy over equal-width confidence bins."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total)


def evaluate_predictions(
    y_true: Sequence[int] | np.ndarray, probs: np.ndarray, labels: Sequence[str] = LABELS
) -> dict[str, Any]:
    """Metrics of predicted probabilities (N, C) against true label indices (N,).

    Macro averages run over the labels the truth contains: on a set without neutral examples
    (positive/negative reviews) a neutral prediction counts as an error on its true label, not
    as an extra class with F1 0.

    Returns:
        accuracy, macro_f1, macro_recall, macro_precision, per_class {label: precision, recall,
        f1, support, auc}, confusion (rows true, columns predicted), ece, log_loss, n, labels.
    """
    truth = np.asarray(y_true, dtype=int)
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or len(truth) != len(probs) or probs.shape[1] != len(labels):
        raise EvaluationError(f"shapes do not match: labels {truth.shape}, probs {probs.shape}")
    if not len(truth):
        raise EvaluationError("nothing to evaluate")
    predicted = probs.argmax(axis=1)
    ids = list(range(len(labels)))
    present = sorted(set(truth.tolist()))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=ids, zero_division=0
    )
    per_class = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
            "auc": _auc(truth == i, probs[:, i]),
        }
        for i, label in enumerate(labels)
    }
    return {
        "n": len(truth),
        "labels": list(labels),
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(
            f1_score(truth, predicted, labels=present, average="macro", zero_division=0)
        ),
        "macro_recall": float(
            recall_score(truth, predicted, labels=present, average="macro", zero_division=0)
        ),
        "macro_precision": float(np.mean(precision[present])),
        "per_class": per_class,
        "confusion": confusion_matrix(truth, predicted, labels=ids).tolist(),
        "ece": expected_calibration_error(truth, probs),
        "log_loss": float(log_loss(truth, _renormalised(probs), labels=ids)),
    }


def _renormalised(probs: np.ndarray) -> np.ndarray:
    clipped = np.clip(probs, 1e-7, 1.0)
    result: np.ndarray = clipped / clipped.sum(axis=1, keepdims=True)
    return result


def _auc(positives: np.ndarray, scores: np.ndarray) -> float | None:
    if positives.all() or not positives.any():
        return None
    return float(roc_auc_score(positives, scores))


def format_metrics(metrics: dict[str, Any]) -> str:
    """A plain-text report: headline numbers, per-class table and confusion matrix."""
    labels = metrics["labels"]
    lines = [
        f"examples      {metrics['n']}",
        f"accuracy      {metrics['accuracy']:.4f}",
        f"macro-F1      {metrics['macro_f1']:.4f}",
        f"macro-recall  {metrics['macro_recall']:.4f}",
        f"ECE           {metrics['ece']:.4f}",
        "",
        f"{'label':<10} {'precision':>9} {'recall':>7} {'f1':>7} {'auc':>7} {'support':>8}",
    ]
    for label in labels:
        row = metrics["per_class"][label]
        auc = f"{row['auc']:.4f}" if row.get("auc") is not None else "-"
        lines.append(
            f"{label:<10} {row['precision']:>9.4f} {row['recall']:>7.4f} {row['f1']:>7.4f} "
            f"{auc:>7} {row['support']:>8}"
        )
    width = max(10, *(len(x) for x in labels))
    lines += [
        "",
        "confusion (rows true, columns predicted)",
        " " * width + "".join(f"{x:>10}" for x in labels),
    ]
    for label, row in zip(labels, metrics["confusion"], strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"{v:>10}" for v in row))
    return "\n".join(lines)


def write_report(
    directory: Path,
    y_true: Sequence[int] | np.ndarray,
    probs: np.ndarray,
    *,
    labels: Sequence[str] = LABELS,
    metrics: dict[str, Any] | None = None,
    history: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write roc.png, confusion.png, loss.png, calibration.png and metrics.json into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    truth = np.asarray(y_true, dtype=int)
    metrics = metrics or evaluate_predictions(truth, probs, labels)
    written = {
        "roc": plots.plot_roc(directory / REPORT_FILES["roc"], truth, probs, labels),
        "confusion": plots.plot_confusion(
            directory / REPORT_FILES["confusion"], metrics["confusion"], labels
        ),
        "loss": plots.plot_loss(directory / REPORT_FILES["loss"], history or {}),
        "calibration": plots.plot_calibration(
            directory / REPORT_FILES["calibration"], truth, probs
        ),
    }
    (directory / "report.json").write_text(json.dumps(metrics, indent=2) + "\n")
    written["json"] = directory / "report.json"
    return written

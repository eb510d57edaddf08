"""Report plots as PNG files: ROC per class, confusion matrix, loss curves, reliability diagram."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import itertools

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import auc, roc_curve

logger = logging.getLogger(__name__)


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_roc(path: Path, y_true: np.ndarray, probs: np.ndarray, labels: Sequence[str]) -> Path:
    """One-vs-rest ROC curve per class, AUC in the legend."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for index, label in enumerate(labels):
        positives = y_true == index
        if positives.all() or not positives.any():
            continue
        fpr, tpr, _ = roc_curve(positives, probs[:, index])
        ax.plot(fpr, tpr, label=f"{label} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (one vs rest)")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_confusion(path: Path, confusion: Sequence[Sequence[int]], labels: Sequence[str]) -> Path:
    """Confusion matrix with counts and row-normalised shading (rows = true labels)."""
    matrix = np.asarray(confusion, dtype=float)
    shares = matrix / np.clip(matrix.sum(axis=1, keepdims=True), 1, None)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            colour = "white" if shares[i, j] > 0.5 else "black"
            ax.text(
                j,
                i,
                f"{int(matrix[i, j])}\n{shares[i, j]:.0%}",
                ha="center",
                va="center",
                color=colour,
            )
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix")
    return _save(fig, path)


def plot_loss(path: Path, history: dict[str, Any]) -> Path:
    """Training loss per logged step and validation loss / macro-F1 per evaluation."""
    fig, ax = plt.subplots(figsize=(6, 4))
    if history.get("train_loss"):
        ax.plot(history["step"], history["train_loss"], label="train loss", alpha=0.8)
    if history.get("val_loss"):
        ax.plot(history["eval_step"], history["val_loss"], "o-", label="validation loss")
    ax.set(xlabel="step", ylabel="loss", title="training curves")
    if history.get("val_macro_f1"):
        twin = ax.twinx()
        twin.plot(
            history["eval_step"],
            history["val_macro_f1"],
            "s--",
            color="tab:green",
            label="validation macro-F1",
        )
        twin.set_ylabel("macro-F1")
        twin.legend(loc="center right")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right")
    if not history.get("train_loss") and not history.get("val_loss"):
        ax.text(0.5, 0.5, "no training history", ha="center", va="center", transform=ax.transAxes)
    return _save(fig, path)


def plot_calibration(path: Path, y_true: np.ndarray, probs: np.ndarray, bins: int = 10) -> Path:
    """Reliability diagram: accuracy against confidence of the top label, per confidence bin."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    centres, accuracy, counts = [], [], []
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            centres.append(confidence[inside].mean())
            accuracy.append(correct[inside].mean())
            counts.append(int(inside.sum()))
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    ax.plot(centres, accuracy, "o-", label="model")
    for x, y, n in zip(centres, accuracy, counts, strict=True):
        ax.annotate(
            str(n), (x, y), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center"
        )
    ax.set(
        xlabel="confidence",
        ylabel="accuracy",
        title="reliability diagram",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(loc="upper left")
    return _save(fig, path)

"""Distillation data: base rows of a snapshot learn the teacher's probabilities, feedback rows
learn the label people gave."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np

from tests.training.retrain.test_retraining_data import base_dataset
from training.classifier.batching import SOFT_COLUMN
from training.retrain.candidate import split_rows, training_data
from training.retrain.snapshot import SnapshotConfig, build_snapshot

NOW = datetime(2026, 11, 30, tzinfo=UTC)
TEACHER = np.array([0.1, 0.2, 0.7], dtype=np.float32)


def _snapshot(feedback_texts: list[str]):
    base = base_dataset()
    feedback = [
        SimpleNamespace(text=text, label="negative", created_at=NOW) for text in feedback_texts
    ]
    config = SnapshotConfig(base_sample=50, eval_sample=20, holdout_percent=1, seed=3)
    snapshot = build_snapshot(
        split_rows(base["train"]), split_rows(base["test"]), feedback, now=NOW, config=config
    )
    return snapshot, base


def test_base_rows_get_the_teachers_probabilities_and_feedback_keeps_its_label() -> None:
    texts = ["Qwerty charged me  twice", "qwerty refund still missing"]
    snapshot, base = _snapshot(texts)
    asked: list[str] = []

    def teacher(batch: list[str]) -> np.ndarray:
        asked.extend(batch)
        return np.tile(TEACHER, (len(batch), 1))

    train = training_data(snapshot, base, seed=0, teacher=teacher)["train"]

    soft = np.array(train[SOFT_COLUMN])
    fed = [i for i, text in enumerate(train["text"]) if "qwerty" in text.lower()]
    assert len(fed) == 2 and not soft[fed].any()  # feedback: zeros, the label decides
    taught = np.delete(soft, fed, axis=0)
    assert len(taught) == len(train) - 2 == len(asked)
    assert np.allclose(taught, TEACHER)
    assert not any("qwerty" in text.lower() for text in asked)


def test_without_a_teacher_there_is_no_soft_column() -> None:
    snapshot, base = _snapshot(["refund still missing after a week"])
    assert SOFT_COLUMN not in training_data(snapshot, base, seed=0)["train"].column_names

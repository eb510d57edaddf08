"""Drift metrics on synthetic data with known answers, and the check over a database window."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.settings import load_settings
from storage.database import Database
from tests.training.drift.traffic import (
    STATS,
    TRAINING_SHARES,
    VOCAB,
    register_model,
    shifted_traffic,
    window,
)
from training.drift.detection import (
    DriftThresholds,
    check_drift,
    compute_drift,
    load_training_stats,
    psi,
    unseen_token_share,
)

LIMITS = DriftThresholds(
    psi=0.2, confidence_drop=0.1, correction_rate=0.15, unseen_token_share=0.25, min_predictions=50
)


def test_psi_known_answers() -> None:
    assert psi(TRAINING_SHARES, TRAINING_SHARES) == 0.0
    swapped = {"negative": 0.2, "neutral": 0.3, "positive": 0.5}
    # (0.2-0.5)ln(0.2/0.5) + 0 + (0.5-0.2)ln(0.5/0.2) = 0.3 ln 6.25
    assert psi(TRAINING_SHARES, swapped) == pytest.approx(0.3 * math.log(6.25))
    only_negative = {"negative": 1.0, "neutral": 0.0, "positive": 0.0}
    expected = (
        0.5 * math.log(1.0 / 0.5)
        + (1e-4 - 0.3) * math.log(1e-4 / 0.3)
        + (1e-4 - 0.2) * math.log(1e-4 / 0.2)
    )  # an empty label is floored at 1e-4, so the index stays finite
    assert psi(TRAINING_SHARES, only_negative) == pytest.approx(expected)


def test_unseen_token_share_known_answers() -> None:
    texts = ["My order never arrived!", "borked laggy"]  # 7 tokens, 2 unseen
    assert unseen_token_share(texts, VOCAB) == pytest.approx(2 / 7)
    assert unseen_token_share(["thanks @bob great"], VOCAB | {"@", "user"}) == 0.0  # masked
    assert unseen_token_share([""], VOCAB) is None


CALM: dict[str, Any] = {
    "labels": window(100, TRAINING_SHARES),
    "confidences": [0.9] * 100,
    "texts": ["my order never arrived !", "thanks the app great"],
    "correction_rate": 0.05,
}


def test_traffic_like_training_fires_nothing() -> None:
    report = compute_drift(**CALM, stats=STATS, thresholds=LIMITS)
    metrics = report.metrics
    assert report.fired == []
    assert metrics["label_psi"] == pytest.approx(0.0)
    assert metrics["confidence_drop"] == pytest.approx(0.0)
    assert metrics["unseen_token_share"] == 0.0
    assert metrics["predictions"] == 100 and metrics["label_shares"] == TRAINING_SHARES


@pytest.mark.parametrize(
    ("change", "fired", "metric", "value"),
    [
        (
            {"labels": window(100, {"negative": 0.2, "neutral": 0.3, "positive": 0.5})},
            "label_psi",
            "label_psi",
            0.3 * math.log(6.25),
        ),
        ({"confidences": [0.7] * 50 + [0.8] * 50}, "confidence_drop", "confidence_drop", 0.15),
        ({"correction_rate": 0.2}, "correction_rate", "correction_rate", 0.2),
        ({"texts": ["borked laggy app"]}, "unseen_token_share", "unseen_token_share", 2 / 3),
    ],
)
def test_each_threshold_fires_alone(
    change: dict[str, Any], fired: str, metric: str, value: float
) -> None:
    report = compute_drift(**{**CALM, **change}, stats=STATS, thresholds=LIMITS)
    assert report.fired == [fired]
    assert report.metrics[metric] == pytest.approx(value)
    assert report.metrics["thresholds"][metric] == pytest.approx(getattr(LIMITS, _limit(metric)))


def _limit(metric: str) -> str:
    return {"label_psi": "psi", "unseen_token_share": "unseen_token_share"}.get(metric, metric)


def test_too_few_predictions_fire_nothing() -> None:
    shifted: dict[str, Any] = {
        **CALM,
        "labels": ["positive"] * 10,
        "confidences": [0.3] * 10,
        "correction_rate": 1,
    }
    report = compute_drift(**shifted, stats=STATS, thresholds=LIMITS)
    assert report.fired == [] and report.metrics["label_psi"] > 1


def test_training_stats_file(tmp_path: Path) -> None:
    (tmp_path / "training_stats.json").write_text(
        json.dumps(
            {
                "label_distribution": {"negative": 2, "neutral": 1, "positive": 1},
                "vocab_counts": {"Order": 3, "late": 1},
                "mean_confidence": 0.8,
            }
        )
    )
    stats = load_training_stats(tmp_path)
    assert stats.label_shares == {"negative": 0.5, "neutral": 0.25, "positive": 0.25}
    assert stats.vocab == {"order", "late"} and stats.mean_confidence == 0.8
    missing = load_training_stats(tmp_path / "nowhere")
    assert missing.label_shares == pytest.approx({k: 1 / 3 for k in TRAINING_SHARES})


# ---- on the database -----------------------------------------------------------------------


def test_check_drift_reads_the_last_window(db: Database, tmp_path: Path) -> None:
    register_model(db, tmp_path)
    shifted_traffic(db, corrections=4)
    settings = load_settings(None, training={"DRIFT_WINDOW_DAYS": 7})

    report = check_drift(db, settings.training, stats=STATS, now=datetime.now(UTC))

    metrics = report.metrics
    assert metrics["predictions"] == 60
    assert metrics["label_shares"] == {"negative": 0.5, "neutral": 0.0, "positive": 0.5}
    assert metrics["label_psi"] == pytest.approx(psi(TRAINING_SHARES, metrics["label_shares"]))
    assert metrics["mean_confidence"] == pytest.approx(0.6)
    assert metrics["baseline_confidence"] == pytest.approx(0.9)  # the previous window
    assert metrics["confidence_drop"] == pytest.approx(0.3)
    assert metrics["correction_rate"] == pytest.approx(0.4)
    assert metrics["unseen_token_share"] == pytest.approx(0.5)  # "borked" of "borked app"
    assert report.fired == ["label_psi", "confidence_drop", "correction_rate", "unseen_token_share"]

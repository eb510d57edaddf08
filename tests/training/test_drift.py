"""Drift metrics on synthetic data with known answers; the daily job retrains and tells admins."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.settings import load_settings
from storage.database import Database
from storage.orm import PredictionRow
from storage.repositories import (
    latest_drift_report,
    record_feedback,
    record_prediction,
    register_model_version,
    set_channel_settings,
)
from training.drift import (
    DriftThresholds,
    TrainingStats,
    check_drift,
    compute_drift,
    load_training_stats,
    psi,
    unseen_token_share,
)
from training.scheduler import JobContext, cron_trigger, drift_check

TRAINING_SHARES = {"negative": 0.5, "neutral": 0.3, "positive": 0.2}
VOCAB = frozenset({"my", "order", "never", "arrived", "thanks", "great", "!", "the", "app"})
STATS = TrainingStats(TRAINING_SHARES, VOCAB, mean_confidence=0.9)
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


def _window(n: int, shares: dict[str, float]) -> list[str]:
    labels: list[str] = []
    for label, share in shares.items():
        labels += [label] * round(n * share)
    return labels


CALM = {
    "labels": _window(100, TRAINING_SHARES),
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
        ({"labels": _window(100, {"negative": 0.2, "neutral": 0.3, "positive": 0.5})},
         "label_psi", "label_psi", 0.3 * math.log(6.25)),
        ({"confidences": [0.7] * 50 + [0.8] * 50}, "confidence_drop", "confidence_drop", 0.15),
        ({"correction_rate": 0.2}, "correction_rate", "correction_rate", 0.2),
        ({"texts": ["borked laggy app"]}, "unseen_token_share", "unseen_token_share", 2 / 3),
    ],
)  # fmt: skip
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
    shifted = {**CALM, "labels": ["positive"] * 10, "confidences": [0.3] * 10, "correction_rate": 1}
    report = compute_drift(**shifted, stats=STATS, thresholds=LIMITS)
    assert report.fired == [] and report.metrics["label_psi"] > 1


def test_training_stats_file(tmp_path: Path) -> None:
    (tmp_path / "training_stats.json").write_text(json.dumps({
        "label_distribution": {"negative": 2, "neutral": 1, "positive": 1},
        "vocab_counts": {"Order": 3, "late": 1}, "mean_confidence": 0.8,
    }))  # fmt: skip
    stats = load_training_stats(tmp_path)
    assert stats.label_shares == {"negative": 0.5, "neutral": 0.25, "positive": 0.25}
    assert stats.vocab == {"order", "late"} and stats.mean_confidence == 0.8
    missing = load_training_stats(tmp_path / "nowhere")
    assert missing.label_shares == pytest.approx({k: 1 / 3 for k in TRAINING_SHARES})


# ---- on the database -----------------------------------------------------------------------


def _model(db: Database, tmp_path: Path) -> None:
    (tmp_path / "training_stats.json").write_text(json.dumps({
        "label_distribution": TRAINING_SHARES, "vocab_counts": {t: 1 for t in VOCAB},
        "mean_confidence": 0.9,
    }))  # fmt: skip
    register_model_version(db, kind="classifier", version="v1", path=str(tmp_path),
                           status="active")  # fmt: skip
    set_channel_settings(db, team_id="T1", channel_id="C1", enabled=True,
                         privacy_mode="store_text", set_by="UA")  # fmt: skip


def _predict(db: Database, ts: str, label: str, confidence: float, text: str) -> None:
    rest = (1 - confidence) / 2
    scores = {k: (confidence if k == label else rest) for k in TRAINING_SHARES}
    record_prediction(db, team_id="T1", channel_id="C1", message_ts=ts, user_id="U1", text=text,
                      label=label, scores=scores, model_version="v1", latency_ms=1.0)  # fmt: skip


def _shifted_traffic(db: Database, corrections: int) -> None:
    """60 predictions now (half negative, half positive, confidence 0.6, new words), 20 older
    ones at confidence 0.9, and 10 feedback on recent messages of which `corrections` disagree."""
    for i in range(60):
        _predict(db, f"2.{i}", ("negative", "positive")[i % 2], 0.6, "borked app")
    for i in range(20):
        _predict(db, f"1.{i}", "neutral", 0.9, "the app")
    with db.transaction() as session:
        session.execute(
            update(PredictionRow)
            .where(PredictionRow.message_ts.like("1.%"))
            .values(created_at=datetime.now(UTC) - timedelta(days=10))
        )
    for i in range(10):
        given = "neutral" if i < corrections else ("negative", "positive")[i % 2]
        record_feedback(db, label=given, source="button", user_id="U2", team_id="T1",
                        channel_id="C1", message_ts=f"2.{i}")  # fmt: skip


def test_check_drift_reads_the_last_window(db: Database, tmp_path: Path) -> None:
    _model(db, tmp_path)
    _shifted_traffic(db, corrections=4)
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


class _Admins:
    """Collects what the drift job tells the admins and the retrains it asks for."""

    def __init__(self) -> None:
        self.told: list[str] = []
        self.retrains: list[tuple[str, datetime | None]] = []

    def start_retrain(self, trigger: str, slot: datetime | None) -> bool:
        self.retrains.append((trigger, slot))
        return True


def _run_job(db: Database, min_feedback: int) -> _Admins:
    admins = _Admins()
    settings = load_settings(None, training={"RETRAIN_MIN_FEEDBACK": min_feedback})
    context = JobContext(db, settings, admins.told.append, admins.start_retrain)
    drift_check(context, cron_trigger(settings.training.drift_check_cron))
    return admins


def test_drift_with_enough_feedback_retrains_and_tells_admins(db: Database, tmp_path: Path) -> None:
    _model(db, tmp_path)
    _shifted_traffic(db, corrections=4)

    admins = _run_job(db, min_feedback=10)

    assert admins.retrains == [("drift", None)]
    assert len(admins.told) == 1
    assert admins.told[0].startswith("drift: label_psi ")
    assert "10 feedback since v1 went live; retraining started" in admins.told[0]
    stored = latest_drift_report(db)
    assert stored is not None and "correction_rate" in stored.fired
    assert stored.metrics["correction_rate"] == pytest.approx(0.4)


def test_the_drift_job_runs_once_per_slot_across_processes(db: Database, tmp_path: Path) -> None:
    _model(db, tmp_path)
    _shifted_traffic(db, corrections=4)

    first, second = _run_job(db, min_feedback=10), _run_job(db, min_feedback=10)

    assert first.retrains == [("drift", None)] and len(first.told) == 1
    assert second.retrains == [] and second.told == []  # another worker already took the slot


def test_drift_without_enough_feedback_only_tells_admins(db: Database, tmp_path: Path) -> None:
    _model(db, tmp_path)
    _shifted_traffic(db, corrections=4)

    admins = _run_job(db, min_feedback=11)

    assert admins.retrains == []
    assert len(admins.told) == 1 and admins.told[0].endswith("; need 11 to retrain")


def test_no_drift_neither_retrains_nor_tells(db: Database, tmp_path: Path) -> None:
    _model(db, tmp_path)
    for i in range(60):
        _predict(db, f"3.{i}", _window(60, TRAINING_SHARES)[i], 0.9, "my order never arrived")

    admins = _run_job(db, min_feedback=0)

    assert admins.retrains == [] and admins.told == []
    stored = latest_drift_report(db)
    assert stored is not None and stored.fired == [] and stored.metrics["predictions"] == 60

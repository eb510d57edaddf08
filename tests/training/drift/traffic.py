"""Synthetic traffic on a database for the drift tests: an active model with known training
stats, and predictions and feedback that drift from it in known ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from storage.database import Database
from storage.orm import PredictionRow
from storage.repositories import (
    record_feedback,
    record_prediction,
    register_model_version,
    set_channel_settings,
)
from training.drift.detection import TrainingStats

TRAINING_SHARES = {"negative": 0.5, "neutral": 0.3, "positive": 0.2}
VOCAB = frozenset({"my", "order", "never", "arrived", "thanks", "great", "!", "the", "app"})
STATS = TrainingStats(TRAINING_SHARES, VOCAB, mean_confidence=0.9)


def window(n: int, shares: dict[str, float]) -> list[str]:
    """`n` labels in the given shares."""
    labels: list[str] = []
    for label, share in shares.items():
        labels += [label] * round(n * share)
    return labels


def register_model(db: Database, tmp_path: Path) -> None:
    """An active classifier "v1" whose `training_stats.json` says `TRAINING_SHARES` and `VOCAB`."""
    (tmp_path / "training_stats.json").write_text(
        json.dumps(
            {
                "label_distribution": TRAINING_SHARES,
                "vocab_counts": {t: 1 for t in VOCAB},
                "mean_confidence": 0.9,
            }
        )
    )
    register_model_version(db, kind="classifier", version="v1", path=str(tmp_path), status="active")
    set_channel_settings(
        db, team_id="T1", channel_id="C1", enabled=True, privacy_mode="store_text", set_by="UA"
    )


def predict(db: Database, ts: str, label: str, confidence: float, text: str) -> None:
    rest = (1 - confidence) / 2
    scores = {k: (confidence if k == label else rest) for k in TRAINING_SHARES}
    record_prediction(
        db,
        team_id="T1",
        channel_id="C1",
        message_ts=ts,
        user_id="U1",
        text=text,
        label=label,
        scores=scores,
        model_version="v1",
        latency_ms=1.0,
    )


def shifted_traffic(db: Database, corrections: int) -> None:
    """60 predictions now (half negative, half positive, confidence 0.6, new words), 20 older
    ones at confidence 0.9, and 10 feedback on recent messages of which `corrections` disagree."""
    for i in range(60):
        predict(db, f"2.{i}", ("negative", "positive")[i % 2], 0.6, "borked app")
    for i in range(20):
        predict(db, f"1.{i}", "neutral", 0.9, "the app")
    with db.transaction() as session:
        session.execute(
            update(PredictionRow)
            .where(PredictionRow.message_ts.like("1.%"))
            .values(created_at=datetime.now(UTC) - timedelta(days=10))
        )
    for i in range(10):
        given = "neutral" if i < corrections else ("negative", "positive")[i % 2]
        record_feedback(
            db,
            label=given,
            source="button",
            user_id="U2",
            team_id="T1",
            channel_id="C1",
            message_ts=f"2.{i}",
        )

"""Fill a database with a month of dashboard data: an active classifier, predictions, feedback,
training runs and a drift report (through the storage repositories)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from models.types import LABELS
from storage import repositories as repo
from storage.database import Database
from storage.orm import PredictionRow

CLASSIFIER_METRICS = {"macro_f1": 0.712, "accuracy": 0.781, "ece": 0.043}


def write_plots(directory: Path, seed: int = 13) -> None:
    """Real evaluation plots (roc, confusion, loss, calibration) for made-up predictions."""
    import numpy as np

    from training.classifier.evaluation import write_report

    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(LABELS), size=300)
    logits = rng.normal(size=(300, len(LABELS))) + 2.0 * np.eye(len(LABELS))[truth]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    history = {
        "step": [50, 100, 150, 200],
        "train_loss": [1.05, 0.82, 0.71, 0.66],
        "eval_step": [100, 200],
        "val_loss": [0.8, 0.75],
        "val_macro_f1": [0.64, 0.71],
    }
    write_report(directory, truth, probs, history=history)


def seed_dashboard(db: Database, *, version: str, path: Path, days: int = 30) -> int:
    """Register `version` at `path` as the active classifier and add a month of activity."""
    repo.register_model_version(
        db, kind="classifier", version=version, path=str(path), metrics=CLASSIFIER_METRICS
    )
    repo.activate_model_version(db, kind="classifier", version=version)
    count = _predictions(db, version, days)
    for index, label in enumerate(("negative", "positive", "neutral")):
        repo.record_feedback(
            db,
            team_id=None,
            label=label,
            source="modal",
            user_id=f"U{index}",
            text=f"message {index}",
        )
    run = repo.start_training_run(db, trigger="schedule")
    repo.finish_training_run(
        db,
        run_id=run.id,
        outcome="rejected",
        reason="candidate macro_f1 below active + margin",
        candidate_version=f"{version}-cand",
        metrics={"active": {"macro_f1": 0.712}, "candidate": {"macro_f1": 0.695}},
    )
    repo.record_drift_report(
        db,
        metrics={"label_psi": 0.27, "correction_rate": 0.04, "unseen_token_share": 0.11},
        fired=["label_psi"],
    )
    return count


def _predictions(db: Database, version: str, days: int) -> int:
    rng = random.Random(7)
    now = datetime.now(UTC)
    count = 0
    for day in range(days):
        for n in range(rng.randint(2, 9)):
            label = rng.choices(LABELS, weights=(3 + day // 6, 4, 3))[0]
            record, _ = repo.record_prediction(
                db,
                team_id="T1",
                channel_id="C1",
                message_ts=f"{day}.{n:06d}",
                user_id="U9",
                label=label,
                scores=dict.fromkeys(LABELS, 1 / 3),
                model_version=version,
                latency_ms=5.0,
            )
            when = now - timedelta(days=days - 1 - day, minutes=n)
            with db.transaction() as session:
                session.execute(
                    update(PredictionRow)
                    .where(PredictionRow.id == record.id)
                    .values(created_at=when)
                )
            count += 1
    return count

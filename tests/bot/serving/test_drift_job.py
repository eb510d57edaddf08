"""The daily drift-check job: it retrains and tells the admins, once per cron slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.serving.scheduler import JobContext, cron_trigger, drift_check
from bot.settings import load_settings
from storage.database import Database
from storage.repositories import latest_drift_report
from tests.training.drift.traffic import (
    TRAINING_SHARES,
    predict,
    register_model,
    shifted_traffic,
    window,
)


class _Admins:
    """Collects what the drift job tells the admins and the retrains it asks for."""

    def __init__(self) -> None:
        self.told: list[str] = []
        self.retrains: list[tuple[str, datetime | None]] = []

    def start_retrain(self, trigger: str, slot: datetime | None) -> bool:
        self.retrains.append((trigger, slot))
        return True


def _run_job(db: Database, min_feedback: int, now: datetime | None = None) -> _Admins:
    admins = _Admins()
    settings = load_settings(None, training={"RETRAIN_MIN_FEEDBACK": min_feedback})
    context = JobContext(db, settings, admins.told.append, admins.start_retrain)
    if now is not None:
        context.now = lambda: now
    drift_check(context, cron_trigger(settings.training.drift_check_cron))
    return admins


def test_drift_with_enough_feedback_retrains_and_tells_admins(db: Database, tmp_path: Path) -> None:
    register_model(db, tmp_path)
    shifted_traffic(db, corrections=4)

    admins = _run_job(db, min_feedback=10)

    assert admins.retrains == [("drift", None)]
    assert len(admins.told) == 1
    assert admins.told[0].startswith("drift: label_psi ")
    assert "10 feedback since v1 went live; retraining started" in admins.told[0]
    stored = latest_drift_report(db)
    assert stored is not None and "correction_rate" in stored.fired
    assert stored.metrics["correction_rate"] == pytest.approx(0.4)


def test_the_drift_job_runs_once_per_slot_across_processes(db: Database, tmp_path: Path) -> None:
    register_model(db, tmp_path)
    shifted_traffic(db, corrections=4)

    # Both workers fire for the same 02:30 slot, the second a little later (the clock is the
    # test's: on a busy machine two real calls may straddle a second).
    slot = datetime.now(UTC).replace(hour=2, minute=30, second=0, microsecond=0)
    first = _run_job(db, min_feedback=10, now=slot + timedelta(seconds=1))
    second = _run_job(db, min_feedback=10, now=slot + timedelta(seconds=42))

    assert first.retrains == [("drift", None)] and len(first.told) == 1
    assert second.retrains == [] and second.told == []  # another worker already took the slot


def test_drift_without_enough_feedback_only_tells_admins(db: Database, tmp_path: Path) -> None:
    register_model(db, tmp_path)
    shifted_traffic(db, corrections=4)

    admins = _run_job(db, min_feedback=11)

    assert admins.retrains == []
    assert len(admins.told) == 1 and admins.told[0].endswith("; need 11 to retrain")


def test_no_drift_neither_retrains_nor_tells(db: Database, tmp_path: Path) -> None:
    register_model(db, tmp_path)
    for i in range(60):
        predict(db, f"3.{i}", window(60, TRAINING_SHARES)[i], 0.9, "my order never arrived")

    admins = _run_job(db, min_feedback=0)

    assert admins.retrains == [] and admins.told == []
    stored = latest_drift_report(db)
    assert stored is not None and stored.fired == [] and stored.metrics["predictions"] == 60

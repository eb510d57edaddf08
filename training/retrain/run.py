"""One retraining run: take the lease, record the run, run the candidate pipeline, log it.

`retrain_once` is what the scheduled jobs, the drift check, Slack admins and `triagebot retrain`
call. It holds the database lease `retrain` for the whole run (`training.retrain.lease`), records
the run with `start_training_run` / `finish_training_run` and keeps the run's last log lines with
it. The work inside (snapshot, fine-tune, score, gate, register) is the candidate pipeline in
`training.retrain.candidate`; serving processes pick up a promoted version by hot swap.

Errors raised inside a run never escape: the run is recorded `failed` with the reason and the
result says so (callers are jobs and threads).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from storage import repositories as repo
from storage.database import Database
from storage.records import ModelVersionRecord
from training.errors import TrainingError
from training.retrain.lease import RetrainBusy, fail_running_runs, retrain_lease
from training.retrain.types import KIND, Progress, RetrainResult
from training.settings import CoreSettings

if TYPE_CHECKING:
    from datasets import DatasetDict

logger = logging.getLogger(__name__)


def describe_result(result: RetrainResult) -> str:
    """One line for Slack and the CLI."""
    head = {
        "promoted": f"Promoted {result.candidate_version}",
        "rejected": f"Kept {result.active_version}; candidate {result.candidate_version} rejected",
        "failed": "Retraining failed",
        "skipped": "Retraining skipped",
    }.get(result.outcome, result.outcome)
    return f"{head}: {result.reason}"


class LogTail(logging.Handler):
    """Keeps the last lines logged by the training and model layers during a run."""

    def __init__(self, lines: int = 40) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=lines)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @contextmanager
    def attached(self) -> Iterator[LogTail]:
        loggers = [logging.getLogger("training"), logging.getLogger("models")]
        levels = [item.level for item in loggers]
        for item in loggers:
            item.addHandler(self)
            if item.getEffectiveLevel() > logging.INFO:  # records below are never created
                item.setLevel(logging.INFO)
        try:
            yield self
        finally:
            for item, level in zip(loggers, levels, strict=True):
                item.removeHandler(self)
                item.setLevel(level)

    def text(self) -> str:
        return "\n".join(self.lines)


def _enough_feedback(
    db: Database, settings: CoreSettings, active: ModelVersionRecord
) -> tuple[bool, str]:
    since = active.activated_at or active.created_at
    new = repo.count_feedback(db, team_id=repo.ALL_WORKSPACES, since=since)
    need = settings.training.retrain_min_feedback
    return new >= need, f"{new} new feedback since {active.version} went live (need {need})"


def retrain_once(
    trigger: str,
    *,
    db: Database,
    settings: CoreSettings,
    requested_by: str | None = None,
    progress: Progress | None = None,
    slot: datetime | None = None,
    force: bool = False,
    base_data: DatasetDict | None = None,
    show_bar: bool = False,
) -> RetrainResult:
    """Run one retrain under the lease and record it.

    Args:
        trigger: "schedule", "drift", "admin" or "cli".
        db: the `storage.database.Database`.
        settings: all settings (`bot.settings.Settings`).
        requested_by: Slack user id or CLI user, for the record.
        progress: `progress(stage, fraction_or_None)` while the run goes on.
        slot: for scheduled runs, the cron time; a slot another process took is skipped.
        force: run even with fewer than `RETRAIN_MIN_FEEDBACK` new feedback (admin, CLI).
        base_data: a `datasets.DatasetDict` (train/validation/test) instead of
            `RETRAIN_BASE_DATA` (tests, the drift simulation).
        show_bar: show the fine-tuning progress bar (CLI).

    Returns:
        The outcome; "skipped" without a run record when the lease or slot is taken.
    """
    try:
        with retrain_lease(db, settings.training.retrain_lease_seconds):
            return _run_locked(
                trigger,
                db=db,
                settings=settings,
                requested_by=requested_by,
                progress=progress or _no_progress,
                slot=slot,
                force=force,
                base_data=base_data,
                show_bar=show_bar,
            )
    except RetrainBusy as exc:
        logger.info("retrain (%s) skipped: %s", trigger, exc)
        return RetrainResult("skipped", str(exc))


def _no_progress(stage: str, fraction: float | None = None) -> None:
    logger.debug("retrain %s %s", stage, fraction)


def _run_locked(
    trigger: str,
    *,
    db: Database,
    settings: CoreSettings,
    requested_by: str | None,
    progress: Progress,
    slot: datetime | None,
    force: bool,
    base_data: DatasetDict | None,
    show_bar: bool,
) -> RetrainResult:
    # The pipeline imports torch, datasets and sklearn: loaded when a run starts, not when a
    # serving process imports this module.
    from training.retrain.candidate import run_pipeline

    fail_running_runs(db)
    if slot is not None and not repo.claim_event(db, event_id=f"retrain-slot:{slot.isoformat()}"):
        return RetrainResult("skipped", f"the {slot.isoformat()} run was already taken")
    run = repo.start_training_run(db, trigger=trigger, requested_by=requested_by)
    tail = LogTail()
    with tail.attached():
        logger.info("retrain run %d started (%s, by %s)", run.id, trigger, requested_by)
        try:
            active = repo.get_active_model_version(db, kind=KIND)
            if active is None:
                raise TrainingError("no active classifier: run `triagebot train` first")
            enough, why = _enough_feedback(db, settings, active)
            if not enough and not force and trigger in ("schedule", "drift"):
                result = RetrainResult("skipped", why, run.id, active_version=active.version)
            else:
                result = run_pipeline(
                    db,
                    settings,
                    run_id=run.id,
                    active=active,
                    progress=progress,
                    base_data=base_data,
                    show_bar=show_bar,
                )
        except Exception as exc:
            logger.exception("retrain run %d failed", run.id)
            result = RetrainResult("failed", f"{type(exc).__name__}: {exc}", run.id)
    repo.finish_training_run(
        db,
        run_id=run.id,
        outcome=result.outcome,
        reason=result.reason,
        metrics=result.metrics,
        candidate_version=result.candidate_version,
        data_counts=result.data_counts,
        log_excerpt=tail.text()[-4000:],
    )
    logger.info("retrain run %d: %s", run.id, describe_result(result))
    return result

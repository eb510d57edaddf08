"""One retraining run: snapshot -> fine-tune from the active classifier -> evaluate both -> gate.

`retrain_once` is what the scheduler, the drift check, Slack admins and `triagebot retrain` call.
It holds the database lease `retrain` for the whole run (renewed by a heartbeat thread; a crashed
process stops renewing, so the lease expires after `RETRAIN_LEASE_SECONDS`), records the run with
`start_training_run` / `finish_training_run`, registers the candidate (status `rejected` when the
gate says no) and activates it only through the gate (`training.gate`). Serving processes pick up
a new active version through `training.hot_swap`.

Errors raised inside a run never escape: the run is recorded `failed` with the reason and the
result says so (callers are jobs and threads). The candidate pipeline lives in
`training.retrain_pipeline`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from training.errors import TrainingError

logger = logging.getLogger(__name__)

LEASE_NAME = "retrain"
KIND = "classifier"
Progress = Callable[[str, float | None], None]


class RetrainBusy(TrainingError):
    """Another retrain holds the lease (in this or another process)."""


@dataclass(frozen=True)
class RetrainResult:
    """How a run ended: `outcome` is promoted, rejected, failed or skipped."""

    outcome: str
    reason: str
    run_id: int | None = None
    candidate_version: str | None = None
    active_version: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    data_counts: dict[str, Any] = field(default_factory=dict)


def describe_result(result: RetrainResult) -> str:
    """One line for Slack and the CLI."""
    head = {
        "promoted": f"Promoted {result.candidate_version}",
        "rejected": f"Kept {result.active_version}; candidate {result.candidate_version} rejected",
        "failed": "Retraining failed",
        "skipped": "Retraining skipped",
    }.get(result.outcome, result.outcome)
    return f"{head}: {result.reason}"


def lease_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseKeeper:
    """Renews a lease every third of its TTL in a daemon thread until stopped."""

    def __init__(self, db: Any, holder: str, ttl_seconds: int) -> None:
        self.db, self.holder, self.ttl = db, holder, ttl_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="retrain-lease", daemon=True)

    def _loop(self) -> None:
        from storage import repositories as repo

        while not self._stop.wait(max(1.0, self.ttl / 3)):
            try:
                if not repo.renew_lease(
                    self.db, name=LEASE_NAME, holder=self.holder, ttl_seconds=self.ttl
                ):
                    logger.error("retrain lease lost (expired and taken by another process)")
            except Exception:
                logger.exception("could not renew the retrain lease")

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@contextmanager
def retrain_lease(db: Any, ttl_seconds: int) -> Iterator[str]:
    """Hold the `retrain` lease (raises `RetrainBusy` when taken); released on exit."""
    from storage import repositories as repo

    holder = lease_holder()
    if not repo.acquire_lease(db, name=LEASE_NAME, holder=holder, ttl_seconds=ttl_seconds):
        raise RetrainBusy("another retrain is already running")
    try:
        with LeaseKeeper(db, holder, ttl_seconds):
            yield holder
    finally:
        try:
            repo.release_lease(db, name=LEASE_NAME, holder=holder)
        except Exception:
            logger.exception("could not release the retrain lease (it expires by itself)")


def fail_running_runs(db: Any) -> int:
    """Mark every run still `running` as failed: call only while holding the lease."""
    from storage import repositories as repo

    count: int = repo.fail_stale_runs(db, older_than=datetime.now(UTC))
    if count:
        logger.warning("marked %d interrupted training run(s) failed", count)
    return count


def recover_stale_runs(db: Any, settings: Any) -> int:
    """At process start: fail runs left by a crashed process, unless a live run holds the lease."""
    try:
        with retrain_lease(db, 60):
            return fail_running_runs(db)
    except RetrainBusy:
        return 0


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


def _enough_feedback(db: Any, settings: Any, active: Any) -> tuple[bool, str]:
    from storage import repositories as repo

    since = active.activated_at or active.created_at
    new = repo.count_feedback(db, since=since)
    need = settings.training.retrain_min_feedback
    return new >= need, f"{new} new feedback since {active.version} went live (need {need})"


def retrain_once(
    trigger: str,
    *,
    db: Any,
    settings: Any,
    requested_by: str | None = None,
    progress: Progress | None = None,
    slot: datetime | None = None,
    force: bool = False,
    base_data: Any = None,
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
                trigger, db=db, settings=settings, requested_by=requested_by,
                progress=progress or _no_progress, slot=slot, force=force, base_data=base_data,
                show_bar=show_bar,
            )  # fmt: skip
    except RetrainBusy as exc:
        logger.info("retrain (%s) skipped: %s", trigger, exc)
        return RetrainResult("skipped", str(exc))


def _no_progress(stage: str, fraction: float | None = None) -> None:
    logger.debug("retrain %s %s", stage, fraction)


def _run_locked(
    trigger: str,
    *,
    db: Any,
    settings: Any,
    requested_by: str | None,
    progress: Progress,
    slot: datetime | None,
    force: bool,
    base_data: Any,
    show_bar: bool,
) -> RetrainResult:
    from storage import repositories as repo
    from training.retrain_pipeline import run_pipeline

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
                    db, settings, run_id=run.id, active=active, progress=progress,
                    base_data=base_data, show_bar=show_bar,
                )  # fmt: skip
        except Exception as exc:
            logger.exception("retrain run %d failed", run.id)
            result = RetrainResult("failed", f"{type(exc).__name__}: {exc}", run.id)
    repo.finish_training_run(
        db, run_id=run.id, outcome=result.outcome, reason=result.reason, metrics=result.metrics,
        candidate_version=result.candidate_version, data_counts=result.data_counts,
        log_excerpt=tail.text()[-4000:],
    )  # fmt: skip
    logger.info("retrain run %d: %s", run.id, describe_result(result))
    return result

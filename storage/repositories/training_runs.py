"""Training runs: started, finished with an outcome, listed; stale ones failed after a crash."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.orm import TrainingRun
from storage.records import TrainingRunRecord
from storage.repositories._common import cutoff

logger = logging.getLogger(__name__)


def _record(row: TrainingRun) -> TrainingRunRecord:
    return TrainingRunRecord(
        id=row.id,
        trigger=row.trigger,
        requested_by=row.requested_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        reason=row.reason,
        metrics=dict(row.metrics),
        data_counts=dict(row.data_counts),
        candidate_version=row.candidate_version,
        log_excerpt=row.log_excerpt,
    )


def start_training_run(
    db: Database, *, trigger: str, requested_by: str | None = None
) -> TrainingRunRecord:
    """Open a run (outcome None until finished)."""
    row = TrainingRun(
        trigger=check.choice("trigger", trigger, check.TRIGGERS),
        requested_by=check.optional_text("requested_by", requested_by, max_len=check.ID_LEN),
        started_at=utcnow(),
        reason="",
        metrics={},
        data_counts={},
        log_excerpt="",
    )
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return _record(row)


def finish_training_run(
    db: Database,
    *,
    run_id: int,
    outcome: str,
    reason: str,
    metrics: Mapping[str, Any] | None = None,
    candidate_version: str | None = None,
    data_counts: Mapping[str, Any] | None = None,
    log_excerpt: str = "",
) -> TrainingRunRecord:
    """Close a run with its outcome. A log excerpt over 20,000 characters keeps its tail.

    Raises:
        NotFound: no such run. InvalidInput: bad outcome, over-long reason, run already finished.
    """
    check.choice("outcome", outcome, check.OUTCOMES)
    check.text_field("reason", reason, max_len=check.NOTE_LEN, allow_empty=True)
    metric_values = check.json_object("metrics", metrics)
    counts = check.json_object("data_counts", data_counts)
    check.optional_text("candidate_version", candidate_version, max_len=check.NAME_LEN)
    with db.transaction() as session:
        row = session.get(TrainingRun, run_id)
        if row is None:
            raise NotFound(f"training run {run_id} does not exist")
        if row.outcome is not None:
            raise InvalidInput(f"training run {run_id} already finished ({row.outcome})")
        row.outcome = outcome
        row.reason = reason
        row.metrics = metric_values
        row.data_counts = counts
        row.candidate_version = candidate_version
        row.log_excerpt = log_excerpt[-check.LOG_LEN :]
        row.finished_at = utcnow()
        session.flush()
        return _record(row)


def get_training_run(db: Database, *, run_id: int) -> TrainingRunRecord:
    """One run. Raises `NotFound`."""
    with db.session() as session:
        row = session.get(TrainingRun, run_id)
        if row is None:
            raise NotFound(f"training run {run_id} does not exist")
        return _record(row)


def list_training_runs(db: Database, *, limit: int = 20) -> list[TrainingRunRecord]:
    """The newest runs, newest first."""
    query = select(TrainingRun).order_by(TrainingRun.started_at.desc(), TrainingRun.id.desc())
    with db.session() as session:
        return [_record(row) for row in session.scalars(query.limit(limit))]


def fail_stale_runs(db: Database, *, older_than: datetime | timedelta) -> int:
    """Mark runs still open and started before `older_than` as failed (their process died)."""
    limit = cutoff("older_than", older_than)
    with db.transaction() as session:
        rows = session.scalars(
            select(TrainingRun).where(TrainingRun.outcome.is_(None), TrainingRun.started_at < limit)
        ).all()
        for row in rows:
            row.outcome = "failed"
            row.reason = "stale: the process running it stopped"
            row.finished_at = utcnow()
        return len(rows)

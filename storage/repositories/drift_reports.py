"""Drift reports: each drift check's metrics and the checks that fired."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.orm import DriftReport
from storage.records import DriftReportRecord

logger = logging.getLogger(__name__)


def _report(row: DriftReport) -> DriftReportRecord:
    return DriftReportRecord(
        id=row.id, created_at=row.created_at, metrics=dict(row.metrics), fired=list(row.fired)
    )


def record_drift_report(
    db: Database, *, metrics: Mapping[str, Any], fired: Iterable[str]
) -> DriftReportRecord:
    """Keep one drift check's metrics and the names of the checks that fired."""
    names = [check.text_field("fired check", name, max_len=check.NAME_LEN) for name in fired]
    row = DriftReport(
        metrics=check.json_object("metrics", metrics), fired=names, created_at=utcnow()
    )
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return _report(row)


def latest_drift_report(db: Database) -> DriftReportRecord | None:
    """The newest drift report, or None."""
    reports = list_drift_reports(db, limit=1)
    return reports[0] if reports else None


def list_drift_reports(db: Database, *, limit: int = 30) -> list[DriftReportRecord]:
    """The newest drift reports, newest first."""
    query = select(DriftReport).order_by(DriftReport.id.desc()).limit(limit)
    with db.session() as session:
        return [_report(row) for row in session.scalars(query)]

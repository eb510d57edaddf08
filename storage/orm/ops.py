"""Operations tables: leases, processed Slack events, the admin audit log and drift reports."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN, NAME_LEN, NOTE_LEN

logger = logging.getLogger(__name__)


class Lease(Base):
    """A named lock with an expiry, held by one process at a time (e.g. "retrain")."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    holder: Mapped[str] = mapped_column(String(NAME_LEN))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessedEvent(Base):
    """A Slack event id already handled (dedupe across processes)."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DriftReport(Base):
    """One drift check: its metrics and the checks that fired."""

    __tablename__ = "drift_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    fired: Mapped[list[str]] = mapped_column(JSON)


class AdminAction(Base):
    """An audit entry: who did what (promote, rollback, retrain, channel change)."""

    __tablename__ = "admin_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LEN))
    action: Mapped[str] = mapped_column(String(NAME_LEN))
    detail: Mapped[str] = mapped_column(String(NOTE_LEN), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

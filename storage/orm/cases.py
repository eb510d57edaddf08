"""Cases: an alert's life after it is raised (acknowledged, assigned, resolved, reopened).

Each alert opens one case in the alert's own transaction, so no alert is without a case. Every
change of a case is also a `CaseEventRow` (who, what, when), the history the dashboard shows.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN, NOTE_LEN

logger = logging.getLogger(__name__)

STATE_LEN = 16
# `withdrawn`: the customer deleted their message in Slack; the case is closed by the bot
# (no follow-up, not open, not a resolution by the team: `resolved_at` stays empty).
CASE_STATES = ("open", "acknowledged", "resolved", "withdrawn")
OPEN_STATES = ("open", "acknowledged")
CASE_ACTIONS = (
    "opened",
    "acknowledged",
    "assigned",
    "resolved",
    "reopened",
    "followed_up",
    "auto_resolved",
    "withdrawn",
)


class CaseRow(Base):
    """One upset customer's message being handled: opened with its alert (`alert_id`)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "team_id", "channel_id", "message_ts"),
        Index(None, "team_id", "state", "created_at"),
        Index(None, "team_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN))
    alert_id: Mapped[int] = mapped_column(Integer, unique=True)
    escalation_channel: Mapped[str] = mapped_column(String(ID_LEN))
    channel_id: Mapped[str] = mapped_column(String(ID_LEN))
    message_ts: Mapped[str] = mapped_column(String(ID_LEN))
    customer_id: Mapped[str] = mapped_column(String(ID_LEN))
    customer_team: Mapped[str | None] = mapped_column(String(ID_LEN))
    state: Mapped[str] = mapped_column(String(STATE_LEN), default="open")
    assignee_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    acknowledged_by: Mapped[str | None] = mapped_column(String(ID_LEN))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(ID_LEN))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(String(NOTE_LEN))
    followups: Mapped[int] = mapped_column(Integer, default=0)
    last_followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEventRow(Base):
    """One change of a case: `action` (see `CASE_ACTIONS`) by `actor_id` (None: the bot)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    action: Mapped[str] = mapped_column(String(STATE_LEN))
    actor_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

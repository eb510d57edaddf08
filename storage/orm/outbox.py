"""The Slack outbox, escalation alerts with their digests, and per-channel pacing.

Every Slack write that follows a decision is an `OutboxRow`, inserted in the decision's
transaction and delivered later by a sender (`bot/outbox/`). `claimed_until` is a lease: a row
is sent by one sender at a time, whichever process it runs in. Rows of method `alert` and
`digest` are rendered at send time from `AlertRow` / `AlertDigestRow`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN, LABEL_LEN, NAME_LEN, NOTE_LEN

logger = logging.getLogger(__name__)

KEY_LEN = 255
METHOD_LEN = 32
STATUS_LEN = 16
# What a row asks Slack for; `alert`, `alert_update` (an alert changed in place: its message was
# edited or deleted) and `digest` are rendered from the tables below when sent. The column is
# checked here, not by the database, so a new method needs no migration.
OUTBOX_METHODS = (
    "reactions.add",
    "reactions.remove",
    "chat.postMessage",
    "chat.update",
    "views.update",
    "response_url",
    "alert",
    "alert_update",
    "digest",
    "functions.completeSuccess",
    "functions.completeError",
)
OUTBOX_STATUSES = ("pending", "sent", "failed", "expired")


class OutboxRow(Base):
    """One Slack write, sent once: unique by `key` (e.g. `react:T1:C1:1700000000.000100`)."""

    __tablename__ = "slack_outbox"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY_LEN), unique=True)
    team_id: Mapped[str | None] = mapped_column(String(ID_LEN), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    method: Mapped[str] = mapped_column(String(METHOD_LEN))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(STATUS_LEN), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(NAME_LEN))
    last_error: Mapped[str | None] = mapped_column(String(NOTE_LEN))
    result_ts: Mapped[str | None] = mapped_column(String(ID_LEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRow(Base):
    """A confident negative message reported to an escalation channel (alone or in a digest).

    `text` is kept only where the source channel's privacy mode stores text.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "message_ts"),
        Index(None, "team_id", "escalation_channel", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN))
    escalation_channel: Mapped[str] = mapped_column(String(ID_LEN))
    channel_id: Mapped[str] = mapped_column(String(ID_LEN))
    message_ts: Mapped[str] = mapped_column(String(ID_LEN))
    user_id: Mapped[str] = mapped_column(String(ID_LEN))
    label: Mapped[str] = mapped_column(String(LABEL_LEN))
    confidence: Mapped[float] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    digest_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertDigestRow(Base):
    """One message in an escalation channel that names a burst of alerts, updated in place.

    `version` grows with every alert folded in; the sender marks its outbox row sent only when
    the version it rendered is still the newest.
    """

    __tablename__ = "alert_digests"
    __table_args__ = (Index(None, "team_id", "escalation_channel", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN))
    escalation_channel: Mapped[str] = mapped_column(String(ID_LEN))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)
    posted_ts: Mapped[str | None] = mapped_column(String(ID_LEN))


class SlackPace(Base):
    """When the next write of one scope may go, shared by every process (GCRA).

    `scope` is `channel:C123` (chat.postMessage, paced about one per second per channel) or
    `method:chat.update` (Tier 3, paced only by Slack's Retry-After). `tat` is the theoretical
    arrival time; `blocked_until` is set from a 429's Retry-After.
    """

    __tablename__ = "slack_pacing"

    team_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    scope: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    tat: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""ORM rows of the core tables (migration 0001). Repositories turn them into `records`.

Every timestamp is a `UTCDateTime`; every size comes from `storage.validation` so the checks
and the columns agree.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.validation import ID_LEN, LABEL_LEN, LOG_LEN, NAME_LEN, NOTE_LEN, PATH_LEN

logger = logging.getLogger(__name__)

# Stable constraint names, so migrations can drop them on every engine.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every triagebot table (slack_sdk's tables live outside it)."""

    metadata = MetaData(naming_convention=NAMING)


class ModelVersion(Base):
    """A trained model artifact; at most one `active` row per kind (partial unique index)."""

    __tablename__ = "model_versions"
    __table_args__ = (
        Index(
            "uq_model_versions_one_active",
            "kind",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    version: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    path: Mapped[str] = mapped_column(String(PATH_LEN))
    parent_version: Mapped[str | None] = mapped_column(
        String(NAME_LEN), ForeignKey("model_versions.version")
    )
    status: Mapped[str] = mapped_column(String(16))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PredictionRow(Base):
    """One classified Slack message; unique per (team, channel, ts) so redeliveries add nothing."""

    __tablename__ = "predictions"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN))
    channel_id: Mapped[str] = mapped_column(String(ID_LEN))
    message_ts: Mapped[str] = mapped_column(String(ID_LEN))
    thread_ts: Mapped[str | None] = mapped_column(String(ID_LEN))
    user_id: Mapped[str] = mapped_column(String(ID_LEN))
    label: Mapped[str] = mapped_column(String(LABEL_LEN))
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(
        String(NAME_LEN), ForeignKey("model_versions.version")
    )
    latency_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class MessageText(Base):
    """A message's text, kept only where the channel allows it, until `expires_at`."""

    __tablename__ = "message_texts"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN))
    channel_id: Mapped[str] = mapped_column(String(ID_LEN))
    message_ts: Mapped[str] = mapped_column(String(ID_LEN))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class FeedbackRow(Base):
    """A user's label for a message or a typed text; one per (user, subject)."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("user_id", "subject_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # "msg:<team>:<channel>:<ts>" or "text:<sha256 of the text>": what the label is about.
    subject_key: Mapped[str] = mapped_column(String(3 * ID_LEN + 8))
    user_id: Mapped[str] = mapped_column(String(ID_LEN))
    label: Mapped[str] = mapped_column(String(LABEL_LEN))
    predicted_label: Mapped[str | None] = mapped_column(String(LABEL_LEN))
    source: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str | None] = mapped_column(String(ID_LEN), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    message_ts: Mapped[str | None] = mapped_column(String(ID_LEN))
    text: Mapped[str | None] = mapped_column(Text)  # typed by the user, or None
    note: Mapped[str | None] = mapped_column(String(NOTE_LEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ApprovedReply(Base):
    """A reply an agent actually posted, with the message it answered."""

    __tablename__ = "approved_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    channel_id: Mapped[str] = mapped_column(String(ID_LEN))
    message_ts: Mapped[str | None] = mapped_column(String(ID_LEN))
    user_id: Mapped[str] = mapped_column(String(ID_LEN))
    message_text: Mapped[str] = mapped_column(Text)
    reply_text: Mapped[str] = mapped_column(Text)
    draft_text: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(NAME_LEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingRun(Base):
    """One retraining attempt; `outcome` is None while it runs."""

    __tablename__ = "training_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trigger: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str | None] = mapped_column(String(ID_LEN))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(NOTE_LEN), default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    candidate_version: Mapped[str | None] = mapped_column(String(NAME_LEN))
    log_excerpt: Mapped[str] = mapped_column(String(LOG_LEN), default="")


class ChannelSettings(Base):
    """A channel's opt-in, mode and privacy mode."""

    __tablename__ = "channel_settings"

    team_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(String(16))
    privacy_mode: Mapped[str] = mapped_column(String(16))
    escalation_channel: Mapped[str | None] = mapped_column(String(ID_LEN))
    set_by: Mapped[str] = mapped_column(String(ID_LEN))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedEvent(Base):
    """A Slack event id already handled (dedupe across processes)."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

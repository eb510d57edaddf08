"""Classified messages and the message text kept beside them (where the channel allows)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN, LABEL_LEN, NAME_LEN

logger = logging.getLogger(__name__)


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

"""Per-channel settings: opt-in, mode and privacy mode."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN

logger = logging.getLogger(__name__)


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

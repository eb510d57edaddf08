"""Per-channel settings: opt-in, mode, privacy mode and how its cases are handled."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN

logger = logging.getLogger(__name__)


class ChannelSettings(Base):
    """A channel's opt-in, mode and privacy mode, and its cases' follow-up rules.

    `response_target_minutes`: a case nobody acknowledged within it is raised again (None: never);
    `auto_resolve_on_reply`: an agent's reply in the customer's thread resolves the case;
    `oncall_group`: the user group (subteam id) a follow-up mentions.
    """

    __tablename__ = "channel_settings"

    team_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(String(16))
    privacy_mode: Mapped[str] = mapped_column(String(16))
    escalation_channel: Mapped[str | None] = mapped_column(String(ID_LEN))
    set_by: Mapped[str] = mapped_column(String(ID_LEN))
    response_target_minutes: Mapped[int | None] = mapped_column(Integer)
    auto_resolve_on_reply: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    oncall_group: Mapped[str | None] = mapped_column(String(ID_LEN))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""What people told us: corrected labels and the replies agents actually posted."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN, LABEL_LEN, NAME_LEN, NOTE_LEN

logger = logging.getLogger(__name__)


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
    # The customer's text; "" where privacy mode, retention or deletion leaves none.
    message_text: Mapped[str] = mapped_column(Text)
    reply_text: Mapped[str] = mapped_column(Text)
    draft_text: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(NAME_LEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

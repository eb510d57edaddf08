"""Message text storage inside a transaction: kept only where the channel's privacy allows."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.columns import utcnow
from storage.orm import ChannelSettings, MessageText
from storage.repositories._common import upsert_insert

logger = logging.getLogger(__name__)


def channel_stores_text(session: Session, *, team_id: str, channel_id: str) -> bool:
    """True when the channel's privacy mode is `store_text` (unknown channels store nothing)."""
    mode = session.scalar(
        select(ChannelSettings.privacy_mode).where(
            ChannelSettings.team_id == team_id, ChannelSettings.channel_id == channel_id
        )
    )
    return mode == "store_text"


def keep_text(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    text: str,
    retention_days: int,
) -> bool:
    """Store (or refresh) a message's text if the channel allows it; return whether it was kept."""
    if not channel_stores_text(session, team_id=team_id, channel_id=channel_id):
        return False
    now = utcnow()
    values = {
        "team_id": team_id,
        "channel_id": channel_id,
        "message_ts": message_ts,
        "text": text,
        "created_at": now,
        "expires_at": now + timedelta(days=retention_days),
    }
    insert = upsert_insert(session, MessageText.__table__).values(**values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["team_id", "channel_id", "message_ts"],
            set_={"text": insert.excluded.text, "expires_at": insert.excluded.expires_at},
        )
    )
    return True

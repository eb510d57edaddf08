"""Markers of what happened to a message, kept beside the Slack event ids already handled.

A marker is a `ProcessedEvent` row whose id is a hash (the message ids are not readable in it):
`edited` claims one edit of a message (an edit is applied once however often it is delivered),
`deleted` remembers a deletion, so an edit still queued when the message was deleted does not
store or quote its text again. Markers are purged with the event ids, after Slack's retries.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy.orm import Session

from storage.columns import utcnow
from storage.orm import ProcessedEvent
from storage.repositories._common import upsert_insert

logger = logging.getLogger(__name__)


def _marker(kind: str, *parts: str) -> str:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"{kind}:{digest}"


def _claim(session: Session, marker: str) -> bool:
    insert = upsert_insert(session, ProcessedEvent.__table__).values(
        event_id=marker, created_at=utcnow()
    )
    claimed = session.scalar(
        insert.on_conflict_do_nothing(index_elements=["event_id"]).returning(
            ProcessedEvent.event_id
        )
    )
    return claimed is not None


def mark_deleted(session: Session, *, team_id: str, channel_id: str, message_ts: str) -> None:
    """Remember, in the caller's transaction, that the message was deleted in Slack."""
    _claim(session, _marker("deleted", team_id, channel_id, message_ts))


def was_deleted(session: Session, *, team_id: str, channel_id: str, message_ts: str) -> bool:
    """True when the message's deletion was recorded (and not purged yet)."""
    marker = _marker("deleted", team_id, channel_id, message_ts)
    return session.get(ProcessedEvent, marker) is not None


def claim_edit(
    session: Session, *, team_id: str, channel_id: str, message_ts: str, edit_id: str
) -> bool:
    """True the first time this edit (`edit_id`: Slack's `edited.ts`) of the message is claimed."""
    return _claim(session, _marker("edited", team_id, channel_id, message_ts, edit_id))

"""Slack event ids already handled: `claim_event` is True once per id across all processes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.orm import ProcessedEvent
from storage.repositories._common import cutoff, upsert_insert

logger = logging.getLogger(__name__)


def claim_event(db: Database, *, event_id: str) -> bool:
    """Return True the first time `event_id` is claimed, False for every later claim."""
    check.ident("event_id", event_id)
    with db.transaction() as session:
        insert = upsert_insert(session, ProcessedEvent.__table__).values(
            event_id=event_id, created_at=utcnow()
        )
        claimed = session.scalar(
            insert.on_conflict_do_nothing(index_elements=["event_id"]).returning(
                ProcessedEvent.event_id
            )
        )
    return claimed is not None


def purge_processed_events(db: Database, *, older_than: datetime | timedelta) -> int:
    """Forget event ids claimed before `older_than` (Slack retries for minutes, not days)."""
    limit = cutoff("older_than", older_than)
    with db.transaction() as session:
        result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.created_at < limit))
        return int(result.rowcount)  # type: ignore[attr-defined]

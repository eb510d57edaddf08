"""Leases: a named lock with an expiry, so one process at a time runs e.g. a retrain."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, update

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import Lease
from storage.repositories._common import upsert_insert

logger = logging.getLogger(__name__)


def _checked(name: str, holder: str, ttl_seconds: float | None = None) -> None:
    check.text_field("name", name, max_len=check.NAME_LEN)
    check.text_field("holder", holder, max_len=check.NAME_LEN)
    if ttl_seconds is not None and (
        not isinstance(ttl_seconds, int | float) or not 0 < ttl_seconds <= 7 * 86_400
    ):
        raise InvalidInput(f"ttl_seconds must be in (0, 604800], got {ttl_seconds!r}")


def acquire_lease(db: Database, *, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take the lease if it is free, expired or already ours; return whether we hold it now."""
    _checked(name, holder, ttl_seconds)
    now = utcnow()
    with db.transaction() as session:
        table = Lease.__table__
        insert = upsert_insert(session, table).values(
            name=name,
            holder=holder,
            acquired_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
        taken = session.scalar(
            insert.on_conflict_do_update(
                index_elements=["name"],
                set_={
                    "holder": insert.excluded.holder,
                    "acquired_at": insert.excluded.acquired_at,
                    "expires_at": insert.excluded.expires_at,
                },
                where=(Lease.expires_at <= now) | (Lease.holder == holder),
            ).returning(Lease.name)
        )
    return taken is not None


def renew_lease(db: Database, *, name: str, holder: str, ttl_seconds: float) -> bool:
    """Extend our unexpired lease; False if it expired or someone else holds it."""
    _checked(name, holder, ttl_seconds)
    now = utcnow()
    with db.transaction() as session:
        result = session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder, Lease.expires_at > now)
            .values(expires_at=now + timedelta(seconds=ttl_seconds))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(db: Database, *, name: str, holder: str) -> bool:
    """Give the lease back if we hold it; return whether we did."""
    _checked(name, holder)
    with db.transaction() as session:
        result = session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
        return bool(result.rowcount)  # type: ignore[attr-defined]

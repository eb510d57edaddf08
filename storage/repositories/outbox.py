"""The Slack outbox: writes stored once by key, claimed with a lease, marked by their outcome.

A sender claims due rows (`claim_due`): a conditional UPDATE sets `claimed_until`, so two
senders, in one process or in two, never hold a row at once. After the Slack call the sender
marks the row `sent` (with the posted message's ts), `failed` (a permanent error, with its
reason) or due again later (`retry_at`); a lease that runs out (the sender crashed) makes the
row due again. Finished rows lose their payload, which may quote a customer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import OutboxRow
from storage.orm.outbox import KEY_LEN, OUTBOX_METHODS, OUTBOX_STATUSES
from storage.records import OutboxRecord
from storage.repositories._common import cutoff, moment, upsert_insert
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

_TABLE = OutboxRow.__table__
MAX_EXPIRY_SECONDS = 7 * 86_400
FINISHED = ("sent", "failed", "expired")


@dataclass(frozen=True)
class OutboxWrite:
    """A Slack write to store: `method` with `payload` (the Web API arguments), sent once by `key`.

    Example:
        >>> OutboxWrite(key="react:T1:C1:1.2", method="reactions.add", team_id="T1",
        ...             channel_id="C1", payload={"channel": "C1", "timestamp": "1.2", "name": "x"})
        ... # doctest: +ELLIPSIS
        OutboxWrite(...)
    """

    key: str
    method: str
    team_id: str | None
    channel_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    expires_in: float = 3600.0  # seconds until it is given up

    def checked(self) -> OutboxWrite:
        """Itself, once every field passed the rules (raises `InvalidInput`)."""
        check.text_field("key", self.key, max_len=KEY_LEN)
        check.choice("method", self.method, OUTBOX_METHODS)
        check.optional_ident("team_id", self.team_id)
        check.optional_ident("channel_id", self.channel_id)
        check.json_object("payload", self.payload)
        if not isinstance(self.expires_in, int | float) or not (
            0 < self.expires_in <= MAX_EXPIRY_SECONDS
        ):
            raise InvalidInput(
                f"expires_in must be in (0, {MAX_EXPIRY_SECONDS}], got {self.expires_in!r}"
            )
        return self


def to_record(row: OutboxRow | Row[Any]) -> OutboxRecord:
    return OutboxRecord(
        id=row.id,
        key=row.key,
        team_id=row.team_id,
        channel_id=row.channel_id,
        method=row.method,
        payload=dict(row.payload or {}),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_error=row.last_error,
        result_ts=row.result_ts,
        sent_at=row.sent_at,
        claimed_until=row.claimed_until,
    )


def insert_writes(
    session: Session, writes: Sequence[OutboxWrite], *, now: datetime | None = None
) -> int:
    """Insert checked writes inside the caller's transaction; an existing key is kept.

    Returns how many rows were new.
    """
    instant = moment("now", now)
    created = 0
    for write in writes:
        insert = upsert_insert(session, _TABLE).values(
            key=write.key,
            team_id=write.team_id,
            channel_id=write.channel_id,
            method=write.method,
            payload=dict(write.payload),
            status="pending",
            attempts=0,
            next_attempt_at=instant,
            created_at=instant,
            expires_at=instant + timedelta(seconds=write.expires_in),
        )
        new_id = session.scalar(
            insert.on_conflict_do_nothing(index_elements=["key"]).returning(OutboxRow.id)
        )
        created += new_id is not None
    return created


def requeue_write(session: Session, write: OutboxWrite, *, now: datetime | None = None) -> None:
    """Insert `write`, or make the row stored under its key due again with its newer payload.

    For a write that is replaced rather than repeated (an alert updated in place). A send of
    the older payload still in flight is not recorded as this one: the row loses its holder,
    so that send cannot mark it sent, and it is sent again once the holder's lease runs out.
    """
    if insert_writes(session, [write], now=now):
        return
    instant = moment("now", now)
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.key == write.key)
        .values(
            payload=dict(write.payload),
            status="pending",
            attempts=0,
            next_attempt_at=instant,
            expires_at=instant + timedelta(seconds=write.expires_in),
            claimed_by=None,
            last_error=None,
        )
    )


def enqueue(db: Database, *, writes: Sequence[OutboxWrite]) -> int:
    """Store Slack writes in one transaction; keys already stored are kept as they are.

    Returns how many rows were new.

    Raises:
        InvalidInput: a bad key, method, id, payload or expiry; nothing was written.
    """
    checked = [write.checked() for write in writes]
    with db.transaction() as session:
        return insert_writes(session, checked)


def claim_due(
    db: Database,
    *,
    holder: str,
    limit: int = 50,
    lease_seconds: float = 60.0,
    now: datetime | None = None,
) -> list[OutboxRecord]:
    """Lease up to `limit` due pending rows to `holder`, oldest due first.

    A row is due when its `next_attempt_at` has come and nobody holds an unexpired lease on it.
    The UPDATE re-checks that condition, so of two concurrent senders only one gets a row
    (PostgreSQL also skips rows another claim has locked). Each claim counts an attempt.
    """
    check.text_field("holder", holder, max_len=check.NAME_LEN)
    if not 0 < limit <= 1000 or not 0 < lease_seconds <= 3600:
        raise InvalidInput(f"bad limit {limit!r} or lease_seconds {lease_seconds!r}")
    instant = moment("now", now)
    free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= instant)
    due = (OutboxRow.status == "pending") & (OutboxRow.next_attempt_at <= instant) & free
    with db.transaction() as session:
        candidates = (
            select(OutboxRow.id)
            .where(due)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        rows = session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(candidates.scalar_subquery()), due)
            .values(
                claimed_until=instant + timedelta(seconds=lease_seconds),
                claimed_by=holder,
                attempts=OutboxRow.attempts + 1,
            )
            .returning(*_TABLE.c)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted((to_record(row) for row in rows), key=lambda r: (r.next_attempt_at, r.id))


def _finish(db: Database, *, row_id: int, holder: str, values: dict[str, Any]) -> bool:
    check.text_field("holder", holder, max_len=check.NAME_LEN)
    with db.transaction() as session:
        result = session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == row_id,
                OutboxRow.claimed_by == holder,
                OutboxRow.status == "pending",
            )
            .values(claimed_until=None, **values)
        )
        done = bool(result.rowcount)  # type: ignore[attr-defined]
    if not done:
        logger.warning("outbox row %s was no longer held by %s", row_id, holder)
    return done


def mark_sent(db: Database, *, row_id: int, holder: str, result_ts: str | None = None) -> bool:
    """The row was delivered (`result_ts`: the posted message's ts); its payload is emptied.

    Returns False when `holder` no longer held it (its lease ran out and another sender took it).
    """
    check.optional_ident("result_ts", result_ts)
    values = {"status": "sent", "sent_at": utcnow(), "result_ts": result_ts, "payload": {}}
    return _finish(db, row_id=row_id, holder=holder, values=values)


def mark_failed(db: Database, *, row_id: int, holder: str, reason: str) -> bool:
    """Slack refused the row for good (`reason`, e.g. `channel_not_found`); never retried."""
    values = {"status": "failed", "last_error": _reason(reason), "payload": {}}
    return _finish(db, row_id=row_id, holder=holder, values=values)


def retry_at(
    db: Database,
    *,
    row_id: int,
    holder: str,
    at: datetime,
    reason: str | None = None,
    count_attempt: bool = True,
) -> bool:
    """Make the row due again at `at` (a transient failure, or pacing when not `count_attempt`).

    A row whose retry would fall after its `expires_at` is marked `expired` instead.
    """
    when = moment("at", at)
    check.text_field("holder", holder, max_len=check.NAME_LEN)
    with db.transaction() as session:
        row = session.get(OutboxRow, row_id)
        if row is None or row.claimed_by != holder or row.status != "pending":
            logger.warning("outbox row %s was no longer held by %s", row_id, holder)
            return False
        row.claimed_until = None
        if reason is not None:
            row.last_error = _reason(reason)
        if not count_attempt:
            row.attempts = max(0, row.attempts - 1)
        if when >= row.expires_at:
            row.status, row.payload = "expired", {}
        else:
            row.next_attempt_at = when
    return True


def expire_overdue(db: Database, *, now: datetime | None = None) -> int:
    """Give up pending rows past their `expires_at` that nobody holds; return how many."""
    instant = moment("now", now)
    with db.transaction() as session:
        result = session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.status == "pending",
                OutboxRow.expires_at <= instant,
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= instant),
            )
            .values(status="expired", payload={}, claimed_until=None)
        )
        count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        logger.warning("gave up %d Slack writes past their expiry", count)
    return count


def next_due_at(db: Database) -> datetime | None:
    """When the earliest pending row falls due (its retry time or its lease's end); None: none."""
    with db.session() as session:
        soonest = session.scalar(
            select(
                func.min(func.coalesce(OutboxRow.claimed_until, OutboxRow.next_attempt_at))
            ).where(OutboxRow.status == "pending")
        )
    return soonest if isinstance(soonest, datetime) else None


def count_pending(db: Database) -> int:
    """Rows still to be delivered (due now or later, held by a sender or not)."""
    with db.session() as session:
        total = session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
        )
    return int(total or 0)


def count_outbox_by_status(db: Database) -> dict[str, int]:
    """How many rows each status holds (every status named, zero included)."""
    with db.session() as session:
        rows = session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        ).all()
    counts = {status: 0 for status in OUTBOX_STATUSES}
    counts.update({str(status): int(total) for status, total in rows})
    return counts


def get_outbox_row(db: Database, *, key: str) -> OutboxRecord | None:
    """The row stored under `key`, or None."""
    check.text_field("key", key, max_len=KEY_LEN)
    with db.session() as session:
        row = session.scalar(select(OutboxRow).where(OutboxRow.key == key))
        return None if row is None else to_record(row)


def list_outbox(
    db: Database, *, team_id: Workspace, status: str | None = None, limit: int = 100
) -> list[OutboxRecord]:
    """Rows of `team_id` (a workspace or `ALL_WORKSPACES`; of one status), newest first, at
    most `limit`."""
    query = scoped(select(OutboxRow), OutboxRow.team_id, team_id)
    query = query.order_by(OutboxRow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == check.choice("status", status, OUTBOX_STATUSES))
    with db.session() as session:
        return [to_record(row) for row in session.scalars(query)]


def list_failed(db: Database, *, team_id: Workspace, limit: int = 20) -> list[OutboxRecord]:
    """Writes Slack refused for good (for admins) of `team_id`, newest first."""
    return list_outbox(db, status="failed", team_id=team_id, limit=limit)


def purge_outbox(
    db: Database,
    *,
    older_than: datetime | timedelta,
    statuses: Sequence[str] = ("sent", "expired"),
) -> int:
    """Delete finished rows created before `older_than`; return how many."""
    for status in statuses:
        check.choice("status", status, FINISHED)
    before = cutoff("older_than", older_than)
    with db.transaction() as session:
        result = session.execute(
            delete(OutboxRow).where(
                OutboxRow.status.in_(list(statuses)), OutboxRow.created_at < before
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def _reason(reason: str) -> str:
    return str(reason)[: check.NOTE_LEN] or "unknown"

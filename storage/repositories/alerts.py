"""Escalation alerts and their digests: a burst of alerts folds into one message.

The first `digest_after` alerts for an escalation channel within `window_seconds` are sent one
by one (an `alert` outbox row each). Beyond that they join a digest: one message that names them
all, posted once and then updated in place. Each alert bumps the digest's `version` and makes its
single outbox row (`digest:{id}`) due again; the sender renders the digest from these tables and
marks the row sent only if no alert arrived meanwhile (`finish_digest`). No alert is dropped.

Each alert opens its case in the same transaction (`cases.open_case`), so no alert is without a
case. An alert whose message is edited or deleted later changes in place: `alert_changes`; one
whose case changes: `case_changes`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import AlertDigestRow, AlertRow, OutboxRow
from storage.records import AlertRecord, DigestRecord
from storage.repositories._common import upsert_insert
from storage.repositories._texts import channel_stores_text
from storage.repositories.cases import open_case
from storage.repositories.outbox import OutboxWrite, insert_writes

logger = logging.getLogger(__name__)

# A digest holds at most this many alerts (Slack's 50 blocks a message); then a new one opens.
MAX_PER_DIGEST = 40
ALERT_UPDATE = "alert_update"
DEFAULT_EXPIRY_SECONDS = 3600.0


@dataclass(frozen=True)
class AlertWrite:
    """An alert to raise with a prediction (see `record_prediction`).

    Args:
        escalation_channel: where the alert goes.
        confidence: the prediction's confidence.
        text: the message; goes into the alert's outbox payload (emptied once sent) and into
            the alert row only where the source channel stores text.
        digest_after: alerts sent one by one per window before a digest takes over.
        window_seconds: the burst window.
        expires_in: seconds until the Slack write is given up.
        coalesce_seconds: how long a posted digest waits before its next `chat.update`, so a
            burst costs a few updates, not one per alert.
        customer_team: the author's own workspace in a Slack Connect channel (kept on the case).
    """

    escalation_channel: str
    confidence: float
    text: str
    digest_after: int = 3
    window_seconds: float = 60.0
    expires_in: float = 3600.0
    coalesce_seconds: float = 1.0
    customer_team: str | None = None

    def checked(self) -> AlertWrite:
        check.ident("escalation_channel", self.escalation_channel)
        check.non_negative("confidence", self.confidence)
        check.text_field("text", self.text, max_len=check.TEXT_LEN, allow_empty=True)
        if not isinstance(self.digest_after, int) or self.digest_after < 0:
            raise InvalidInput(f"digest_after must be an int >= 0, got {self.digest_after!r}")
        check.non_negative("window_seconds", self.window_seconds)
        check.non_negative("coalesce_seconds", self.coalesce_seconds)
        check.optional_ident("customer_team", self.customer_team)
        return self


def alert_key(team_id: str, channel_id: str, message_ts: str) -> str:
    """The outbox key of the alert about one message."""
    return f"alert:{team_id}:{channel_id}:{message_ts}"


def alert_update_key(team_id: str, channel_id: str, message_ts: str) -> str:
    """The outbox key of the in-place update of the alert about one message (one per alert)."""
    return f"alert-update:{team_id}:{channel_id}:{message_ts}"


def digest_key(digest_id: int) -> str:
    """The outbox key of a digest (one row per digest, due again whenever it grows)."""
    return f"digest:{digest_id}"


def add_alert(
    session: Session,
    alert: AlertWrite,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    user_id: str,
    label: str,
) -> bool:
    """Store an alert and open its case inside the caller's transaction; queue its Slack write.

    Returns False when the message already had an alert (nothing is written).
    """
    now = utcnow()
    esc = alert.escalation_channel
    _lock_escalation_channel(session, team_id, esc)
    stored_text = (
        alert.text if channel_stores_text(session, team_id=team_id, channel_id=channel_id) else None
    )
    insert = upsert_insert(session, AlertRow.__table__).values(
        team_id=team_id,
        escalation_channel=esc,
        channel_id=channel_id,
        message_ts=message_ts,
        user_id=user_id,
        label=label,
        confidence=alert.confidence,
        text=stored_text,
        created_at=now,
    )
    alert_id = session.scalar(
        insert.on_conflict_do_nothing(
            index_elements=["team_id", "channel_id", "message_ts"]
        ).returning(AlertRow.id)
    )
    if alert_id is None:
        return False
    open_case(session, alert_id=alert_id, customer_team=alert.customer_team, now=now)
    since = now - timedelta(seconds=alert.window_seconds)
    recent = session.scalar(
        select(func.count())
        .select_from(AlertRow)
        .where(
            AlertRow.team_id == team_id,
            AlertRow.escalation_channel == esc,
            AlertRow.created_at >= since,
        )
    )
    if int(recent or 0) <= alert.digest_after:
        row = session.get(AlertRow, alert_id)
        assert row is not None  # inserted above
        write = OutboxWrite(
            key=alert_key(team_id, channel_id, message_ts),
            method="alert",
            team_id=team_id,
            channel_id=esc,
            payload=alert_payload(row, text=alert.text),
            expires_in=alert.expires_in,
        )
        insert_writes(session, [write], now=now)
    else:
        _fold_into_digest(session, alert, alert_id=alert_id, team_id=team_id, now=now)
    return True


def _lock_escalation_channel(session: Session, team_id: str, channel: str) -> None:
    """Serialise alerts for one escalation channel (PostgreSQL; SQLite writers are serial)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"alerts:{team_id}:{channel}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _fold_into_digest(
    session: Session, alert: AlertWrite, *, alert_id: int, team_id: str, now: datetime
) -> None:
    esc = alert.escalation_channel
    since = now - timedelta(seconds=alert.window_seconds)
    digest = session.scalar(
        select(AlertDigestRow)
        .where(
            AlertDigestRow.team_id == team_id,
            AlertDigestRow.escalation_channel == esc,
            AlertDigestRow.updated_at >= since,
        )
        .order_by(AlertDigestRow.id.desc())
        .limit(1)
    )
    if digest is not None and _size(session, digest.id) >= MAX_PER_DIGEST:
        digest = None
    if digest is None:
        digest = AlertDigestRow(
            team_id=team_id, escalation_channel=esc, opened_at=now, updated_at=now, version=0
        )
        session.add(digest)
        session.flush()
    digest.updated_at = now
    session.execute(update(AlertRow).where(AlertRow.id == alert_id).values(digest_id=digest.id))
    digest_changed(
        session, digest, now=now, delay=alert.coalesce_seconds, expires_in=alert.expires_in
    )


def digest_changed(
    session: Session, digest: AlertDigestRow, *, now: datetime, delay: float, expires_in: float
) -> None:
    """Bump the digest's version and make its one outbox row due (after `delay`, to coalesce)."""
    digest.version += 1
    key = digest_key(digest.id)
    write = OutboxWrite(
        key=key,
        method="digest",
        team_id=digest.team_id,
        channel_id=digest.escalation_channel,
        payload={"digest_id": digest.id},
        expires_in=expires_in,
    )
    if insert_writes(session, [write], now=now):
        return
    # Already there: a posted digest becomes due again. A pending one is rendered anew when
    # sent, and `finish_digest` keeps it due if this version came after its rendering.
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.key == key, OutboxRow.status.in_(("sent", "expired")))
        .values(
            status="pending",
            payload={"digest_id": digest.id},
            next_attempt_at=now + timedelta(seconds=delay),
            expires_at=now + timedelta(seconds=expires_in),
            attempts=0,
        )
    )


def alert_payload(row: AlertRow, *, text: str, deleted: bool = False) -> dict[str, object]:
    """What the sender renders an alert from: the row, the message's text (not kept in the row
    where the channel stores no text) and whether the message was deleted."""
    return {
        "alert_id": row.id,
        "channel_id": row.channel_id,
        "message_ts": row.message_ts,
        "user_id": row.user_id,
        "label": row.label,
        "confidence": row.confidence,
        "text": "" if deleted else text,
        "deleted": deleted,
    }


def _size(session: Session, digest_id: int) -> int:
    count = session.scalar(
        select(func.count()).select_from(AlertRow).where(AlertRow.digest_id == digest_id)
    )
    return int(count or 0)


def _alert_record(row: AlertRow) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        team_id=row.team_id,
        escalation_channel=row.escalation_channel,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        user_id=row.user_id,
        label=row.label,
        confidence=row.confidence,
        text=row.text,
        digest_id=row.digest_id,
        created_at=row.created_at,
    )


def get_digest(db: Database, *, digest_id: int) -> DigestRecord | None:
    """A digest with every alert folded into it (oldest first), or None."""
    with db.session() as session:
        row = session.get(AlertDigestRow, digest_id)
        if row is None:
            return None
        alerts = session.scalars(
            select(AlertRow).where(AlertRow.digest_id == digest_id).order_by(AlertRow.id)
        )
        return DigestRecord(
            id=row.id,
            team_id=row.team_id,
            escalation_channel=row.escalation_channel,
            opened_at=row.opened_at,
            version=row.version,
            posted_ts=row.posted_ts,
            alerts=tuple(_alert_record(alert) for alert in alerts),
        )


def list_alerts(
    db: Database, *, team_id: str, escalation_channel: str | None = None
) -> list[AlertRecord]:
    """A team's alerts (to one escalation channel), oldest first."""
    query = select(AlertRow).where(AlertRow.team_id == check.ident("team_id", team_id))
    if escalation_channel is not None:
        query = query.where(AlertRow.escalation_channel == escalation_channel)
    with db.session() as session:
        return [_alert_record(row) for row in session.scalars(query.order_by(AlertRow.id))]


def finish_digest(
    db: Database,
    *,
    row_id: int,
    holder: str,
    digest_id: int,
    version: int,
    posted_ts: str,
    coalesce_seconds: float = 1.0,
) -> bool:
    """Record a digest delivered as rendered at `version`, in message `posted_ts`.

    The outbox row is marked sent only if `version` is still the digest's newest; otherwise it
    stays due, and the next send updates the message with what arrived meanwhile. Returns whether
    the row was marked sent.
    """
    check.ident("posted_ts", posted_ts)
    with db.transaction() as session:
        digest = session.get(AlertDigestRow, digest_id)
        row = session.get(OutboxRow, row_id)
        if digest is None or row is None or row.claimed_by != holder or row.status != "pending":
            logger.warning(
                "digest %s: outbox row %s no longer held by %s", digest_id, row_id, holder
            )
            return False
        digest.posted_ts = digest.posted_ts or posted_ts
        row.claimed_until = None
        row.result_ts = digest.posted_ts
        if digest.version != version:
            row.next_attempt_at = utcnow() + timedelta(seconds=coalesce_seconds)
            row.attempts = 0
            return False
        row.status, row.sent_at, row.payload = "sent", utcnow(), {}
        return True

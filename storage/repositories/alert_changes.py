"""An alert after its message changed: edited (`revise_alert`) or deleted (`forget_alert_text`).

Both run inside the caller's transaction. An alert not sent yet is sent as the message is now
(a deleted message's alert is not posted at all: its payload says `deleted`); a posted one gets
an `alert_update` row (`alert-update:{team}:{channel}:{ts}`, one per alert, due again with the
newest state), which the sender renders into a `chat.update` of the posted message; a digest
holding it is rendered again.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.columns import utcnow
from storage.orm import AlertDigestRow, AlertRow, OutboxRow
from storage.repositories._texts import channel_stores_text
from storage.repositories.alerts import (
    ALERT_UPDATE,
    DEFAULT_EXPIRY_SECONDS,
    alert_key,
    alert_payload,
    alert_update_key,
    digest_changed,
)
from storage.repositories.outbox import OutboxWrite, requeue_write

logger = logging.getLogger(__name__)


def _find(session: Session, *, team_id: str, channel_id: str, message_ts: str) -> AlertRow | None:
    return session.scalar(
        select(AlertRow).where(
            AlertRow.team_id == team_id,
            AlertRow.channel_id == channel_id,
            AlertRow.message_ts == message_ts,
        )
    )


def forget_alert_text(session: Session, *, team_id: str, channel_id: str, message_ts: str) -> None:
    """The message was deleted: its alert stops quoting it, in the database and in Slack.

    The row loses its text. An alert not sent yet is not posted; a posted one is
    replaced (`chat.update`) by a notice that the author deleted the message; a digest that
    quoted it is rendered again without the quote.
    """
    row = _find(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
    if row is None:
        return
    quoted, row.text = row.text is not None, None
    if row.digest_id is None:
        _change_single(session, row, alert_payload(row, text="", deleted=True))
    elif quoted:
        rerender_digest(session, row.digest_id, expires_in=DEFAULT_EXPIRY_SECONDS)


def revise_alert(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    label: str,
    confidence: float,
    text: str,
    expires_in: float = DEFAULT_EXPIRY_SECONDS,
) -> bool:
    """The message was edited and classified again: its alert shows the new label and text.

    Updated in place (see the module docstring); the row keeps `text` only where the channel
    stores text. Returns False when the message has no alert.
    """
    row = _find(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
    if row is None:
        return False
    row.label, row.confidence = label, confidence
    row.text = (
        text if channel_stores_text(session, team_id=team_id, channel_id=channel_id) else None
    )
    if row.digest_id is None:
        _change_single(session, row, alert_payload(row, text=text), expires_in=expires_in)
    else:
        rerender_digest(session, row.digest_id, expires_in=expires_in)
    return True


def _change_single(
    session: Session,
    row: AlertRow,
    payload: dict[str, object],
    *,
    expires_in: float = DEFAULT_EXPIRY_SECONDS,
) -> None:
    """Send a single alert as `payload` says: the pending post itself, or an update of the
    posted message (also when the post is in flight now, with the older payload)."""
    key = alert_key(row.team_id, row.channel_id, row.message_ts)
    posted = session.scalar(select(OutboxRow).where(OutboxRow.key == key))
    if posted is None or posted.status in ("failed", "expired"):
        return  # nothing in Slack to change
    now = utcnow()
    if posted.status == "pending":
        posted.payload = payload
        if posted.claimed_until is None or posted.claimed_until <= now:
            return  # not in flight: it will be rendered from this payload
    update_write = OutboxWrite(
        key=alert_update_key(row.team_id, row.channel_id, row.message_ts),
        method=ALERT_UPDATE,
        team_id=row.team_id,
        channel_id=row.escalation_channel,
        payload={**payload, "alert_key": key},
        expires_in=expires_in,
    )
    requeue_write(session, update_write.checked(), now=now)


def rerender_digest(session: Session, digest_id: int, *, expires_in: float) -> None:
    """Render a digest again at once: one of its alerts (or their cases) changed."""
    digest = session.get(AlertDigestRow, digest_id)
    if digest is not None:
        digest_changed(session, digest, now=utcnow(), delay=0.0, expires_in=expires_in)

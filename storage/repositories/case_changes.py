"""A case changes: acknowledged, assigned, resolved (by a person or an agent's reply), reopened,
or withdrawn (the customer deleted their message: `withdraw_case`, inside that deletion's
transaction). A withdrawn case is closed for good: no change applies to it any more.

Each change is one transaction: the case row, a `case_events` row (who, what, when) and the
Slack write that shows the new state in the alert (`chat.update` in place, through the outbox,
as for an edited message: see `alert_changes`). A change that changes nothing (a second
acknowledge, resolving a resolved case) writes nothing and says so: `CaseChange.changed`.

The alert is rendered again with `text`, the quote the caller knows (the words in the clicked
alert), else the text the alert row keeps (channels that store text), else none: a channel that
keeps no text cannot quote it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import validation as check
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.orm import AlertRow, CaseRow, OutboxRow
from storage.orm.cases import OPEN_STATES
from storage.records import CaseRecord
from storage.repositories._common import moment
from storage.repositories._markers import was_deleted
from storage.repositories.alert_changes import rerender_digest
from storage.repositories.alerts import (
    ALERT_UPDATE,
    DEFAULT_EXPIRY_SECONDS,
    alert_key,
    alert_payload,
    alert_update_key,
)
from storage.repositories.cases import add_event, case_record
from storage.repositories.outbox import OutboxWrite, insert_writes, requeue_write

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseChange:
    """A case after a change, and whether the call changed it (False: it was already so)."""

    case: CaseRecord
    changed: bool


def locked_case(session: Session, team_id: str, case_id: int) -> CaseRow:
    """The case, row-locked on PostgreSQL (two clicks at once change it once); NotFound for an
    unknown id or another workspace's case."""
    check.ident("team_id", team_id)
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise InvalidInput(f"case_id must be an int, got {case_id!r}")
    row = session.scalar(
        select(CaseRow).where(CaseRow.id == case_id, CaseRow.team_id == team_id).with_for_update()
    )
    if row is None:
        raise NotFound(f"case {case_id} of team {team_id} does not exist")
    return row


def _finish(
    session: Session,
    row: CaseRow,
    action: str,
    *,
    actor_id: str | None,
    now: datetime,
    text: str | None,
    detail: dict[str, object] | None = None,
    writes: Sequence[OutboxWrite] = (),
) -> CaseChange:
    row.updated_at = now
    add_event(session, row, action, actor_id=actor_id, now=now, detail=detail)
    show_in_alert(session, row, text=text)
    insert_writes(session, [write.checked() for write in writes])  # due at once
    session.flush()
    return CaseChange(case_record(row), True)


def _acknowledge(row: CaseRow, user_id: str, instant: datetime) -> None:
    row.state, row.acknowledged_by, row.acknowledged_at = "acknowledged", user_id, instant


def _change(
    db: Database,
    *,
    team_id: str,
    case_id: int,
    user_id: str,
    now: datetime | None,
    applies: Callable[[CaseRow], bool],
    apply: Callable[[CaseRow, datetime], str],
    text: str | None,
) -> CaseChange:
    """Lock the case and, if `applies` to it, `apply` the change (it returns the event's action);
    else the case as it is, unchanged."""
    check.ident("user_id", user_id)
    instant = moment("now", now)
    with db.transaction() as session:
        row = locked_case(session, team_id, case_id)
        if not applies(row):
            return CaseChange(case_record(row), False)
        action = apply(row, instant)
        return _finish(session, row, action, actor_id=user_id, now=instant, text=text)


def acknowledge_case(
    db: Database,
    *,
    team_id: str,
    case_id: int,
    user_id: str,
    text: str | None = None,
    now: datetime | None = None,
) -> CaseChange:
    """`user_id` took the case. Only an open case changes.

    Raises:
        NotFound: no such case in workspace `team_id`.
    """

    def take(row: CaseRow, instant: datetime) -> str:
        _acknowledge(row, user_id, instant)
        return "acknowledged"

    return _change(
        db,
        team_id=team_id,
        case_id=case_id,
        user_id=user_id,
        now=now,
        applies=lambda row: row.state == "open",
        apply=take,
        text=text,
    )


def assign_case(
    db: Database,
    *,
    team_id: str,
    case_id: int,
    user_id: str,
    assignee_id: str,
    text: str | None = None,
    notify: Sequence[OutboxWrite] = (),
    now: datetime | None = None,
) -> CaseChange:
    """`user_id` gave the case to `assignee_id`; an open case counts as acknowledged by then.

    `notify` (the assignee's DM) is written with the change, and only when it changed.

    Raises:
        NotFound: no such case in workspace `team_id`.
    """
    check.ident("user_id", user_id)
    check.ident("assignee_id", assignee_id)
    instant = moment("now", now)
    with db.transaction() as session:
        row = locked_case(session, team_id, case_id)
        if row.assignee_id == assignee_id or row.state == "withdrawn":
            return CaseChange(case_record(row), False)
        previous, row.assignee_id = row.assignee_id, assignee_id
        if row.state == "open":
            _acknowledge(row, user_id, instant)
        return _finish(
            session,
            row,
            "assigned",
            actor_id=user_id,
            now=instant,
            text=text,
            detail={"assignee_id": assignee_id, "previous": previous},
            writes=notify,
        )


def resolve_case(
    db: Database,
    *,
    team_id: str,
    case_id: int,
    user_id: str,
    note: str | None = None,
    automatic: bool = False,
    text: str | None = None,
    now: datetime | None = None,
) -> CaseChange:
    """The customer got an answer. `automatic`: `user_id` replied in the customer's thread
    (the channel resolves on an agent's reply). A resolved case stays as it is.

    Raises:
        NotFound: no such case in workspace `team_id`. InvalidInput: a note over 2,000
            characters.
    """
    check.ident("user_id", user_id)
    clean_note = check.optional_text("note", note, max_len=check.NOTE_LEN)

    def close(row: CaseRow, instant: datetime) -> str:
        row.state, row.resolved_by, row.resolved_at = "resolved", user_id, instant
        row.resolution_note = clean_note
        return "auto_resolved" if automatic else "resolved"

    return _change(
        db,
        team_id=team_id,
        case_id=case_id,
        user_id=user_id,
        now=now,
        applies=lambda row: row.state in OPEN_STATES,
        apply=close,
        text=text,
    )


def reopen_case(
    db: Database,
    *,
    team_id: str,
    case_id: int,
    user_id: str,
    text: str | None = None,
    now: datetime | None = None,
) -> CaseChange:
    """A resolved case needs work again: acknowledged if it was, else open.

    Raises:
        NotFound: no such case in workspace `team_id`.
    """

    def reopen(row: CaseRow, instant: datetime) -> str:
        row.state = "acknowledged" if row.acknowledged_at is not None else "open"
        row.resolved_by = row.resolved_at = row.resolution_note = None
        return "reopened"

    return _change(
        db,
        team_id=team_id,
        case_id=case_id,
        user_id=user_id,
        now=now,
        applies=lambda row: row.state == "resolved",
        apply=reopen,
        text=text,
    )


def withdraw_case(
    session: Session, *, team_id: str, channel_id: str, message_ts: str, now: datetime
) -> bool:
    """The customer deleted their message: close its case (open or acknowledged) as
    `withdrawn` by the bot, inside the deletion's transaction. Returns whether it changed.

    A resolved case stays resolved. The single alert needs no update here (the deletion
    replaces it by a notice without actions); a digest is rendered again, its line without a
    menu.
    """
    row = session.scalar(
        select(CaseRow)
        .where(
            CaseRow.team_id == team_id,
            CaseRow.channel_id == channel_id,
            CaseRow.message_ts == message_ts,
        )
        .with_for_update()
    )
    if row is None or row.state not in OPEN_STATES:
        return False
    previous, row.state, row.updated_at = row.state, "withdrawn", now
    detail: dict[str, object] = {"reason": "message_deleted", "previous": previous}
    add_event(session, row, "withdrawn", actor_id=None, now=now, detail=detail)
    alert = session.get(AlertRow, row.alert_id)
    if alert is not None and alert.digest_id is not None:
        rerender_digest(session, alert.digest_id, expires_in=DEFAULT_EXPIRY_SECONDS)
    return True


def show_in_alert(session: Session, row: CaseRow, *, text: str | None) -> None:
    """Render the case's alert again: in its digest, or in place of the single alert.

    An alert whose post is still pending needs nothing: the sender renders the case as it is
    at send time. A posted one (or one in flight now) gets an `alert_update`.
    """
    alert = session.get(AlertRow, row.alert_id)
    if alert is None:
        return
    if alert.digest_id is not None:
        rerender_digest(session, alert.digest_id, expires_in=DEFAULT_EXPIRY_SECONDS)
        return
    key = alert_key(alert.team_id, alert.channel_id, alert.message_ts)
    posted = session.scalar(select(OutboxRow).where(OutboxRow.key == key))
    if posted is None or posted.status in ("failed", "expired"):
        return
    now = moment("now", None)
    if posted.status == "pending" and (posted.claimed_until is None or posted.claimed_until <= now):
        return
    ids = {"team_id": alert.team_id, "channel_id": alert.channel_id}
    if was_deleted(session, **ids, message_ts=alert.message_ts):
        return  # withdrawn: the notice that quotes nothing stays as it is
    quote = text if text is not None else alert.text
    payload = alert_payload(alert, text=quote or "")
    update = OutboxWrite(
        key=alert_update_key(alert.team_id, alert.channel_id, alert.message_ts),
        method=ALERT_UPDATE,
        team_id=alert.team_id,
        channel_id=alert.escalation_channel,
        payload={**payload, "alert_key": key, "case_change": True, "quoted": quote is not None},
        expires_in=DEFAULT_EXPIRY_SECONDS,
    )
    requeue_write(session, update.checked(), now=now)

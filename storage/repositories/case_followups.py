"""Follow-ups: a case nobody acknowledged within its channel's response target is raised again.

`due_followups` finds them (the scheduler asks every minute, with its own clock);
`record_followup` counts one follow-up and stores its Slack write in one transaction, only if
the case is still due then, so two schedulers that found the same case raise it once. The same
transaction renders the alert again in place ("raised again 2×"), as a case change does. A case is
raised again every `response_target_minutes` while it stays unacknowledged, at most
`MAX_FOLLOWUPS` times.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import AlertDigestRow, AlertRow, CaseRow, ChannelSettings, OutboxRow
from storage.records import CaseRecord
from storage.repositories._common import moment
from storage.repositories.alerts import alert_key
from storage.repositories.case_changes import locked_case, show_in_alert
from storage.repositories.cases import add_event, case_record
from storage.repositories.outbox import OutboxWrite, insert_writes
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

MAX_FOLLOWUPS = 3


@dataclass(frozen=True)
class FollowUp:
    """A case due to be raised again.

    Args:
        case: the case, still open.
        target_minutes: its channel's response target.
        oncall_group: the user group to mention (None: the channel's admins instead).
        alert_ts: the posted alert (or digest) message to reply under; None if not posted.
    """

    case: CaseRecord
    target_minutes: int
    oncall_group: str | None
    alert_ts: str | None


def _due(row: CaseRow, target_minutes: int, now: datetime) -> bool:
    since = row.last_followup_at or row.created_at
    return (
        row.state == "open"
        and row.followups < MAX_FOLLOWUPS
        and since + timedelta(minutes=target_minutes) <= now
    )


def due_followups(db: Database, *, team_id: Workspace, now: datetime) -> list[FollowUp]:
    """Open cases of `team_id` (or `ALL_WORKSPACES`) past their channel's response target at
    `now`, oldest first."""
    instant = moment("now", now)
    query = scoped(
        select(CaseRow, ChannelSettings.response_target_minutes, ChannelSettings.oncall_group)
        .join(
            ChannelSettings,
            and_(
                ChannelSettings.team_id == CaseRow.team_id,
                ChannelSettings.channel_id == CaseRow.channel_id,
            ),
        )
        .where(
            CaseRow.state == "open",
            CaseRow.followups < MAX_FOLLOWUPS,
            ChannelSettings.response_target_minutes.is_not(None),
        ),
        CaseRow.team_id,
        team_id,
    ).order_by(CaseRow.created_at, CaseRow.id)
    with db.session() as session:
        return [
            FollowUp(case_record(row), target, group, _alert_ts(session, row))
            for row, target, group in session.execute(query)
            if target is not None and _due(row, target, instant)
        ]


def _alert_ts(session: Session, row: CaseRow) -> str | None:
    alert = session.get(AlertRow, row.alert_id)
    if alert is None:
        return None
    if alert.digest_id is not None:
        digest = session.get(AlertDigestRow, alert.digest_id)
        return None if digest is None else digest.posted_ts
    key = alert_key(alert.team_id, alert.channel_id, alert.message_ts)
    return session.scalar(select(OutboxRow.result_ts).where(OutboxRow.key == key))


def record_followup(
    db: Database,
    *,
    team_id: str,
    case_id: int,
    target_minutes: int,
    now: datetime,
    writes: Sequence[OutboxWrite],
) -> bool:
    """Count one follow-up of the case, store `writes` (the reply that raises it) and update the
    alert to show it, if the case is still open and due at `now`. Returns whether it was
    recorded.

    Raises:
        NotFound: no such case in workspace `team_id`.
    """
    instant = moment("now", now)
    if not isinstance(target_minutes, int) or target_minutes < 1:
        raise InvalidInput(f"target_minutes must be an int >= 1, got {target_minutes!r}")
    checked = [write.checked() for write in writes]
    with db.transaction() as session:
        row = locked_case(session, team_id, case_id)
        if not _due(row, target_minutes, instant):
            return False
        row.followups += 1
        row.last_followup_at = row.updated_at = instant
        add_event(
            session, row, "followed_up", actor_id=None, now=instant, detail={"n": row.followups}
        )
        insert_writes(session, checked)  # due now: `now` is the job's clock, not the sender's
        show_in_alert(session, row, text=None)  # the alert's own quote, where the channel keeps it
    return True

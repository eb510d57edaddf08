"""Cases: the case each alert opens, and the readers of cases, their events and customers.

A case opens inside its alert's transaction (`open_case`, called by `alerts.add_alert`). Its
changes (acknowledge, assign, resolve, reopen) are in `case_changes`, follow-ups in
`case_followups`, the daily numbers in `case_summary`. Every reader takes `team_id`: one
workspace, or `ALL_WORKSPACES` (see `storage.workspaces`).

A customer is a Slack user (`customer_id`); in a Slack Connect channel also their own
organisation (`customer_team`), so the history of "Acme" spans every Acme user that had a case.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import validation as check
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import AlertRow, CaseEventRow, CaseRow, PredictionRow
from storage.orm.cases import CASE_STATES, OPEN_STATES
from storage.records import CaseEventRecord, CaseRecord, CustomerHistory, CustomerSummary
from storage.repositories._common import moment
from storage.workspaces import Workspace, checked_scope, scoped

logger = logging.getLogger(__name__)

MAX_LIMIT = 1000


def open_case(
    session: Session, *, alert_id: int, customer_team: str | None, now: datetime
) -> CaseRow:
    """Open the case of a just-inserted alert, inside the caller's transaction."""
    alert = session.get(AlertRow, alert_id)
    assert alert is not None  # inserted by the caller
    row = CaseRow(
        team_id=alert.team_id,
        alert_id=alert.id,
        escalation_channel=alert.escalation_channel,
        channel_id=alert.channel_id,
        message_ts=alert.message_ts,
        customer_id=alert.user_id,
        customer_team=customer_team,
        state="open",
        followups=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    add_event(session, row, "opened", actor_id=None, now=now)
    return row


def add_event(
    session: Session,
    row: CaseRow,
    action: str,
    *,
    actor_id: str | None,
    now: datetime,
    detail: dict[str, object] | None = None,
) -> None:
    """Record one change of `row` inside the caller's transaction."""
    session.add(
        CaseEventRow(
            case_id=row.id,
            team_id=row.team_id,
            action=action,
            actor_id=actor_id,
            detail=dict(detail or {}),
            created_at=now,
        )
    )


def case_record(row: CaseRow) -> CaseRecord:
    return CaseRecord(
        id=row.id,
        team_id=row.team_id,
        alert_id=row.alert_id,
        escalation_channel=row.escalation_channel,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        customer_id=row.customer_id,
        customer_team=row.customer_team,
        state=row.state,
        assignee_id=row.assignee_id,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        resolution_note=row.resolution_note,
        followups=row.followups,
        last_followup_at=row.last_followup_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _limit(value: int) -> int:
    if not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1..{MAX_LIMIT}, got {value!r}")
    return value


def get_case(db: Database, *, team_id: str, case_id: int) -> CaseRecord | None:
    """Case `case_id` of workspace `team_id`, or None (unknown, or another workspace's)."""
    check.ident("team_id", team_id)
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise InvalidInput(f"case_id must be an int, got {case_id!r}")
    with db.session() as session:
        row = session.get(CaseRow, case_id)
        return None if row is None or row.team_id != team_id else case_record(row)


def cases_of_alerts(
    db: Database, *, team_id: str, alert_ids: Iterable[int]
) -> dict[int, CaseRecord]:
    """The cases of these alerts of workspace `team_id`, by alert id (alerts render them)."""
    ids = list(alert_ids)
    query = select(CaseRow).where(
        CaseRow.team_id == check.ident("team_id", team_id), CaseRow.alert_id.in_(ids)
    )
    with db.session() as session:
        return {row.alert_id: case_record(row) for row in session.scalars(query)}


def case_of_message(
    db: Database, *, team_id: str, channel_id: str, message_ts: str
) -> CaseRecord | None:
    """The case opened for the customer's message (`channel_id`, `message_ts`), or None."""
    query = select(CaseRow).where(
        CaseRow.team_id == check.ident("team_id", team_id),
        CaseRow.channel_id == check.ident("channel_id", channel_id),
        CaseRow.message_ts == check.ident("message_ts", message_ts),
    )
    with db.session() as session:
        row = session.scalar(query.limit(1))
        return None if row is None else case_record(row)


def list_cases(
    db: Database,
    *,
    team_id: Workspace,
    channel_id: str | None = None,
    assignee_id: str | None = None,
    state: str | None = None,
    limit: int = 200,
) -> list[CaseRecord]:
    """Cases of `team_id` (a workspace or `ALL_WORKSPACES`), newest first, filtered by the
    customer's channel, the assignee and the state when given."""
    query = scoped(select(CaseRow), CaseRow.team_id, team_id)
    if channel_id is not None:
        query = query.where(CaseRow.channel_id == check.ident("channel_id", channel_id))
    if assignee_id is not None:
        query = query.where(CaseRow.assignee_id == check.ident("assignee_id", assignee_id))
    if state is not None:
        query = query.where(CaseRow.state == check.choice("state", state, CASE_STATES))
    query = query.order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(_limit(limit))
    with db.session() as session:
        return [case_record(row) for row in session.scalars(query)]


def list_case_events(db: Database, *, team_id: str, case_id: int) -> list[CaseEventRecord]:
    """Every change of one case of `team_id`, oldest first (empty for another workspace's)."""
    query = select(CaseEventRow).where(
        CaseEventRow.team_id == check.ident("team_id", team_id), CaseEventRow.case_id == case_id
    )
    with db.session() as session:
        return [
            CaseEventRecord(
                id=row.id,
                case_id=row.case_id,
                team_id=row.team_id,
                action=row.action,
                actor_id=row.actor_id,
                detail=dict(row.detail or {}),
                created_at=row.created_at,
            )
            for row in session.scalars(query.order_by(CaseEventRow.id))
        ]


def customer_history(
    db: Database,
    *,
    team_id: Workspace,
    customer_id: str,
    customer_team: str | None = None,
    since: datetime,
) -> CustomerHistory:
    """A customer's negative messages since `since` and all their cases, newest first.

    The customer is the Slack user `customer_id`, or, with `customer_team`, everyone of that
    external organisation: its users known from its cases (predictions keep no author's team).
    """
    start = moment("since", since)
    check.ident("customer_id", customer_id)
    check.optional_ident("customer_team", customer_team)
    cases = scoped(select(CaseRow), CaseRow.team_id, team_id)
    if customer_team is not None:
        cases = cases.where(CaseRow.customer_team == customer_team)
    else:
        cases = cases.where(CaseRow.customer_id == customer_id)
    with db.session() as session:
        found = [
            case_record(row)
            for row in session.scalars(cases.order_by(CaseRow.created_at.desc(), CaseRow.id))
        ]
        users = {case.customer_id for case in found} | {customer_id}
        count = session.scalar(
            scoped(select(func.count()), PredictionRow.team_id, team_id)
            .select_from(PredictionRow)
            .where(
                PredictionRow.user_id.in_(sorted(users)),
                PredictionRow.label == "negative",
                PredictionRow.created_at >= start,
            )
        )
    return CustomerHistory(negative_messages=int(count or 0), cases=found)


def list_customers(
    db: Database, *, team_id: Workspace, since: datetime, limit: int = 50
) -> list[CustomerSummary]:
    """Customers with a case opened since `since`, most recently seen first: their negative
    messages since then and their cases still open (neither resolved nor withdrawn)."""
    start = moment("since", since)
    checked_scope(team_id)
    query = (
        scoped(
            select(
                CaseRow.team_id,
                CaseRow.customer_id,
                CaseRow.customer_team,
                func.count().filter(CaseRow.state.in_(OPEN_STATES)),
                func.max(CaseRow.created_at),
            ),
            CaseRow.team_id,
            team_id,
        )
        .where(CaseRow.created_at >= start)
        .group_by(CaseRow.team_id, CaseRow.customer_id, CaseRow.customer_team)
        .order_by(func.max(CaseRow.created_at).desc())
        .limit(_limit(limit))
    )
    with db.session() as session:
        groups = list(session.execute(query))
        return [
            CustomerSummary(
                customer_id=customer,
                customer_team=customer_team,
                negative_messages=_negatives(session, team, customer, start),
                open_cases=int(open_cases or 0),
                last_seen=moment("last_seen", last_seen),
            )
            for team, customer, customer_team, open_cases, last_seen in groups
        ]


def _negatives(session: Session, team_id: str, user_id: str, since: datetime) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(PredictionRow)
        .where(
            PredictionRow.team_id == team_id,
            PredictionRow.user_id == user_id,
            PredictionRow.label == "negative",
            PredictionRow.created_at >= since,
        )
    )
    return int(count or 0)

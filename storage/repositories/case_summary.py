"""The numbers of the daily case summary, per escalation channel.

Over a window [`since`, `until`): cases opened, resolved, the median time to acknowledge and to
resolve (of the cases acknowledged / resolved in the window), the cases withdrawn (the customer
deleted the message: closed, but no resolution and no time to resolve), the cases still open at
`until`, and the share of negative messages over the week before `until` in each channel that
alerts there.
"""

from __future__ import annotations

import logging
import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import validation as check
from storage.database import Database
from storage.orm import CaseRow, ChannelSettings, PredictionRow
from storage.records import CaseRecord, CaseSummary
from storage.repositories._common import moment
from storage.repositories.cases import case_record
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)


def escalation_channels_with_cases(db: Database, *, team_id: Workspace) -> list[tuple[str, str]]:
    """Every (team, escalation channel) that has cases, in order."""
    query = scoped(
        select(CaseRow.team_id, CaseRow.escalation_channel).distinct(), CaseRow.team_id, team_id
    ).order_by(CaseRow.team_id, CaseRow.escalation_channel)
    with db.session() as session:
        return [(team, channel) for team, channel in session.execute(query)]


def case_summary(
    db: Database, *, team_id: str, escalation_channel: str, since: datetime, until: datetime
) -> CaseSummary:
    """The numbers of one escalation channel's cases in [`since`, `until`)."""
    start, end = moment("since", since), moment("until", until)
    check.ident("team_id", team_id)
    check.ident("escalation_channel", escalation_channel)
    query = select(CaseRow).where(
        CaseRow.team_id == team_id,
        CaseRow.escalation_channel == escalation_channel,
        CaseRow.created_at < end,
    )
    with db.session() as session:
        rows = [case_record(row) for row in session.scalars(query)]
        channels = {row.channel_id for row in rows} | set(
            session.scalars(
                select(ChannelSettings.channel_id).where(
                    ChannelSettings.team_id == team_id,
                    ChannelSettings.escalation_channel == escalation_channel,
                )
            )
        )
        shares = _negative_share(session, team_id, sorted(channels), end - WEEK, end)

    def within(moment_: datetime | None) -> bool:
        return moment_ is not None and start <= moment_ < end

    acked = [r for r in rows if within(r.acknowledged_at)]
    resolved = [r for r in rows if within(r.resolved_at)]
    not_resolved = [r for r in rows if (closed := _closed_at(r)) is None or closed >= end]
    return CaseSummary(
        team_id=team_id,
        escalation_channel=escalation_channel,
        opened=sum(within(r.created_at) for r in rows),
        resolved=len(resolved),
        withdrawn=sum(r.state == "withdrawn" and within(r.updated_at) for r in rows),
        still_open=len(not_resolved),
        unacknowledged=sum(
            r.acknowledged_at is None or r.acknowledged_at >= end for r in not_resolved
        ),
        median_ack_seconds=_median(
            [(r.acknowledged_at - r.created_at).total_seconds() for r in acked if r.acknowledged_at]
        ),
        median_resolve_seconds=_median(
            [(r.resolved_at - r.created_at).total_seconds() for r in resolved if r.resolved_at]
        ),
        negative_share=shares,
    )


def _closed_at(case: CaseRecord) -> datetime | None:
    """When the case stopped needing the team: resolved, or withdrawn (its last change)."""
    return case.updated_at if case.state == "withdrawn" else case.resolved_at


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _negative_share(
    session: Session, team_id: str, channels: list[str], since: datetime, until: datetime
) -> dict[str, float]:
    if not channels:
        return {}
    query = (
        select(
            PredictionRow.channel_id,
            func.count(),
            func.count().filter(PredictionRow.label == "negative"),
        )
        .where(
            PredictionRow.team_id == team_id,
            PredictionRow.channel_id.in_(channels),
            PredictionRow.created_at >= since,
            PredictionRow.created_at < until,
        )
        .group_by(PredictionRow.channel_id)
    )
    return {
        channel: int(negative or 0) / int(total)
        for channel, total, negative in session.execute(query)
        if total
    }

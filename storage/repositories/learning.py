"""The learning curve's counts: predictions, corrections and the correction memory, per UTC day.

A correction is the drift check's (`correction_rate`): feedback on a message whose prediction is
known, with another label than the prediction's, counted on the day it was last given or
changed. The correction memory holds feedback whose text is kept (typed texts, and messages in
`store_text` channels), counted on the day it was first given; a text deleted since (message
deleted, retention, uninstall) no longer counts, as it no longer counts in the memory.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.database import Database
from storage.orm import FeedbackRow, MessageText, PredictionRow
from storage.records import LearningDay, LearningHistory
from storage.repositories._common import moment
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

_TEXT_JOIN = and_(
    MessageText.team_id == FeedbackRow.team_id,
    MessageText.channel_id == FeedbackRow.channel_id,
    MessageText.message_ts == FeedbackRow.message_ts,
)
Counts = dict[tuple[date, str | None], dict[str, int]]


def learning_history(db: Database, *, team_id: Workspace, since: datetime) -> LearningHistory:
    """Per UTC day since `since` and per workspace of `team_id` (one, or `ALL_WORKSPACES`): how
    many messages were classified, reviewed and corrected, and how many corrections the memory
    gained; and per workspace how many it held before `since`.

    Days with nothing are left out; `days` is ordered by day, then workspace.
    """
    start = moment("since", since)
    counts: Counts = defaultdict(dict)
    with db.session() as session:
        day = _utc_day(session, PredictionRow.created_at)
        predicted = scoped(
            select(day, PredictionRow.team_id, func.count()), PredictionRow.team_id, team_id
        ).where(PredictionRow.created_at >= start)
        _add(counts, session, predicted.group_by(day, PredictionRow.team_id), "predictions")

        day = _utc_day(session, FeedbackRow.updated_at)
        changed = case((FeedbackRow.label != FeedbackRow.predicted_label, 1), else_=0)
        reviewed = scoped(
            select(day, FeedbackRow.team_id, func.count(), func.sum(changed, type_=Integer)),
            FeedbackRow.team_id,
            team_id,
        ).where(FeedbackRow.updated_at >= start, FeedbackRow.predicted_label.is_not(None))
        _add(
            counts, session, reviewed.group_by(day, FeedbackRow.team_id), "reviewed", "corrections"
        )

        day = _utc_day(session, FeedbackRow.created_at)
        remembered = _remembered(select(day, FeedbackRow.team_id, func.count()), team_id)
        recent = remembered.where(FeedbackRow.created_at >= start)
        _add(counts, session, recent.group_by(day, FeedbackRow.team_id), "remembered")

        earlier = _remembered(select(FeedbackRow.team_id, func.count()), team_id)
        earlier = earlier.where(FeedbackRow.created_at < start).group_by(FeedbackRow.team_id)
        before = {str(team): int(n) for team, n in session.execute(earlier)}
    days = [
        LearningDay(day=key[0], team_id=key[1], **values)
        for key, values in sorted(counts.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    ]
    return LearningHistory(days=days, remembered_before=before)


def _remembered(query: Any, team_id: Workspace) -> Any:
    """`query` over the feedback the correction memory holds: of a workspace, with a kept text."""
    return (
        scoped(query.select_from(FeedbackRow), FeedbackRow.team_id, team_id)
        .outerjoin(MessageText, _TEXT_JOIN)
        .where(
            FeedbackRow.team_id.is_not(None),
            func.coalesce(FeedbackRow.text, MessageText.text).is_not(None),
        )
    )


def _utc_day(session: Session, column: InstrumentedAttribute[datetime]) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column (PostgreSQL's `date()` would use the session's
    time zone; SQLite stores UTC already)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _add(counts: Counts, session: Session, query: Any, *names: str) -> None:
    """Add each row's (day, team, n...) to `counts` under `names`."""
    for value, team, *numbers in session.execute(query):
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        for name, number in zip(names, numbers, strict=True):
            counts[(day, team)][name] = int(number or 0)

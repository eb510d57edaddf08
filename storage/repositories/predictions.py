"""Predictions: one row per (team, channel, message ts), recorded once however often Slack retries."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import NotFound
from storage.orm import MessageText, ModelVersion, PredictionRow
from storage.records import PredictionRecord
from storage.repositories._common import moment, upsert_insert
from storage.repositories._texts import keep_text
from storage.repositories.alerts import AlertWrite, add_alert
from storage.repositories.outbox import OutboxWrite, insert_writes

logger = logging.getLogger(__name__)

_TEXT_JOIN = and_(
    MessageText.team_id == PredictionRow.team_id,
    MessageText.channel_id == PredictionRow.channel_id,
    MessageText.message_ts == PredictionRow.message_ts,
)


def _record(row: PredictionRow, text: str | None) -> PredictionRecord:
    return PredictionRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        thread_ts=row.thread_ts,
        user_id=row.user_id,
        label=row.label,
        scores=dict(row.scores),
        model_version=row.model_version,
        latency_ms=row.latency_ms,
        created_at=row.created_at,
        text=text,
    )


def record_prediction(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    user_id: str,
    label: str,
    scores: Mapping[str, float],
    model_version: str,
    latency_ms: float,
    text: str | None = None,
    thread_ts: str | None = None,
    outbox: Sequence[OutboxWrite] = (),
    alert: AlertWrite | None = None,
) -> tuple[PredictionRecord, bool]:
    """Record a classified message once; return it and whether this call created it.

    `text` is kept (with the retention deadline) only if the channel's privacy mode is
    `store_text`. A redelivered message returns the stored row and `False`.

    `outbox` (e.g. the reaction) and `alert` (an escalation alert, maybe folded into a digest)
    are the Slack writes that follow the decision: stored in the same transaction, and only by
    the call that created the prediction, so a redelivery writes nothing twice.

    Raises:
        InvalidInput: bad label or scores, over-long or empty ids, text over 40,000 characters.
        NotFound: `model_version` is not registered.
    """
    values = {
        "team_id": check.ident("team_id", team_id),
        "channel_id": check.ident("channel_id", channel_id),
        "message_ts": check.ident("message_ts", message_ts),
        "thread_ts": check.optional_ident("thread_ts", thread_ts),
        "user_id": check.ident("user_id", user_id),
        "label": check.label(label),
        "scores": check.scores(scores),
        "model_version": check.text_field("model_version", model_version, max_len=check.NAME_LEN),
        "latency_ms": check.non_negative("latency_ms", latency_ms),
        "created_at": utcnow(),
    }
    if text is not None:
        check.text_field("text", text, max_len=check.TEXT_LEN, allow_empty=True)
    writes = [write.checked() for write in outbox]
    alert = alert.checked() if alert is not None else None
    with db.transaction() as session:
        if session.get(ModelVersion, model_version) is None:
            raise NotFound(f"model version {model_version!r} is not registered")
        insert = upsert_insert(session, PredictionRow.__table__).values(**values)
        created_id = session.scalar(
            insert.on_conflict_do_nothing(
                index_elements=["team_id", "channel_id", "message_ts"]
            ).returning(PredictionRow.id)
        )
        if created_id is not None and text:
            keep_text(
                session,
                team_id=team_id,
                channel_id=channel_id,
                message_ts=message_ts,
                text=text,
                retention_days=db.retention_days,
            )
        if created_id is not None:
            _follow_ups(
                session,
                writes,
                alert,
                team_id=team_id,
                channel_id=channel_id,
                message_ts=message_ts,
                user_id=user_id,
                label=label,
            )
        record = _get(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)
    assert record is not None  # inserted above or already there
    return record, created_id is not None


def _follow_ups(
    session: Session,
    writes: list[OutboxWrite],
    alert: AlertWrite | None,
    *,
    team_id: str,
    channel_id: str,
    message_ts: str,
    user_id: str,
    label: str,
) -> None:
    """The Slack writes that follow a new prediction, in its transaction."""
    insert_writes(session, writes)
    if alert is not None:
        add_alert(
            session,
            alert,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=message_ts,
            user_id=user_id,
            label=label,
        )


def _get(
    session: Session, *, team_id: str, channel_id: str, message_ts: str
) -> PredictionRecord | None:
    row = session.execute(
        select(PredictionRow, MessageText.text)
        .outerjoin(MessageText, _TEXT_JOIN)
        .where(
            PredictionRow.team_id == team_id,
            PredictionRow.channel_id == channel_id,
            PredictionRow.message_ts == message_ts,
        )
    ).one_or_none()
    return None if row is None else _record(row[0], row[1])


def get_prediction(
    db: Database, *, team_id: str, channel_id: str, message_ts: str
) -> PredictionRecord | None:
    """The prediction of one message, or None."""
    with db.session() as session:
        return _get(session, team_id=team_id, channel_id=channel_id, message_ts=message_ts)


def recent_predictions(
    db: Database, *, since: datetime, team_id: str | None = None, limit: int = 10_000
) -> list[PredictionRecord]:
    """Predictions made at or after `since` (of one team), newest first, at most `limit`."""
    query = (
        select(PredictionRow, MessageText.text)
        .outerjoin(MessageText, _TEXT_JOIN)
        .where(PredictionRow.created_at >= moment("since", since))
        .order_by(PredictionRow.created_at.desc(), PredictionRow.id.desc())
        .limit(limit)
    )
    if team_id is not None:
        query = query.where(PredictionRow.team_id == team_id)
    with db.session() as session:
        return [_record(row, text) for row, text in session.execute(query)]


def label_counts_by_day(db: Database, *, since: datetime) -> list[tuple[date, str, int]]:
    """(UTC day, label, count) of predictions since `since`, ordered by day then label."""
    day = func.date(PredictionRow.created_at)
    query = (
        select(day, PredictionRow.label, func.count())
        .where(PredictionRow.created_at >= moment("since", since))
        .group_by(day, PredictionRow.label)
        .order_by(day, PredictionRow.label)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    return [
        (value if isinstance(value, date) else date.fromisoformat(str(value)), lbl, int(count))
        for value, lbl, count in rows
    ]

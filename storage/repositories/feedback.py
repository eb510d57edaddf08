"""Feedback: a user's label for a message or a typed text; a later one by the same user replaces it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput
from storage.orm import FeedbackRow, MessageText, PredictionRow
from storage.records import FeedbackRecord
from storage.repositories._common import moment, upsert_insert
from storage.repositories._texts import keep_text
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

_TEXT_JOIN = and_(
    MessageText.team_id == FeedbackRow.team_id,
    MessageText.channel_id == FeedbackRow.channel_id,
    MessageText.message_ts == FeedbackRow.message_ts,
)


@dataclass(frozen=True)
class LabelledText:
    """One row of an import: a text and its label (and an optional note)."""

    text: str
    label: str
    note: str | None = None


def _record(row: FeedbackRow, message_text: str | None) -> FeedbackRecord:
    return FeedbackRecord(
        id=row.id,
        label=row.label,
        source=row.source,
        user_id=row.user_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        text=row.text if row.text is not None else message_text,
        note=row.note,
        predicted_label=row.predicted_label,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _subject(team_id: str | None, channel_id: str | None, ts: str | None, text: str | None) -> str:
    if team_id and channel_id and ts:
        return f"msg:{team_id}:{channel_id}:{ts}"
    if channel_id or ts:
        raise InvalidInput("a message needs all of team_id, channel_id and message_ts")
    if not text or not text.strip():
        raise InvalidInput("feedback needs a message (team, channel, ts) or a text")
    normalised = " ".join(text.split()).casefold()
    return "text:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def record_feedback(
    db: Database,
    *,
    label: str,
    source: str,
    user_id: str,
    team_id: str | None,
    channel_id: str | None = None,
    message_ts: str | None = None,
    text: str | None = None,
    note: str | None = None,
    predicted_label: str | None = None,
) -> FeedbackRecord:
    """Keep a user's label for a message (ids) or for a typed text.

    On a message, its text is kept only where the channel stores text (in the message-text
    table, with the retention deadline); a typed text with no message is stored as given, with
    the `team_id` it was typed in so that uninstalling the workspace deletes it. `team_id` is
    required: None says the text was typed outside any workspace (it then trains the shared
    model but no workspace sees it).
    `predicted_label` defaults to the stored prediction of the message.

    Raises:
        InvalidInput: bad label/source, over-long fields, neither a message nor a text.
    """
    check.label(label)
    check.choice("source", source, check.FEEDBACK_SOURCES)
    check.ident("user_id", user_id)
    for name, value in (("team_id", team_id), ("channel_id", channel_id), ("ts", message_ts)):
        check.optional_ident(name, value)
    text = check.optional_text("text", text, max_len=check.TEXT_LEN)
    note = check.optional_text("note", note, max_len=check.NOTE_LEN)
    if predicted_label is not None:
        check.label(predicted_label, "predicted_label")
    subject = _subject(team_id, channel_id, message_ts, text)
    with db.transaction() as session:
        if subject.startswith("msg:"):
            assert team_id and channel_id and message_ts
            if predicted_label is None:
                predicted_label = _predicted(session, team_id, channel_id, message_ts)
            if text is not None:
                keep_text(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    message_ts=message_ts,
                    text=text,
                    retention_days=db.retention_days,
                )
            text = None  # message text lives in message_texts, never in the feedback row
        values = dict(
            label=label,
            source=source,
            user_id=user_id,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=message_ts,
            text=text,
            note=note,
            predicted_label=predicted_label,
        )
        row_id = _upsert(session, subject, values)
        return _get(session, row_id)


def _predicted(session: Session, team_id: str, channel_id: str, message_ts: str) -> str | None:
    return session.scalar(
        select(PredictionRow.label).where(
            PredictionRow.team_id == team_id,
            PredictionRow.channel_id == channel_id,
            PredictionRow.message_ts == message_ts,
        )
    )


def _upsert(session: Session, subject: str, values: dict[str, str | None]) -> int:
    now = utcnow()
    insert = upsert_insert(session, FeedbackRow.__table__).values(
        subject_key=subject, created_at=now, updated_at=now, **values
    )
    changed = {key: insert.excluded[key] for key in (*values, "updated_at") if key != "user_id"}
    row_id = session.scalar(
        insert.on_conflict_do_update(
            index_elements=["user_id", "subject_key"], set_=changed
        ).returning(FeedbackRow.id)
    )
    assert row_id is not None
    return int(row_id)


def _get(session: Session, row_id: int) -> FeedbackRecord:
    row, text = session.execute(
        select(FeedbackRow, MessageText.text)
        .outerjoin(MessageText, _TEXT_JOIN)
        .where(FeedbackRow.id == row_id)
        .execution_options(populate_existing=True)
    ).one()
    return _record(row, text)


def import_feedback(db: Database, *, rows: Iterable[LabelledText], user_id: str) -> int:
    """Import labelled texts in one transaction (all or nothing); return how many were stored.

    Raises:
        InvalidInput: naming the first bad row (1-based); nothing is stored then.
    """
    check.ident("user_id", user_id)
    prepared: list[tuple[str, dict[str, str | None]]] = []
    for number, item in enumerate(rows, start=1):
        try:
            text = check.text_field("text", item.text, max_len=check.TEXT_LEN)
            values = dict(
                label=check.label(item.label),
                source="import",
                user_id=user_id,
                team_id=None,
                channel_id=None,
                message_ts=None,
                text=text,
                note=check.optional_text("note", item.note, max_len=check.NOTE_LEN),
                predicted_label=None,
            )
        except InvalidInput as exc:
            raise InvalidInput(f"row {number}: {exc}") from exc
        prepared.append((_subject(None, None, None, text), values))
    with db.transaction() as session:
        for subject, values in prepared:
            _upsert(session, subject, values)
    return len(prepared)


def list_feedback(
    db: Database, *, team_id: Workspace, since: datetime | None = None
) -> list[FeedbackRecord]:
    """Feedback of `team_id` given or updated at or after `since` (all when None), oldest first.

    `ALL_WORKSPACES` includes imported feedback, which belongs to no workspace.
    """
    query = scoped(
        select(FeedbackRow, MessageText.text).outerjoin(MessageText, _TEXT_JOIN),
        FeedbackRow.team_id,
        team_id,
    ).order_by(FeedbackRow.updated_at, FeedbackRow.id)
    if since is not None:
        query = query.where(FeedbackRow.updated_at >= moment("since", since))
    with db.session() as session:
        return [_record(row, text) for row, text in session.execute(query)]


def count_feedback(db: Database, *, team_id: Workspace, since: datetime | None = None) -> int:
    """How many feedback rows of `team_id` were given or updated at or after `since` (all when
    None)."""
    query = scoped(select(func.count()).select_from(FeedbackRow), FeedbackRow.team_id, team_id)
    if since is not None:
        query = query.where(FeedbackRow.updated_at >= moment("since", since))
    with db.session() as session:
        return int(session.scalar(query) or 0)


def correction_rate(db: Database, *, team_id: Workspace, since: datetime) -> float | None:
    """Share of `team_id`'s feedback (with a known predicted label) since `since` that changed
    the label.

    None when no such feedback exists.
    """
    query = scoped(
        select(FeedbackRow.label, FeedbackRow.predicted_label), FeedbackRow.team_id, team_id
    ).where(
        FeedbackRow.updated_at >= moment("since", since),
        FeedbackRow.predicted_label.is_not(None),
    )
    with db.session() as session:
        rows = session.execute(query).all()
    if not rows:
        return None
    return sum(1 for given, predicted in rows if given != predicted) / len(rows)

"""The learning curve's counts per UTC day: predictions, corrections, the correction memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storage.database import Database
from storage.orm import FeedbackRow, PredictionRow
from storage.records import LearningDay
from storage.repositories import (
    learning_history,
    record_feedback,
    record_prediction,
    set_channel_settings,
)
from storage.workspaces import ALL_WORKSPACES
from tests.storage.helpers import prediction, seed_model

NOW = datetime.now(UTC)
LATE_EVENING = datetime.combine(NOW.date() - timedelta(days=3), datetime.min.time(), UTC).replace(
    hour=23, minute=30
)


def classified(db: Database, team_id: str, ts: str, *, label: str, text: str | None) -> None:
    record_prediction(db, **prediction(team_id=team_id, message_ts=ts, label=label, text=text))


def labelled(db: Database, team_id: str, ts: str, label: str) -> None:
    record_feedback(
        db,
        label=label,
        source="button",
        user_id="U9",
        team_id=team_id,
        channel_id="C1",
        message_ts=ts,
    )


def move(
    db: Database, row: type[FeedbackRow] | type[PredictionRow], ts: str, when: datetime
) -> None:
    """Date a message's rows back (repositories stamp them with the current time)."""
    values = {"created_at": when}
    if row is FeedbackRow:
        values["updated_at"] = when
    with db.transaction() as session:
        session.execute(update(row).where(row.message_ts == ts).values(**values))


def seed(db: Database) -> None:
    seed_model(db)
    for team in ("T1", "T2"):  # message texts are kept where the channel stores text
        set_channel_settings(
            db, team_id=team, channel_id="C1", enabled=True, privacy_mode="store_text", set_by="U9"
        )
    classified(db, "T1", "1.0", label="negative", text="refund please")
    labelled(db, "T1", "1.0", "positive")  # a correction, with a kept text: remembered
    classified(db, "T1", "1.1", label="negative", text=None)
    labelled(db, "T1", "1.1", "negative")  # confirmed, no text: reviewed only
    classified(db, "T1", "1.2", label="neutral", text=None)
    labelled(db, "T1", "1.2", "negative")  # a correction the memory cannot hold (no text)
    record_feedback(db, label="negative", source="command", user_id="U9", team_id="T1", text="x")
    for when, ts in ((LATE_EVENING, "1.0"), (NOW - timedelta(days=40), "1.2")):
        move(db, PredictionRow, ts, when)
        move(db, FeedbackRow, ts, when)
    classified(db, "T2", "2.0", label="negative", text="of T2")
    labelled(db, "T2", "2.0", "neutral")


def test_counts_per_day_of_one_workspace(db: Database) -> None:
    seed(db)
    history = learning_history(db, team_id="T1", since=NOW - timedelta(days=10))
    today = NOW.date()
    late = LearningDay(LATE_EVENING.date(), "T1", 1, reviewed=1, corrections=1, remembered=1)
    assert history.days == [
        late,
        LearningDay(today, "T1", predictions=1, reviewed=1, corrections=0, remembered=1),
    ]
    assert history.remembered_before == {}  # the 40-day-old correction has no text


def test_the_memory_before_the_window_and_every_workspace(db: Database) -> None:
    seed(db)
    since = datetime.combine(NOW.date(), datetime.min.time(), UTC)
    history = learning_history(db, team_id=ALL_WORKSPACES, since=since)
    assert {(day.team_id, day.corrections, day.remembered) for day in history.days} == {
        ("T1", 0, 1),
        ("T2", 1, 1),
    }
    assert history.remembered_before == {"T1": 1}
    assert {day.day for day in history.days} == {NOW.date()}
    assert learning_history(db, team_id="T3", since=since).days == []

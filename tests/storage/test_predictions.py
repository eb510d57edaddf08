"""Predictions: recorded once per message, concurrency, text kept only where allowed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from storage.database import Database
from storage.repositories import (
    get_prediction,
    label_counts_by_day,
    recent_predictions,
    record_prediction,
    set_channel_settings,
)
from tests.storage.helpers import count, prediction, seed_model


def test_record_and_redelivery(db: Database) -> None:
    seed_model(db)
    first, created = record_prediction(db, **prediction())
    again, created_again = record_prediction(db, **prediction(label="positive"))
    assert created and not created_again
    assert again == first and again.label == "negative"
    assert first.scores["negative"] == 0.8 and first.created_at.tzinfo is not None
    assert count(db, "predictions") == 1


def test_same_event_from_8_threads_gives_one_row(db: Database) -> None:
    seed_model(db)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: record_prediction(db, **prediction()), range(8)))
    assert sum(created for _, created in results) == 1
    assert len({record.id for record, _ in results}) == 1
    assert count(db, "predictions") == 1


def test_distinct_events_from_8_threads_lose_none(db: Database) -> None:
    seed_model(db)

    def record(i: int) -> bool:
        return record_prediction(db, **prediction(message_ts=f"1700000000.{i:06d}"))[1]

    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(record, range(40)))
    assert all(created)
    assert count(db, "predictions") == 40


def test_text_is_not_stored_by_default(db: Database) -> None:
    seed_model(db)
    record, _ = record_prediction(db, **prediction(text="my order never arrived"))
    assert record.text is None
    assert count(db, "message_texts") == 0


def test_text_is_stored_where_the_channel_allows_it(db: Database) -> None:
    seed_model(db)
    set_channel_settings(
        db, team_id="T1", channel_id="C1", enabled=True, privacy_mode="store_text", set_by="UA"
    )
    record, _ = record_prediction(db, **prediction(text="my order never arrived"))
    assert record.text == "my order never arrived"
    other, _ = record_prediction(db, **prediction(channel_id="C2", text="elsewhere"))
    assert other.text is None
    found = get_prediction(db, team_id="T1", channel_id="C1", message_ts=record.message_ts)
    assert found is not None and found.text == "my order never arrived"


def test_recent_and_counts_by_day(db: Database) -> None:
    seed_model(db)
    for i, label in enumerate(["negative", "negative", "positive"]):
        record_prediction(db, **prediction(message_ts=f"1.{i}", label=label, team_id=f"T{i % 2}"))
    since = datetime.now(UTC) - timedelta(hours=1)
    assert len(recent_predictions(db, since=since)) == 3
    assert {p.team_id for p in recent_predictions(db, since=since, team_id="T0")} == {"T0"}
    assert recent_predictions(db, since=datetime.now(UTC) + timedelta(hours=1)) == []
    today = datetime.now(UTC).date()
    assert label_counts_by_day(db, since=since) == [(today, "negative", 2), (today, "positive", 1)]

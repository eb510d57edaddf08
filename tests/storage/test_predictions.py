"""Predictions: recorded once per message, concurrency, text kept only where allowed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.repositories import (
    PredictionWrite,
    get_prediction,
    label_counts_by_day,
    recent_predictions,
    record_prediction,
    record_predictions,
    set_channel_settings,
)
from storage.workspaces import ALL_WORKSPACES
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
    assert len(recent_predictions(db, team_id=ALL_WORKSPACES, since=since)) == 3
    assert {p.team_id for p in recent_predictions(db, since=since, team_id="T0")} == {"T0"}
    assert (
        recent_predictions(db, team_id=ALL_WORKSPACES, since=datetime.now(UTC) + timedelta(hours=1))
        == []
    )
    today = datetime.now(UTC).date()
    assert label_counts_by_day(db, team_id=ALL_WORKSPACES, since=since) == [
        (today, "negative", 2),
        (today, "positive", 1),
    ]


def test_a_batch_is_recorded_in_one_call_and_redelivery_writes_nothing(db: Database) -> None:
    seed_model(db)
    writes = [PredictionWrite(**prediction(message_ts=f"1.{i}")) for i in range(5)]
    assert record_predictions(db, writes) == [True] * 5
    assert record_predictions(db, [*writes, writes[0]]) == [False] * 6
    assert count(db, "predictions") == 5


def test_the_same_message_twice_in_one_batch_is_created_once(db: Database) -> None:
    seed_model(db)
    write = PredictionWrite(**prediction())
    assert record_predictions(db, [write, write]) == [True, False]


def test_a_bad_write_in_a_batch_is_refused_alone(db: Database) -> None:
    seed_model(db)
    writes = [
        PredictionWrite(**prediction(message_ts="1.1")),
        PredictionWrite(**prediction(message_ts="1.2", label="furious")),
        PredictionWrite(**prediction(message_ts="1.3", model_version="never-registered")),
        PredictionWrite(**prediction(message_ts="1.4")),
    ]
    results = record_predictions(db, writes)
    assert results[0] is True and results[3] is True
    assert isinstance(results[1], InvalidInput) and "furious" in str(results[1])
    assert isinstance(results[2], NotFound) and "never-registered" in str(results[2])
    assert count(db, "predictions") == 2


def test_a_database_refusal_costs_only_its_own_write(sqlite_db: Database) -> None:
    """A row the database itself refuses (here a SQLite trigger) fails the shared transaction;
    each write is then recorded alone, so its neighbours are kept."""
    db = sqlite_db
    seed_model(db)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON predictions "
            "WHEN NEW.message_ts = '6.66' BEGIN SELECT RAISE(ABORT, 'poison'); END"
        )
    writes = [PredictionWrite(**prediction(message_ts=ts)) for ts in ("1.1", "6.66", "1.2")]
    results = record_predictions(db, writes)
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], InvalidInput) and "poison" in str(results[1])
    assert count(db, "predictions") == 2

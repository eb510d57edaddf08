"""Feedback: one row per person and subject, text kept only where allowed, typed text kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.database import Database
from storage.orm import FeedbackRow
from storage.repositories import (
    correction_rate,
    count_feedback,
    import_feedback,
    list_feedback,
    record_feedback,
    record_prediction,
    set_channel_settings,
)
from storage.repositories.feedback import LabelledText
from storage.workspaces import ALL_WORKSPACES
from tests.storage.helpers import count, prediction, seed_model

MESSAGE = {"team_id": "T1", "channel_id": "C1", "message_ts": "1700000000.000100"}


def _stored_texts(db: Database) -> list[str | None]:
    """The `text` column of the feedback table itself, row by row."""
    with db.session() as session:
        return list(session.scalars(select(FeedbackRow.text).order_by(FeedbackRow.id)))


def test_a_later_correction_by_the_same_person_replaces_theirs(db: Database) -> None:
    seed_model(db)
    record_prediction(db, **prediction())
    first = record_feedback(db, label="positive", source="button", user_id="U1", **MESSAGE)
    second = record_feedback(db, label="neutral", source="modal", user_id="U1", **MESSAGE)

    assert second.id == first.id
    assert (second.label, second.source) == ("neutral", "modal")
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    assert second.predicted_label == "negative"  # taken from the stored prediction
    assert count(db, "feedback") == 1

    other = record_feedback(db, label="negative", source="button", user_id="U2", **MESSAGE)
    assert other.id != first.id
    assert sorted((f.user_id, f.label) for f in list_feedback(db, team_id=ALL_WORKSPACES)) == [
        ("U1", "neutral"),
        ("U2", "negative"),
    ]


def test_the_same_typed_text_by_the_same_person_is_one_row(db: Database) -> None:
    record_feedback(
        db, team_id=None, label="negative", source="command", user_id="U1", text="Order  LATE"
    )
    again = record_feedback(
        db, team_id=None, label="neutral", source="modal", user_id="U1", text="order late"
    )
    assert count(db, "feedback") == 1
    assert again.label == "neutral" and again.text == "order late"


def test_feedback_on_a_message_whose_text_was_not_stored_keeps_label_and_ids(
    db: Database,
) -> None:
    seed_model(db)
    record_prediction(db, **prediction(text="my order never arrived"))  # channel: ids only
    record = record_feedback(
        db,
        label="positive",
        source="button",
        user_id="U1",
        text="my order never arrived",
        **MESSAGE,
    )

    assert record.text is None
    assert (record.team_id, record.channel_id, record.message_ts) == tuple(MESSAGE.values())
    assert (record.label, record.predicted_label) == ("positive", "negative")
    assert count(db, "message_texts") == 0
    assert _stored_texts(db) == [None]
    assert list_feedback(db, team_id=ALL_WORKSPACES)[0].text is None


def test_feedback_on_a_message_in_a_text_storing_channel_uses_the_message_text(
    db: Database,
) -> None:
    team_id, channel_id = MESSAGE["team_id"], MESSAGE["channel_id"]
    set_channel_settings(
        db,
        team_id=team_id,
        channel_id=channel_id,
        enabled=True,
        privacy_mode="store_text",
        set_by="UA",
    )
    record = record_feedback(
        db, label="negative", source="shortcut", user_id="U1", text="it broke again", **MESSAGE
    )
    assert record.text == "it broke again"
    assert count(db, "message_texts") == 1
    assert _stored_texts(db) == [None]  # the text lives in message_texts


def test_typed_feedback_keeps_its_text(db: Database) -> None:
    record = record_feedback(
        db,
        team_id=None,
        label="negative",
        source="modal",
        user_id="U1",
        text="refund took 3 weeks",
        note="typed in the relabel modal",
    )
    assert record.text == "refund took 3 weeks" and record.team_id is None
    assert _stored_texts(db) == ["refund took 3 weeks"]
    found = list_feedback(db, team_id=ALL_WORKSPACES)
    assert [(f.text, f.label, f.note) for f in found] == [
        ("refund took 3 weeks", "negative", "typed in the relabel modal")
    ]


def test_import_is_all_or_nothing_and_replaces_the_importers_rows(db: Database) -> None:
    rows = [LabelledText("great support", "positive"), LabelledText("where is it", "neutral")]
    assert import_feedback(db, rows=rows, user_id="admin") == 2
    assert import_feedback(db, rows=[LabelledText("Great support", "negative")], user_id="admin")
    labels = {f.text: f.label for f in list_feedback(db, team_id=ALL_WORKSPACES)}
    assert labels == {"Great support": "negative", "where is it": "neutral"}
    assert {f.source for f in list_feedback(db, team_id=ALL_WORKSPACES)} == {"import"}


def test_counts_and_correction_rate(db: Database) -> None:
    seed_model(db)
    for i, (predicted, given) in enumerate(
        [("negative", "negative"), ("negative", "positive"), ("positive", "neutral")]
    ):
        ts = f"1.{i}"
        record_prediction(db, **prediction(message_ts=ts, label=predicted))
        record_feedback(
            db, label=given, source="button", user_id="U1", **{**MESSAGE, "message_ts": ts}
        )
    record_feedback(
        db, team_id=None, label="neutral", source="command", user_id="U1", text="no prediction"
    )

    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert (
        count_feedback(db, team_id=ALL_WORKSPACES) == 4
        and count_feedback(db, team_id=ALL_WORKSPACES, since=hour_ago) == 4
    )
    assert (
        count_feedback(db, team_id=ALL_WORKSPACES, since=datetime.now(UTC) + timedelta(hours=1))
        == 0
    )
    assert (
        correction_rate(db, team_id=ALL_WORKSPACES, since=hour_ago) == 2 / 3
    )  # the typed text has no prediction
    assert (
        correction_rate(db, team_id=ALL_WORKSPACES, since=datetime.now(UTC) + timedelta(hours=1))
        is None
    )


def _channel() -> dict[str, str]:
    return {"team_id": MESSAGE["team_id"], "channel_id": MESSAGE["channel_id"]}

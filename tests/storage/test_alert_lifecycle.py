"""An alert after its message is edited or deleted: the races the Slack tests cannot time."""

from __future__ import annotations

from storage.database import Database
from storage.repositories import (
    AlertWrite,
    OutboxWrite,
    PredictionEdit,
    alert_key,
    alert_update_key,
    claim_due,
    delete_message_text,
    get_outbox_row,
    get_prediction,
    record_edit,
    record_prediction,
    set_channel_settings,
)
from tests.storage.helpers import prediction, seed_model

TS = "1700000000.000100"


def store_text(db: Database) -> None:
    set_channel_settings(
        db,
        team_id="T1",
        channel_id="C1",
        enabled=True,
        mode="alert",
        privacy_mode="store_text",
        set_by="U1",
    )


def edit(text: str, label: str = "positive", edit_id: str = "1700000001.000100") -> PredictionEdit:
    return PredictionEdit(
        team_id="T1",
        channel_id="C1",
        message_ts=TS,
        edit_id=edit_id,
        label=label,
        confidence=0.8,
        scores={"negative": 0.1, "neutral": 0.1, "positive": 0.8},
        model_version="v1",
        latency_ms=1.0,
        text=text,
    )


def test_an_edit_still_queued_when_the_message_was_deleted_stores_and_quotes_nothing(
    db: Database,
) -> None:
    seed_model(db)
    store_text(db)
    record_prediction(db, **prediction(text="my order never arrived"))
    delete_message_text(db, team_id="T1", channel_id="C1", message_ts=TS)

    assert not record_edit(db, edit("my card number is 4111"), swap_reaction=lambda old: [])

    record = get_prediction(db, team_id="T1", channel_id="C1", message_ts=TS)
    assert record is not None and record.text is None and record.label == "negative"


def test_an_edit_is_applied_once(db: Database) -> None:
    seed_model(db)
    store_text(db)
    record_prediction(db, **prediction(text="my order never arrived"))
    swaps: list[str] = []

    def swap(old: str) -> list[OutboxWrite]:
        swaps.append(old)
        return []

    assert record_edit(db, edit("thanks, sorted"), swap_reaction=swap)
    assert not record_edit(db, edit("thanks, sorted"), swap_reaction=swap)
    assert swaps == ["negative"]
    record = get_prediction(db, team_id="T1", channel_id="C1", message_ts=TS)
    assert record is not None and record.label == "positive" and record.text == "thanks, sorted"


def test_deleting_a_message_while_its_alert_is_being_posted_queues_the_redaction(
    db: Database,
) -> None:
    seed_model(db)
    alert = AlertWrite(escalation_channel="CESC", confidence=0.9, text="my order never arrived")
    record_prediction(db, **prediction(), alert=alert)
    (in_flight,) = claim_due(db, holder="sender-1")  # the post is on its way with the text
    assert in_flight.key == alert_key("T1", "C1", TS)

    delete_message_text(db, team_id="T1", channel_id="C1", message_ts=TS)

    redaction = get_outbox_row(db, key=alert_update_key("T1", "C1", TS))
    assert redaction is not None and redaction.status == "pending"
    assert redaction.payload["deleted"] is True and redaction.payload["text"] == ""
    assert redaction.channel_id == "CESC"

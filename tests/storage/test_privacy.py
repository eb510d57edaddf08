"""Privacy: stored text expires (purge job), follows message deletion, and uninstall deletes all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text, update

from bot.installation_store import installation_store
from bot.serving.scheduler import JobContext, cron_trigger, privacy_purge
from bot.settings import load_settings
from storage.database import Database
from storage.orm import ApprovedReply, MessageText
from storage.repositories import (
    delete_message_text,
    delete_workspace,
    get_prediction,
    list_approved_replies,
    list_channel_settings,
    list_feedback,
    list_model_versions,
    purge_expired_texts,
    record_admin_action,
    record_approved_reply,
    record_feedback,
    record_prediction,
    set_channel_settings,
)
from storage.workspaces import ALL_WORKSPACES
from tests.storage.helpers import count, prediction, seed_model


def _store_text_channel(db: Database, team_id: str = "T1", channel_id: str = "C1") -> None:
    set_channel_settings(
        db,
        team_id=team_id,
        channel_id=channel_id,
        enabled=True,
        privacy_mode="store_text",
        set_by="UA",
    )


def _message(db: Database, ts: str, text: str, **ids: str) -> dict[str, str]:
    """Record a prediction (and its text, where allowed); return the message's ids."""
    record_prediction(db, **prediction(message_ts=ts, text=text, **ids))
    return {
        "team_id": ids.get("team_id", "T1"),
        "channel_id": ids.get("channel_id", "C1"),
        "message_ts": ts,
    }


def _texts(db: Database) -> list[str]:
    return sorted(str(f.text) for f in list_feedback(db, team_id=ALL_WORKSPACES) if f.text)


def test_text_is_kept_until_its_retention_deadline(db: Database) -> None:
    seed_model(db)
    _store_text_channel(db)
    _message(db, "1.1", "my parcel is lost")
    now = datetime.now(UTC)

    assert purge_expired_texts(db, now=now + timedelta(days=db.retention_days - 1)) == 0
    assert purge_expired_texts(db, now=now + timedelta(days=db.retention_days, minutes=1)) == 1
    assert count(db, "message_texts") == 0


def test_the_purge_job_deletes_expired_text_and_keeps_labels(db: Database) -> None:
    seed_model(db)
    _store_text_channel(db)
    old = _message(db, "1.1", "an old complaint")
    fresh = _message(db, "1.2", "a fresh complaint")
    record_feedback(db, label="negative", source="button", user_id="U1", **old)
    with db.transaction() as session:  # the old text's deadline has passed
        session.execute(
            update(MessageText)
            .where(MessageText.message_ts == "1.1")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    settings = load_settings(None)
    context = JobContext(db, settings=settings, notify=print, start_retrain=lambda *_: False)
    privacy_purge(context, cron_trigger(settings.training.purge_cron))

    gone = get_prediction(db, **old)
    assert gone is not None and gone.text is None and gone.label == "negative"
    kept = get_prediction(db, **fresh)
    assert kept is not None and kept.text == "a fresh complaint"
    assert [(f.label, f.text, f.message_ts) for f in list_feedback(db, team_id=ALL_WORKSPACES)] == [
        ("negative", None, "1.1")
    ]


def test_deleting_a_message_deletes_its_stored_text(db: Database) -> None:
    seed_model(db)
    _store_text_channel(db)
    deleted = _message(db, "1.1", "please delete me")
    other = _message(db, "1.2", "keep me")
    record_feedback(db, label="positive", source="button", user_id="U1", **deleted)
    record_approved_reply(
        db,
        team_id="T1",
        channel_id="C1",
        user_id="U9",
        message_text="please delete me",
        reply_text="Done!",
        message_ts="1.1",
    )

    assert delete_message_text(db, **deleted) == 2  # the text and the reply quoting it

    assert (
        count(db, "message_texts") == 1 and list_approved_replies(db, team_id=ALL_WORKSPACES) == []
    )
    gone = get_prediction(db, **deleted)
    assert gone is not None and gone.text is None and gone.label == "negative"
    assert [(f.label, f.text) for f in list_feedback(db, team_id=ALL_WORKSPACES)] == [
        ("positive", None)
    ]
    kept = get_prediction(db, **other)
    assert kept is not None and kept.text == "keep me"
    assert delete_message_text(db, **deleted) == 0  # a redelivered deletion is harmless


def _install(db: Database, team_id: str) -> None:
    installation_store(db, client_id="111.222").save(
        Installation(
            app_id="A1",
            enterprise_id=None,
            team_id=team_id,
            user_id=f"U-{team_id}",
            bot_token=f"xoxb-{team_id}",
            bot_id=f"B-{team_id}",
            bot_user_id=f"UB-{team_id}",
            bot_scopes=["chat:write"],
        )
    )


def _fill_workspace(db: Database, team_id: str) -> None:
    _store_text_channel(db, team_id=team_id)
    ids = _message(db, f"1.{team_id}", f"text of {team_id}", team_id=team_id)
    record_feedback(db, label="neutral", source="button", user_id="U1", **ids)
    record_feedback(
        db,
        label="positive",
        source="modal",
        user_id="U1",
        team_id=team_id,
        text=f"typed in {team_id}",
    )
    record_approved_reply(
        db,
        team_id=team_id,
        channel_id="C1",
        user_id="U1",
        message_text=f"q {team_id}",
        reply_text=f"a {team_id}",
    )
    record_admin_action(db, team_id=team_id, user_id="UA", action="channel on", detail="C1")
    _install(db, team_id)


def _rows_of(db: Database, team_id: str) -> dict[str, Any]:
    store = installation_store(db, client_id="111.222")
    return {
        "predictions": get_prediction(
            db, team_id=team_id, channel_id="C1", message_ts=f"1.{team_id}"
        ),
        "feedback": [f for f in list_feedback(db, team_id=ALL_WORKSPACES) if f.team_id == team_id],
        "replies": list_approved_replies(db, team_id=team_id),
        "channels": list_channel_settings(db, team_id=team_id),
        "installation": store.find_installation(enterprise_id=None, team_id=team_id),
        "bot": store.find_bot(enterprise_id=None, team_id=team_id),
    }


def test_uninstall_deletes_all_of_a_workspaces_data(db: Database) -> None:
    seed_model(db)
    _fill_workspace(db, "T1")
    _fill_workspace(db, "T2")
    assert all(_rows_of(db, "T1").values())

    assert delete_workspace(db, team_id="T1") > 0

    assert not any(_rows_of(db, "T1").values())
    assert all(_rows_of(db, "T2").values())
    assert _texts(db) == ["text of T2", "typed in T2"]
    assert count(db, "message_texts") == 1 and count(db, "admin_actions") == 1
    assert [v.version for v in list_model_versions(db)] == ["v1"]  # shared, not the workspace's


def _reply(db: Database, channel_id: str, message_text: str, ts: str = "1.1") -> None:
    record_approved_reply(
        db,
        team_id="T1",
        channel_id=channel_id,
        user_id="U9",
        message_text=message_text,
        reply_text=f"reply to {message_text}",
        message_ts=ts,
    )


def test_approved_replies_keep_customer_text_only_where_the_channel_stores_text(
    db: Database,
) -> None:
    _store_text_channel(db, channel_id="C1")
    set_channel_settings(db, team_id="T1", channel_id="C2", enabled=True, set_by="UA")
    _reply(db, "C1", "stored here")
    _reply(db, "C2", "ids only here")
    _reply(db, "C3", "unconfigured here")  # unknown channels default to ids_only

    replies = {r.channel_id: r for r in list_approved_replies(db, team_id=ALL_WORKSPACES)}
    assert replies["C1"].message_text == "stored here"
    assert replies["C2"].message_text is None and replies["C3"].message_text is None
    assert replies["C2"].reply_text == "reply to ids only here"  # the team's own text stays
    with db.engine.connect() as connection:
        stored = connection.scalars(text("SELECT message_text FROM approved_replies")).all()
    assert "ids only here" not in stored and "unconfigured here" not in stored


def test_the_purge_clears_customer_text_of_approved_replies_past_retention(
    db: Database,
) -> None:
    _store_text_channel(db)
    _reply(db, "C1", "an old complaint", ts="1.1")
    _reply(db, "C1", "a fresh complaint", ts="1.2")
    with db.transaction() as session:  # the old reply was posted before the retention period
        session.execute(
            update(ApprovedReply)
            .where(ApprovedReply.message_ts == "1.1")
            .values(created_at=datetime.now(UTC) - timedelta(days=db.retention_days, minutes=1))
        )

    assert purge_expired_texts(db) == 1

    replies = {r.message_ts: r for r in list_approved_replies(db, team_id=ALL_WORKSPACES)}
    assert replies["1.1"].message_text is None
    assert replies["1.1"].reply_text == "reply to an old complaint"
    assert replies["1.2"].message_text == "a fresh complaint"
    assert purge_expired_texts(db) == 0  # a second run finds nothing left

"""Approved replies (draft and edited versions) and channel settings round trips."""

from __future__ import annotations

import pytest

from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.repositories import (
    get_channel_settings,
    list_approved_replies,
    list_channel_settings,
    record_approved_reply,
    require_channel_settings,
    set_channel_settings,
    update_channel_settings,
)
from storage.workspaces import ALL_WORKSPACES


def test_an_edited_draft_stores_both_versions(db: Database) -> None:
    stored = record_approved_reply(
        db,
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        message_ts="1.1",
        message_text="my order never arrived",
        draft_text="Sorry! We'll check.",
        reply_text="Sorry about that, I have re-sent your order today.",
        model="smollm2-135m",
    )
    plain = record_approved_reply(
        db,
        team_id="T1",
        channel_id="C2",
        user_id="U2",
        message_text="thanks!",
        reply_text="You're welcome!",
    )

    newest_first = list_approved_replies(db, team_id=ALL_WORKSPACES)
    assert newest_first == [plain, stored]
    assert (stored.draft_text, stored.reply_text) == (
        "Sorry! We'll check.",
        "Sorry about that, I have re-sent your order today.",
    )
    assert stored.model == "smollm2-135m" and stored.message_ts == "1.1"
    assert plain.draft_text is None and plain.created_at.tzinfo is not None
    assert list_approved_replies(db, team_id="T2") == []
    assert list_approved_replies(db, team_id=ALL_WORKSPACES, limit=1) == [plain]


def test_channel_settings_round_trip(db: Database) -> None:
    assert get_channel_settings(db, team_id="T1", channel_id="C1") is None
    with pytest.raises(NotFound, match="not configured"):
        require_channel_settings(db, team_id="T1", channel_id="C1")

    created = set_channel_settings(
        db,
        team_id="T1",
        channel_id="C1",
        enabled=True,
        mode="suggest",
        privacy_mode="store_text",
        escalation_channel="CESC",
        set_by="UA",
    )
    assert get_channel_settings(db, team_id="T1", channel_id="C1") == created
    assert (
        created.enabled,
        created.mode,
        created.privacy_mode,
        created.escalation_channel,
        created.set_by,
    ) == (True, "suggest", "store_text", "CESC", "UA")

    changed = update_channel_settings(db, team_id="T1", channel_id="C1", set_by="UB", mode="alert")
    assert (changed.mode, changed.privacy_mode, changed.escalation_channel, changed.set_by) == (
        "alert",
        "store_text",
        "CESC",
        "UB",
    )
    off = update_channel_settings(
        db, team_id="T1", channel_id="C1", set_by="UB", enabled=False, escalation_channel=None
    )
    assert not off.enabled and off.escalation_channel is None and off.mode == "alert"
    assert require_channel_settings(db, team_id="T1", channel_id="C1") == off

    replaced = set_channel_settings(db, team_id="T1", channel_id="C1", enabled=True, set_by="UC")
    assert (replaced.mode, replaced.privacy_mode) == ("tag", "ids_only")  # the defaults again
    set_channel_settings(db, team_id="T1", channel_id="C0", enabled=True, set_by="UC")
    set_channel_settings(db, team_id="T2", channel_id="C9", enabled=False, set_by="UD")
    assert [
        (c.team_id, c.channel_id) for c in list_channel_settings(db, team_id=ALL_WORKSPACES)
    ] == [
        ("T1", "C0"),
        ("T1", "C1"),
        ("T2", "C9"),
    ]
    assert [c.channel_id for c in list_channel_settings(db, team_id="T2")] == ["C9"]


def test_bad_channel_settings_change_nothing(db: Database) -> None:
    before = set_channel_settings(db, team_id="T1", channel_id="C1", enabled=True, set_by="UA")
    with pytest.raises(InvalidInput, match="mode"):
        update_channel_settings(db, team_id="T1", channel_id="C1", set_by="UB", mode="shout")
    with pytest.raises(InvalidInput, match="privacy_mode"):
        update_channel_settings(
            db, team_id="T1", channel_id="C1", set_by="UB", enabled=False, privacy_mode="all"
        )
    with pytest.raises(NotFound):
        update_channel_settings(db, team_id="T1", channel_id="C2", set_by="UB", mode="tag")
    assert get_channel_settings(db, team_id="T1", channel_id="C1") == before

"""A customer edits or deletes a message the bot triaged: what the escalation channel and the
message itself show afterwards, through signed events and the fake Slack."""

from __future__ import annotations

import json
from concurrent import futures
from typing import Any

import pytest

from storage import repositories as repo
from tests.fixtures.fake_slack import customer_message_event, shared_event_body
from tests.fixtures.slack import TEAM_ID, BotHarness, message_event

SUPPORT = "C0SUPPORT"
ESCALATION = "C0ESCALATE"  # `TRIAGE_ESCALATION_CHANNEL` of the `bot` fixture
UPSET = "my order never arrived"


def watch(bot: BotHarness, channel_id: str = SUPPORT, privacy_mode: str = "store_text") -> None:
    """Opt `channel_id` in (alert mode)."""
    repo.set_channel_settings(
        bot.services.db,
        team_id=TEAM_ID,
        channel_id=channel_id,
        enabled=True,
        mode="alert",
        privacy_mode=privacy_mode,
        set_by="U0ADMIN",
    )


@pytest.fixture
def watched(bot: BotHarness) -> BotHarness:
    """C0SUPPORT opted in (alert mode, storing text), alerts to C0ESCALATE."""
    watch(bot)
    return bot


def deleted_event(ts: str, *, event_ts: str, channel: str = SUPPORT) -> dict[str, Any]:
    """Slack's `message_deleted` for the message `ts`."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "ts": event_ts,
        "deleted_ts": ts,
        "previous_message": {"type": "message", "ts": ts},
    }


def edited_event(
    ts: str,
    old: str,
    new: str,
    *,
    edited_ts: str,
    channel: str = SUPPORT,
    user: str = "U0CUST",
    **author: Any,
) -> dict[str, Any]:
    """Slack's `message_changed` after `user` changed the text of message `ts`."""
    before = {"type": "message", "user": user, "text": old, "ts": ts, **author}
    after = {**before, "text": new, "edited": {"user": user, "ts": edited_ts}}
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "ts": edited_ts,
        "event_ts": edited_ts,
        "message": after,
        "previous_message": before,
    }


def send(bot: BotHarness, event: dict[str, Any], *, event_id: str) -> None:
    assert bot.event(event, event_id=event_id).status == 200
    bot.settle()


def shown(bot: BotHarness, channel_id: str) -> str:
    """Everything the channel's messages show (as last updated), as one string."""
    return json.dumps(bot.slack.messages_in(channel_id))


def alert_ts(bot: BotHarness, ts: str) -> str:
    row = repo.get_outbox_row(bot.services.db, key=repo.alert_key(TEAM_ID, SUPPORT, ts))
    assert row is not None and row.status == "sent" and row.result_ts
    return row.result_ts


# ---------------------------------------------------------------- deleted messages
@pytest.mark.parametrize("privacy_mode", ["store_text", "ids_only"])
def test_deleting_a_message_removes_its_words_from_the_posted_alert(
    bot: BotHarness, privacy_mode: str
) -> None:
    watch(bot, privacy_mode=privacy_mode)
    send(bot, message_event(UPSET, ts="20.1"), event_id="Ev1")
    assert UPSET in shown(bot, ESCALATION)  # the alert quotes the customer

    send(bot, deleted_event("20.1", event_ts="20.9"), event_id="Ev2")

    (update,) = bot.slack.calls_to("chat.update")
    assert update.params["channel"] == ESCALATION
    assert update.params["ts"] == alert_ts(bot, "20.1")  # replaced in place, not posted again
    (alert,) = bot.slack.messages_in(ESCALATION)
    assert UPSET not in json.dumps(alert)  # neither the text, the blocks nor a button value
    assert "deleted by its author" in json.dumps(alert["blocks"])
    assert len(bot.slack.calls_to("chat.postMessage")) == 1


def test_a_message_deleted_before_its_alert_was_sent_is_never_alerted(
    watched: BotHarness,
) -> None:
    watched.outbox.stop()  # Slack writes wait in the outbox, as when Slack is slow
    watched.event(message_event(UPSET, ts="21.1"), event_id="Ev3")
    settle_without_sending(watched)
    watched.event(deleted_event("21.1", event_ts="21.9"), event_id="Ev4")
    settle_without_sending(watched)

    watched.outbox.start()
    watched.settle()
    assert watched.slack.messages_in(ESCALATION) == []
    assert [c for c in watched.slack.calls if UPSET in json.dumps(c.params)] == []
    assert repo.list_failed(watched.services.db, team_id=TEAM_ID) == []


def settle_without_sending(bot: BotHarness, timeout: float = 120.0) -> None:
    """Wait for the listeners and the jobs they queued (the outbox sender is stopped)."""
    executor = bot.app.listener_runner.listener_executor
    _, pending = futures.wait(list(executor.futures), timeout=timeout)
    assert not pending and bot.jobs.join(timeout)


def test_deleting_a_message_of_a_digest_renders_the_digest_again_without_it(
    watched: BotHarness,
) -> None:
    watched.services.settings.jobs.digest_after = 0  # every alert joins the digest
    other = "refund please, terrible service"
    send(watched, message_event(UPSET, ts="22.1"), event_id="Ev5")
    send(watched, message_event(other, ts="22.2"), event_id="Ev6")
    (digest,) = watched.slack.messages_in(ESCALATION)
    assert UPSET in json.dumps(digest) and other in json.dumps(digest)

    send(watched, deleted_event("22.1", event_ts="22.9"), event_id="Ev7")

    (digest,) = watched.slack.messages_in(ESCALATION)
    assert UPSET not in json.dumps(digest)
    assert other in json.dumps(digest)  # the other customer is still quoted
    assert "p221" in json.dumps(digest)  # and the deleted one still counted, by its link


# ---------------------------------------------------------------- edited messages
def test_an_edit_that_makes_a_message_upset_swaps_the_reaction_and_raises_an_alert(
    watched: BotHarness,
) -> None:
    send(watched, message_event("where is my parcel", ts="30.1"), event_id="Ev10")
    assert watched.slack.reactions_on(SUPPORT, "30.1") == ["speech_balloon"]
    assert watched.slack.messages_in(ESCALATION) == []

    edit = edited_event("30.1", "where is my parcel", UPSET, edited_ts="30.5")
    send(watched, edit, event_id="Ev11")

    assert watched.slack.reactions_on(SUPPORT, "30.1") == ["rage"]
    (alert,) = watched.slack.messages_in(ESCALATION)
    assert UPSET in json.dumps(alert)
    record = repo.get_prediction(
        watched.services.db, team_id=TEAM_ID, channel_id=SUPPORT, message_ts="30.1"
    )
    assert record is not None and record.label == "negative" and record.text == UPSET


def test_an_edit_that_calms_a_message_updates_its_alert_in_place(watched: BotHarness) -> None:
    send(watched, message_event(UPSET, ts="31.1"), event_id="Ev12")
    assert watched.slack.reactions_on(SUPPORT, "31.1") == ["rage"]

    calm = "it arrived after all, thanks"
    send(watched, edited_event("31.1", UPSET, calm, edited_ts="31.5"), event_id="Ev13")

    assert watched.slack.reactions_on(SUPPORT, "31.1") == ["tada"]
    (update,) = watched.slack.calls_to("chat.update")
    assert update.params["ts"] == alert_ts(watched, "31.1")
    (alert,) = watched.slack.messages_in(ESCALATION)
    assert calm in json.dumps(alert) and "positive" in json.dumps(alert["blocks"])
    assert UPSET not in json.dumps(alert)
    assert len(watched.slack.calls_to("chat.postMessage")) == 1  # no second alert


def test_the_same_edit_delivered_twice_changes_the_message_once(watched: BotHarness) -> None:
    send(watched, message_event(UPSET, ts="32.1"), event_id="Ev14")
    edit = edited_event("32.1", UPSET, "thanks, all sorted", edited_ts="32.5")
    for event_id in ("Ev15", "Ev15", "Ev15-redelivered-under-a-new-id"):
        send(watched, edit, event_id=event_id)

    assert len(watched.slack.calls_to("reactions.remove")) == 1
    assert len(watched.slack.calls_to("reactions.add")) == 2  # the first tag and the swap
    assert len(watched.slack.calls_to("chat.update")) == 1
    assert watched.slack.reactions_on(SUPPORT, "32.1") == ["tada"]


def test_an_edit_in_a_shared_channel_alerts_but_never_reacts(bot: BotHarness) -> None:
    watch(bot, "C0SHARED")
    customer = {"user_team": "T0CUSTOMER", "team": "T0CUSTOMER"}
    original = customer_message_event("where is my parcel", ts="33.1", channel="C0SHARED")
    bot.send(shared_event_body(original, event_id="Ev16"), json_body=True)
    bot.settle()
    edit = edited_event(
        "33.1", "where is my parcel", UPSET, edited_ts="33.5", channel="C0SHARED", **customer
    )
    bot.send(shared_event_body(edit, event_id="Ev17"), json_body=True)
    bot.settle()

    (alert,) = bot.slack.messages_in(ESCALATION)
    assert UPSET in json.dumps(alert)
    assert bot.slack.calls_to("reactions.add") == []
    assert bot.slack.calls_to("reactions.remove") == []
    assert bot.slack.messages_in("C0SHARED") == []


@pytest.mark.parametrize(
    ("channel", "new_text", "author"),
    [
        (SUPPORT, UPSET, {"bot_id": "B0OTHER"}),
        (SUPPORT, "where is my parcel", {}),  # an unfurl: same text
        ("C0OTHER", UPSET, {}),  # not opted in
    ],
    ids=["bot-edit", "same-text", "channel-not-watched"],
)
def test_edits_that_are_not_a_persons_new_text_change_nothing(
    watched: BotHarness, channel: str, new_text: str, author: dict[str, str]
) -> None:
    send(watched, message_event("where is my parcel", ts="34.1", channel=channel), event_id="E1")
    edit = edited_event(
        "34.1", "where is my parcel", new_text, edited_ts="34.5", channel=channel, **author
    )
    seen = list(watched.predictor.seen)
    send(watched, edit, event_id="E2")
    assert watched.predictor.seen == seen  # not classified again
    assert watched.slack.calls_to("reactions.remove") == []
    assert watched.slack.messages_in(ESCALATION) == []

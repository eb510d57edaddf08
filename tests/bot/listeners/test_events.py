"""Events through `app.dispatch`: automatic triage, redelivery, refusals, joins, uninstalls."""

from __future__ import annotations

import json
import logging

import pytest

from storage import repositories as repo
from storage.workspaces import ALL_WORKSPACES
from tests.fixtures.cases import opt_in
from tests.fixtures.slack import (
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    BotHarness,
    block_action,
    message_event,
)


@pytest.fixture
def watched(bot: BotHarness) -> BotHarness:
    """C0SUPPORT opted in (alert mode, storing text), alerts to C0ESCALATE."""
    repo.set_channel_settings(
        bot.services.db,
        team_id=TEAM_ID,
        channel_id="C0SUPPORT",
        enabled=True,
        mode="alert",
        privacy_mode="store_text",
        set_by="U0ADMIN",
    )
    return bot


def test_negative_message_is_tagged_and_escalated_with_a_link(watched: BotHarness) -> None:
    response = watched.event(message_event("my order never arrived", ts="100.1"), event_id="Ev1")
    assert response.status == 200
    watched.settle()
    (reaction,) = watched.slack.calls_to("reactions.add")
    assert reaction.params | {"team_id": TEAM_ID} == {
        "channel": "C0SUPPORT",
        "timestamp": "100.1",
        "name": "rage",
        "team_id": TEAM_ID,
    }
    (alert,) = watched.slack.calls_to("chat.postMessage")
    assert alert.params["channel"] == "C0ESCALATE"
    assert "https://fake.slack.com/archives/C0SUPPORT/p1001" in json.dumps(alert.params["blocks"])
    record = repo.get_prediction(
        watched.services.db, team_id=TEAM_ID, channel_id="C0SUPPORT", message_ts="100.1"
    )
    assert record is not None and record.label == "negative"
    assert watched.predictor.teams == [TEAM_ID]  # its workspace's corrections can count


HOSTILE = (
    "refund now <!channel> <!here> <@U0VICTIM> <#C0SECRET> "
    "<https://evil.example|refund> fish &amp; chips"  # Slack sends a typed "&" as "&amp;"
)


def test_customer_mentions_and_links_in_an_alert_are_escaped(watched: BotHarness) -> None:
    watched.event(message_event(HOSTILE, ts="100.3"), event_id="Ev-hostile")
    watched.settle()
    (alert,) = watched.slack.calls_to("chat.postMessage")
    assert alert.params["channel"] == "C0ESCALATE"
    text, quoted, *case = alert.mrkdwn()  # the notification text, the alert's section, its case
    assert "Open" in case[0]
    for shown in (text, quoted):
        assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
        assert "&lt;https://evil.example|refund&gt;" in shown and "<https://evil" not in shown
        assert "<!here>" not in shown and "<@U0VICTIM>" not in shown
        assert "<#C0SECRET>" not in shown
        assert "fish &amp; chips" in shown  # Slack's own escaping is not doubled
        assert "<#C0SUPPORT>" in shown  # the bot's own channel link stays a link


def test_redelivered_event_is_processed_once(watched: BotHarness) -> None:
    event = message_event("thanks, great help", ts="100.2")
    for _ in range(3):  # Slack's retries carry the same event id
        assert watched.event(event, event_id="Ev2").status == 200
    watched.event(event, event_id="Ev2-other-id")  # same channel and ts, new event id
    watched.settle()
    assert len(watched.slack.calls_to("reactions.add")) == 1
    assert watched.slack.calls_to("chat.postMessage") == []  # positive: no alert


def test_unwatched_channel_is_left_alone(bot: BotHarness) -> None:
    bot.event(message_event("my order never arrived", ts="1.1", channel="C0OTHER"), event_id="E3")
    bot.settle()
    assert bot.slack.calls_to("reactions.add") == []
    assert bot.predictor.seen == []


def test_static_auto_channels_are_watched(bot: BotHarness) -> None:
    bot.services.settings.slack.auto_channels = "C0AUTO"
    bot.event(message_event("so angry", ts="1.2", channel="C0AUTO"), event_id="E4")
    bot.settle()
    assert bot.slack.calls_to("reactions.add")[0].params["channel"] == "C0AUTO"


@pytest.mark.parametrize(
    "extra",
    [
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"bot_id": BOT_ID},
    ],
    ids=["edit", "join", "other-bot", "own-bot"],
)
def test_edits_joins_and_bots_are_skipped(watched: BotHarness, extra: dict) -> None:
    response = watched.event(message_event("terrible", ts="1.3", **extra), event_id="E5")
    assert response.status == 200  # acked, never a 404 that makes Slack disable delivery
    watched.settle()
    assert watched.slack.calls_to("reactions.add") == []


def test_thread_replies_are_triaged(watched: BotHarness) -> None:
    watched.event(message_event("still broken", ts="2.2", thread_ts="2.1"), event_id="E6")
    watched.settle()
    assert watched.slack.calls_to("reactions.add")[0].params["timestamp"] == "2.2"


def test_forty_thousand_character_message(watched: BotHarness) -> None:
    text = ("refund " * 6000)[:40_000]
    watched.event(message_event(text, ts="3.1"), event_id="E7")
    watched.settle()
    assert len(watched.slack.calls_to("reactions.add")) == 1


def test_deleted_message_text_is_forgotten(watched: BotHarness) -> None:
    db = watched.services.db
    watched.event(message_event("my order never arrived", ts="4.1"), event_id="E8")
    watched.settle()
    stored = repo.get_prediction(db, team_id=TEAM_ID, channel_id="C0SUPPORT", message_ts="4.1")
    assert stored is not None and stored.text
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C0SUPPORT",
        "ts": "4.9",
        "deleted_ts": "4.1",
        "previous_message": {"ts": "4.1"},
    }
    watched.event(deleted, event_id="E9")
    watched.settle()
    record = repo.get_prediction(db, team_id=TEAM_ID, channel_id="C0SUPPORT", message_ts="4.1")
    assert record is not None and record.text is None


def _draft_post_value(blocks: object) -> str:
    """The value of the Post button in a posted draft's blocks."""
    parsed = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert isinstance(parsed, list)
    return next(
        element["value"]
        for block in parsed
        for element in block.get("elements", [])
        if element.get("action_id") == "draft_post"
    )


def test_deleting_a_customer_message_deletes_the_approved_reply_quoting_it(
    watched: BotHarness,
) -> None:
    db = watched.services.db
    repo.update_channel_settings(
        db, team_id=TEAM_ID, channel_id="C0SUPPORT", mode="suggest", set_by="U0ADMIN"
    )
    watched.event(message_event("my order never arrived", ts="7.1"), event_id="E20")
    watched.settle()
    (draft,) = [
        c.params
        for c in watched.slack.calls_to("chat.postMessage")
        if c.params["channel"] == "C0SUPPORT"
    ]
    url = watched.slack.response_url()
    watched.interact(
        block_action("draft_post", _draft_post_value(draft["blocks"]), response_url=url)
    )
    watched.settle()
    (reply,) = repo.list_approved_replies(db, team_id=ALL_WORKSPACES)
    assert reply.message_text == "my order never arrived"
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C0SUPPORT",
        "ts": "7.9",
        "deleted_ts": "7.1",
        "previous_message": {"ts": "7.1"},
    }
    watched.event(deleted, event_id="E21")
    watched.settle()
    assert repo.list_approved_replies(db, team_id=ALL_WORKSPACES) == []


def test_suggest_mode_drafts_into_the_thread(watched: BotHarness) -> None:
    repo.set_channel_settings(
        watched.services.db,
        team_id=TEAM_ID,
        channel_id="C0SUPPORT",
        enabled=True,
        mode="suggest",
        set_by="U0ADMIN",
    )
    watched.event(message_event("my order never arrived", ts="5.1"), event_id="E10")
    watched.settle()
    posts = {c.params["channel"]: c.params for c in watched.slack.calls_to("chat.postMessage")}
    draft = posts["C0SUPPORT"]
    assert draft["thread_ts"] == "5.1"
    assert "draft_post" in json.dumps(draft["blocks"]) and "C0ESCALATE" in posts


def test_a_posted_draft_carries_triage_draft_metadata(watched: BotHarness) -> None:
    opt_in(watched, "C0SUPPORT", mode="suggest")
    watched.event(message_event("where is my parcel", ts="5.2"), event_id="E12")
    watched.settle()
    (draft,) = [
        c.params
        for c in watched.slack.calls_to("chat.postMessage")
        if c.params["channel"] == "C0SUPPORT"
    ]
    metadata = draft["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata == {
        "event_type": "triage_draft",
        # the triaged label (the stub generator itself guesses "negative")
        "event_payload": {"channel": "C0SUPPORT", "ts": "5.2", "label": "neutral", "model": "stub"},
    }


def test_not_in_channel_is_a_logged_skip_without_retries(
    watched: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    watched.slack.fail("reactions.add", "not_in_channel")
    watched.slack.fail("chat.postMessage", "channel_not_found")
    with caplog.at_level(logging.INFO):
        watched.event(message_event("my order never arrived", ts="6.1"), event_id="E11")
        watched.settle()
    assert len(watched.slack.calls_to("reactions.add")) == 1
    assert len(watched.slack.calls_to("chat.postMessage")) == 1
    assert "not_in_channel" in caplog.text and "channel_not_found" in caplog.text


def test_already_reacted_counts_as_success(watched: BotHarness) -> None:
    watched.slack.fail("reactions.add", "already_reacted")
    watched.event(message_event("my order never arrived", ts="6.2"), event_id="E12")
    watched.settle()
    assert len(watched.slack.calls_to("chat.postMessage")) == 1  # went on to alert


def test_rate_limited_call_is_retried_after_retry_after(watched: BotHarness) -> None:
    watched.slack.rate_limit("reactions.add", retry_after=1)
    watched.event(message_event("so angry", ts="7.1"), event_id="E13")
    watched.settle()
    first, second = watched.slack.calls_to("reactions.add")
    assert second.at - first.at >= 0.9  # waited as told, then succeeded


def test_a_persistent_rate_limit_delays_the_reaction_but_never_loses_it(
    watched: BotHarness,
) -> None:
    # Before the outbox, the listener gave up after two retries and the reaction was lost.
    watched.slack.rate_limit("reactions.add", retry_after=0, times=10)
    response = watched.event(message_event("so angry", ts="7.2"), event_id="E13b")
    watched.settle()
    assert response.status == 200
    calls = watched.slack.calls_to("reactions.add")
    assert len(watched.slack.rate_limited("reactions.add")) == 10
    assert [c.params["timestamp"] for c in calls if c.ok] == ["7.2"]  # then delivered, once


def test_bot_invited_asks_the_inviter_for_a_mode(bot: BotHarness) -> None:
    joined = {
        "type": "member_joined_channel",
        "user": BOT_USER_ID,
        "channel": "C0NEW",
        "inviter": "U0INVITER",
        "channel_type": "C",
        "team": TEAM_ID,
    }
    bot.event(joined, event_id="E14")
    bot.event({**joined, "user": "U0SOMEONE"}, event_id="E15")
    bot.settle()
    (prompt,) = bot.slack.calls_to("chat.postEphemeral")
    assert prompt.params["user"] == "U0INVITER"
    assert "channel_mode_choose" in json.dumps(prompt.params["blocks"])


def test_app_mention_answers_with_help_in_the_thread(bot: BotHarness) -> None:
    mention = {
        "type": "app_mention",
        "user": "U0USER",
        "channel": "C0SUPPORT",
        "text": f"<@{BOT_USER_ID}> help",
        "ts": "8.1",
    }
    bot.event(mention, event_id="E16")
    bot.settle()
    (reply,) = bot.slack.calls_to("chat.postMessage")
    assert reply.params["thread_ts"] == "8.1" and "/triage" in reply.params["text"]


def test_uninstall_deletes_the_workspace(watched: BotHarness) -> None:
    watched.event({"type": "app_uninstalled"}, event_id="E17")
    watched.settle()
    assert repo.list_channel_settings(watched.services.db, team_id=TEAM_ID) == []


def test_revoked_tokens_keep_the_data_of_a_workspace_with_a_configured_token(
    watched: BotHarness,
) -> None:
    # SLACK_BOT_TOKEN mode: the token lives in the settings. OAuth mode: tests/bot/test_oauth.py.
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": ["U0ADMIN"], "bot": [BOT_USER_ID]}}
    watched.event(revoked, event_id="E17b")
    watched.settle()
    stored = repo.list_channel_settings(watched.services.db, team_id=TEAM_ID)
    assert [c.channel_id for c in stored] == ["C0SUPPORT"]


def test_a_failing_triage_job_is_logged_without_crashing(
    watched: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(texts: list[str], team_ids: object = None) -> list:
        raise RuntimeError("model exploded")

    watched.predictor.predict = broken  # type: ignore[method-assign]
    response = watched.event(message_event("hello", ts="9.1"), event_id="E18")
    watched.settle()
    assert response.status == 200  # acked before the job ran
    assert "triage job failed" in caplog.text and "model exploded" in caplog.text

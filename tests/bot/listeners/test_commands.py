"""Slash commands through `app.dispatch`: signed bodies in, calls to the fake Slack out."""

from __future__ import annotations

import json

from storage import repositories as repo
from storage.workspaces import ALL_WORKSPACES
from tests.fixtures.slack import TEAM_ID, BotHarness


def blocks_text(call_params: dict) -> str:
    blocks = call_params.get("blocks")
    return json.dumps(blocks if not isinstance(blocks, str) else json.loads(blocks))


def test_sentiment_answers_negative_with_feedback_buttons(bot: BotHarness) -> None:
    response = bot.command("/sentiment", "my order never arrived")
    assert response.status == 200
    (call,) = bot.slack.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral"
    assert "*negative*" in blocks_text(call.params)
    assert "feedback_wrong" in blocks_text(call.params)


def test_sentiment_escapes_mentions_and_links_in_the_echoed_text(bot: BotHarness) -> None:
    bot.command("/sentiment", "refund <!channel> <@U0VICTIM> <https://evil.example|here> & co")
    (call,) = bot.slack.wait_for("response_url")
    shown = "\n".join(call.mrkdwn())
    assert "&lt;!channel&gt; &lt;@U0VICTIM&gt; &lt;https://evil.example|here&gt; &amp; co" in shown
    assert "<!channel>" not in shown and "<@U0VICTIM>" not in shown


def test_sentiment_without_text_gets_usage(bot: BotHarness) -> None:
    response = bot.command("/sentiment", "   ")
    assert response.status == 200
    assert "Usage: `/sentiment TEXT`" in response.body
    assert bot.predictor.seen == []


def test_draft_answers_after_ack_with_buttons(bot: BotHarness) -> None:
    response = bot.command("/draft", "my parcel is late")
    assert "Drafting" in response.body
    (call,) = bot.slack.wait_for("response_url")
    text = blocks_text(call.params)
    for action in ("draft_post", "draft_edit", "draft_regenerate", "draft_discard"):
        assert action in text
    assert "Sorry about that! Draft 1." in text


def test_draft_without_text_gets_usage(bot: BotHarness) -> None:
    assert "Usage: `/draft TEXT`" in bot.command("/draft", "").body


def test_draft_when_drafting_is_off(bot: BotHarness) -> None:
    bot.services.drafter = None
    assert "turned off" in bot.command("/draft", "hello").body


def test_triage_help_and_unknown_subcommand(bot: BotHarness) -> None:
    assert "/triage status" in bot.command("/triage", "").body
    assert "/triage status" in bot.command("/triage", "frobnicate").body


def test_admin_turns_channel_triage_on_and_off(bot: BotHarness) -> None:
    bot.slack.admins.add("U0ADMIN")
    bot.command("/triage", "channel on suggest", channel_id="C0NEW", user_id="U0ADMIN")
    (call,) = bot.slack.wait_for("response_url")
    assert "mode *suggest*" in call.params["text"]
    stored = repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0NEW")
    assert stored is not None and stored.enabled and stored.mode == "suggest"
    assert stored.set_by == "U0ADMIN"
    bot.command("/triage", "channel off", channel_id="C0NEW", user_id="U0ADMIN")
    bot.slack.wait_for("response_url", 2)
    stored = repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0NEW")
    assert stored is not None and not stored.enabled


def test_non_admin_cannot_turn_channel_triage_on_and_is_told_why(bot: BotHarness) -> None:
    bot.command("/triage", "channel on alert", channel_id="C0NEW", user_id="U0PLAIN")
    (call,) = bot.slack.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral"
    assert (
        "Only workspace admins" in call.params["text"]
        and "nothing was changed" in (call.params["text"])
    )
    assert repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0NEW") is None
    assert bot.slack.calls_to("users.info")[0].params["user"] == "U0PLAIN"


def test_non_admin_cannot_turn_off_a_watched_channel(bot: BotHarness) -> None:
    repo.set_channel_settings(
        bot.services.db,
        team_id=TEAM_ID,
        channel_id="C0NEW",
        enabled=True,
        mode="alert",
        set_by="U0ADMIN",
    )
    bot.command("/triage", "channel off", channel_id="C0NEW", user_id="U0PLAIN")
    (call,) = bot.slack.wait_for("response_url")
    assert "Only workspace admins" in call.params["text"]
    stored = repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0NEW")
    assert stored is not None and stored.enabled and stored.mode == "alert"


def test_triage_channel_bad_mode_gets_usage(bot: BotHarness) -> None:
    bot.slack.admins.add("U0ADMIN")
    bot.command("/triage", "channel on loudly", user_id="U0ADMIN")
    (call,) = bot.slack.wait_for("response_url")
    assert call.params["text"].startswith("Usage:")


def test_triage_status_lists_versions_and_feedback(bot: BotHarness) -> None:
    bot.command("/triage", "status")
    (call,) = bot.slack.wait_for("response_url")
    text = blocks_text(call.params)
    assert "keyword-v1" in text and "feedback in all: 0" in text


def test_admin_commands_refuse_non_admins(bot: BotHarness) -> None:
    bot.command("/triage", "retrain", user_id="U0PLAIN")
    (call,) = bot.slack.wait_for("response_url")
    assert "Only workspace admins" in call.params["text"]
    assert bot.retrainer.requests == []
    assert bot.slack.calls_to("users.info")[0].params["user"] == "U0PLAIN"


def test_admin_retrain_starts_and_is_recorded(bot: BotHarness) -> None:
    bot.slack.admins.add("U0ADMIN")
    bot.command("/triage", "retrain", user_id="U0ADMIN")
    (call,) = bot.slack.wait_for("response_url")
    assert "Retraining started" in call.params["text"]
    assert bot.retrainer.requests == [("admin", "U0ADMIN")]
    dm = bot.slack.wait_for("chat.postMessage")[0]
    assert dm.params["channel"] == "U0ADMIN"
    actions = repo.list_admin_actions(bot.services.db, team_id=ALL_WORKSPACES)
    assert [a.action for a in actions] == ["retrain"]


def test_admin_promote_and_rollback(bot: BotHarness, tmp_path) -> None:
    db = bot.services.db
    for version in ("clf-a", "clf-b"):
        repo.register_model_version(db, kind="classifier", version=version, path=str(tmp_path))
        repo.activate_model_version(db, kind="classifier", version=version)
    bot.services.settings.slack.admin_user_ids = "U0ADMIN"
    bot.services.admins._admin_ids = frozenset({"U0ADMIN"})
    bot.command("/triage", "promote nope", user_id="U0ADMIN")
    bot.command("/triage", "rollback", user_id="U0ADMIN")
    calls = bot.slack.wait_for("response_url", 2)
    texts = sorted(c.params["text"] for c in calls)
    assert any("Could not promote `nope`" in t for t in texts)
    assert any("`clf-a` is the active classifier again" in t for t in texts)
    active = repo.get_active_model_version(db, kind="classifier")
    assert active is not None and active.version == "clf-a"


def test_admin_answers_escape_what_the_admin_typed(bot: BotHarness) -> None:
    bot.services.admins._admin_ids = frozenset({"U0ADMIN"})
    bot.command("/triage", "promote <!channel>", user_id="U0ADMIN")
    bot.command("/triage", "rollback <!here>", user_id="U0ADMIN")
    texts = [c.params["text"] for c in bot.slack.wait_for("response_url", 2)]
    assert any("`&lt;!channel&gt;`" in t for t in texts)
    assert any("`&lt;!here&gt;`" in t for t in texts)
    assert not any("<!" in t for t in texts)

"""A negative message becomes an alert with a case; Acknowledge, Assign, Resolve and Reopen
change the case and update the alert in place, through signed requests and the fake Slack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.payloads import encode
from storage import repositories as repo
from storage.records import CaseRecord
from tests.fixtures.cases import case_of, deliver, opt_in
from tests.fixtures.slack import (
    TEAM_ID,
    BotHarness,
    block_action,
    message_event,
    mrkdwn_texts,
    view_submission,
)

SUPPORT, ESCALATION = "C0SUPPORT", "C0ESCALATE"
UPSET = "my order never arrived <!channel>"


@pytest.fixture
def alerted(bot: BotHarness) -> BotHarness:
    """C0SUPPORT in alert mode (storing no text) with one posted alert about an upset message."""
    opt_in(
        bot, SUPPORT, privacy_mode="ids_only", cases=repo.CaseSettings(auto_resolve_on_reply=True)
    )
    deliver(bot, UPSET, ts="40.1", event_id="Ev40")
    return bot


def the_case(bot: BotHarness) -> CaseRecord:
    return case_of(bot, SUPPORT, "40.1")


def the_alert(bot: BotHarness) -> dict[str, Any]:
    (alert,) = bot.slack.messages_in(ESCALATION)
    return alert


def click(bot: BotHarness, action_id: str, **fields: Any) -> None:
    """Press a case control on the posted alert (Slack sends the message with the action)."""
    alert = the_alert(bot)
    payload = block_action(action_id, response_url=bot.slack.response_url(), channel_id=ESCALATION)
    payload["container"] = {"type": "message", "channel_id": ESCALATION, "message_ts": alert["ts"]}
    payload["message"] = {"ts": alert["ts"], "blocks": alert["blocks"]}
    payload["actions"][0].update(fields)
    assert bot.interact(payload).status == 200
    bot.settle()


def answers(bot: BotHarness) -> list[str]:
    return [
        str(call.params.get("text")) for call in bot.slack.calls if call.method == "response_url"
    ]


def test_an_upset_message_becomes_an_alert_with_an_open_case(alerted: BotHarness) -> None:
    case = the_case(alerted)
    alert = the_alert(alerted)
    shown = json.dumps(alert["blocks"])
    assert case.state == "open" and "Acknowledge" in shown and "nobody has acknowledged" in shown
    texts = json.dumps(mrkdwn_texts(alert["blocks"]))  # what Slack parses (not button values)
    assert "<!channel>" not in texts and "&lt;!channel&gt;" in texts
    (post,) = alerted.slack.calls_to("chat.postMessage")
    metadata = post.params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_type"] == "triage_alert"
    assert metadata["event_payload"] == {
        "label": "negative",
        "confidence": 0.9,
        "channel": SUPPORT,
        "ts": "40.1",
        "case_id": case.id,
        "case_state": "open",
    }


def test_acknowledge_updates_the_alert_in_place_once(alerted: BotHarness) -> None:
    case = the_case(alerted)
    posted_ts = the_alert(alerted)["ts"]
    click(alerted, "case_acknowledge", value=str(case.id))
    click(alerted, "case_acknowledge", value=str(case.id))  # a second click changes nothing

    (update,) = alerted.slack.calls_to("chat.update")
    assert update.params["ts"] == posted_ts and update.params["channel"] == ESCALATION
    shown = json.dumps(the_alert(alerted)["blocks"])
    assert "Acknowledged" in shown and "U0USER" in shown and "case_acknowledge" not in shown
    assert "never arrived" in shown  # the quote is kept, though the channel stores no text
    events = repo.list_case_events(alerted.services.db, team_id=TEAM_ID, case_id=case.id)
    assert [e.action for e in events] == ["opened", "acknowledged"]
    assert any("Already acknowledged" in text for text in answers(alerted))


def test_assign_updates_the_alert_and_dms_the_assignee(alerted: BotHarness) -> None:
    case = the_case(alerted)
    click(alerted, "case_assign", block_id=f"case:{case.id}", selected_user="U0AGENT")

    stored = repo.get_case(alerted.services.db, team_id=TEAM_ID, case_id=case.id)
    assert stored is not None and stored.assignee_id == "U0AGENT"
    (update,) = alerted.slack.calls_to("chat.update")
    assert "assigned to <@U0AGENT>" in json.dumps(update.blocks())
    (dm,) = alerted.slack.messages_in("U0AGENT")
    assert "https://fake.slack.com/archives/C0ESCALATE/" in str(dm["text"])


def test_resolve_with_a_note_then_reopen(alerted: BotHarness) -> None:
    case = the_case(alerted)
    click(alerted, "case_resolve", value=str(case.id))
    (opened,) = alerted.slack.calls_to("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    note = "refunded <@U0BOSS>"
    submission = view_submission(
        "case_resolve_submit",
        {"note": {"type": "plain_text_input", "value": note}},
        private_metadata=view["private_metadata"],
    )
    assert alerted.interact(submission).status == 200
    alerted.settle()

    stored = repo.get_case(alerted.services.db, team_id=TEAM_ID, case_id=case.id)
    assert stored is not None and stored.state == "resolved" and stored.resolution_note == note
    shown = json.dumps(the_alert(alerted)["blocks"])
    texts = json.dumps(mrkdwn_texts(the_alert(alerted)["blocks"]))
    assert "Resolved" in shown and "case_reopen" in shown
    assert "&lt;@U0BOSS&gt;" in texts and "<@U0BOSS>" not in texts

    click(alerted, "case_resolve", value=str(case.id))  # the Reopen button replaced it; stale
    click(alerted, "case_reopen", value=str(case.id))
    again = repo.get_case(alerted.services.db, team_id=TEAM_ID, case_id=case.id)
    assert again is not None and again.state == "open"
    assert len(alerted.slack.calls_to("chat.update")) == 2


@pytest.mark.parametrize("value", ["999999", "abc", "", "-1", "1" * 40])
def test_an_unknown_case_id_is_refused(alerted: BotHarness, value: str) -> None:
    click(alerted, "case_acknowledge", value=value)
    assert alerted.slack.calls_to("chat.update") == []
    assert any("can't find that case" in text for text in answers(alerted))
    assert the_case(alerted).state == "open"


def test_a_case_of_another_workspace_is_refused(alerted: BotHarness) -> None:
    """The signed team decides: the same id pressed from another workspace finds nothing."""
    case = the_case(alerted)
    payload = block_action(
        "case_acknowledge", str(case.id), response_url=alerted.slack.response_url()
    )
    payload["team"] = {"id": "T0OTHER"}
    payload["user"] = {"id": "U0STRANGER", "team_id": "T0OTHER"}
    assert alerted.interact(payload).status == 200
    alerted.settle()
    assert the_case(alerted).state == "open" and alerted.slack.calls_to("chat.update") == []


def test_an_agents_thread_reply_resolves_the_case(alerted: BotHarness) -> None:
    customer_again = message_event("still waiting", ts="40.2", thread_ts="40.1")
    assert alerted.event(customer_again, event_id="Ev41").status == 200
    alerted.settle()
    assert the_case(alerted).state == "open"  # the customer is not an agent

    reply = message_event("all sorted for you", ts="40.3", thread_ts="40.1", user="U0AGENT")
    assert alerted.event(reply, event_id="Ev42").status == 200
    alerted.settle()

    case = the_case(alerted)
    assert (case.state, case.resolved_by) == ("resolved", "U0AGENT")
    events = repo.list_case_events(alerted.services.db, team_id=TEAM_ID, case_id=case.id)
    assert events[-1].action == "auto_resolved"
    assert "Resolved" in json.dumps(the_alert(alerted)["blocks"])


def test_the_quote_carried_by_a_modal_is_escaped(alerted: BotHarness) -> None:
    case = the_case(alerted)
    submission = view_submission(
        "case_resolve_submit",
        {"note": {"type": "plain_text_input", "value": ""}},
        private_metadata=encode({"case": case.id, "q": "<!here> give me a refund"}),
    )
    assert alerted.interact(submission).status == 200
    alerted.settle()
    texts = json.dumps(mrkdwn_texts(the_alert(alerted)["blocks"]))
    assert "<!here>" not in texts and "&lt;!here&gt;" in texts


CASE_SETTINGS = {
    "channel": {"type": "conversations_select", "selected_conversation": "C0SET"},
    "mode": {"type": "static_select", "selected_option": {"value": "alert"}},
    "privacy": {"type": "static_select", "selected_option": {"value": "ids_only"}},
    "target": {"type": "number_input", "value": "15"},
    "auto_resolve": {"type": "checkboxes", "selected_options": [{"value": "on"}]},
    "oncall": {"type": "plain_text_input", "value": "s0oncall"},
}


def test_the_channel_settings_modal_saves_the_case_settings(bot: BotHarness) -> None:
    bot.slack.admins.add("U0ADMIN")
    response = bot.interact(
        view_submission("channel_settings_submit", CASE_SETTINGS, user_id="U0ADMIN")
    )
    assert not response.body
    bot.settle()
    stored = repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0SET")
    assert stored is not None and stored.response_target_minutes == 15
    assert stored.auto_resolve_on_reply and stored.oncall_group == "S0ONCALL"


@pytest.mark.parametrize(
    ("field", "value"),
    [("target", {"value": "0"}), ("target", {"value": "1.5"}), ("oncall", {"value": "<!here>"})],
)
def test_bad_case_settings_are_refused_in_the_modal(
    bot: BotHarness, field: str, value: dict[str, str]
) -> None:
    bot.slack.admins.add("U0ADMIN")
    values = {**CASE_SETTINGS, field: value}
    response = bot.interact(view_submission("channel_settings_submit", values, user_id="U0ADMIN"))
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {field}
    bot.settle()
    assert repo.get_channel_settings(bot.services.db, team_id=TEAM_ID, channel_id="C0SET") is None


def test_a_digest_lines_menu_acknowledges_and_renders_the_digest_again(bot: BotHarness) -> None:
    bot.services.settings.jobs.digest_after = 0  # every alert joins the digest
    opt_in(bot, SUPPORT)
    for i in range(2):
        deliver(bot, UPSET, ts=f"60.{i}", event_id=f"Ev6{i}")
    case = case_of(bot, SUPPORT, "60.0")
    (digest,) = bot.slack.messages_in(ESCALATION)
    assert "case_menu" in json.dumps(digest["blocks"])

    payload = block_action(
        "case_menu", response_url=bot.slack.response_url(), channel_id=ESCALATION
    )
    payload["actions"][0] = {
        "type": "overflow",
        "action_id": "case_menu",
        "block_id": "x",
        "action_ts": "1.1",
        "selected_option": {"value": f"acknowledge:{case.id}"},
    }
    assert bot.interact(payload).status == 200
    bot.settle()

    (digest,) = bot.slack.messages_in(ESCALATION)
    assert "acknowledged by <@U0USER>" in json.dumps(digest["blocks"])
    stored = repo.get_case(bot.services.db, team_id=TEAM_ID, case_id=case.id)
    assert stored is not None and stored.state == "acknowledged"

"""Slack Connect: customers from another organisation see everything the bot posts in a shared
channel, so nothing that tags or answers them appears there before an agent decides to."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.auto_triage import is_external_author
from bot.listeners.actions import HOME_MEMBERS_ONLY
from models.types import Draft
from storage import repositories as repo
from storage.workspaces import ALL_WORKSPACES
from tests.fixtures.cases import case_of, deliver, opt_in
from tests.fixtures.fake_slack import CUSTOMER_TEAM_ID, customer_message_event, shared_event_body
from tests.fixtures.slack import TEAM_ID, BotHarness, block_action, message_event

SHARED = "C0SHARED"
ESCALATION = "C0ESCALATE"  # `TRIAGE_ESCALATION_CHANNEL` of the `bot` fixture: internal
UPSET = "my order never arrived"


@pytest.fixture
def shared(bot: BotHarness) -> BotHarness:
    """C0SHARED, a Slack Connect channel with a customer, opted in (alert mode)."""
    opt_in(bot, SHARED, privacy_mode="store_text")
    return bot


def send_shared(bot: BotHarness, event: dict[str, Any], *, event_id: str) -> None:
    """Deliver `event` the way Slack does from a shared channel, and wait for what follows."""
    response = bot.send(shared_event_body(event, event_id=event_id), json_body=True)
    assert response.status == 200
    bot.settle()


def set_mode(bot: BotHarness, channel_id: str, mode: str, escalation: str | None = None) -> None:
    opt_in(bot, channel_id, mode=mode, escalation_channel=escalation)


def posts_to(bot: BotHarness, channel_id: str) -> list[dict[str, Any]]:
    return [
        c.params
        for c in bot.slack.calls_to("chat.postMessage")
        if c.params["channel"] == channel_id
    ]


def post_button_value(blocks: object) -> str:
    parsed = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert isinstance(parsed, list)
    return next(
        element["value"]
        for block in parsed
        for element in block.get("elements", [])
        if element.get("action_id") == "draft_post"
    )


# ---------------------------------------------------------------- who is a customer
@pytest.mark.parametrize(
    ("event", "external"),
    [
        ({"user_team": CUSTOMER_TEAM_ID, "team": CUSTOMER_TEAM_ID}, True),
        ({"user_team": CUSTOMER_TEAM_ID}, True),
        ({"team": CUSTOMER_TEAM_ID}, True),
        ({"user_team": TEAM_ID, "team": TEAM_ID}, False),
        ({}, False),
    ],
)
def test_an_author_from_another_team_is_external(event: dict[str, Any], external: bool) -> None:
    assert is_external_author(event, home_team_id=TEAM_ID) is external


# ---------------------------------------------------------------- triage
def test_a_customers_upset_message_in_a_shared_channel_is_alerted_but_never_tagged(
    shared: BotHarness,
) -> None:
    send_shared(shared, customer_message_event(UPSET, ts="10.1", channel=SHARED), event_id="Ev1")
    record = repo.get_prediction(
        shared.services.db, team_id=TEAM_ID, channel_id=SHARED, message_ts="10.1"
    )
    assert record is not None and record.label == "negative"
    assert shared.slack.calls_to("reactions.add") == []
    (alert,) = shared.slack.calls_to("chat.postMessage")
    assert alert.params["channel"] == ESCALATION


def test_a_customer_is_recognised_by_team_even_without_the_envelope_flag(
    shared: BotHarness,
) -> None:
    shared.event(customer_message_event(UPSET, ts="11.1", channel=SHARED), event_id="Ev2")
    shared.settle()
    assert shared.predictor.seen == [UPSET]
    assert shared.slack.calls_to("reactions.add") == []
    assert posts_to(shared, SHARED) == []


@pytest.mark.parametrize(
    "teams",
    [{"user_team": TEAM_ID, "team": TEAM_ID}, {}],
    ids=["named-home-team", "no-team-named"],
)
def test_an_agents_message_in_a_shared_channel_is_not_triaged(
    shared: BotHarness, teams: dict[str, str]
) -> None:
    agent = message_event(UPSET, ts="12.1", channel=SHARED, user="U0AGENT", **teams)
    send_shared(shared, agent, event_id="Ev3")
    assert shared.predictor.seen == []
    assert (
        repo.get_prediction(
            shared.services.db, team_id=TEAM_ID, channel_id=SHARED, message_ts="12.1"
        )
        is None
    )
    assert shared.slack.calls_to("chat.postMessage") == []
    assert shared.slack.calls_to("reactions.add") == []


def test_a_customers_case_knows_their_organisation_and_its_history(shared: BotHarness) -> None:
    """Two people of the same external organisation: the second alert counts both."""
    for ts, user, event_id in (("17.1", "U0CUSTA", "Ev17"), ("17.2", "U0CUSTB", "Ev18")):
        event = customer_message_event(UPSET, ts=ts, channel=SHARED, user=user)
        send_shared(shared, event, event_id=event_id)
        case = case_of(shared, SHARED, ts)
        assert case.customer_team == CUSTOMER_TEAM_ID and case.customer_id == user
    first, second = posts_to(shared, ESCALATION)
    assert "upset message from this customer" not in json.dumps(first["blocks"])
    assert "2nd upset message from this customer" in json.dumps(second["blocks"])


def test_a_home_members_case_has_no_external_organisation(bot: BotHarness) -> None:
    set_mode(bot, "C0SUPPORT", "alert")
    deliver(bot, UPSET, ts="18.1", event_id="Ev19", user_team=TEAM_ID, team=TEAM_ID)
    assert case_of(bot, "C0SUPPORT", "18.1").customer_team is None


# ---------------------------------------------------------------- suggestions
def test_suggest_mode_in_a_shared_channel_drafts_under_the_alert_for_agents_only(
    shared: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_mode(shared, SHARED, "suggest")
    db, drafter = shared.services.db, shared.drafter
    draft_now = drafter.draft
    key = repo.alert_key(TEAM_ID, SHARED, "13.1")

    def draft_after_the_alert(text: str, **kwargs: Any) -> Draft:
        # Drafting takes seconds in production; here the alert is posted first for certain.
        deadline = time.monotonic() + 60
        while (row := repo.get_outbox_row(db, key=key)) is None or row.status != "sent":
            assert time.monotonic() < deadline, "the alert was never posted"
            time.sleep(0.02)
        return draft_now(text, **kwargs)

    monkeypatch.setattr(drafter, "draft", draft_after_the_alert)
    send_shared(shared, customer_message_event(UPSET, ts="13.1", channel=SHARED), event_id="Ev4")

    assert posts_to(shared, SHARED) == []
    assert shared.slack.calls_to("reactions.add") == []
    alert, suggestion = posts_to(shared, ESCALATION)
    alert_row = repo.get_outbox_row(db, key=key)
    assert alert_row is not None and suggestion["thread_ts"] == alert_row.result_ts
    assert "draft_post" in json.dumps(suggestion["blocks"])
    assert "thread_ts" not in alert
    metadata = suggestion["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_type"] == "triage_draft"
    assert metadata["event_payload"]["channel"] == SHARED
    assert metadata["event_payload"]["ts"] == "13.1"

    # An agent's *Post* answers the customer in their thread: the decision was a person's.
    value = post_button_value(suggestion["blocks"])
    shared.interact(
        block_action(
            "draft_post", value, response_url=shared.slack.response_url(), channel_id=ESCALATION
        )
    )
    shared.settle()
    (reply,) = posts_to(shared, SHARED)
    assert reply["thread_ts"] == "13.1"


def test_a_suggestion_without_an_alert_goes_to_the_escalation_channel_on_its_own(
    shared: BotHarness,
) -> None:
    set_mode(shared, SHARED, "suggest")
    neutral = customer_message_event("where is my parcel", ts="14.1", channel=SHARED)
    send_shared(shared, neutral, event_id="Ev5")
    assert posts_to(shared, SHARED) == []
    (suggestion,) = posts_to(shared, ESCALATION)
    assert "thread_ts" not in suggestion
    assert f"<#{SHARED}>" in json.dumps(suggestion["blocks"])


def test_a_shared_channel_that_is_its_own_escalation_channel_gets_no_alert_or_draft(
    shared: BotHarness,
) -> None:
    set_mode(shared, SHARED, "suggest", escalation=SHARED)
    send_shared(shared, customer_message_event(UPSET, ts="15.1", channel=SHARED), event_id="Ev6")
    assert shared.slack.calls_to("chat.postMessage") == []
    assert shared.slack.calls_to("reactions.add") == []
    assert repo.get_prediction(
        shared.services.db, team_id=TEAM_ID, channel_id=SHARED, message_ts="15.1"
    )


# ---------------------------------------------------------------- draft buttons
@pytest.mark.parametrize(
    "action_id", ["draft_post", "draft_edit", "draft_regenerate", "draft_discard"]
)
def test_someone_from_another_organisation_cannot_act_on_a_draft(
    bot: BotHarness, action_id: str
) -> None:
    from bot.payloads import encode

    value = encode({"m": "hi", "d": "On it.", "c": SHARED, "th": "1.1", "ts": "1.1"})
    payload = block_action(
        action_id, value, response_url=bot.slack.response_url(), channel_id=SHARED
    )
    payload["user"]["team_id"] = CUSTOMER_TEAM_ID
    bot.interact(payload)
    bot.settle()
    (answer,) = bot.slack.calls_to("response_url")
    assert answer.params["text"] == HOME_MEMBERS_ONLY
    assert answer.params["response_type"] == "ephemeral"
    assert not answer.params.get("delete_original") and not answer.params.get("replace_original")
    assert bot.slack.calls_to("chat.postMessage") == []
    assert bot.slack.calls_to("views.open") == []
    assert repo.list_approved_replies(bot.services.db, team_id=ALL_WORKSPACES) == []


# ---------------------------------------------------------------- unchanged elsewhere
def test_a_channel_that_is_not_shared_keeps_its_reaction_and_threaded_draft(
    bot: BotHarness,
) -> None:
    set_mode(bot, "C0SUPPORT", "suggest")
    bot.event(message_event(UPSET, ts="16.1"), event_id="Ev7")
    bot.settle()
    (reaction,) = bot.slack.calls_to("reactions.add")
    assert (reaction.params["channel"], reaction.params["name"]) == ("C0SUPPORT", "rage")
    (draft,) = posts_to(bot, "C0SUPPORT")
    assert draft["thread_ts"] == "16.1"
    assert len(posts_to(bot, ESCALATION)) == 1  # the alert

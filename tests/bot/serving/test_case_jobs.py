"""The case jobs against the fake Slack: an unacknowledged case is raised again once its target
passes (the clock is the test's), and the daily summary says what the stored cases say."""

from __future__ import annotations

import json
import statistics
from datetime import timedelta

import pytest

from bot.serving.case_jobs import daily_case_summary, follow_up_cases
from bot.serving.job_context import JobContext
from storage import repositories as repo
from storage.records import CaseRecord
from tests.fixtures.cases import case_of, deliver, opt_in
from tests.fixtures.slack import TEAM_ID, BotHarness

SUPPORT, ESCALATION = "C0SUPPORT", "C0ESCALATE"


@pytest.fixture
def ctx(bot: BotHarness) -> JobContext:
    opt_in(
        bot, SUPPORT, cases=repo.CaseSettings(response_target_minutes=15, oncall_group="S0ONCALL")
    )
    return JobContext(
        bot.services.db, bot.services.settings, lambda text: None, lambda trigger, slot: False
    )


def upset(bot: BotHarness, ts: str, event_id: str) -> CaseRecord:
    deliver(bot, "my parcel never arrived", ts=ts, event_id=event_id)
    return case_of(bot, SUPPORT, ts)


def test_an_unacknowledged_case_is_raised_again_after_its_target(
    bot: BotHarness, ctx: JobContext
) -> None:
    case = upset(bot, "50.1", "Ev50")
    (alert,) = bot.slack.messages_in(ESCALATION)

    assert follow_up_cases(ctx, case.created_at + timedelta(minutes=14)) == 0
    assert follow_up_cases(ctx, case.created_at + timedelta(minutes=15)) == 1
    assert follow_up_cases(ctx, case.created_at + timedelta(minutes=16)) == 0  # not twice
    bot.settle()

    (raised,) = [c for c in bot.slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert raised.params["channel"] == ESCALATION and raised.params["thread_ts"] == alert["ts"]
    assert "<!subteam^S0ONCALL>" in str(raised.params["text"])
    stored = repo.get_case(bot.services.db, team_id=TEAM_ID, case_id=case.id)
    assert stored is not None and stored.followups == 1


def test_a_follow_up_updates_the_alert_in_place(bot: BotHarness, ctx: JobContext) -> None:
    case = upset(bot, "53.1", "Ev53")
    (alert,) = bot.slack.messages_in(ESCALATION)
    assert "raised again" not in json.dumps(alert["blocks"])

    assert follow_up_cases(ctx, case.created_at + timedelta(minutes=15)) == 1
    bot.settle()

    (update,) = bot.slack.calls_to("chat.update")
    assert update.params["ts"] == alert["ts"] and update.params["channel"] == ESCALATION
    assert "raised again 1×" in json.dumps(update.blocks(), ensure_ascii=False)
    assert "Acknowledge" in json.dumps(update.blocks())  # still open: the actions stay


def test_a_case_whose_message_was_deleted_is_not_raised(bot: BotHarness, ctx: JobContext) -> None:
    case = upset(bot, "54.1", "Ev54")
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": SUPPORT,
        "ts": "54.9",
        "deleted_ts": "54.1",
        "previous_message": {"ts": "54.1"},
    }
    assert bot.event(deleted, event_id="Ev54d").status == 200
    bot.settle()

    assert follow_up_cases(ctx, case.created_at + timedelta(hours=1)) == 0
    stored = repo.get_case(bot.services.db, team_id=TEAM_ID, case_id=case.id)
    assert stored is not None and stored.state == "withdrawn"
    (update,) = bot.slack.calls_to("chat.update")  # the alert became a notice without actions
    assert "case_" not in json.dumps(update.blocks())
    metadata = update.params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_payload"]["case_state"] == "withdrawn"


def test_an_acknowledged_case_is_not_raised(bot: BotHarness, ctx: JobContext) -> None:
    case = upset(bot, "51.1", "Ev51")
    repo.acknowledge_case(bot.services.db, team_id=TEAM_ID, case_id=case.id, user_id="U0AGENT")
    assert follow_up_cases(ctx, case.created_at + timedelta(hours=3)) == 0


def test_the_daily_summary_matches_the_stored_cases(bot: BotHarness, ctx: JobContext) -> None:
    db = bot.services.db
    cases = [upset(bot, f"52.{i}", f"Ev52{i}") for i in range(3)]
    start = cases[0].created_at
    repo.acknowledge_case(
        db, team_id=TEAM_ID, case_id=cases[0].id, user_id="U1", now=start + timedelta(minutes=4)
    )
    repo.resolve_case(
        db, team_id=TEAM_ID, case_id=cases[0].id, user_id="U1", now=start + timedelta(minutes=30)
    )
    repo.acknowledge_case(
        db, team_id=TEAM_ID, case_id=cases[1].id, user_id="U1", now=start + timedelta(minutes=10)
    )

    assert daily_case_summary(ctx, start + timedelta(hours=2)) == 1
    bot.settle()

    summary = bot.slack.messages_in(ESCALATION)[-1]
    text = str(summary["text"])
    stored = repo.list_cases(db, team_id=TEAM_ID)
    resolved = [c for c in stored if c.state == "resolved"]
    acked = [c for c in stored if c.acknowledged_at is not None]
    assert f"new: {len(stored)}" in text and f"resolved: {len(resolved)}" in text
    assert f"still open: {len(stored) - len(resolved)} (1 not acknowledged)" in text
    wait = statistics.median(
        (c.acknowledged_at - c.created_at).total_seconds() for c in acked if c.acknowledged_at
    )
    assert f"median time to acknowledge: {round(wait / 60)} min" in text
    assert f"<#{SUPPORT}> 100%" in text  # every message this week was negative

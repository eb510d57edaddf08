"""The scheduler inside `triagebot serve`: its jobs, and its news reaching the admins in Slack."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from bot.serving.scheduler import admin_notifier, start_serving_scheduler
from bot.settings import Settings, load_settings
from tests.fixtures.slack import BotHarness, FakeSlack


def _settings(bot: BotHarness, **slack: str | None) -> Settings:
    base: Settings = bot.services.settings
    return dataclasses.replace(base, slack=base.slack.model_copy(update=slack))


def test_admin_news_goes_to_each_admin_or_else_the_escalation_channel(
    bot: BotHarness, fake_slack: FakeSlack
) -> None:
    admin_notifier(_settings(bot, admin_user_ids="UADMIN1,UADMIN2"))("drift: label_psi 0.41")
    admin_notifier(_settings(bot, admin_user_ids=""))("retrain promoted clf-2")

    posts = [
        (c.params["channel"], c.params["text"]) for c in fake_slack.calls_to("chat.postMessage")
    ]
    assert posts == [
        ("UADMIN1", "drift: label_psi 0.41"),
        ("UADMIN2", "drift: label_psi 0.41"),
        ("C0ESCALATE", "retrain promoted clf-2"),
    ]


def test_without_a_bot_token_news_is_only_logged(bot: BotHarness, fake_slack: FakeSlack) -> None:
    settings = _settings(bot, bot_token=None, admin_user_ids="UADMIN1")
    admin_notifier(settings)("drift: label_psi 0.41")
    assert fake_slack.calls_to("chat.postMessage") == []


def test_serve_runs_the_three_jobs_and_retrains_through_the_service(bot: BotHarness) -> None:
    scheduler = start_serving_scheduler(bot.services.settings, bot.services)
    try:
        assert scheduler is not None
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {
            "retrain",
            "drift-check",
            "privacy-purge",
            "case-followup",
            "case-summary",
        }
        jobs["retrain"].func(*jobs["retrain"].args)  # what the cron trigger runs
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    assert bot.retrainer.requests == [("schedule", "scheduler")]
    assert isinstance(bot.retrainer.slots[0], datetime)


def test_scheduler_can_be_turned_off(bot: BotHarness) -> None:
    settings = load_settings(None, training={"SCHEDULER_ENABLED": "false"})
    assert start_serving_scheduler(settings, bot.services) is None

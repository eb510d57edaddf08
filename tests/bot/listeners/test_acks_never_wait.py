"""Acks never wait for work: while every draft thread is stuck, commands and buttons still answer.

Before jobs, a listener ran its draft on Bolt's listener pool: with the pool busy, `/sentiment`
waited behind the drafts and Slack showed "this app did not respond".
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bot.jobs.inline import InlineJobQueue
from bot.jobs.types import Job
from models.types import Draft
from storage import repositories as repo
from tests.fixtures.slack import TEAM_ID, BotHarness, StubGenerator, message_event


class StuckGenerator(StubGenerator):
    """Drafts only once `release` is set: a 2-second draft stretched to "until the test says"."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def draft(self, message: str, **kwargs: object) -> Draft:
        self.release.wait(120)
        return super().draft(message, **kwargs)  # type: ignore[arg-type]


def test_twelve_drafts_in_flight_do_not_delay_sentiment_acks_or_answers(bot: BotHarness) -> None:
    generator = StuckGenerator()
    bot.drafter.generators.swap(generator)
    try:
        with ThreadPoolExecutor(12) as pool:
            drafts = list(pool.map(lambda i: bot.command("/draft", f"help {i}"), range(12)))
        assert [r.status for r in drafts] == [200] * 12
        assert all("Drafting" in r.body for r in drafts)
        # Every draft is stuck, yet /sentiment is acknowledged and answered.
        sentiments = [bot.command("/sentiment", f"my order never arrived {i}") for i in range(3)]
        assert [r.status for r in sentiments] == [200] * 3
        answers = bot.slack.wait_for("response_url", 3)
        assert all("negative" in str(call.params) for call in answers)
    finally:
        generator.release.set()
    bot.settle()
    drafted = [c for c in bot.slack.calls if "Suggested reply" in str(c.params.get("text", ""))]
    assert len(drafted) == 12


def test_a_message_event_is_left_for_slack_to_redeliver_while_the_queue_is_full(
    bot: BotHarness,
) -> None:
    # Before, the event was acknowledged and its job refused: the message was never triaged.
    repo.set_channel_settings(
        bot.services.db,
        team_id=TEAM_ID,
        channel_id="C0SUPPORT",
        enabled=True,
        mode="tag",
        set_by="U0ADMIN",
    )
    release, taken = threading.Event(), threading.Semaphore(0)
    handled: list[Job] = []

    def slow(job: Job) -> None:
        taken.release()
        release.wait(120)
        handled.append(job)

    jobs = InlineJobQueue(slow, threads={"triage": 1}, queue_size=1)
    bot.services.jobs = jobs
    try:
        event = message_event("where is my order", ts="801.1")
        assert bot.event(event, event_id="EvBusy0").status == 200  # taken by the one thread
        assert taken.acquire(timeout=60)
        busy = message_event("still nothing", ts="801.2")
        assert bot.event(busy, event_id="EvBusy1").status == 200  # waits in the queue
        bot.settle()  # the listener (after the ack) has queued it
        assert jobs.full("triage")
        refused = message_event("hello?", ts="801.3")
        response = bot.event(refused, event_id="EvBusy2")
        assert response.status == 503  # not acknowledged: Slack sends it again later
        release.set()
        assert jobs.join(60)
        assert bot.event(refused, event_id="EvBusy2").status == 200  # Slack's retry
        bot.settle()
        assert jobs.join(60)
    finally:
        release.set()
        jobs.close()
    assert [job.ts for job in handled] == ["801.1", "801.2", "801.3"]  # type: ignore[union-attr]

"""Acks never wait for work: while every draft thread is stuck, commands and buttons still answer.

Before jobs, a listener ran its draft on Bolt's listener pool: with the pool busy, `/sentiment`
waited behind the drafts and Slack showed "this app did not respond".
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from models.types import Draft
from tests.fixtures.slack import BotHarness, StubGenerator


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

"""A burst of upset customers in one channel: every one named in the escalation channel, 0 lost.

The fake Slack paces `chat.postMessage` per channel as Slack does; the alerts beyond the first
few fold into one digest, posted once and updated in place.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.jobs.types import TriageJob
from bot.outbox import Outbox
from models.types import Prediction
from storage import repositories as repo
from storage.database import Database
from storage.workspaces import ALL_WORKSPACES
from tests.bot.outbox.conftest import MODEL
from tests.fixtures.slack import FakeSlack, mrkdwn_texts

BURST = 30
SCORES = {"negative": 0.95, "neutral": 0.03, "positive": 0.02}


def upset(i: int) -> TriageJob:
    return TriageJob(
        team_id="T1",
        channel_id="CSUPPORT",
        ts=f"1700000000.{i:06d}",
        user_id=f"U{i:03d}",
        text=f"order {i} never arrived <!channel>",
        mode="alert",
        escalation_channel="CESC",
    )


def permalink_id(ts: str) -> str:
    """How the fake Slack's permalinks name a message."""
    return f"/archives/CSUPPORT/p{ts.replace('.', '')}"


def named(fake: FakeSlack, ts: str) -> bool:
    shown = [str(m["blocks"]) for m in fake.messages_in("CESC")]
    return any(permalink_id(ts) in blocks for blocks in shown)


@pytest.mark.parametrize("slack_burst", [3, 1], ids=["slack-burst-3", "slack-burst-1"])
def test_every_upset_customer_of_a_burst_is_named_once_in_the_escalation_channel(
    model_db: Database,
    fake_slack: FakeSlack,
    make_outbox: Callable[..., Outbox],
    slack_burst: int,
) -> None:
    fake_slack.pace_posts(burst=slack_burst, per_second=1.0)
    outbox = make_outbox(model_db)
    jobs = [upset(i) for i in range(BURST)]

    for job in jobs[:15]:
        assert outbox.record_triage(job, Prediction("negative", 0.95, SCORES, MODEL), latency_ms=1)
    fake_slack.wait_until(
        lambda: len(fake_slack.messages_in("CESC")) == 4, what="three alerts and a digest"
    )
    for job in jobs[15:]:  # the rest arrive once the digest is up: it is updated in place
        assert outbox.record_triage(job, Prediction("negative", 0.95, SCORES, MODEL), latency_ms=1)

    fake_slack.wait_until(
        lambda: all(named(fake_slack, job.ts) for job in jobs),
        what=f"all {BURST} upset customers named in CESC",
    )
    messages = fake_slack.messages_in("CESC")
    assert len(messages) == 4
    assert fake_slack.calls_to("chat.update")
    shown = [text for m in messages for text in [m["text"], *mrkdwn_texts(m["blocks"])]]
    assert not [text for text in shown if "<!channel>" in text]  # customer text is escaped
    assert len(repo.list_alerts(model_db, team_id="T1")) == BURST
    assert repo.list_failed(model_db, team_id=ALL_WORKSPACES) == []

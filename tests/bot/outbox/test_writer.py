"""`Outbox`: what each job handler's write becomes in the outbox (nothing reaches Slack here)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.jobs.runtime import SlackOutbox
from bot.jobs.types import TriageJob
from bot.outbox import Outbox
from models.types import Prediction
from storage import repositories as repo
from storage.database import Database
from storage.workspaces import ALL_WORKSPACES
from tests.bot.outbox.conftest import MODEL

MakeOutbox = Callable[..., Outbox]


def job(ts: str = "1700.0001", mode: str = "alert", escalation: str | None = "CESC") -> TriageJob:
    return TriageJob(
        team_id="T1",
        channel_id="C1",
        ts=ts,
        user_id="UCUST",
        text="my order never arrived <!channel>",
        mode=mode,
        escalation_channel=escalation,
    )


def negative(confidence: float = 0.9) -> Prediction:
    rest = (1 - confidence) / 2
    return Prediction(
        "negative", confidence, {"negative": confidence, "neutral": rest, "positive": rest}, MODEL
    )


def keys(db: Database) -> set[str]:
    return {row.key for row in repo.list_outbox(db, team_id=ALL_WORKSPACES)}


def test_the_outbox_is_what_job_handlers_expect(
    model_db: Database, make_outbox: MakeOutbox
) -> None:
    outbox: SlackOutbox = make_outbox(model_db, start=False)  # mypy checks the Protocol
    assert outbox is not None


def test_a_confident_negative_gets_its_reaction_and_alert(
    model_db: Database, make_outbox: MakeOutbox
) -> None:
    outbox = make_outbox(model_db, start=False)

    assert outbox.record_triage(job(), negative(), latency_ms=3.0)

    assert keys(model_db) == {"react:T1:C1:1700.0001", "alert:T1:C1:1700.0001"}
    react = repo.get_outbox_row(model_db, key="react:T1:C1:1700.0001")
    assert react is not None and react.payload["name"] == "rage"
    assert repo.get_prediction(model_db, team_id="T1", channel_id="C1", message_ts="1700.0001")


def test_a_redelivered_job_writes_nothing_twice(
    model_db: Database, make_outbox: MakeOutbox
) -> None:
    outbox = make_outbox(model_db, start=False)
    outbox.record_triage(job(), negative(), latency_ms=3.0)

    assert not outbox.record_triage(job(), negative(), latency_ms=3.0)

    assert len(repo.list_outbox(model_db, team_id=ALL_WORKSPACES)) == 2


@pytest.mark.parametrize(
    ("triage", "prediction"),
    [
        (job(mode="tag"), negative()),
        (job(escalation=None), negative()),
        (job(), negative(confidence=0.5)),
        (job(), Prediction("neutral", 0.9, {"neutral": 0.9, "negative": 0.1}, MODEL)),
    ],
    ids=["tag-mode", "no-escalation-channel", "not-confident", "not-negative"],
)
def test_only_confident_negatives_in_alerting_channels_alert(
    model_db: Database, make_outbox: MakeOutbox, triage: TriageJob, prediction: Prediction
) -> None:
    make_outbox(model_db, start=False).record_triage(triage, prediction, latency_ms=1.0)

    assert keys(model_db) == {f"react:T1:C1:{triage.ts}"}


def test_replies_posts_views_and_admin_notices_are_rows(
    model_db: Database, make_outbox: MakeOutbox
) -> None:
    outbox = make_outbox(model_db, start=False)
    outbox.respond(key="draft:1", team_id="T1", url="https://hooks.example/r", body={"text": "x"})
    outbox.respond(key="draft:1", team_id="T1", url="https://hooks.example/r", body={"text": "y"})
    outbox.post(key="draft:2", team_id="T1", channel_id="C1", text="hi", thread_ts="1.1")
    outbox.update_view(key="draft:3", team_id="T1", view_id="V1", view={"type": "modal"})
    outbox.notify_admins(key="retrain:9:1", text="started", response_url="https://hooks.example/a")

    rows = {row.key: row for row in repo.list_outbox(model_db, team_id=ALL_WORKSPACES)}

    assert set(rows) == {
        "draft:1",
        "draft:2",
        "draft:3",
        "retrain:9:1:UADMIN1",
        "retrain:9:1:UADMIN2",
        "retrain:9:1:response",
    }
    assert rows["draft:1"].payload["body"] == {"text": "x"}  # the first write of a key wins
    assert (rows["draft:1"].expires_at - rows["draft:1"].created_at).total_seconds() == 1800
    assert rows["draft:2"].payload == {"channel": "C1", "text": "hi", "thread_ts": "1.1"}
    assert rows["retrain:9:1:UADMIN1"].method == "chat.postMessage"


def test_wait_idle_returns_once_everything_is_delivered(
    model_db: Database, make_outbox: MakeOutbox
) -> None:
    outbox = make_outbox(model_db)
    outbox.record_triage(job(), negative(), latency_ms=3.0)
    outbox.post(key="p1", team_id="T1", channel_id="C1", text="hi")

    assert outbox.wait_idle(120)

    assert repo.count_pending(model_db) == 0
    assert {row.status for row in repo.list_outbox(model_db, team_id=ALL_WORKSPACES)} == {"sent"}
    idle = make_outbox(model_db, start=False)
    idle.post(key="p2", team_id="T1", channel_id="C1", text="hi")
    assert not idle.wait_idle(0.1)

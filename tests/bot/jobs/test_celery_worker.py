"""Jobs through a real broker (Redis and RabbitMQ) into real `triagebot worker` processes.

Every test waits for events (a log line, a row, a line in a file) with generous deadlines and
never on the clock; every worker it starts is stopped on the way out (`with`), whatever happens.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.jobs.celery_app import task_name
from bot.jobs.celery_queue import CeleryJobQueue
from bot.jobs.types import ClassifyJob, DraftJob, TriageJob
from bot.settings import load_settings
from storage.database import Database
from storage.repositories import get_prediction
from tests.fixtures.brokers import (
    HANG,
    Broker,
    WorkerSetup,
    read_lines,
    wait_until,
    worker_setup,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(broker: Broker, sqlite_db: Database, tmp_path: Path) -> WorkerSetup:
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    return worker_setup(broker, sqlite_db, url, tmp_path)


@pytest.fixture
def jobs(setup: WorkerSetup) -> Iterator[CeleryJobQueue]:
    """The web side: a `CeleryJobQueue` on the test's broker and namespace."""
    settings = load_settings(None, jobs={"TRIAGE_BROKER_URL": setup.broker.url})
    queue = CeleryJobQueue.from_settings(settings, namespace=setup.broker.namespace)
    yield queue
    queue.close()


def triage_job(ts: str, text: str = "this is broken again") -> TriageJob:
    return TriageJob(team_id="T1", channel_id="C1", ts=ts, user_id="U1", text=text)


def stored(db: Database, ts: str) -> bool:
    return get_prediction(db, team_id="T1", channel_id="C1", message_ts=ts) is not None


def attempts(setup: WorkerSetup, ts: str) -> list[dict[str, object]]:
    return [a for a in read_lines(setup.jobs_dir / "attempts.jsonl") if a.get("ts") == ts]


def test_submitted_jobs_run_in_the_worker(
    setup: WorkerSetup, jobs: CeleryJobQueue, sqlite_db: Database
) -> None:
    with setup.start(["triage"]) as worker:
        assert jobs.submit(triage_job("100.1"))
        assert jobs.submit(ClassifyJob(text="hi", team_id="T1", channel_id="C1", response_url="u1"))
        wait_until("the prediction", lambda: stored(sqlite_db, "100.1"))
        wait_until(
            "the classify answer",
            lambda: any(
                w["what"] == "respond" for w in read_lines(setup.jobs_dir / "writes.jsonl")
            ),
        )
        assert worker.stop(signal.SIGTERM) == 0  # a warm shutdown
    assert "worker stopped" in worker.output


def test_bad_payload_is_dropped_and_the_worker_goes_on(
    setup: WorkerSetup, jobs: CeleryJobQueue, sqlite_db: Database
) -> None:
    with setup.start(["triage"], concurrency=1) as worker:
        jobs.app.send_task(
            task_name("triage"),
            args=[{"team_id": "T1", "unexpected": "x"}],
            queue=f"{setup.broker.namespace}triage",
        )
        worker.wait_for("dropped a bad triage job")
        worker.wait_for("succeeded")  # acknowledged as done: never retried
        assert jobs.submit(triage_job("200.1"))
        wait_until("the good job after it", lambda: stored(sqlite_db, "200.1"))


def test_worker_killed_mid_job_has_its_job_redelivered_and_applied_once(
    setup: WorkerSetup, jobs: CeleryJobQueue, sqlite_db: Database
) -> None:
    # On Redis an unacknowledged job goes back on its queue only after the transport's
    # visibility timeout (production default 300 s): 5 s here, so the next worker restores it
    # soon. RabbitMQ redelivers as soon as the dead worker's connection drops.
    env = {"TRIAGE_BROKER_VISIBILITY_TIMEOUT": "5"}
    with setup.start(["triage"], env=env) as first:
        assert jobs.submit(triage_job("300.1", text=f"{HANG} still broken"))
        wait_until("the first attempt", lambda: len(attempts(setup, "300.1")) == 1)
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL  # stored, not acknowledged
    assert stored(sqlite_db, "300.1")
    (setup.jobs_dir / "release-hang").touch()
    with setup.start(["triage"], env=env) as second:
        wait_until("the redelivery", lambda: len(attempts(setup, "300.1")) == 2)
        second.wait_for("succeeded")
    first_try, second_try = attempts(setup, "300.1")
    assert first_try["created"] is True
    assert second_try["created"] is False  # the unique (team, channel, ts): nothing twice
    assert first_try["pid"] != second_try["pid"]


def test_a_long_draft_does_not_delay_triage(
    setup: WorkerSetup, jobs: CeleryJobQueue, sqlite_db: Database
) -> None:
    with setup.start(["triage"]), setup.start(["drafts"], concurrency=1):
        draft = DraftJob(
            mode="command", text="help", team_id="T1", channel_id="C1", response_url="u"
        )
        assert jobs.submit(draft)
        wait_until(
            "the draft to start",
            lambda: any(
                a["kind"] == "draft" for a in read_lines(setup.jobs_dir / "attempts.jsonl")
            ),
        )
        assert jobs.submit(triage_job("400.1"))
        wait_until("triage while the draft runs", lambda: stored(sqlite_db, "400.1"))
        assert read_lines(setup.jobs_dir / "writes.jsonl") == []  # the draft is still running
        (setup.jobs_dir / "release-drafts").touch()
        wait_until(
            "the draft's answer",
            lambda: (
                [w["key"] for w in read_lines(setup.jobs_dir / "writes.jsonl")]
                == [f"draft:{draft.id}"]
            ),
        )

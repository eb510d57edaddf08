"""Two `triagebot scheduler` processes on one PostgreSQL database run a due retrain exactly once.

Nothing here races the wall clock. The cron slot lies in the past (well within the misfire
grace) and each child makes it the first run time of its retrain job, so the job is due the moment
its scheduler starts, however long a busy machine took to get there. Each child says "ready" once
everything before `scheduler.start()` is done, then waits for the go file: both fire together.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.database import Database
from storage.repositories import list_model_versions, list_training_runs, register_model_version
from tests.bot.cli.helpers import cli_env
from tests.fixtures.database import PostgresServer
from tests.fixtures.processes import Child
from tests.training.retrain.base_csv import write_base_csv
from tests.training.retrain.test_retraining_data import build_tiny_classifier

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# `triagebot scheduler` with a hook just before its `BlockingScheduler.start()`.
CHILD = """
import pathlib, sys, time
from datetime import datetime
from apscheduler.schedulers.blocking import BlockingScheduler
from bot.cli import main

go, slot = pathlib.Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
start = BlockingScheduler.start

def start_on_go(scheduler, *args, **kwargs):
    scheduler.modify_job("retrain", next_run_time=slot)  # past, so due as soon as it starts
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.05)
    start(scheduler, *args, **kwargs)

BlockingScheduler.start = start_on_go
sys.exit(main(["--env-file", "/nonexistent", "scheduler"]))
"""


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of its own."""
    url = postgres_server.create_migrated("triagebot_sched")
    yield url
    postgres_server.drop(url)


def test_two_schedulers_run_a_due_retrain_once(postgres_url: str, tmp_path: Path) -> None:
    db = Database.from_url(postgres_url)
    active = build_tiny_classifier(tmp_path / "models" / "clf-active")
    register_model_version(
        db, kind="classifier", version="clf-active", path=str(active), status="active"
    )
    slot = datetime.now(UTC).replace(microsecond=0)  # already past when the children start
    env = cli_env(
        postgres_url,
        tmp_path,
        RETRAIN_BASE_DATA=str(write_base_csv(tmp_path / "base.csv", 600)),
        RETRAIN_BASE_SAMPLE="200",
        RETRAIN_MAX_STEPS="5",
        RETRAIN_BATCH_SIZE="16",
        RETRAIN_MAX_TOKENS="32",
        RETRAIN_MIN_FEEDBACK="0",
        CLASSIFIER_PRECISION="fp32",
        RETRAIN_CRON=f"{slot.second} {slot.minute} {slot.hour} * * *",  # daily, seconds first
        SCHEDULER_TIMEZONE="UTC",
        SCHEDULER_MISFIRE_GRACE_SECONDS="3600",  # late runs still count
        RETRAIN_LEASE_SECONDS="300",  # a starved heartbeat must not hand the lease over mid-run
    )
    go = tmp_path / "go"
    argv = [sys.executable, "-c", CHILD, str(go), slot.isoformat()]
    with contextlib.ExitStack() as stack:  # stops both children on every way out
        children = [stack.enter_context(Child(argv, env)) for _ in range(2)]
        for child in children:
            child.wait_for("ready")
        go.touch()
        notices = [child.wait_for("admin notice:") for child in children]
        # SIGTERM, as a service manager stops it (SIGINT may be ignored: a shell's `&` does that).
        codes = [child.stop(signal.SIGTERM) for child in children]
    assert codes == [0, 0], "\n\n".join(child.output[-6000:] for child in children)

    runs = list_training_runs(db, limit=10)
    assert len(runs) == 1, runs
    assert (runs[0].trigger, runs[0].requested_by) == ("schedule", "scheduler")
    assert runs[0].outcome in ("promoted", "rejected"), runs[0].reason
    skipped = [n for n in notices if "Retraining skipped" in n]
    assert len(skipped) == 1, notices
    assert "another retrain is already running" in skipped[0] or "already taken" in skipped[0]
    assert len(list_model_versions(db)) == 2  # the active one and this run's single candidate
    db.dispose()

"""Two `triagebot scheduler` processes on one PostgreSQL database run a due retrain exactly once."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.database import Database
from storage.repositories import list_model_versions, list_training_runs, register_model_version
from tests.bot.cli.helpers import cli_env
from tests.fixtures.database import PostgresServer
from tests.training.processes import Child, write_base_csv
from tests.training.test_retraining_data import build_tiny_classifier

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# Imports the heavy modules first, says "ready", then waits for the cron line the parent writes,
# so both schedulers start within moments of each other, well before the slot is due.
CHILD = """
import os, sys, time, pathlib
import torch, transformers, datasets
import training.retraining, training.retrain_pipeline, training.classifier_training
from bot.cli import main
print("ready", flush=True)
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.05)
os.environ["RETRAIN_CRON"] = go.read_text()
sys.exit(main(["--env-file", "/nonexistent", "scheduler"]))
"""
LEAD_SECONDS = 4  # from "both ready" to the cron slot: start-up takes well under a second


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of its own."""
    url = postgres_server.create_migrated("triagebot_sched")
    yield url
    postgres_server.drop(url)


def test_two_schedulers_run_a_due_retrain_once(postgres_url: str, tmp_path: Path) -> None:
    db = Database.from_url(postgres_url)
    active = build_tiny_classifier(tmp_path / "models" / "clf-active")
    register_model_version(db, kind="classifier", version="clf-active", path=str(active),
                           status="active")  # fmt: skip
    env = cli_env(
        postgres_url, tmp_path, RETRAIN_BASE_DATA=str(write_base_csv(tmp_path / "base.csv", 600)),
        RETRAIN_BASE_SAMPLE="200", RETRAIN_MAX_STEPS="5", RETRAIN_BATCH_SIZE="16",
        RETRAIN_MAX_TOKENS="32", RETRAIN_MIN_FEEDBACK="0", CLASSIFIER_PRECISION="fp32",
        RETRAIN_LEASE_SECONDS="30", SCHEDULER_TIMEZONE="UTC",
    )  # fmt: skip
    go = tmp_path / "go"
    children = [Child([sys.executable, "-c", CHILD, str(go)], env) for _ in range(2)]
    try:
        for child in children:
            child.wait_for("ready")
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=LEAD_SECONDS)
        staged = tmp_path / "go.tmp"
        staged.write_text(f"{due.second} {due.minute} {due.hour} * * *")  # seconds first
        staged.rename(go)
        notices = [child.wait_for("admin notice:") for child in children]
    finally:
        codes = [child.stop(signal.SIGINT) for child in children]
    assert codes == [0, 0], [child.output for child in children]

    runs = list_training_runs(db, limit=10)
    assert len(runs) == 1, runs
    assert (runs[0].trigger, runs[0].requested_by) == ("schedule", "scheduler")
    assert runs[0].outcome in ("promoted", "rejected"), runs[0].reason
    skipped = [n for n in notices if "Retraining skipped" in n]
    assert len(skipped) == 1, notices
    assert "another retrain is already running" in skipped[0] or "already taken" in skipped[0]
    assert len(list_model_versions(db)) == 2  # the active one and this run's single candidate
    db.dispose()

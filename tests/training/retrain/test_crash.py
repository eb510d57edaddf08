"""A `triagebot retrain` killed mid-run: the active model stays, the run is failed at the next
start, and the lease frees itself once it expires."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.serving.scheduler import JobContext, recover
from bot.settings import load_settings
from models.predictor import SentimentPredictor
from models.settings import ModelSettings
from storage.database import Database
from storage.orm import Lease
from storage.repositories import (
    acquire_lease,
    get_active_model_version,
    list_model_versions,
    list_training_runs,
    register_model_version,
    release_lease,
)
from tests.bot.cli.helpers import TRIAGEBOT, cli_env
from tests.fixtures.processes import Child
from tests.training.retrain.base_csv import write_base_csv
from tests.training.retrain.test_retraining_data import build_tiny_classifier

pytestmark = pytest.mark.slow

LEASE_SECONDS = 3


def _lease_holder(db: Database) -> str | None:
    with db.session() as session:
        return session.scalar(select(Lease.holder).where(Lease.name == "retrain"))


def _wait_until_lease_is_free(db: Database, timeout: float = 60) -> bool:
    """Poll until another process could take the lease (it expires LEASE_SECONDS after the
    last renewal); take it and give it back."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if acquire_lease(db, name="retrain", holder="probe", ttl_seconds=LEASE_SECONDS):
            release_lease(db, name="retrain", holder="probe")
            return True
        time.sleep(0.2)
    return False


def test_a_killed_retrain_leaves_the_active_model_and_frees_the_lease(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    active_dir = build_tiny_classifier(tmp_path / "models" / "clf-active")
    register_model_version(
        db, kind="classifier", version="clf-active", path=str(active_dir), status="active"
    )
    base = write_base_csv(tmp_path / "base.csv", 3000)  # ~300 steps: far from done when killed
    env = cli_env(
        database_url,
        tmp_path,
        RETRAIN_BASE_DATA=str(base),
        RETRAIN_BASE_SAMPLE="3000",
        RETRAIN_MAX_STEPS="10000",
        RETRAIN_BATCH_SIZE="8",
        RETRAIN_MAX_TOKENS="32",
        RETRAIN_LEARNING_RATE="0.003",
        CLASSIFIER_PRECISION="fp32",
        RETRAIN_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    with Child([*TRIAGEBOT, "retrain", "--by", "crash-test"], env) as child:
        child.wait_for("retrain: training")  # the lease is held, the run open, training started
        code = child.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL, child.output

    run = list_training_runs(db, limit=5)
    assert len(run) == 1 and run[0].running and run[0].requested_by == "crash-test"
    holder = _lease_holder(db)
    assert holder is not None and f":{child.proc.pid}:" in holder  # nobody released it
    assert [v.version for v in list_model_versions(db)] == ["clf-active"]
    active = get_active_model_version(db, kind="classifier")
    assert active is not None and active.version == "clf-active"
    predictor = SentimentPredictor.load(active.path, ModelSettings(CLASSIFIER_PRECISION="fp32"))
    assert predictor.predict(["my order never arrived"])[0].model_version == "clf-active"

    assert _wait_until_lease_is_free(db), "the dead process's lease never expired"

    settings = load_settings(
        None,
        storage={"DATABASE_URL": database_url},
        training={"RETRAIN_LEASE_SECONDS": LEASE_SECONDS},
    )
    recover(JobContext(db, settings, notify=print, start_retrain=lambda *_: False))  # next start

    failed = list_training_runs(db, limit=5)
    assert [(r.id, r.outcome) for r in failed] == [(run[0].id, "failed")]
    assert failed[0].reason == "stale: the process running it stopped"
    assert failed[0].finished_at is not None
    assert _lease_holder(db) is None  # recovery gave the lease back
    still = get_active_model_version(db, kind="classifier")
    assert still is not None and still.version == "clf-active"

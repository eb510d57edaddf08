"""`triagebot scheduler` with the Celery executor queues a scheduled retrain for a training
worker instead of running it in the scheduler process."""

from __future__ import annotations

import pytest
from kombu.connection import Connection

from bot.cli.model_commands import scheduled_retrain_starter
from bot.jobs.queue import BUSY
from bot.settings import load_settings
from storage.database import Database
from tests.fixtures.brokers import Broker


@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_a_scheduled_retrain_is_queued_on_the_training_queue(
    broker: Broker, sqlite_db: Database
) -> None:
    settings = load_settings(
        None,
        jobs={
            "TRIAGE_EXECUTOR": "celery",
            "TRIAGE_BROKER_URL": broker.url,
            "TRIAGE_QUEUE_NAMESPACE": broker.namespace,
        },
    )
    notices: list[str] = []
    start = scheduled_retrain_starter(settings, sqlite_db, notices.append)
    assert start("scheduled", None) is True
    assert notices == ["Retraining queued; a training worker will post its progress to the admins."]
    with Connection(broker.url) as connection:
        queued = connection.SimpleQueue(f"{broker.namespace}training")
        message = queued.get(timeout=10)
        assert message.headers["task"] == "triagebot.job.retrain"
        message.ack()
        queued.close()


def test_an_unreachable_broker_is_said_and_nothing_runs_here(sqlite_db: Database) -> None:
    settings = load_settings(
        None,
        jobs={"TRIAGE_EXECUTOR": "celery", "TRIAGE_BROKER_URL": "redis://127.0.0.1:9/0"},
    )
    notices: list[str] = []
    start = scheduled_retrain_starter(settings, sqlite_db, notices.append)
    assert start("scheduled", None) is False
    assert notices == [BUSY]

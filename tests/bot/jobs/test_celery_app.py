"""The Celery app, its tasks, `CeleryJobQueue` and the worker's plan, without a worker process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import metrics
from bot.cli.worker_commands import parse_queues, plan_worker, resolve_runtime_factory
from bot.jobs.celery_app import (
    RuntimeHolder,
    build_celery_app,
    register_job_tasks,
    run_payload,
    task_name,
)
from bot.jobs.celery_queue import CeleryJobQueue
from bot.jobs.queue import JobQueue
from bot.jobs.runtime import JobRuntime
from bot.jobs.types import JOB_TYPES, TriageJob
from bot.settings import Settings, load_settings
from tests.fixtures.processes import REPO_ROOT


def settings_for(broker_url: str, **jobs: str) -> Settings:
    return load_settings(None, jobs={"TRIAGE_BROKER_URL": broker_url, **jobs})


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_app_is_configured_for_jobs_that_must_not_be_lost() -> None:
    app = build_celery_app(
        settings_for("redis://127.0.0.1:6379/3", TRIAGE_BROKER_VISIBILITY_TIMEOUT="42"),
        namespace="ns.",
    )
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.broker_connection_retry_on_startup is True
    assert conf.broker_transport_options["visibility_timeout"] == 42
    queues = {queue.name: queue for queue in conf.task_queues}
    assert set(queues) == {"ns.triage", "ns.drafts", "ns.training"}
    assert all(queue.durable and queue.exchange.durable for queue in queues.values())
    assert conf.task_routes[task_name("draft")] == {"queue": "ns.drafts"}
    assert conf.task_routes[task_name("retrain")] == {"queue": "ns.training"}


def test_amqp_app_has_no_redis_transport_options() -> None:
    app = build_celery_app(settings_for("amqp://guest:guest@127.0.0.1:5672//"))
    assert "visibility_timeout" not in app.conf.broker_transport_options
    assert {queue.name for queue in app.conf.task_queues} == {"triage", "drafts", "training"}


def test_one_task_per_job_kind() -> None:
    app = build_celery_app(settings_for("redis://127.0.0.1:6379/3"))
    register_job_tasks(app, RuntimeHolder(_no_runtime))
    assert {task_name(kind) for kind in JOB_TYPES} <= set(app.tasks)
    assert task_name("triage") == "triagebot.job.triage"


def _no_runtime() -> JobRuntime:
    raise AssertionError("a bad payload must not reach the runtime")


@pytest.mark.parametrize(
    "payload",
    [
        {"team_id": "T1"},  # fields missing
        {"team_id": "T1", "channel_id": "C1", "ts": "1.2", "user_id": "U", "text": "x", "bad": "1"},
        {"team_id": 5, "channel_id": "C1", "ts": "1.2", "user_id": "U", "text": "x"},
        ["not", "an", "object"],
        None,
    ],
)
def test_bad_payload_is_dropped_without_building_the_runtime(payload: object) -> None:
    assert run_payload(RuntimeHolder(_no_runtime), "triage", payload) == "dropped: bad payload"


def test_unknown_kind_is_dropped() -> None:
    assert run_payload(RuntimeHolder(_no_runtime), "nope", {}) == "dropped: bad payload"


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_submit_says_no_promptly_when_the_broker_is_unreachable(scheme: str) -> None:
    port = closed_port()
    url = f"redis://127.0.0.1:{port}/0" if scheme == "redis" else f"amqp://g:g@127.0.0.1:{port}//"
    jobs: JobQueue = CeleryJobQueue.from_settings(settings_for(url))
    job = TriageJob(team_id="T1", channel_id="C1", ts="1.2", user_id="U1", text="hi")
    rejected = metrics.JOBS.labels(kind="triage", outcome="rejected")
    before = rejected._value.get()
    started = time.monotonic()
    try:
        assert jobs.submit(job) is False
    finally:
        jobs.close()
    # A safety net against kombu's default retry loop (minutes), not a latency target.
    assert time.monotonic() - started < 30
    assert rejected._value.get() == before + 1
    assert jobs.depth() == {}


def test_parse_queues_keeps_the_known_ones_in_order() -> None:
    assert parse_queues("training, triage") == ["triage", "training"]
    with pytest.raises(Exception, match="unknown queue"):
        parse_queues("triage,email")
    with pytest.raises(Exception, match="unknown queue"):
        parse_queues(" , ")


def test_worker_plan_per_role() -> None:
    settings = load_settings(
        None, jobs={"TRIAGE_TRIAGE_THREADS": "24", "TRIAGE_DRAFT_THREADS": "1"}
    )
    triage = plan_worker(settings, ["triage"], pool="threads", concurrency=None)
    assert (triage.pool, triage.concurrency, triage.prefetch_multiplier) == ("threads", 24, 2)
    drafts = plan_worker(settings, ["drafts"], pool="threads", concurrency=None)
    assert (drafts.concurrency, drafts.prefetch_multiplier) == (1, 1)
    training = plan_worker(settings, ["training"], pool="threads", concurrency=None)
    assert (training.concurrency, training.prefetch_multiplier) == (1, 1)
    everything = plan_worker(
        settings, ["triage", "drafts", "training"], pool="threads", concurrency=None
    )
    assert (everything.concurrency, everything.prefetch_multiplier) == (26, 1)
    assert plan_worker(settings, ["triage"], pool="solo", concurrency=8).concurrency == 1
    assert plan_worker(settings, ["triage"], pool="prefork", concurrency=3).concurrency == 3


def test_runtime_factory_is_resolved_by_name() -> None:
    from bot.cli.errors import CommandError

    assert callable(resolve_runtime_factory("tests.fixtures.brokers:build_recording_runtime"))
    with pytest.raises(CommandError, match="cannot load the runtime factory"):
        resolve_runtime_factory("tests.fixtures.brokers:no_such_factory")


def test_web_side_of_the_celery_executor_does_not_import_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import bot.cli, bot.jobs.celery_queue, bot.jobs.celery_app\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr

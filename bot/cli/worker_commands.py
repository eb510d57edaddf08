"""`triagebot worker`: a Celery worker that runs jobs (`TRIAGE_EXECUTOR=celery`).

Each worker process builds its `JobRuntime` (database, models, outbox) once, before it takes a
job, with the runtime factory named by `--runtime-factory`; it is resolved by name only here, so
`triagebot serve` never imports the models (nor torch) on the way to this command.

Roles (one worker per role scales best): `--queues triage` runs many threads, so the
micro-batcher sees concurrent texts; `--queues drafts` and `--queues training` run one job at a
time and take one at a time. SIGTERM stops a worker after the jobs it is running.
"""

from __future__ import annotations

import argparse
import logging
import os
import pkgutil
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from celery.signals import worker_process_init, worker_ready

from bot.cli.errors import CommandError
from bot.jobs.celery_app import RuntimeHolder, build_celery_app, queue_name, register_job_tasks
from bot.jobs.celery_queue import CeleryJobQueue
from bot.jobs.runtime import JobRuntime
from bot.jobs.types import QUEUES, QueueName
from bot.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_RUNTIME_FACTORY = "bot.jobs.runtime_factory:build_job_runtime"
Pool = Literal["threads", "solo", "prefork"]
RuntimeFactory = Callable[[Settings], JobRuntime]


def register(sub: Any) -> None:
    parser = sub.add_parser("worker", help="run a Celery worker for jobs (TRIAGE_EXECUTOR=celery)")
    parser.add_argument(
        "--queues",
        type=parse_queues,
        default=list(QUEUES),
        help="comma-separated queues to take jobs from (default triage,drafts,training)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        help="jobs at once (default: TRIAGE_TRIAGE_THREADS for triage, TRIAGE_DRAFT_THREADS for"
        " drafts, 1 for training, added up)",
    )
    parser.add_argument(
        "--pool",
        choices=["threads", "solo", "prefork"],
        default="threads",
        help="threads (default: one copy of the models), solo, or prefork (models per child)",
    )
    parser.add_argument(
        "--runtime-factory",
        default=DEFAULT_RUNTIME_FACTORY,
        metavar="MODULE:FUNCTION",
        help=f"builds the runtime from settings (default {DEFAULT_RUNTIME_FACTORY})",
    )
    parser.add_argument(
        "--namespace",
        default=None,
        help="queue-name prefix, for deployments sharing one broker (must match the web side;"
        " default TRIAGE_QUEUE_NAMESPACE)",
    )
    parser.set_defaults(handler=handle_worker)


def parse_queues(value: str) -> list[QueueName]:
    """`triage,drafts` -> ["triage", "drafts"]; unknown or empty names are an argument error."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown queue(s) {', '.join(unknown) or value!r}; choose from {', '.join(QUEUES)}"
        )
    return [queue for queue in QUEUES if queue in names]


@dataclass(frozen=True)
class WorkerPlan:
    """How a worker for some queues runs: its pool, how many jobs at once, how many it reserves."""

    queues: list[QueueName]
    pool: Pool
    concurrency: int
    prefetch_multiplier: int


def plan_worker(
    settings: Settings, queues: Sequence[QueueName], *, pool: Pool, concurrency: int | None
) -> WorkerPlan:
    """The worker's shape for `queues`.

    Triage wants many threads (each waits on the micro-batcher) and a little reserve; drafts and
    retraining take one job at a time, so a long job never hoards the ones behind it.
    """
    threads = {"triage": settings.jobs.triage_threads, "drafts": settings.jobs.draft_threads}
    wanted = sum(threads.get(queue, 1) for queue in queues)
    count = 1 if pool == "solo" else max(1, concurrency or wanted)
    prefetch = 2 if list(queues) == ["triage"] else 1
    return WorkerPlan(list(queues), pool, count, prefetch)


def resolve_runtime_factory(name: str) -> RuntimeFactory:
    """The `module:function` that builds a `JobRuntime` from settings."""
    try:
        factory = pkgutil.resolve_name(name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise CommandError(f"cannot load the runtime factory {name!r}: {exc}") from exc
    if not callable(factory):
        raise CommandError(f"the runtime factory {name!r} is not callable")
    built: RuntimeFactory = factory
    return built


def handle_worker(args: argparse.Namespace, settings: Settings) -> int:
    plan = plan_worker(settings, args.queues, pool=args.pool, concurrency=args.concurrency)
    factory = resolve_runtime_factory(args.runtime_factory)
    namespace = settings.jobs.queue_namespace if args.namespace is None else args.namespace
    app = build_celery_app(settings, namespace=namespace)
    app.conf.worker_prefetch_multiplier = plan.prefetch_multiplier
    follow_ups = CeleryJobQueue(app, namespace=namespace)

    def build() -> JobRuntime:
        runtime = factory(settings)
        if runtime.jobs is None:  # follow-up jobs (a suggestion after triage) go to the broker
            runtime.jobs = follow_ups
        return runtime

    holder = RuntimeHolder(build)
    register_job_tasks(app, holder)
    if plan.pool == "prefork":  # models load in each child, after the fork
        worker_process_init.connect(lambda **_: holder.get(), weak=False)
    else:
        holder.get()  # load the models before the first job is taken
    worker_ready.connect(lambda **_: _log_ready(plan), weak=False)
    worker = app.Worker(
        hostname=f"triagebot-{'-'.join(plan.queues)}-{os.getpid()}@{socket.gethostname()}",
        queues=[queue_name(queue, namespace) for queue in plan.queues],
        pool=plan.pool,
        concurrency=plan.concurrency,
        loglevel=logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        redirect_stdouts=False,
        without_mingle=True,  # no start-up exchange with other workers: nothing here uses it
        without_gossip=True,
        without_heartbeat=True,
    )
    worker.start()  # returns after a warm shutdown (SIGTERM, SIGINT)
    holder.close()  # the outbox sender finishes its calls in flight; the database is released
    logger.info("worker stopped")
    return int(worker.exitcode or 0)


def _log_ready(plan: WorkerPlan) -> None:
    logger.info(
        "triagebot worker ready: queues %s, %s pool, concurrency %d",
        ",".join(plan.queues),
        plan.pool,
        plan.concurrency,
    )

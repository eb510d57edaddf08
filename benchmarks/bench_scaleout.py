"""Scale-out (issue #12): 2 serve replicas and 2 Celery workers on Redis, one worker SIGKILLed.

Two `triagebot serve` replicas (`TRIAGE_EXECUTOR=celery`: they verify, enqueue and ack, and
load no model) on different ports, two `triagebot worker --queues triage` processes on a Redis
database, and one scratch PostgreSQL database (created on `--postgres-url`'s server, dropped
afterwards). The sender alternates between the replicas with the throughput load (`--rate`
events/s for `--seconds` across `--channels` channels of `--teams` workspaces); one worker is
SIGKILLed `--kill-after` s into the load. Redis gives a job back only after the transport's
visibility timeout, so the workers run with a short `TRIAGE_BROKER_VISIBILITY_TIMEOUT`
(`--visibility-timeout`, default 10 s; the product's default is 300).

Reported: all acknowledged, 0 lost (a prediction and a reaction for every message), 0 tagged
twice (reactions per message ts at the fake Slack, prediction rows per message in the
database), and the RSS of a serve replica (is libtorch mapped?) against a worker and against an
inline serve. Baseline in the same run (`--no-baseline` skips it): one inline `triagebot serve`
on the same kind of database under the same load.

    triagebot bench jobs --scenario scaleout [--rate 200] [--seconds 30] [--kill-after 10]
    triagebot bench scaleout ...   (the same)
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import bench_jobs as bench
from storage.database import Database
from tests.fixtures.fake_slack import FakeSlack, triagebot_serve
from tests.fixtures.processes import Child

# What Celery's Redis transport keeps for our (un-namespaced) queues: the queues (with their
# priority suffixes after \x06\x16), the unacked hash, its index and mutex, kombu's bindings.
QUEUE_KEYS = ("triage", "drafts", "training")
WARM_UP = 8  # messages per replica before the measurement


def main() -> int:
    return bench.main(["--scenario", "scaleout", *sys.argv[1:]])


def run_scaleout(args: argparse.Namespace, fake: FakeSlack) -> dict[str, Any]:
    """The celery topology with a worker killed, and (baseline) one inline serve."""
    runs = {"celery: 2 serve replicas + 2 workers, 1 SIGKILLed": celery_run(args, fake)}
    if args.baseline:
        runs["inline: 1 serve, no broker"] = inline_run(args, fake)
    celery = next(iter(runs.values()))
    replica = celery["serve_memory"]
    targets = {
        "celery: every event acknowledged": celery["acked"] == celery["sent"],
        "celery: 0 lost (stored and tagged)": celery["stored"] == celery["sent"]
        and celery["tags"]["missing"] == 0,
        "celery: 0 tagged twice": celery["tags"]["twice_or_more"] == 0
        and celery["duplicate_prediction_rows"] == 0,
        "celery: serve replicas do not map libtorch": not any(
            m["libtorch_mapped"] for m in replica
        ),
    }
    return {
        "settings": {
            **bench.load_settings_summary(args),
            "kill_after_s": args.kill_after,
            "visibility_timeout_s": args.visibility_timeout,
            "broker": args.redis_url,
            "database": "PostgreSQL (scratch database)",
        },
        "runs": runs,
        "notes": [
            f"Redis redelivers a job whose worker died only after the visibility timeout; the "
            f"workers here run with TRIAGE_BROKER_VISIBILITY_TIMEOUT={args.visibility_timeout} "
            "(product default 300) so that the killed worker's jobs come back within the run.",
            "RSS is VmRSS from /proc/<pid>/status near the end of the load; serve is a gunicorn "
            "master plus one worker process (both listed).",
        ],
        "targets": targets,
    }


def celery_run(args: argparse.Namespace, fake: FakeSlack) -> dict[str, Any]:
    with (
        scratch_postgres(args.postgres_url) as url,
        clean_redis(args.redis_url) as broker,
        tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        env = topology_env(args, fake, workdir, url)
        env.update(
            TRIAGE_EXECUTOR="celery",
            TRIAGE_BROKER_URL=broker,
            TRIAGE_BROKER_VISIBILITY_TIMEOUT=str(args.visibility_timeout),
        )
        workers = [stack.enter_context(start_worker(env, workdir, i)) for i in range(2)]
        replicas = [
            stack.enter_context(triagebot_serve(env, subdir(workdir, f"serve{i}")))
            for i in range(2)
        ]
        bench.warm_up_events(fake, replicas, count=WARM_UP)
        bench.like_slack(fake)
        requests = bench.message_requests(args, replicas, run_id="celery")
        announce = workdir / "sender-started"
        with bench.sender(requests, args.timeout, announce=announce) as process:
            killed = kill_one_worker(args, workers[0], announce, broker)
            serve_memory = memory_near_end(args, announce, replicas)
            sent = bench.finish_sender(process)
        run = settle_and_count(args, fake, url, requests, sent)
        run["serve_memory"] = serve_memory
        run["worker_memory"] = [bench.memory_of(workers[1].proc.pid), killed["memory"]]
        run["jobs_received"] = {
            "per_worker": [worker.output.count("] received") for worker in workers],
            "messages_sent": len(requests) + WARM_UP * len(replicas),
        }
        for i, worker in enumerate(workers):
            bench.keep_log(args, f"scaleout-worker{i}", worker.output)
        for i in range(len(replicas)):
            log = workdir / f"serve{i}" / "serve.log"
            bench.keep_log(args, f"scaleout-serve{i}", log.read_text())
        run["killed"] = {k: v for k, v in killed.items() if k != "memory"}
    return run


def settle_and_count(
    args: argparse.Namespace,
    fake: FakeSlack,
    url: str,
    requests: list[dict[str, Any]],
    sent: dict[str, Any],
) -> dict[str, Any]:
    """`bench_jobs.settle_and_count` on the run's database, plus prediction rows stored twice."""
    db = Database.from_url(url)
    try:
        run: dict[str, Any] = bench.settle_and_count(args, fake, db, requests, sent)
        run["duplicate_prediction_rows"] = duplicate_rows(db)
    finally:
        db.dispose()
    return run


def inline_run(args: argparse.Namespace, fake: FakeSlack) -> dict[str, Any]:
    """One default `triagebot serve` on a scratch PostgreSQL database, the same load."""
    with (
        scratch_postgres(args.postgres_url) as url,
        tempfile.TemporaryDirectory(prefix="bench-scaleout-inline-") as tmp,
    ):
        workdir = Path(tmp)
        env = topology_env(args, fake, workdir, url)
        fake.reset()
        with triagebot_serve(env, workdir) as base_url:
            bench.warm_up_events(fake, [base_url])
            bench.like_slack(fake)
            requests = bench.message_requests(args, [base_url], run_id="inline")
            announce = workdir / "sender-started"
            with bench.sender(requests, args.timeout, announce=announce) as process:
                serve_memory = memory_near_end(args, announce, [base_url])
                sent = bench.finish_sender(process)
            run = settle_and_count(args, fake, url, requests, sent)
    run["serve_memory"] = serve_memory
    return run


def topology_env(
    args: argparse.Namespace, fake: FakeSlack, workdir: Path, database_url: str
) -> dict[str, str]:
    env = bench.bench_env(args, fake, workdir, database_url)
    channels = bench.channel_ids(args.channels)
    env["TRIAGE_AUTO_CHANNELS"] = ",".join([*channels, bench.WARM_CHANNEL])
    return env


def subdir(workdir: Path, name: str) -> Path:
    path = workdir / name
    path.mkdir()
    return path


@contextlib.contextmanager
def start_worker(env: dict[str, str], workdir: Path, index: int) -> Iterator[Child]:
    """`triagebot worker --queues triage`, ready to take jobs; stopped on the way out."""
    argv = [sys.executable, "-m", "bot.cli", "--env-file", "/nonexistent", "worker"]
    argv += ["--queues", "triage"]
    with Child(argv, {**env, "LOG_LEVEL": "INFO"}, cwd=subdir(workdir, f"worker{index}")) as child:
        child.wait_for("triagebot worker ready", timeout=300)
        yield child


def kill_one_worker(
    args: argparse.Namespace, worker: Child, announce: Path, broker: str
) -> dict[str, Any]:
    """SIGKILL `worker` `--kill-after` s into the load; what it held and how big it was."""
    started = wait_for_start(announce)
    time.sleep(max(0.0, started + args.kill_after - time.monotonic()))
    memory = bench.memory_of(worker.proc.pid)
    at = time.monotonic() - started
    code = worker.stop(signal.SIGKILL, timeout=10)
    client = redis.Redis.from_url(broker, socket_timeout=5)
    try:
        unacked = int(client.hlen("unacked"))  # type: ignore[arg-type]
    finally:
        client.close()
    return {
        "after_s": round(at, 2),
        "exit_code": code,
        "unacked_in_redis_after_kill": unacked,
        "memory": memory,
    }


def memory_near_end(
    args: argparse.Namespace, announce: Path, base_urls: list[str]
) -> list[dict[str, Any]]:
    """RSS of every serve process a second before the load ends."""
    started = wait_for_start(announce)
    time.sleep(max(0.0, started + args.seconds - 1.0 - time.monotonic()))
    return [bench.memory_of(pid) for url in base_urls for pid in bench.serve_pids(url)]


def wait_for_start(announce: Path, timeout: float = 60.0) -> float:
    """The sender's start (monotonic s, comparable across processes) once it has announced it."""
    deadline = time.monotonic() + timeout
    while not announce.exists() or not announce.read_text().strip():
        if time.monotonic() > deadline:
            raise RuntimeError("the sender did not start")
        time.sleep(0.05)
    return float(announce.read_text())


def duplicate_rows(db: Database) -> int:
    """Prediction rows beyond one per (team, channel, ts)."""
    with db.session() as session:
        total = session.execute(text("SELECT count(*) FROM predictions")).scalar_one()
        distinct = session.execute(
            text(
                "SELECT count(*) FROM (SELECT DISTINCT team_id, channel_id, message_ts "
                "FROM predictions) AS d"
            )
        ).scalar_one()
    return int(total) - int(distinct)


@contextlib.contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A new, migrated database on `server_url`'s server; dropped on the way out."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"triagebot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        db = Database.from_url(url)
        db.upgrade()
        db.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def clean_redis(url: str) -> Iterator[str]:
    """`url`'s Redis database, refused if someone else uses it; our queues deleted around the run.

    `triagebot serve` has no queue namespace, so the queues are `triage`, `drafts`, `training`.
    """
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        foreign = [k for k in client.scan_iter(count=500) if not ours(k.decode())]
        if foreign:
            raise RuntimeError(
                f"Redis database {url} holds other keys ({foreign[:3]}...); pick an empty one"
                " with --redis-url"
            )
        delete_ours(client)
        yield url
        delete_ours(client)
    finally:
        client.close()


def ours(key: str) -> bool:
    return key.split("\x06")[0] in QUEUE_KEYS or key.startswith(("unacked", "_kombu."))


def delete_ours(client: redis.Redis) -> None:
    keys = [k for k in client.scan_iter(count=500) if ours(k.decode())]
    if keys:
        client.delete(*keys)


# ---------------------------------------------------------------- the table
def scaleout_rows() -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    def mem(ms: list[dict[str, Any]]) -> str:
        return ", ".join(
            f"{m['rss_mib']}{' (libtorch)' if m['libtorch_mapped'] else ''}" for m in ms
        )

    def received(r: dict[str, Any]) -> str:
        if "jobs_received" not in r:
            return "n/a"
        got = r["jobs_received"]
        return f"{' + '.join(map(str, got['per_worker']))} of {got['messages_sent']}"

    def killed(r: dict[str, Any]) -> str:
        if "killed" not in r:
            return "n/a"
        k = r["killed"]
        return f"at {k['after_s']} s (exit {k['exit_code']}), {k['unacked_in_redis_after_kill']} unacked"

    return [
        ("acknowledged (200)", lambda r: f"{r['acked']}/{r['sent']}"),
        ("ack p50 / p95 / p99 / max, ms", lambda r: bench.quad(r["ack_ms"])),
        ("predictions stored", lambda r: f"{r['stored']}/{r['sent']}"),
        ("duplicate prediction rows", lambda r: r["duplicate_prediction_rows"]),
        (
            "reactions exactly once / twice+ / missing",
            lambda r: (
                f"{r['tags']['once']} / {r['tags']['twice_or_more']} / {r['tags']['missing']}"
            ),
        ),
        ("last stored after last send, s", lambda r: r["last_stored_after_last_send_s"]),
        ("classified messages/s (first send to last stored)", lambda r: r["classified_per_s"]),
        ("worker SIGKILLed", killed),
        ("jobs taken by the workers (incl. warm-up; Celery's 'received')", received),
        ("serve RSS, MiB (per process)", lambda r: mem(r["serve_memory"])),
        ("worker RSS, MiB (survivor, killed)", lambda r: mem(r.get("worker_memory", [])) or "n/a"),
    ]


if __name__ == "__main__":
    sys.exit(main())

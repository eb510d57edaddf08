"""Many threads recording triaged messages into one SQLite file: what the triage threads do
(a micro-batch of messages in one transaction), against one transaction per message with queued
writers, and the obvious path (every thread asks SQLite for the write lock at once).

Each write is what a triage job stores: the prediction and its reaction row (and for every third
message an escalation alert, with its digest). Per message that is
`storage.repositories.record_prediction`; batched, the threads share a `MicroBatcher` feeding
`record_predictions`, as `bot.jobs.runtime.JobRuntime.record` does. Reported per mode: writes per
second and the latency of one write (p50/p95/p99/max), from the same run.

    python -m benchmarks.bench_sqlite_writes [--threads 32] [--writes 40] [--report FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.jobs.batcher import MicroBatcher
from storage import repositories as repo
from storage.database import Database
from storage.engine import build_engine

ROOT = Path(__file__).resolve().parents[1]
# mode: (writers take turns on a lock, a micro-batch per transaction)
MODES = {
    "micro-batch per transaction (triage default)": (True, True),
    "one transaction per message, queued writers": (True, False),
    "one transaction per message, every thread asks SQLite (baseline)": (False, False),
}
ESCALATION = "C0ESCALATE"


def main() -> None:
    args = parse_args()
    results = {name: run(queue, batched, args) for name, (queue, batched) in MODES.items()}
    report = {
        "command": f"python -m benchmarks.bench_sqlite_writes --threads {args.threads} "
        f"--writes {args.writes}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "results": results,
    }
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(report, indent=2))
    print(markdown(report))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--writes", type=int, default=40, help="writes per thread")
    parser.add_argument("--report", default=str(ROOT / "reports" / "bench_sqlite_writes.json"))
    return parser.parse_args()


def run(queue_writers: bool, batched: bool, args: argparse.Namespace) -> dict[str, Any]:
    """One mode on a fresh database file; every thread starts at the same moment."""
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        engine = build_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db = Database(engine, queue_writers=queue_writers)
        db.upgrade()
        repo.register_model_version(db, kind="classifier", version="bench", path=".")
        batcher: MicroBatcher[repo.PredictionWrite, bool] = MicroBatcher(
            lambda writes: repo.record_predictions(db, writes), batch_size=32, max_wait=0
        )
        save = batcher.predict if batched else lambda write: record_one(db, write)
        start = threading.Barrier(args.threads + 1)
        latencies: list[float] = []
        lock = threading.Lock()

        def writer(index: int) -> None:
            mine = []
            start.wait()
            for n in range(args.writes):
                ts = f"{index}.{n:06d}"
                began = time.perf_counter()
                save(triaged(ts, alert=n % 3 == 0))
                mine.append(time.perf_counter() - began)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.threads)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        since = datetime(2000, 1, 1, tzinfo=UTC)
        stored = len(
            repo.recent_predictions(
                db, team_id=repo.ALL_WORKSPACES, since=since, limit=args.threads * args.writes + 1
            )
        )
        db.dispose()
    ms = np.array(latencies) * 1000
    return {
        "writes": len(latencies),
        "stored": stored,
        "seconds": round(elapsed, 2),
        "writes_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {
            name: round(float(np.percentile(ms, q)), 1)
            for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))
        },
    }


def triaged(ts: str, *, alert: bool) -> repo.PredictionWrite:
    """A classified message with its reaction (and maybe an alert), as a triage job writes it."""
    reaction = repo.OutboxWrite(
        key=f"react:T1:C1:{ts}",
        method="reactions.add",
        team_id="T1",
        channel_id="C1",
        payload={"channel": "C1", "timestamp": ts, "name": "rage"},
    )
    return repo.PredictionWrite(
        team_id="T1",
        channel_id="C1",
        message_ts=ts,
        user_id="U1",
        label="negative",
        scores={"negative": 0.9, "neutral": 0.05, "positive": 0.05},
        model_version="bench",
        latency_ms=5.0,
        text="my order never arrived",
        outbox=[reaction],
        alert=repo.AlertWrite(escalation_channel=ESCALATION, confidence=0.9, text="x")
        if alert
        else None,
    )


def record_one(db: Database, write: repo.PredictionWrite) -> bool:
    """The per-message path: one `record_prediction` call, one transaction."""
    values = {f.name: getattr(write, f.name) for f in dataclasses.fields(write)}
    return repo.record_prediction(db, **values)[1]


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"`{report['command']}` at {report['when']}, load average "
        f"{', '.join(f'{x:.2f}' for x in report['load_average'])}",
        "",
        "| | writes/s | write latency p50 / p95 / p99 / max, ms | stored |",
        "|---|---|---|---|",
    ]
    for name, result in report["results"].items():
        latency = " / ".join(str(v) for v in result["latency_ms"].values())
        lines.append(
            f"| {name} | {result['writes_per_second']} | {latency} | "
            f"{result['stored']}/{result['writes']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""Many threads recording triaged messages into one SQLite file: queued writers against the
obvious path (every thread asks SQLite for the write lock at once).

Each write is what a triage job stores: the prediction and its reaction row, one transaction
(`storage.repositories.record_prediction` with an outbox write). Reported per mode: writes per
second and the latency of one write (p50/p95/p99/max), from the same run.

    python -m benchmarks.bench_sqlite_writes [--threads 32] [--writes 40] [--report FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from storage import repositories as repo
from storage.database import Database
from storage.engine import build_engine

ROOT = Path(__file__).resolve().parents[1]
MODES = {"queued writers (default)": True, "every thread asks SQLite (baseline)": False}


def main() -> None:
    args = parse_args()
    results = {name: run(queue, args) for name, queue in MODES.items()}
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


def run(queue_writers: bool, args: argparse.Namespace) -> dict[str, Any]:
    """One mode on a fresh database file; every thread starts at the same moment."""
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        engine = build_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db = Database(engine, queue_writers=queue_writers)
        db.upgrade()
        repo.register_model_version(db, kind="classifier", version="bench", path=".")
        start = threading.Barrier(args.threads + 1)
        latencies: list[float] = []
        lock = threading.Lock()

        def writer(index: int) -> None:
            mine = []
            start.wait()
            for n in range(args.writes):
                ts = f"{index}.{n:06d}"
                began = time.perf_counter()
                record(db, ts)
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


def record(db: Database, ts: str) -> None:
    reaction = repo.OutboxWrite(
        key=f"react:T1:C1:{ts}",
        method="reactions.add",
        team_id="T1",
        channel_id="C1",
        payload={"channel": "C1", "timestamp": ts, "name": "rage"},
    )
    repo.record_prediction(
        db,
        team_id="T1",
        channel_id="C1",
        message_ts=ts,
        user_id="U1",
        label="negative",
        scores={"negative": 0.9, "neutral": 0.05, "positive": 0.05},
        model_version="bench",
        latency_ms=5.0,
        outbox=[reaction],
    )


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

"""Slack load: signed message events at a steady rate against a real `triagebot serve`.

Starts the fake Slack Web API (tests/fixtures/fake_slack.py) and `triagebot serve` on a free
port with a scratch SQLite database, the classifier of `--model DIR` (default: the active one
in the repository's database) and one opted-in channel (`TRIAGE_AUTO_CHANNELS`, mode alert).
A separate process sends `--rate` events per second for `--seconds` on a fixed schedule (open
loop: a slow server does not slow the sender) and measures each acknowledgement. Reported: all
acknowledged?, ack latency p50/p95/p99/max, timeouts (Slack waits 3 s), events tagged exactly
once (`reactions.add` per message ts at the fake Slack), and when the last tag landed. The same
load against a no-op Bolt app under the same gunicorn settings is the baseline (`--no-baseline`
skips it).

    triagebot bench slack [--rate 50] [--seconds 30] [--model DIR] [--report FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from storage.database import Database
from tests.fixtures.fake_slack import (
    SIGNING_SECRET,
    FakeSlack,
    event_body,
    message_event,
    post,
    serve_env,
    serve_process,
    signed_headers,
    triagebot_serve,
)

ROOT = Path(__file__).resolve().parents[1]
CHANNEL = "C0SUPPORT"
TEXTS = (
    "my order never arrived and nobody answers",
    "the app crashes every time I open settings, this is terrible",
    "how do I change the e-mail address on my account?",
    "is the shop open on Sunday",
    "thanks, the replacement arrived today and works great",
    "I was charged twice for the same order, I want a refund",
    "can you resend the invoice for March please",
    "love the new dashboard, great job",
)


def main() -> None:
    args = parse_args()
    if args.send:
        print(json.dumps(send_events(json.loads(args.send))))
        return
    if args.noop_server:
        run_noop_server(json.loads(args.noop_server), args.port)
        return
    model = find_model(args.model)
    load_before = os.getloadavg()
    fake = FakeSlack()
    try:
        runs = {"triagebot": run_triagebot(args, fake, model)}
        if args.baseline:
            runs["no-op Bolt app"] = run_noop(args, fake)
    finally:
        fake.close()
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "rate": args.rate,
        "seconds": args.seconds,
        "model": str(model),
        "workers": args.workers,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nreport: {args.report}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="triagebot bench slack", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rate", type=float, default=50.0, help="events per second (50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send (30)")
    parser.add_argument("--model", type=Path, help="classifier directory (default: the active one)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (1)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (8)")
    parser.add_argument("--torch-threads", type=int, default=1, help="TORCH_THREADS (1)")
    parser.add_argument("--timeout", type=float, default=3.0, help="ack deadline, s (Slack: 3)")
    parser.add_argument("--settle", type=float, default=120.0, help="max wait for tags, s (120)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--report", type=Path, default=ROOT / "reports" / "bench_slack.json")
    parser.add_argument("--send", help=argparse.SUPPRESS)  # internal: the sender process
    parser.add_argument("--noop-server", help=argparse.SUPPRESS)  # internal: the baseline
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)  # internal: its port
    return parser.parse_args()


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    return done.stdout.decode().strip() or "unknown"


def find_model(given: Path | None) -> Path:
    """`--model`, else the classifier that is active in the repository's database."""
    if given is not None:
        return given.resolve()
    from bot.composition import classifier_path
    from bot.settings import load_settings
    from storage.database import Database

    settings = load_settings(ROOT / ".env")
    db = Database.from_settings(settings.storage)
    try:
        path = classifier_path(settings, db)
    finally:
        db.dispose()
    return path if path.is_absolute() else (ROOT / path).resolve()


# ---------------------------------------------------------------- the two servers
def run_triagebot(args: argparse.Namespace, fake: FakeSlack, model: Path) -> dict[str, Any]:
    from storage.database import Database

    with tempfile.TemporaryDirectory(prefix="bench-slack-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'bench.db'}"
        db = Database.from_url(url)
        db.upgrade()
        env = serve_env(fake, workdir, database_url=url, classifier_dir=model)
        env.update(server_env(args))
        env["TORCH_THREADS"] = str(args.torch_threads)
        fake.reset()
        with triagebot_serve(env, workdir) as base_url:
            result = load_and_wait(args, fake, base_url, tagged=True)
        result["predictions_stored"] = count_predictions(db)
        db.dispose()
    return result


def run_noop(args: argparse.Namespace, fake: FakeSlack) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-slack-noop-") as tmp:
        config = json.dumps(
            {"api": fake.base_url, "workers": args.workers, "threads": args.threads}
        )
        command = [sys.executable, str(Path(__file__).resolve()), "--noop-server", config]
        command += ["--port", "{port}"]
        fake.reset()
        with serve_process(command, {"PYTHONPATH": str(ROOT)}, Path(tmp)) as base_url:
            return load_and_wait(args, fake, base_url, tagged=False)


def server_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        "WEB_WORKERS": str(args.workers),
        "WEB_THREADS": str(args.threads),
        "LOG_LEVEL": "WARNING",
    }


def run_noop_server(config: dict[str, Any], port: int) -> None:
    """gunicorn (same settings as `triagebot serve`) around a Bolt app that only acks."""
    from flask import Flask, request
    from slack_bolt import App
    from slack_bolt.adapter.flask import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.server import TriagebotServer
    from bot.settings import load_settings

    server = {"WEB_WORKERS": str(config["workers"]), "WEB_THREADS": str(config["threads"])}
    settings = load_settings(None, server={**server, "LOG_LEVEL": "WARNING"})

    class NoopServer(TriagebotServer):
        def load(self) -> Any:
            client = WebClient(token="xoxb-noop", base_url=config["api"])
            app = App(
                signing_secret=SIGNING_SECRET, client=client, token_verification_enabled=False
            )
            app.event("message")(lambda: None)  # Bolt acks events itself
            handler = SlackRequestHandler(app)
            flask_app = Flask("noop")
            flask_app.post("/slack/events")(lambda: handler.handle(request))
            return flask_app

    NoopServer(settings, host="127.0.0.1", port=port).run()


# ---------------------------------------------------------------- load and measurement
def load_and_wait(
    args: argparse.Namespace, fake: FakeSlack, base_url: str, *, tagged: bool
) -> dict[str, Any]:
    config = {
        "url": base_url + "/slack/events",
        "rate": args.rate,
        "count": int(args.rate * args.seconds),
        "timeout": args.timeout,
        "run": f"{os.getpid()}{int(time.time())}",
    }
    command = [sys.executable, str(Path(__file__).resolve()), "--send", json.dumps(config)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=child_env())
    sent = json.loads(done.stdout)
    result = summarise(sent, args.timeout)
    if tagged:
        result.update(tagging(fake, sent, args.settle))
    return result


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def send_events(config: dict[str, Any]) -> dict[str, Any]:
    """The sender process: one signed event every 1/rate s, each on its own connection."""
    count, rate, timeout = int(config["count"]), float(config["rate"]), float(config["timeout"])
    bodies = [
        event_body(
            message_event(TEXTS[i % len(TEXTS)], ts=f"1700000000.{i:06d}", channel=CHANNEL),
            event_id=f"Ev{config['run']}x{i}",
        )
        for i in range(count)
    ]

    def send(i: int, due: float) -> list[Any]:
        headers = signed_headers(bodies[i], content_type="application/json")
        start = time.monotonic()
        status, text = post(config["url"], bodies[i], headers, timeout=timeout)
        end = time.monotonic()
        return [start - due, end - start, end, status, "" if status == 200 else text[:200]]

    workers = int(rate * timeout) + 32  # enough for every request still inside its deadline
    start = time.monotonic() + 0.5
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = []
        for i in range(count):
            due = start + i / rate
            time.sleep(max(0.0, due - time.monotonic()))
            jobs.append(pool.submit(send, i, due))
        rows = [job.result() for job in jobs]
    return {"start": start, "last_due": start + (count - 1) / rate, "rows": rows}


def summarise(sent: dict[str, Any], timeout: float) -> dict[str, Any]:
    rows = sent["rows"]
    latencies = [row[1] * 1000 for row in rows]
    errors = Counter(row[4] or str(row[3]) for row in rows if row[3] != 200)
    return {
        "sent": len(rows),
        "acked": sum(1 for row in rows if row[3] == 200),
        "timeouts": sum(1 for row in rows if row[3] == 0 and "timed out" in row[4]),
        "errors": dict(errors.most_common(5)),
        "ack_ms": {
            "p50": round(float(np.percentile(latencies, 50)), 1),
            "p95": round(float(np.percentile(latencies, 95)), 1),
            "p99": round(float(np.percentile(latencies, 99)), 1),
            "max": round(max(latencies), 1),
        },
        "send_lag_ms_p99": round(float(np.percentile([row[0] * 1000 for row in rows], 99)), 1),
        "deadline_s": timeout,
    }


def tagging(fake: FakeSlack, sent: dict[str, Any], settle: float) -> dict[str, Any]:
    """Wait for the tags, then count `reactions.add` per message ts."""
    count = len(sent["rows"])
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        seen = {c.params.get("timestamp") for c in fake.calls_to("reactions.add")}
        if len(seen) >= count:
            break
        time.sleep(0.2)
    time.sleep(1.0)  # a duplicate would land now
    calls = fake.calls_to("reactions.add")
    per_ts = Counter(c.params.get("timestamp") for c in calls)
    last = max((c.at for c in calls), default=sent["last_due"])
    return {
        "tagged_once": sum(1 for n in per_ts.values() if n == 1),
        "tagged_twice_or_more": sum(1 for n in per_ts.values() if n > 1),
        "untagged": count - len(per_ts),
        "alerts": len(fake.calls_to("chat.postMessage")),
        "last_tag_after_last_send_s": round(last - sent["last_due"], 2),
        "tags_per_s": round(len(calls) / max(1e-9, last - sent["start"]), 1),
    }


def count_predictions(db: Database) -> int:
    from sqlalchemy import func, select

    from storage.orm import PredictionRow

    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(PredictionRow)) or 0)


# ---------------------------------------------------------------- report
def markdown(report: dict[str, Any]) -> str:
    runs = report["runs"]
    names = list(runs)

    def row(label: str, cell: Any) -> str:
        return f"| {label} | " + " | ".join(str(cell(runs[n])) for n in names) + " |"

    def tags(r: dict[str, Any], key: str) -> Any:
        return r.get(key, "n/a")

    lines = [
        f"{report['rate']:g} signed message events/s for {report['seconds']:g} s, "
        f"{report['workers']} worker x {report['threads']} threads, {report['cpus']} CPUs, "
        f"load {report['load_before'][0]} before / {report['load_after'][0]} after; "
        f"model {Path(report['model']).name}",
        "",
        "| | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
        row("acknowledged (200)", lambda r: f"{r['acked']}/{r['sent']}"),
        row(f"timeouts (> {runs[names[0]]['deadline_s']:g} s)", lambda r: r["timeouts"]),
        row(
            "ack p50 / p95 / p99 / max, ms",
            lambda r: " / ".join(str(v) for v in r["ack_ms"].values()),
        ),
        row("sender lag p99, ms", lambda r: r["send_lag_ms_p99"]),
        row("tagged exactly once", lambda r: tags(r, "tagged_once")),
        row(
            "tagged twice or more / untagged",
            lambda r: f"{tags(r, 'tagged_twice_or_more')} / {tags(r, 'untagged')}",
        ),
        row("last tag after last send, s", lambda r: tags(r, "last_tag_after_last_send_s")),
        row("escalation alerts posted", lambda r: tags(r, "alerts")),
        row("predictions stored", lambda r: tags(r, "predictions_stored")),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

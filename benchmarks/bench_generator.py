"""Generator speed: a 60-token draft from the default model, fp32 eager baseline vs our path, one run.

    triagebot bench generator [--runs 3] [--tokens 60] [--out reports/bench_generator.json]

Every path decodes the same real draft prompts (chat template, sentiment, three retrieved
built-in examples), each in a fresh process so that peak memory belongs to that path alone:

- baseline: `AutoModelForCausalLM` in fp32 and `model.generate(do_sample=False)` with PyTorch's
  default thread count, exactly `--tokens` new tokens (`min_new_tokens` = `max_new_tokens`);
- ours (bf16 / int8 / fp32): `ReplyGenerator.generate_ids` (KV cache, last-position logits only,
  2-thread prefill, 1-thread decode), stop tokens off so that it too writes exactly `--tokens`;
- ours, draft: `ReplyGenerator.draft` as the bot calls it (stop rules and cleaning on, budget
  `--tokens`): what a user waits for.

Reported: tokens/s (new tokens over wall time, prefill included), p50/p95 latency per prompt,
peak RSS of the process. Results go to the JSON file and print as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MESSAGES = (
    "I was charged twice for my order and nobody answers my emails",
    "How do I change the shipping address on my order?",
    "My package still hasn't arrived after two weeks, this is ridiculous",
    "Thanks, the new app version fixed my login problem!",
    "Can I get a refund for the damaged blender I received?",
)
PATHS = ("fp32 eager (HF generate)", "ours bf16", "ours int8", "ours bf16, draft")


def _prompts(generator: Any) -> list[tuple[str, str, list[tuple[str, str]], list[int]]]:
    """(message, sentiment, examples, prompt ids) per message, as `DraftService` would build them."""
    from bot.drafting import guess_sentiment
    from models.prompting import PromptSpec, build_prompt_ids
    from models.retrieval import HashingEmbedder, ReplyRetriever

    retriever = ReplyRetriever(HashingEmbedder())
    out = []
    for message in MESSAGES:
        sentiment, examples = guess_sentiment(message), retriever.retrieve(message, [], 3)
        spec = PromptSpec(message, sentiment, None, tuple(examples))
        ids = build_prompt_ids(generator.tokenizer, spec, generator.decoding.max_prompt_tokens)
        out.append((message, sentiment, examples, ids))
    return out


def _timed(run: Any, prompts: Sequence[Any], runs: int) -> tuple[list[float], list[int]]:
    run(prompts[0])  # warm-up: kernel selection, caches
    latencies, tokens = [], []
    for _ in range(runs):
        for prompt in prompts:
            started = time.perf_counter()
            produced = run(prompt)
            latencies.append(time.perf_counter() - started)
            tokens.append(produced)
    return latencies, tokens


def measure(path: str, tokens: int, runs: int) -> dict[str, Any]:
    """Run one path in this (fresh) process; returns its timings and peak RSS."""
    import torch

    from models.generator import ReplyGenerator
    from models.settings import ModelSettings

    settings = ModelSettings()
    precision = "int8" if "int8" in path else "fp32" if "fp32" in path else "bf16"
    generator = ReplyGenerator.load("", settings, precision=precision)
    prompts = _prompts(generator)
    if path.startswith("fp32 eager"):
        model = generator.model

        def run(prompt: Any) -> int:
            ids = torch.tensor([prompt[3]])
            with torch.no_grad():
                out = model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    do_sample=False,
                    max_new_tokens=tokens,
                    min_new_tokens=tokens,
                    pad_token_id=generator.tokenizer.eos_token_id,
                )
            return int(out.shape[1] - ids.shape[1])
    elif path.endswith("draft"):

        def run(prompt: Any) -> int:
            message, sentiment, examples, _ids = prompt
            generator.draft(message, sentiment=sentiment, examples=examples, max_new_tokens=tokens)
            return 0  # counted below, untimed
    else:
        # Exactly `tokens` new tokens, like the baseline: no stop tokens, no stop rules.
        generator.stop_ids = frozenset()
        generator._should_stop = lambda generated: False  # type: ignore[method-assign]

        def run(prompt: Any) -> int:
            return len(generator.generate_ids(prompt[3], tokens))

    latencies, produced = _timed(run, prompts, runs)
    if path.endswith("draft"):  # greedy is deterministic: the draft decoded these very ids
        produced = [len(generator.generate_ids(p[3], tokens)) for p in prompts] * runs
    return {
        "path": path,
        "precision": precision,
        "threads_default": torch.get_num_threads(),
        "prompt_tokens_mean": statistics.fmean(len(p[3]) for p in prompts),
        "new_tokens_mean": statistics.fmean(produced),
        "tokens_per_s": sum(produced) / sum(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * float(np.percentile(latencies, 95)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(path: str, tokens: int, runs: int, queue: Any) -> None:
    queue.put(measure(path, tokens, runs))


def table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| path | new tokens | tokens/s | p50 ms | p95 ms | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['path']} | {r['new_tokens_mean']:.0f} | {r['tokens_per_s']:.1f} | "
            f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="triagebot bench generator", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="passes over the 5 prompts per path")
    parser.add_argument("--tokens", type=int, default=60)
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS)
    parser.add_argument("--out", default="reports/bench_generator.json")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    rows = []
    for path in args.paths:
        queue = context.Queue()
        process = context.Process(target=_child, args=(path, args.tokens, args.runs, queue))
        process.start()
        rows.append(queue.get())
        process.join()
        print(f"measured {path}", file=sys.stderr)
    payload = {
        "rows": rows,
        "tokens": args.tokens,
        "runs": args.runs,
        "prompts": len(MESSAGES),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)"),
        "machine": platform.processor() or platform.machine(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2))
    print(table(rows))
    print(
        f"\n{args.runs} x {len(MESSAGES)} prompts per path, load average at end "
        f"{payload['load_average_at_end'][0]:.2f}; saved {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

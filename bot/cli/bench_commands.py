"""`triagebot bench NAME`: run one of the benchmarks in `benchmarks/` (from a source checkout).

`triagebot bench jobs [--scenario acks|throughput|burst|scaleout|all]` runs the benchmarks of
work off the request path; `triagebot bench scaleout` is its scale-out scenario alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.cli.errors import CommandError
from bot.settings import Settings

BENCHMARKS_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "bench",
        help="run a benchmark from benchmarks/ (classifier, generator, slack, jobs, scaleout)",
    )
    parser.add_argument("name", help="benchmark name, e.g. classifier")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    parser.set_defaults(handler=handle_bench)


def handle_bench(args: argparse.Namespace, settings: Settings) -> int:
    script = BENCHMARKS_DIR / f"bench_{args.name}.py"
    if not script.is_file():
        known = sorted(p.stem.removeprefix("bench_") for p in BENCHMARKS_DIR.glob("bench_*.py"))
        raise CommandError(f"no benchmark {args.name!r}; known: {', '.join(known) or 'none'}")
    # As a module from the checkout's root, so a benchmark imports `tests.fixtures` like any
    # package, without editing sys.path.
    command = [sys.executable, "-m", f"benchmarks.{script.stem}", *args.rest]
    return subprocess.run(command, cwd=BENCHMARKS_DIR.parent, check=False).returncode

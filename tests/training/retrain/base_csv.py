"""The synthetic base data as a CSV file, for the crash and multi-scheduler tests.

A child `triagebot retrain` or `triagebot scheduler` reads it through `RETRAIN_BASE_DATA`;
`tests.fixtures.processes.Child` starts the child and always stops it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tests.training.retrain.test_retraining_data import BASE_WORDS, sentences


def write_base_csv(path: Path, count: int, seed: int = 1) -> Path:
    """`count` keyword sentences (balanced labels) as a `text,label` CSV."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "label"])
        writer.writerows(sentences(BASE_WORDS, count, seed))
    return path

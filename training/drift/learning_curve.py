"""The product's learning curve: held-out macro-F1 against the number of corrections a team made.

A shift is a domain the classifier was not trained on, split into a pool that users correct and a
held-out share nobody corrects. For each number of corrections and seed, that many corrections
are drawn from the pool into one workspace's `CorrectionMemory`, and macro-F1 is measured on the
held-out share with and without the memory, and on the base domains' test split (what the memory
costs elsewhere: a workspace's memory sees its base-like messages too). The model's scores and
embeddings are computed once; each point only blends.

Shifts: `drugreviews` (30% held out as the drift simulation does, but with seed 7 where the
simulation's default is 13, so not the same reviews; the rest as the pool) and any shipped
training corpus the model was not trained on (its test split held out, its train split the pool).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.correction_memory import CorrectionMemory, MemoryRule
from models.predictor import SentimentPredictor
from models.types import LABELS
from training.classifier.evaluation import evaluate_predictions
from training.data.corpora import DRUG_REVIEWS, load_drug_reviews
from training.data.labelled import load_labelled
from training.drift.simulation import split_eval
from training.retrain.candidate import split_rows

logger = logging.getLogger(__name__)

SIZES = (25, 50, 100, 200, 400)
HELD_SHARE, SPLIT_SEED = 0.3, 7  # seed 7: not the simulation's split (13)
TEAM = "TCURVE"
Rows = list[tuple[str, str]]  # (text, label)


@dataclass(frozen=True)
class Shift:
    name: str
    pool: Rows
    held: Rows


@dataclass(frozen=True)
class CurvePoint:
    corrections: int
    shifted: list[float]  # macro-F1 on the held-out shifted rows, one per seed
    base: list[float]  # macro-F1 on the base test split, one per seed


@dataclass
class CurveResult:
    model: str
    shift: str
    held_out: int
    base_size: int
    rule: MemoryRule
    shifted_before: float
    base_before: float
    points: list[CurvePoint] = field(default_factory=list)


def load_shift(name: str) -> Shift:
    """The shift `name`: `drugreviews` or a shipped training corpus (see module docstring)."""
    if name == DRUG_REVIEWS:
        held, pool = split_eval(load_drug_reviews(), HELD_SHARE, SPLIT_SEED)
        return Shift(name, [(r[1], r[2]) for r in pool], [(r[1], r[2]) for r in held])
    splits = load_labelled(name)
    return Shift(name, split_rows(splits["train"]), split_rows(splits["test"]))


def load_base(corpora: str, limit: int) -> Rows:
    """The base domains' test split (at most `limit` rows, a seeded sample)."""
    rows = split_rows(load_labelled(corpora)["test"])
    return rows if len(rows) <= limit else random.Random(13).sample(rows, limit)


def learning_curve(
    predictor: SentimentPredictor,
    shift: Shift,
    base: Rows,
    *,
    sizes: Sequence[int] = SIZES,
    seeds: int = 5,
    rule: MemoryRule | None = None,
) -> CurveResult:
    """Macro-F1 with the memory holding 0..max(sizes) corrections, over `seeds` draws each."""
    rule = rule or MemoryRule()
    pool_vectors = predictor.embed([t for t, _ in shift.pool])  # as the serving memory does
    held_probs, held_vectors = predictor.probs_and_embeddings([t for t, _ in shift.held])
    base_probs, base_vectors = predictor.probs_and_embeddings([t for t, _ in base])
    held_y, base_y = truth(shift.held), truth(base)
    result = CurveResult(
        model=predictor.version,
        shift=shift.name,
        held_out=len(shift.held),
        base_size=len(base),
        rule=rule,
        shifted_before=macro_f1(held_y, held_probs),
        base_before=macro_f1(base_y, base_probs),
    )
    for size in sizes:
        shifted, kept = [], []
        for seed in range(seeds):
            chosen = draw(shift, size, seed)
            memory = CorrectionMemory(predictor.labels, rule=rule)
            memory.replace(TEAM, pool_vectors[chosen], [shift.pool[i][1] for i in chosen])
            shifted.append(
                macro_f1(held_y, memory.blend(held_probs, held_vectors, [TEAM] * len(held_y)))
            )
            kept.append(
                macro_f1(base_y, memory.blend(base_probs, base_vectors, [TEAM] * len(base_y)))
            )
        result.points.append(CurvePoint(size, shifted, kept))
        logger.info(
            "%d corrections: shifted %.3f, base %.3f", size, np.mean(shifted), np.mean(kept)
        )
    return result


def draw(shift: Shift, size: int, seed: int) -> list[int]:
    """The pool rows a team corrected in draw `seed` of `size` corrections (same for every curve)."""
    return random.Random(seed).sample(range(len(shift.pool)), min(size, len(shift.pool)))


def truth(rows: Rows) -> list[int]:
    """Label indices of (text, label) rows."""
    return [LABELS.index(label) for _, label in rows]


def macro_f1(labels: list[int], probs: np.ndarray) -> float:
    """Macro-F1 of probabilities (N, L) against label indices."""
    return float(evaluate_predictions(labels, probs)["macro_f1"])


def format_curve(result: CurveResult) -> str:
    """Markdown: one row per number of corrections (mean and standard deviation over seeds)."""
    seeds = len(result.points[0].shifted) if result.points else 0
    lines = [
        f"Model `{result.model}`; shift `{result.shift}` ({result.held_out} held-out rows); base "
        f"test split ({result.base_size} rows); {seeds} seeds; {result.rule}.",
        "",
        "| corrections | shifted macro-F1 | gain | base macro-F1 | change |",
        "|---:|---|---:|---|---:|",
        f"| 0 | {result.shifted_before:.3f} | - | {result.base_before:.3f} | - |",
    ]
    for point in result.points:
        shifted, base = np.array(point.shifted), np.array(point.base)
        lines.append(
            f"| {point.corrections} | {shifted.mean():.3f} ± {shifted.std():.3f} "
            f"| {100 * (shifted.mean() - result.shifted_before):+.1f} pts "
            f"| {base.mean():.3f} ± {base.std():.3f} "
            f"| {100 * (base.mean() - result.base_before):+.1f} pts |"
        )
    return "\n".join(lines)


def plot_curve(results: Sequence[CurveResult], path: Path, studies: Sequence[Any] = ()) -> Path:
    """One panel per shift: shifted (solid) and base (dashed) macro-F1 against corrections, with
    the seed spread; with a `RetrainStudy` for the shift, its first recipe's "retrain only" and
    "both" curves too."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_shift = {study.shift: study for study in studies}
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for ax, result in zip(axes[0], results, strict=True):
        sizes = [0] + [p.corrections for p in result.points]
        curves = [
            (
                "memory only",
                "tab:blue",
                [p.shifted for p in result.points],
                [p.base for p in result.points],
            ),
        ]
        study = by_shift.get(result.shift)
        if study is not None:
            recipe = study.points[0].recipe if study.points else ""
            points = [p for p in study.points if p.recipe == recipe]
            if [p.corrections for p in points] == sizes[1:]:
                curves += [
                    (
                        f"retrain only ({recipe})",
                        "tab:orange",
                        [p.retrained_shifted for p in points],
                        [p.retrained_base for p in points],
                    ),
                    (
                        f"both ({recipe})",
                        "tab:red",
                        [p.both_shifted for p in points],
                        [p.both_base for p in points],
                    ),
                ]
        for name, colour, shifted, base in curves:
            for values, before, style, what in (
                (shifted, result.shifted_before, "-", "shifted"),
                (base, result.base_before, "--", "base"),
            ):
                arrays = [np.array(v) for v in values]
                mean = np.array([before] + [v.mean() for v in arrays])
                spread = np.array([0.0] + [v.std() for v in arrays])
                ax.plot(sizes, mean, style, marker="o", color=colour, label=f"{what}, {name}")
                ax.fill_between(sizes, mean - spread, mean + spread, color=colour, alpha=0.15)
        for before in (result.shifted_before, result.base_before):
            ax.axhline(before, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("symlog", linthresh=25)
        ax.set_xlim(0, sizes[-1] * 1.15)
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes])
        ax.set_xlabel("corrections (dotted: no adaptation)")
        ax.set_ylabel("macro-F1")
        ax.set_title(f"{result.shift} ({result.model})")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

"""The learning curve with retraining: what a retrain on N corrections does, alone and with the memory.

For each number of corrections and seed, the same draw from the shift's pool as the memory curve
(`learning_curve.draw`) becomes stored feedback, and the production retrain path runs on it:
`build_snapshot` (base rehearsal sample, feedback weights, the stable held-out slice),
`training_data`, `fine_tune` from the model, and the promotion gate on the snapshot's own
evaluation sets. The candidate is then scored on the shift's held-out rows and the base test rows,
alone ("retrain only") and with a correction memory of the same draw ("both"), as it would serve.

A `Recipe` is a set of `RETRAIN_*` settings; `RECIPES` are the variants the study compares.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from datasets import DatasetDict

from models.correction_memory import CorrectionMemory, MemoryRule
from models.predictor import SentimentPredictor
from models.types import LABELS
from training.drift.learning_curve import TEAM, Rows, Shift, draw, macro_f1, truth
from training.retrain.candidate import fine_tune, split_rows, teacher_for, training_data
from training.retrain.gate import GatePolicy, GateScores, decide
from training.retrain.snapshot import Example, Snapshot, SnapshotConfig, build_snapshot
from training.settings import CoreSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    """The retrain settings a study varies (names as in `TrainingSettings`); the field defaults
    are the first wave's recipe, `Recipe.from_settings` is today's."""

    name: str
    retrain_epochs: float = 1.0
    retrain_learning_rate: float = 5e-5
    retrain_head_learning_rate: float = 3e-4
    retrain_freeze_layers: int = 0
    retrain_base_sample: int = 600
    feedback_weight: float = 3.0
    retrain_keep: str = "best"
    retrain_max_tokens: int = 64
    retrain_distill: bool = False

    @classmethod
    def from_settings(cls, settings: CoreSettings, name: str = "default") -> Recipe:
        training = settings.training
        return cls(name, **{key: getattr(training, key) for key in _KNOBS})

    def applied(self, settings: CoreSettings) -> CoreSettings:
        """`settings` with this recipe's knobs, and no wall-clock budget (steps decide)."""
        knobs = {key: getattr(self, key) for key in _KNOBS}
        training = settings.training.model_copy(update={**knobs, "retrain_max_minutes": 600.0})
        return replace(settings, training=training)

    def describe(self) -> str:
        return ", ".join(f"{key.removeprefix('retrain_')}={getattr(self, key)}" for key in _KNOBS)


_KNOBS = (
    "retrain_epochs",
    "retrain_learning_rate",
    "retrain_head_learning_rate",
    "retrain_freeze_layers",
    "retrain_base_sample",
    "feedback_weight",
    "retrain_keep",
    "retrain_max_tokens",
    "retrain_distill",
)

# The study's variants (docs/retraining.md, reports/recipes/): `wave1` is the first wave's recipe,
# the others change one or two knobs of `epochs3-last`, today's default.
RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe("wave1"),
        Recipe("epochs3-last", retrain_epochs=3.0, retrain_keep="last"),
        Recipe(
            "epochs3-lr1e-4-last",
            retrain_epochs=3.0,
            retrain_learning_rate=1e-4,
            retrain_keep="last",
        ),
        Recipe(
            "epochs3-freeze3-last",
            retrain_epochs=3.0,
            retrain_freeze_layers=3,
            retrain_learning_rate=1e-4,
            retrain_keep="last",
        ),
        Recipe(
            "epochs3-weight6-last", retrain_epochs=3.0, feedback_weight=6.0, retrain_keep="last"
        ),
        Recipe(
            "head-epochs5-last",
            retrain_epochs=5.0,
            retrain_freeze_layers=-1,
            retrain_head_learning_rate=1e-3,
            retrain_keep="last",
        ),
        Recipe(
            "epochs3-tokens128-last",
            retrain_epochs=3.0,
            retrain_keep="last",
            retrain_max_tokens=128,
        ),
        Recipe(
            "epochs3-distill-last",
            retrain_epochs=3.0,
            retrain_keep="last",
            retrain_distill=True,
        ),
        Recipe(
            "epochs3-tokens128-distill-lr1e-4-last",
            retrain_epochs=3.0,
            retrain_keep="last",
            retrain_max_tokens=128,
            retrain_distill=True,
            retrain_learning_rate=1e-4,
        ),
        Recipe(
            "epochs3-rehearse1200-last",
            retrain_epochs=3.0,
            retrain_base_sample=1200,
            retrain_keep="last",
        ),
    )
}


@dataclass(frozen=True)
class Correction:
    """A shift row given as feedback now (the `FeedbackLike` a snapshot reads)."""

    text: str
    label: str
    created_at: datetime


@dataclass
class RetrainPoint:
    corrections: int
    recipe: str
    retrained_shifted: list[float] = field(default_factory=list)
    retrained_base: list[float] = field(default_factory=list)
    both_shifted: list[float] = field(default_factory=list)
    both_base: list[float] = field(default_factory=list)
    promoted: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


@dataclass
class RetrainStudy:
    """A model's retrain curves on one shift: one `RetrainPoint` per (recipe, corrections)."""

    model: str
    shift: str
    shifted_before: float
    base_before: float
    recipes: dict[str, str]
    points: list[RetrainPoint] = field(default_factory=list)


def retrain_curve(
    model_dir: Path,
    settings: CoreSettings,
    shift: Shift,
    base: Rows,
    base_data: DatasetDict,
    *,
    recipes: Sequence[Recipe],
    sizes: Sequence[int],
    seeds: int,
    rule: MemoryRule | None = None,
) -> RetrainStudy:
    """Retrain from `model_dir` for every recipe, size and seed; score as described above."""
    rule = rule or MemoryRule()
    active = SentimentPredictor.load(model_dir, settings.models)
    held_texts, base_texts = [t for t, _ in shift.held], [t for t, _ in base]
    held_y, base_y = truth(shift.held), truth(base)
    study = RetrainStudy(
        model=active.version,
        shift=shift.name,
        shifted_before=macro_f1(held_y, active.predict_proba(held_texts)),
        base_before=macro_f1(base_y, active.predict_proba(base_texts)),
        recipes={recipe.name: recipe.describe() for recipe in recipes},
    )
    base_train, base_test = split_rows(base_data["train"]), split_rows(base_data["test"])
    active_base: dict[int, float] = {}  # by draw: the snapshot's base test sample follows it
    with tempfile.TemporaryDirectory(prefix="retrain-curve-") as workdir:
        for recipe in recipes:
            tuned = recipe.applied(settings)
            teacher = teacher_for(tuned, model_dir, active)
            for size in sizes:
                point = RetrainPoint(size, recipe.name)
                for seed in range(seeds):
                    chosen = draw(shift, size, seed)
                    started = datetime.now(UTC)
                    feedback = [Correction(*shift.pool[i], started) for i in chosen]
                    config = replace(SnapshotConfig.from_settings(tuned.training), seed=seed)
                    snapshot = build_snapshot(
                        base_train, base_test, feedback, now=started, config=config
                    )
                    out = Path(workdir) / f"{recipe.name}-{size}-{seed}"
                    fine_tune(
                        training_data(snapshot, base_data, seed, teacher),
                        init_from=model_dir,
                        output_dir=out,
                        settings=tuned,
                        show_bar=False,
                    )
                    candidate = SentimentPredictor.load(out, settings.models)
                    if seed not in active_base:
                        active_base[seed] = _f1_examples(active, snapshot.base_test)
                    promote = _gate(candidate, active, snapshot, tuned, active_base[seed])
                    held_p, held_v = candidate.probs_and_embeddings(held_texts)
                    base_p, base_v = candidate.probs_and_embeddings(base_texts)
                    memory = CorrectionMemory(candidate.labels, rule=rule)
                    memory.replace(
                        TEAM,
                        candidate.embed([shift.pool[i][0] for i in chosen]),
                        [shift.pool[i][1] for i in chosen],
                    )
                    point.retrained_shifted.append(macro_f1(held_y, held_p))
                    point.retrained_base.append(macro_f1(base_y, base_p))
                    point.both_shifted.append(
                        macro_f1(held_y, memory.blend(held_p, held_v, [TEAM] * len(held_y)))
                    )
                    point.both_base.append(
                        macro_f1(base_y, memory.blend(base_p, base_v, [TEAM] * len(base_y)))
                    )
                    point.promoted.append(promote)
                    point.seconds.append((datetime.now(UTC) - started).total_seconds())
                    shutil.rmtree(out, ignore_errors=True)
                    logger.info(
                        "%s, %d corrections, seed %d: retrained %.3f (base %.3f), both %.3f, "
                        "gate %s, %.0f s",
                        recipe.name,
                        size,
                        seed,
                        point.retrained_shifted[-1],
                        point.retrained_base[-1],
                        point.both_shifted[-1],
                        "promotes" if promote else "rejects",
                        point.seconds[-1],
                    )
                study.points.append(point)
    return study


def _gate(
    candidate: SentimentPredictor,
    active: SentimentPredictor,
    snapshot: Snapshot,
    settings: CoreSettings,
    active_base: float,
) -> bool:
    """The production gate on the snapshot's base test and held-out feedback; `active_base` is
    the active model's score on that base test (the same for every recipe of a draw)."""
    held = snapshot.feedback_holdout

    def scores(predictor: SentimentPredictor, base: float) -> GateScores:
        return GateScores(base=base, feedback=_f1_examples(predictor, held) if held else None)

    decision = decide(
        scores(candidate, _f1_examples(candidate, snapshot.base_test)),
        scores(active, active_base),
        holdout_size=len(held),
        policy=GatePolicy.from_settings(settings.training),
    )
    return decision.promote


def _f1_examples(predictor: SentimentPredictor, examples: Sequence[Example]) -> float:
    probs = predictor.predict_proba([e.text for e in examples])
    return macro_f1([LABELS.index(e.label) for e in examples], probs)


def format_study(study: RetrainStudy) -> str:
    """Markdown: one row per (recipe, corrections), mean ± std over seeds, gains in points."""
    seeds = len(study.points[0].retrained_shifted) if study.points else 0

    def cell(values: list[float], before: float) -> str:
        arr = np.array(values)
        return f"{arr.mean():.3f} ± {arr.std():.3f} ({100 * (arr.mean() - before):+.1f})"

    lines = [
        f"Model `{study.model}`; shift `{study.shift}`; {seeds} seeds. Before: shifted "
        f"{study.shifted_before:.3f}, base {study.base_before:.3f}. Cells: macro-F1 mean ± std "
        "(change in points).",
        "",
        "| recipe | corrections | retrain: shifted | retrain: base | both: shifted | both: base "
        "| gate promotes | s/run |",
        "|---|---:|---|---|---|---|---:|---:|",
    ]
    for p in study.points:
        lines.append(
            f"| {p.recipe} | {p.corrections} "
            f"| {cell(p.retrained_shifted, study.shifted_before)} "
            f"| {cell(p.retrained_base, study.base_before)} "
            f"| {cell(p.both_shifted, study.shifted_before)} "
            f"| {cell(p.both_base, study.base_before)} "
            f"| {sum(p.promoted)}/{len(p.promoted)} | {np.mean(p.seconds):.0f} |"
        )
    lines += ["", "Recipes:"] + [f"- `{name}`: {text}" for name, text in study.recipes.items()]
    return "\n".join(lines)

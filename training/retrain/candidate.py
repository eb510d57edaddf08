"""The candidate pipeline inside a retrain run: snapshot, fine-tune, score both models, gate.

Called by `training.retrain.run.retrain_once` while it holds the lease; it registers the candidate
and activates it only when the gate says so. Fine-tuning is deliberately short (see the
`RETRAIN_*` settings): a sample of the base data plus all feedback, at most `RETRAIN_MAX_STEPS`
optimiser steps and `RETRAIN_MAX_MINUTES`, starting from the active model's weights.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict

from models.predictor import SentimentPredictor
from models.textnorm import normalise_text
from models.types import LABELS
from storage import repositories as repo
from storage.database import Database
from storage.records import ModelVersionRecord
from training.classifier.args import ClassifierTrainingArgs
from training.classifier.batching import SOFT_COLUMN
from training.classifier.evaluation import evaluate_predictions
from training.classifier.trainer import train_classifier
from training.data.labelled import clean_frame, load_labelled, rows_frame, to_dataset
from training.retrain.gate import GatePolicy, GateScores, decide
from training.retrain.snapshot import Example, Snapshot, SnapshotConfig, build_snapshot
from training.retrain.types import KIND, Progress, RetrainResult
from training.settings import CoreSettings

logger = logging.getLogger(__name__)

VALIDATION_CAP = 300
TRAINER_TEST_CAP = 50
STATS_FILE = "training_stats.json"
Teacher = Callable[[list[str]], np.ndarray]  # normalised texts -> probabilities (N, L)


def split_rows(split: Dataset) -> list[tuple[str, str]]:
    """(text, label name) rows of a `datasets` split whose `label` is a ClassLabel index or name."""
    labels = split["label"]
    names = [LABELS[x] if isinstance(x, int) else str(x) for x in labels]
    return list(zip(split["text"], names, strict=True))


def load_base(
    settings: CoreSettings, base_data: DatasetDict | None = None
) -> tuple[DatasetDict, list[tuple[str, str]], list[tuple[str, str]]]:
    """The base DatasetDict (`RETRAIN_BASE_DATA`, same seed as full training: same test split)."""
    if base_data is None:
        base_data = load_labelled(settings.training.retrain_base_data, seed=settings.training.seed)
    return base_data, split_rows(base_data["train"]), split_rows(base_data["test"])


def take_snapshot(
    db: Database, settings: CoreSettings, base_data: DatasetDict | None
) -> tuple[Snapshot, DatasetDict]:
    data, train_rows, test_rows = load_base(settings, base_data)
    feedback = repo.list_feedback(db, team_id=repo.ALL_WORKSPACES)
    config = SnapshotConfig.from_settings(settings.training)
    snapshot = build_snapshot(train_rows, test_rows, feedback, now=datetime.now(UTC), config=config)
    return snapshot, data


def training_data(
    snapshot: Snapshot, base: DatasetDict, seed: int, teacher: Teacher | None = None
) -> DatasetDict:
    """A DatasetDict for `train_classifier`: weighted snapshot rows, a capped base validation.

    With a `teacher` (the active model's probabilities, `RETRAIN_DISTILL`), base rows learn the
    teacher's probabilities instead of their labels, so the candidate keeps what the active model
    does on the base domains; feedback rows always learn the label people gave.
    """
    rows = [(e.text, e.label, e.weight) for e in snapshot.train]
    validation = base["validation"]
    if len(validation) > VALIDATION_CAP:
        validation = validation.shuffle(seed=seed).select(range(VALIDATION_CAP))
    # train_classifier scores its own test split; the gate scores both models itself: keep it small.
    test_rows = [(e.text, e.label) for e in snapshot.base_test[:TRAINER_TEST_CAP]]
    train = to_dataset(clean_frame(rows_frame(rows), origin="snapshot"))
    if teacher is not None:
        train = with_teacher_targets(train, snapshot, teacher)
    return DatasetDict(
        {
            "train": train,
            "validation": validation,
            "test": to_dataset(clean_frame(rows_frame(test_rows), origin="base test")),
        }
    )


def with_teacher_targets(train: Dataset, snapshot: Snapshot, teacher: Teacher) -> Dataset:
    """`train` with a `soft` column: the teacher's probabilities for base rows, zeros (learn the
    label) for feedback rows."""
    feedback = {normalise_text(e.text) for e in snapshot.train if e.source == "feedback"}
    texts = list(train["text"])
    base_rows = [i for i, text in enumerate(texts) if text not in feedback]
    soft = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    if base_rows:
        soft[base_rows] = teacher([texts[i] for i in base_rows])
    logger.info("distillation: %d base rows learn the active model's probabilities", len(base_rows))
    return train.add_column(SOFT_COLUMN, soft.tolist())


def teacher_for(
    settings: CoreSettings, active_dir: Path, loaded: SentimentPredictor | None = None
) -> Teacher | None:
    """The active model's `predict_proba` when `RETRAIN_DISTILL` is on, else None; `loaded` is
    the active model when the caller already holds it (it is not loaded again)."""
    if not settings.training.retrain_distill:
        return None
    return (loaded or SentimentPredictor.load(active_dir, settings.models)).predict_proba


def fine_tune(
    data: DatasetDict, *, init_from: Path, output_dir: Path, settings: CoreSettings, show_bar: bool
) -> Path:
    """Fine-tune from `init_from` within the retrain budget; returns the saved directory."""
    training = settings.training
    examples = max(1, len(data["train"]))
    epochs = min(
        training.retrain_epochs, training.retrain_max_steps * training.retrain_batch_size / examples
    )
    args = ClassifierTrainingArgs(
        epochs=epochs,
        max_len=training.retrain_max_tokens,
        batch_size=training.retrain_batch_size,
        learning_rate=training.retrain_learning_rate,
        head_learning_rate=training.retrain_head_learning_rate,
        freeze_layers=training.retrain_freeze_layers,
        keep_best=training.retrain_keep == "best",
        seed=training.seed,
        time_budget_minutes=training.retrain_max_minutes,
        output_dir=output_dir,
        models_dir=output_dir.parent,
        write_plots=False,
        max_eval_examples=VALIDATION_CAP,
        evals_per_epoch=1,
    )
    logger.info("fine-tuning %d examples, %.3f epochs, from %s", examples, epochs, init_from)
    result = train_classifier(args, data, init_from=init_from, progress=show_bar)
    merge_vocabulary(Path(result.model_dir), init_from)
    return Path(result.model_dir)


def merge_vocabulary(model_dir: Path, parent_dir: Path) -> None:
    """Add the parent's training vocabulary to the candidate's `training_stats.json`.

    The candidate saw only a sample of the base data; its drift baseline should still count the
    words the parent was trained on as seen.
    """
    path, parent = model_dir / STATS_FILE, parent_dir / STATS_FILE
    if not (path.is_file() and parent.is_file()):
        return
    stats = json.loads(path.read_text())
    vocab: dict[str, int] = dict(json.loads(parent.read_text()).get("vocab_counts", {}))
    for token, count in stats.get("vocab_counts", {}).items():
        vocab[token] = vocab.get(token, 0) + int(count)
    stats["vocab_counts"] = dict(sorted(vocab.items(), key=lambda kv: -kv[1]))
    stats["vocab_merged_from"] = parent_dir.name
    path.write_text(json.dumps(stats))


def score(
    model_dir: Path, examples: Sequence[Example], settings: CoreSettings
) -> dict[str, Any] | None:
    """Metrics of a saved classifier on examples (None when there are none)."""
    if not examples:
        return None
    predictor = SentimentPredictor.load(model_dir, settings.models)
    probs = np.asarray(predictor.predict_proba([e.text for e in examples]))
    truth = [LABELS.index(e.label) for e in examples]
    metrics = evaluate_predictions(truth, probs)
    return {k: metrics[k] for k in ("n", "accuracy", "macro_f1", "macro_recall", "confusion")}


def gate_scores(metrics: dict[str, Any]) -> GateScores:
    feedback = metrics.get("feedback")
    return GateScores(
        base=float(metrics["base"]["macro_f1"]),
        feedback=float(feedback["macro_f1"]) if feedback else None,
    )


def new_version(run_id: int) -> str:
    return f"clf-{datetime.now(UTC):%Y%m%d-%H%M%S}-r{run_id}"


def run_pipeline(
    db: Database,
    settings: CoreSettings,
    *,
    run_id: int,
    active: ModelVersionRecord,
    progress: Progress,
    base_data: DatasetDict | None = None,
    show_bar: bool = False,
) -> RetrainResult:
    """Snapshot, fine-tune from `active`, score both, gate, register the candidate."""
    progress("snapshot", None)
    snapshot, base = take_snapshot(db, settings, base_data)
    version = new_version(run_id)
    progress("training", None)
    teacher = teacher_for(settings, Path(active.path))
    data = training_data(snapshot, base, settings.training.seed, teacher)
    out = settings.models.models_dir / version
    model_dir = fine_tune(
        data, init_from=Path(active.path), output_dir=out, settings=settings, show_bar=show_bar
    )
    progress("evaluating", None)
    metrics: dict[str, Any] = {}
    for name, path in (("candidate", model_dir), ("active", Path(active.path))):
        metrics[name] = {
            "base": score(path, snapshot.base_test, settings),
            "feedback": score(path, snapshot.feedback_holdout, settings),
        }
    policy = GatePolicy.from_settings(settings.training)
    decision = decide(
        gate_scores(metrics["candidate"]),
        gate_scores(metrics["active"]),
        holdout_size=len(snapshot.feedback_holdout),
        policy=policy,
    )
    metrics["gate"] = {"promote": decision.promote, "margin": policy.margin}
    repo.register_model_version(
        db,
        kind=KIND,
        version=version,
        path=str(model_dir),
        parent_version=active.version,
        data_snapshot=snapshot.counts,
        metrics=metrics["candidate"],
        status="candidate",
    )
    if decision.promote:
        repo.activate_model_version(db, kind=KIND, version=version)
    else:
        repo.set_model_status(db, version=version, status="rejected")
    outcome = "promoted" if decision.promote else "rejected"
    return RetrainResult(
        outcome,
        decision.reason,
        run_id,
        candidate_version=version,
        active_version=active.version,
        metrics=metrics,
        data_counts=snapshot.counts,
    )

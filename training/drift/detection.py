"""Drift detection: is recent traffic still like what the active classifier was trained on?

Four signals over the last `DRIFT_WINDOW_DAYS`, each with a threshold setting:
- `label_psi`: population stability index of the predicted label shares against the training
  label distribution (`DRIFT_PSI_THRESHOLD`; 0.1 is a small shift, 0.25 a large one);
- `confidence_drop`: mean confidence of the previous window (or of training) minus this window's
  (`DRIFT_CONFIDENCE_DROP_THRESHOLD`);
- `correction_rate`: share of predictions users corrected (`DRIFT_CORRECTION_RATE_THRESHOLD`);
- `unseen_token_share`: share of recent word tokens not in the training vocabulary
  (`DRIFT_UNSEEN_TOKEN_THRESHOLD`), from the model's `training_stats.json`.
Nothing fires on fewer than `DRIFT_MIN_PREDICTIONS` predictions. The report is stored through
`storage.repositories.record_drift_report`; `run_drift_check` also notifies and may retrain.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from models.textnorm import normalise_text, word_tokens
from models.types import LABELS
from storage import repositories as repo
from storage.database import Database
from storage.records import PredictionRecord
from training.drift.types import DriftReport
from training.retrain.snapshot import as_utc
from training.settings import CoreSettings, TrainingSettings

logger = logging.getLogger(__name__)

PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class TrainingStats:
    """What the active model was trained on: label shares, word vocabulary, mean confidence."""

    label_shares: dict[str, float]
    vocab: frozenset[str]
    mean_confidence: float | None = None


@dataclass(frozen=True)
class DriftThresholds:
    """Limits above which a metric fires."""

    psi: float = 0.2
    confidence_drop: float = 0.1
    correction_rate: float = 0.15
    unseen_token_share: float = 0.25
    min_predictions: int = 50

    @classmethod
    def from_settings(cls, settings: TrainingSettings) -> DriftThresholds:
        return cls(
            psi=settings.drift_psi_threshold,
            confidence_drop=settings.drift_confidence_drop_threshold,
            correction_rate=settings.drift_correction_rate_threshold,
            unseen_token_share=settings.drift_unseen_token_threshold,
            min_predictions=settings.drift_min_predictions,
        )


def tokens(text: str) -> list[str]:
    """The drift vocabulary's units: `models.textnorm.word_tokens` of the normalised text."""
    return word_tokens(normalise_text(text))


def shares(counts: Mapping[str, float]) -> dict[str, float]:
    """Counts per label -> shares per label over `LABELS` (all zero when empty)."""
    total = float(sum(counts.get(label, 0) for label in LABELS))
    return {label: (counts.get(label, 0) / total if total else 0.0) for label in LABELS}


def psi(expected: Mapping[str, float], actual: Mapping[str, float]) -> float:
    """Population stability index sum((a - e) * ln(a / e)) over labels, shares floored at 1e-4."""
    total = 0.0
    for label in LABELS:
        e = max(expected.get(label, 0.0), PSI_EPSILON)
        a = max(actual.get(label, 0.0), PSI_EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def unseen_token_share(texts: Iterable[str], vocab: frozenset[str] | set[str]) -> float | None:
    """Share of word tokens in `texts` that are not in `vocab` (None without tokens)."""
    seen = unseen = 0
    for text in texts:
        for token in tokens(text):
            seen += 1
            unseen += token not in vocab
    return unseen / seen if seen else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def compute_drift(
    *,
    labels: Sequence[str],
    confidences: Sequence[float],
    texts: Sequence[str],
    correction_rate: float | None,
    stats: TrainingStats,
    thresholds: DriftThresholds,
    baseline_confidence: float | None = None,
) -> DriftReport:
    """The drift metrics of one window of predictions (pure: no database)."""
    recent = shares(Counter(labels))
    mean_conf = _mean(confidences)
    baseline = baseline_confidence if baseline_confidence is not None else stats.mean_confidence
    metrics: dict[str, Any] = {
        "predictions": len(labels),
        "texts": len(texts),
        "label_shares": recent,
        "training_label_shares": dict(stats.label_shares),
        "label_psi": psi(stats.label_shares, recent) if labels else None,
        "mean_confidence": mean_conf,
        "baseline_confidence": baseline,
        "confidence_drop": (baseline - mean_conf)
        if baseline is not None and mean_conf is not None
        else None,
        "correction_rate": correction_rate,
        "unseen_token_share": unseen_token_share(texts, stats.vocab) if stats.vocab else None,
    }
    limits = {
        "label_psi": thresholds.psi,
        "confidence_drop": thresholds.confidence_drop,
        "correction_rate": thresholds.correction_rate,
        "unseen_token_share": thresholds.unseen_token_share,
    }
    fired: list[str] = []
    if len(labels) >= thresholds.min_predictions:
        fired = [name for name, limit in limits.items() if (metrics[name] or 0.0) > limit]
    metrics["thresholds"] = limits
    return DriftReport(metrics=metrics, fired=fired)


def load_training_stats(model_dir: Path | str) -> TrainingStats:
    """Read `training_stats.json` of a saved classifier; missing parts become neutral defaults."""
    path = Path(model_dir) / "training_stats.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    if not data:
        logger.warning("%s missing or empty: drift compares against uniform labels", path)
    raw = (
        data.get("label_distribution")
        or data.get("label_shares")
        or data.get("label_counts")
        or {label: 1.0 for label in LABELS}
    )
    vocab_raw = data.get("vocab_counts") or data.get("vocab") or {}
    vocab = frozenset(t.lower() for t in vocab_raw)
    conf = data.get("mean_confidence")
    return TrainingStats(shares(raw), vocab, float(conf) if conf is not None else None)


def _confidence(record: PredictionRecord) -> float:
    scores = getattr(record, "scores", None) or {}
    if record.label in scores:
        return float(scores[record.label])
    return float(getattr(record, "confidence", 0.0) or 0.0)


def check_drift(
    db: Database, settings: TrainingSettings, *, stats: TrainingStats, now: datetime
) -> DriftReport:
    """Compute drift over the last window (and the one before, for the confidence trend), over
    every workspace: they share the model."""
    window = timedelta(days=settings.drift_window_days)
    since = now - window
    rows = repo.recent_predictions(db, team_id=repo.ALL_WORKSPACES, since=now - 2 * window)
    current = [r for r in rows if as_utc(r.created_at) >= as_utc(since)]
    previous = [r for r in rows if as_utc(r.created_at) < as_utc(since)]
    feedback_texts = [
        f.text for f in repo.list_feedback(db, team_id=repo.ALL_WORKSPACES, since=since) if f.text
    ]
    texts = [str(r.text) for r in current if getattr(r, "text", None)] + feedback_texts
    baseline = _mean([_confidence(r) for r in previous]) if len(previous) >= 10 else None
    return compute_drift(
        labels=[r.label for r in current],
        confidences=[_confidence(r) for r in current],
        texts=texts,
        correction_rate=repo.correction_rate(db, team_id=repo.ALL_WORKSPACES, since=since),
        stats=stats,
        thresholds=DriftThresholds.from_settings(settings),
        baseline_confidence=baseline,
    )


def describe(report: DriftReport) -> str:
    """One line for Slack and logs: the metrics that fired with their values and limits."""
    if not report.fired:
        return f"no drift ({report.metrics.get('predictions', 0)} predictions checked)"
    limits = report.metrics.get("thresholds", {})
    parts = [
        f"{name} {report.metrics[name]:.3f} > {limits.get(name, 0):.3f}" for name in report.fired
    ]
    return "drift: " + ", ".join(parts)


def run_drift_check(
    db: Database,
    settings: CoreSettings,
    *,
    notify: Callable[[str], None],
    start_retrain: Callable[[str], bool] | None = None,
    now: datetime | None = None,
) -> DriftReport:
    """The daily job: check, store the report, tell admins, retrain if enough new feedback."""
    now = now or datetime.now(UTC)
    active = repo.get_active_model_version(db, kind="classifier")
    if active is None:
        logger.info("drift check skipped: no active classifier")
        return DriftReport(metrics={"skipped": "no active classifier"})
    report = check_drift(db, settings.training, stats=load_training_stats(active.path), now=now)
    repo.record_drift_report(db, metrics=report.metrics, fired=report.fired)
    if not report.fired:
        logger.info("drift check: %s", describe(report))
        return report
    since = active.activated_at or active.created_at
    new_feedback = repo.count_feedback(db, team_id=repo.ALL_WORKSPACES, since=since)
    message = f"{describe(report)}; {new_feedback} feedback since {active.version} went live"
    if start_retrain is not None and new_feedback >= settings.training.retrain_min_feedback:
        started = start_retrain("drift")
        message += "; retraining started" if started else "; a retrain is already running"
    else:
        message += f"; need {settings.training.retrain_min_feedback} to retrain"
    logger.warning("%s", message)
    notify(message)
    return report

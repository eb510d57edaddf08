"""What the dashboard shows, gathered from storage and the loaded models into plain objects.

Every section is loaded on its own: a section whose query fails is reported in
`Overview.problems` and the rest of the page still renders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.dashboard.cases import scope_label
from bot.dashboard.learning import DEFAULT_PERIOD, LearningView, learning_view
from bot.services import Services, served_classifier, served_generator
from models.types import LABELS
from storage.workspaces import Workspace

logger = logging.getLogger(__name__)

PLOT_NAMES = ("roc", "confusion", "calibration", "loss")
HEADLINE_METRICS = ("macro_f1", "accuracy", "macro_recall", "ece", "loss", "bleu", "rougeL")
DAYS = 30


@dataclass
class ModelCard:
    """One model kind: the active version in storage and the one this process serves."""

    kind: str
    version: str | None = None
    served_version: str | None = None
    status: str = ""
    activated_at: str = ""
    metrics: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DriftRow:
    name: str
    value: str
    threshold: str
    fired: bool


@dataclass
class RunRow:
    started: str
    trigger: str
    outcome: str
    reason: str
    candidate: str
    before: str
    after: str


@dataclass
class UndeliveredRow:
    """A Slack write refused for good (shown so an admin can fix its cause)."""

    created: str
    team: str
    method: str
    channel: str
    error: str


@dataclass
class Overview:
    """Everything on the dashboard page."""

    classifier: ModelCard
    generator: ModelCard
    scope: str = ""  # whose data: "every workspace" or "workspace T..."
    label_days: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    drift: list[DriftRow] = field(default_factory=list)
    drift_checked_at: str = ""
    feedback_total: int | None = None
    feedback_recent: int | None = None
    correction_rate: float | None = None
    runs: list[RunRow] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    undelivered: list[UndeliveredRow] = field(default_factory=list)
    learning: LearningView | None = None
    problems: list[str] = field(default_factory=list)


def _repo() -> Any:
    import storage.repositories as repositories

    return repositories


def collect(
    services: Services,
    *,
    scope: Workspace,
    now: datetime | None = None,
    learning_by: str = DEFAULT_PERIOD,
) -> Overview:
    """Gather the dashboard's data as `scope` (one workspace, or `ALL_WORKSPACES` for an
    operator) may see it; never raises for a failing section. `learning_by` is the learning
    curve's period ("week" or "day").

    Messages, feedback and undelivered writes are the viewer's workspace's. The models, their
    training runs and the drift report are the instance's (every workspace shares the model);
    they hold metrics, never a message.
    """
    now = now or datetime.now(UTC)
    overview = Overview(
        classifier=ModelCard("classifier"),
        generator=ModelCard("generator"),
        scope=scope_label(scope),
    )
    sections: list[tuple[str, Callable[[], None]]] = [
        ("models", lambda: _load_models(services, overview)),
        ("label mix", lambda: _load_label_days(services, overview, scope, now)),
        ("drift", lambda: _load_drift(services, overview)),
        ("feedback", lambda: _load_feedback(services, overview, scope, now)),
        ("learning", lambda: _load_learning(services, overview, scope, now, learning_by)),
        ("training runs", lambda: _load_runs(services, overview)),
        ("undelivered", lambda: _load_undelivered(services, overview, scope)),
    ]
    for name, load in sections:
        try:
            load()
        except Exception as exc:  # show the rest of the page; say which part is missing
            logger.warning("dashboard: could not load %s: %s", name, exc)
            overview.problems.append(f"{name}: {type(exc).__name__}")
    overview.plots = [name for name in PLOT_NAMES if plot_path(services, name) is not None]
    return overview


def _load_models(services: Services, overview: Overview) -> None:
    overview.classifier.served_version = served_classifier(services.classifier)
    overview.generator.served_version = served_generator(services.drafter)
    for card in (overview.classifier, overview.generator):
        record = _repo().get_active_model_version(services.db, kind=card.kind)
        if record is not None:
            card.version = record.version
            card.status = str(getattr(record, "status", ""))
            card.activated_at = _when(getattr(record, "activated_at", None))
            card.metrics = headline_metrics(getattr(record, "metrics", None) or {})


def headline_metrics(metrics: Mapping[str, Any], limit: int = 6) -> list[tuple[str, str]]:
    """The scalar metrics worth a glance, best known first, formatted."""
    scalars = {k: v for k, v in metrics.items() if _is_number(v)}
    ordered = [k for k in HEADLINE_METRICS if k in scalars]
    ordered += sorted(k for k in scalars if k not in ordered)
    return [(k, _fmt(scalars[k])) for k in ordered[:limit]]


def _load_label_days(
    services: Services, overview: Overview, scope: Workspace, now: datetime
) -> None:
    start = (now - timedelta(days=DAYS - 1)).date()
    days: dict[date, dict[str, int]] = {
        start + timedelta(days=i): dict.fromkeys(LABELS, 0) for i in range(DAYS)
    }
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    for day, label, count in _repo().label_counts_by_day(services.db, team_id=scope, since=since):
        key = day.date() if isinstance(day, datetime) else day
        if key in days and label in days[key]:
            days[key][label] += int(count)
    overview.label_days = sorted(days.items())


def drift_threshold(services: Services, metric: str) -> float | None:
    """The training settings' threshold for a drift metric (None for informational ones)."""
    training = services.settings.training
    thresholds = {
        "label_psi": training.drift_psi_threshold,
        "psi": training.drift_psi_threshold,
        "correction_rate": training.drift_correction_rate_threshold,
        "unseen_token_share": training.drift_unseen_token_threshold,
        "confidence_drop": training.drift_confidence_drop_threshold,
    }
    value = thresholds.get(metric)
    return None if value is None else float(value)


def _load_drift(services: Services, overview: Overview) -> None:
    report = _repo().latest_drift_report(services.db)
    if report is None:
        return
    fired = set(getattr(report, "fired", ()) or ())
    overview.drift_checked_at = _when(getattr(report, "created_at", None))
    for name, value in sorted((getattr(report, "metrics", None) or {}).items()):
        if not _is_number(value):
            continue
        threshold = drift_threshold(services, name)
        overview.drift.append(
            DriftRow(
                name, _fmt(value), "-" if threshold is None else _fmt(threshold), name in fired
            )
        )


def _load_feedback(services: Services, overview: Overview, scope: Workspace, now: datetime) -> None:
    since = now - timedelta(days=DAYS)
    overview.feedback_total = _count(_repo().count_feedback(services.db, team_id=scope))
    overview.feedback_recent = _count(
        _repo().count_feedback(services.db, team_id=scope, since=since)
    )
    overview.correction_rate = _repo().correction_rate(services.db, team_id=scope, since=since)


def _load_learning(
    services: Services, overview: Overview, scope: Workspace, now: datetime, by: str
) -> None:
    overview.learning = learning_view(
        services.db, scope=scope, by=by, memory=services.settings.models, now=now
    )


def _count(value: Any) -> int:
    if isinstance(value, Mapping):
        return int(sum(value.values()))
    return int(value)


def _load_runs(services: Services, overview: Overview) -> None:
    for run in _repo().list_training_runs(services.db, limit=20):
        before, after = run_metrics(getattr(run, "metrics", None) or {})
        overview.runs.append(
            RunRow(
                started=_when(getattr(run, "started_at", None)),
                trigger=str(getattr(run, "trigger", "")),
                outcome=str(getattr(run, "outcome", None) or "running"),
                reason=str(getattr(run, "reason", None) or ""),
                candidate=str(getattr(run, "candidate_version", None) or ""),
                before=before,
                after=after,
            )
        )


def _load_undelivered(services: Services, overview: Overview, scope: Workspace) -> None:
    for row in _repo().list_failed(services.db, team_id=scope, limit=10):
        overview.undelivered.append(
            UndeliveredRow(
                created=_when(row.created_at),
                team=row.team_id or "",
                method=row.method,
                channel=row.channel_id or "",
                error=row.last_error or "unknown",
            )
        )


def run_metrics(metrics: Mapping[str, Any]) -> tuple[str, str]:
    """A run's metrics as (before, after) summaries: the active model's and the candidate's."""
    for old, new in (("active", "candidate"), ("before", "after"), ("baseline", "candidate")):
        if isinstance(metrics.get(old), Mapping) or isinstance(metrics.get(new), Mapping):
            return _summary(metrics.get(old)), _summary(metrics.get(new))
    flat_old = {k.split("_", 1)[1]: v for k, v in metrics.items() if k.startswith("active_")}
    flat_new = {k.split("_", 1)[1]: v for k, v in metrics.items() if k.startswith("candidate_")}
    if flat_old or flat_new:
        return _summary(flat_old), _summary(flat_new)
    return "-", _summary(metrics)


def _summary(metrics: Any) -> str:
    if not isinstance(metrics, Mapping) or not metrics:
        return "-"
    return ", ".join(f"{k} {v}" for k, v in headline_metrics(metrics, limit=2))


def plot_path(services: Services, name: str) -> Path | None:
    """The active classifier's evaluation plot `name` (one of PLOT_NAMES), if it exists."""
    if name not in PLOT_NAMES:
        return None
    directory = classifier_dir(services)
    if directory is None:
        return None
    candidate = directory / f"{name}.png"
    return candidate if candidate.is_file() else None


def classifier_dir(services: Services) -> Path | None:
    """Directory of the served classifier: storage's active version, else `CLASSIFIER_PATH`."""
    try:
        record = _repo().get_active_model_version(services.db, kind="classifier")
    except Exception as exc:
        logger.debug("dashboard: no active classifier record: %s", exc)
        record = None
    served = served_classifier(services.classifier)
    if record is not None and (served is None or record.version == served):
        return Path(record.path)
    configured = services.settings.models.classifier_path
    if configured and Path(configured).is_dir():
        return Path(configured)
    return Path(record.path) if record is not None else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.3f}"


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)

"""The learning curve, live: is the bot learning from this workspace's corrections?

Per week (the last PERIODS["week"] weeks, Monday first) or per day (the last 30 days), for the
viewer's scope: messages classified, feedback on them (`reviewed`), the corrections among it
(another label than the prediction's: the drift check's rule), the correction rate, how many
corrections the correction memory holds at the end of the period (feedback with a kept text,
at most CORRECTION_MEMORY_SIZE per workspace), and the classifier versions promoted then, so a
falling rate after a promotion shows. Per workspace rows total the whole window.

Example:
    >>> view = learning_view(db, scope="T0A", by="week", memory=settings.models)  # doctest: +SKIP
    >>> view.periods[-1].correction_rate  # doctest: +SKIP
    0.25
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.dashboard.cases import FilterError, scope_label
from models.settings import ModelSettings
from storage import repositories as repo
from storage.database import Database
from storage.records import LearningHistory
from storage.workspaces import AllWorkspaces, Workspace

logger = logging.getLogger(__name__)

PERIODS: Mapping[str, tuple[int, int]] = {"week": (7, 12), "day": (1, 30)}  # (days, how many)
DEFAULT_PERIOD = "week"


class _Rate:
    """The correction rate of a row that counts `reviewed` and `corrections`."""

    reviewed: int
    corrections: int

    @property
    def correction_rate(self) -> float | None:
        """Corrections per reviewed message; None when nothing was reviewed."""
        return self.corrections / self.reviewed if self.reviewed else None


@dataclass
class LearningPeriod(_Rate):
    """One week or day; `in_memory` is what the correction memory holds at its end."""

    start: date
    predictions: int = 0
    reviewed: int = 0
    corrections: int = 0
    in_memory: int = 0
    promoted: list[str] = field(default_factory=list)


@dataclass
class WorkspaceLearning(_Rate):
    """One workspace over the whole window (`team_id` None: feedback typed outside any)."""

    team_id: str | None
    predictions: int = 0
    reviewed: int = 0
    corrections: int = 0
    in_memory: int = 0


@dataclass(frozen=True)
class Promotion:
    """A classifier version and when it was (last) made the active one."""

    version: str
    activated_at: datetime


@dataclass
class LearningView:
    """The learning section of the overview and `GET /api/learning`."""

    scope: str
    by: str
    periods: list[LearningPeriod]
    workspaces: list[WorkspaceLearning]
    promotions: list[Promotion]
    memory_on: bool
    capacity: int
    every_workspace: bool = False  # an operator's view: per workspace rows are shown

    @property
    def in_memory(self) -> int:
        return self.periods[-1].in_memory if self.periods else 0

    @property
    def totals(self) -> WorkspaceLearning:
        """Every workspace of the scope together, over the window."""
        total = WorkspaceLearning(None, in_memory=self.in_memory)
        for row in self.workspaces:
            total.predictions += row.predictions
            total.reviewed += row.reviewed
            total.corrections += row.corrections
        return total


def period_of(value: str | None) -> str:
    """`value` as a PERIODS key ("week" when empty).

    Raises:
        FilterError: anything else.
    """
    period = (value or "").strip().lower() or DEFAULT_PERIOD
    if period not in PERIODS:
        raise FilterError(f"'by' must be one of {', '.join(PERIODS)}")
    return period


def learning_view(
    db: Database,
    *,
    scope: Workspace,
    by: str,
    memory: ModelSettings,
    now: datetime | None = None,
) -> LearningView:
    """The learning curve of `scope` per `by` (a PERIODS key) up to `now`."""
    days, count = PERIODS[by]
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    last = today - timedelta(days=today.weekday()) if by == "week" else today
    periods = [LearningPeriod(last - timedelta(days=days * n)) for n in range(count - 1, -1, -1)]
    since = datetime.combine(periods[0].start, time.min, UTC)
    history = repo.learning_history(db, team_id=scope, since=since)
    teams = _tally(history, periods, days=days, capacity=memory.correction_memory_size)
    promotions = _promotions(db, since=since)
    for promotion in promotions:
        index = _index(periods, promotion.activated_at.date(), days=days)
        if index is not None:
            periods[index].promoted.append(promotion.version)
    return LearningView(
        scope=scope_label(scope),
        by=by,
        periods=periods,
        workspaces=sorted(teams.values(), key=lambda row: row.team_id or ""),
        promotions=promotions,
        memory_on=memory.correction_memory,
        capacity=memory.correction_memory_size,
        every_workspace=isinstance(scope, AllWorkspaces),
    )


def _index(periods: list[LearningPeriod], day: date, *, days: int) -> int | None:
    """Which of `periods` (each `days` long, consecutive) holds `day`; None: none of them."""
    index = (day - periods[0].start).days // days
    return index if 0 <= index < len(periods) else None


def _tally(
    history: LearningHistory, periods: list[LearningPeriod], *, days: int, capacity: int
) -> dict[str | None, WorkspaceLearning]:
    """Add `history`'s days into `periods` and per workspace rows (returned); the memory holds
    what it held before, plus what each period added, at most `capacity` per workspace."""
    teams: dict[str | None, WorkspaceLearning] = {}
    gained: list[dict[str, int]] = [defaultdict(int) for _ in periods]
    for day in history.days:
        index = _index(periods, day.day, days=days)
        if index is None:
            continue
        team = teams.setdefault(day.team_id, WorkspaceLearning(day.team_id))
        for row in (periods[index], team):
            row.predictions += day.predictions
            row.reviewed += day.reviewed
            row.corrections += day.corrections
        if day.team_id is not None:
            gained[index][day.team_id] += day.remembered
    held = dict(history.remembered_before)
    for period, gains in zip(periods, gained, strict=True):
        for team_id, number in gains.items():
            held[team_id] = held.get(team_id, 0) + number
        period.in_memory = sum(min(number, capacity) for number in held.values())
    for team_id, number in held.items():
        teams.setdefault(team_id, WorkspaceLearning(team_id)).in_memory = min(number, capacity)
    return teams


def _promotions(db: Database, *, since: datetime) -> list[Promotion]:
    """Classifier versions last activated at or after `since`, oldest first (the models are the
    instance's: every workspace is served by them)."""
    versions = repo.list_model_versions(db, kind="classifier")
    found = [
        Promotion(v.version, v.activated_at)
        for v in versions
        if v.activated_at is not None and v.activated_at >= since
    ]
    return sorted(found, key=lambda p: p.activated_at)


def learning_json(view: LearningView) -> dict[str, Any]:
    """`view` as the JSON object `GET /api/learning` answers."""
    return {
        "scope": view.scope,
        "by": view.by,
        "memory": {"enabled": view.memory_on, "capacity": view.capacity, "holds": view.in_memory},
        "periods": [
            {"start": p.start.isoformat(), **_counts(p), "promoted": p.promoted}
            for p in view.periods
        ],
        "promotions": [
            {"version": p.version, "activated_at": p.activated_at.isoformat()}
            for p in view.promotions
        ],
        "workspaces": [{"team_id": w.team_id, **_counts(w)} for w in view.workspaces],
    }


def _counts(row: LearningPeriod | WorkspaceLearning) -> dict[str, Any]:
    return {
        "predictions": row.predictions,
        "reviewed": row.reviewed,
        "corrections": row.corrections,
        "correction_rate": row.correction_rate,
        "in_memory": row.in_memory,
    }

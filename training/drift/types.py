"""Result types of drift: one check's report, and the simulation's days and outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriftReport:
    """Metrics of one check and the names of those that crossed their threshold."""

    metrics: dict[str, Any]
    fired: list[str] = field(default_factory=list)


@dataclass
class DayRow:
    """Drift metrics of one replayed day and what the daily job did."""

    day: int
    source: str
    model_version: str
    messages: int
    feedback: int
    label_psi: float | None
    mean_confidence: float | None
    correction_rate: float | None
    unseen_token_share: float | None
    fired: list[str]
    action: str = ""


@dataclass
class SimulationResult:
    """Everything the simulation's table and plot show."""

    days: list[DayRow]
    base_version: str
    final_version: str
    shifted_eval_size: int
    shifted_f1_before: float
    shifted_f1_after: float
    retrain: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    plot: str = ""

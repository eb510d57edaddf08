"""The promotion gate: a candidate replaces the active classifier only when the numbers say so.

A candidate is promoted when both hold, on the same held-out data for both models:
- on the fixed base test split its macro-F1 is not lower than the active model's by more than
  `PROMOTION_MARGIN` (it has not forgotten the base task), and
- on the held-out slice of recent feedback its macro-F1 beats the active model's by more than
  `RETRAIN_MIN_GAIN` (it learned what users corrected), with at least `RETRAIN_MIN_HOLDOUT` items.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.settings import TrainingSettings

logger = logging.getLogger(__name__)

METRIC = "macro_f1"


@dataclass(frozen=True)
class GatePolicy:
    """Thresholds of the gate (see the module docstring)."""

    margin: float = 0.01
    min_gain: float = 0.0
    min_holdout: int = 5

    @classmethod
    def from_settings(cls, settings: TrainingSettings) -> GatePolicy:
        return cls(
            margin=settings.promotion_margin,
            min_gain=settings.retrain_min_gain,
            min_holdout=settings.retrain_min_holdout,
        )


@dataclass(frozen=True)
class GateScores:
    """Macro-F1 of one model on the base test split and on held-out feedback (None: no holdout)."""

    base: float
    feedback: float | None


@dataclass(frozen=True)
class GateDecision:
    """Whether to promote, and a one-line reason naming the numbers."""

    promote: bool
    reason: str


def decide(
    candidate: GateScores, active: GateScores, *, holdout_size: int, policy: GatePolicy
) -> GateDecision:
    """Apply the gate to the two models' scores on the same data."""
    base_drop = active.base - candidate.base
    if base_drop > policy.margin:
        return GateDecision(
            False,
            f"worse on the base test set: macro-F1 {candidate.base:.3f} vs active "
            f"{active.base:.3f} (drop {base_drop:.3f} > margin {policy.margin:.3f})",
        )
    if holdout_size < policy.min_holdout or candidate.feedback is None or active.feedback is None:
        return GateDecision(
            False,
            f"too little held-out recent feedback to show a gain ({holdout_size} < "
            f"{policy.min_holdout})",
        )
    gain = candidate.feedback - active.feedback
    if gain <= policy.min_gain:
        return GateDecision(
            False,
            f"not better on recent feedback: macro-F1 {candidate.feedback:.3f} vs active "
            f"{active.feedback:.3f} (gain {gain:+.3f} <= {policy.min_gain:.3f})",
        )
    return GateDecision(
        True,
        f"better on recent feedback: macro-F1 {candidate.feedback:.3f} vs {active.feedback:.3f} "
        f"({gain:+.3f}); base test {candidate.base:.3f} vs {active.base:.3f}",
    )

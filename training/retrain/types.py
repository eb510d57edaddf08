"""Types shared by a retrain run, its candidate pipeline and their callers (jobs, CLI, Slack)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

KIND = "classifier"  # the model kind retraining produces
# progress(stage, fraction or None) while a run goes on: "snapshot", "training", "evaluating".
Progress = Callable[[str, float | None], None]


@dataclass(frozen=True)
class RetrainResult:
    """How a run ended: `outcome` is promoted, rejected, failed or skipped."""

    outcome: str
    reason: str
    run_id: int | None = None
    candidate_version: str | None = None
    active_version: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    data_counts: dict[str, Any] = field(default_factory=dict)

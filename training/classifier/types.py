"""Result types of classifier training, shared by the training loop, the TF-IDF baseline and callers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What a training run produced: the new model directory, its metrics and its curves."""

    model_dir: Path
    metrics: dict[str, Any]
    history: dict[str, Any] = field(default_factory=dict)

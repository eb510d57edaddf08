"""Result types of the generator capability: a seq2seq training run and a draft scoring report."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seq2SeqTrainResult:
    """What a seq2seq training run produced: the model directory, its metrics and loss curves."""

    model_dir: Path
    metrics: dict[str, Any]
    history: dict[str, list[float]]


@dataclass(frozen=True)
class DraftScores:
    """Text-overlap scores of hypotheses against references (all on a 0-100 scale)."""

    bleu: float
    rouge1: float
    rouge2: float
    rougeL: float  # the metric's usual name


@dataclass
class GeneratorReport:
    """One generator's scores and drafts on the same pairs as the others."""

    name: str
    model: str
    n: int
    scores: DraftScores
    mean_words: float
    median_words: float
    reference_mean_words: float
    p50_latency_ms: float
    p95_latency_ms: float
    samples: list[dict[str, str]] = field(default_factory=list)
    # share of drafts failing each `training.generator.draft_checks` check, 0-100
    failures: dict[str, float] = field(default_factory=dict)
    # `training.generator.meaning`: mean draft-reference cosine and intent accuracy, 0-100
    semantic_similarity: float | None = None
    intent_accuracy: float | None = None

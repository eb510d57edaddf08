"""The training-data snapshot of a retrain: base data plus stored feedback, weighted by recency.

Rules, in order:
- Feedback without text (channels in `ids_only` privacy mode) cannot be trained on and is counted.
- The newest feedback for a text wins over older feedback and over the base label of that text.
- A stable share of feedback texts (by hash of the text, `RETRAIN_HOLDOUT_PERCENT`) is held out:
  never trained on in any run, and the recent part of it scores candidate and active model.
- Feedback weighs `FEEDBACK_WEIGHT` when new, halving every `FEEDBACK_HALF_LIFE_DAYS`, never
  below a base example's weight of 1, so newer language counts more.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from training.settings import TrainingSettings

logger = logging.getLogger(__name__)

BASE_WEIGHT = 1.0


class FeedbackLike(Protocol):
    """The fields of `storage.records.FeedbackRecord` a snapshot reads."""

    @property
    def text(self) -> str | None: ...
    @property
    def label(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass(frozen=True)
class Example:
    """One labelled text with its training weight and where it came from ("base"/"feedback")."""

    text: str
    label: str
    weight: float = BASE_WEIGHT
    source: str = "base"


@dataclass(frozen=True)
class SnapshotConfig:
    """How a snapshot samples and weighs; `from_settings` reads the retraining settings."""

    base_sample: int = 2000
    eval_sample: int = 1000
    holdout_percent: int = 20
    recent_days: int = 30
    feedback_weight: float = 3.0
    half_life_days: float = 30.0
    seed: int = 13

    @classmethod
    def from_settings(cls, settings: TrainingSettings) -> SnapshotConfig:
        return cls(
            base_sample=settings.retrain_base_sample,
            eval_sample=settings.retrain_eval_sample,
            holdout_percent=settings.retrain_holdout_percent,
            recent_days=settings.retrain_recent_days,
            feedback_weight=settings.feedback_weight,
            half_life_days=settings.feedback_half_life_days,
            seed=settings.seed,
        )


@dataclass(frozen=True)
class Snapshot:
    """Training rows, the two evaluation sets and counts for the run record."""

    train: list[Example]
    base_test: list[Example]
    feedback_holdout: list[Example]
    counts: dict[str, int] = field(default_factory=dict)


def text_key(text: str) -> str:
    """The identity of a text for "same text" rules: whitespace-collapsed and case-folded."""
    return " ".join(text.split()).casefold()


def is_held_out(text: str, percent: int) -> bool:
    """Whether a feedback text belongs to the held-out slice; stable across runs and processes."""
    digest = hashlib.sha256(text_key(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def as_utc(moment: datetime) -> datetime:
    """Timestamps from SQLite come back naive: they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def recency_weight(created_at: datetime, now: datetime, config: SnapshotConfig) -> float:
    """`feedback_weight` halved every `half_life_days` of age, floored at the base weight."""
    age_days = max(0.0, (as_utc(now) - as_utc(created_at)).total_seconds() / 86400)
    decayed = config.feedback_weight * 0.5 ** (age_days / config.half_life_days)
    return max(BASE_WEIGHT, float(decayed))


def feedback_time(item: FeedbackLike) -> datetime:
    """When feedback was last given: `updated_at` (a user relabelling) or `created_at`."""
    stamp: datetime = getattr(item, "updated_at", None) or item.created_at
    return as_utc(stamp)


def latest_feedback(feedback: Iterable[FeedbackLike]) -> tuple[dict[str, FeedbackLike], int]:
    """The newest feedback per text key, and how many items had no text."""
    latest: dict[str, FeedbackLike] = {}
    without_text = 0
    for item in sorted(feedback, key=feedback_time):
        if not item.text or not item.text.strip():
            without_text += 1
            continue
        latest[text_key(item.text)] = item
    return latest, without_text


def _sample(rows: Sequence[tuple[str, str]], size: int, seed: int) -> list[tuple[str, str]]:
    if size <= 0:
        return []
    if len(rows) <= size:
        return list(rows)
    return random.Random(seed).sample(list(rows), size)


def build_snapshot(
    base_train: Sequence[tuple[str, str]],
    base_test: Sequence[tuple[str, str]],
    feedback: Iterable[FeedbackLike],
    *,
    now: datetime,
    config: SnapshotConfig,
) -> Snapshot:
    """Combine base rows `(text, label)` and feedback into training and evaluation sets."""
    latest, without_text = latest_feedback(feedback)
    recent_cutoff = as_utc(now).timestamp() - config.recent_days * 86400
    fb_train: list[Example] = []
    holdout: list[Example] = []
    held_out_total = 0
    for item in latest.values():
        text = item.text or ""
        if is_held_out(text, config.holdout_percent):
            held_out_total += 1
            if feedback_time(item).timestamp() >= recent_cutoff:
                holdout.append(Example(text, item.label, BASE_WEIGHT, "feedback"))
            continue
        weight = recency_weight(feedback_time(item), now, config)
        fb_train.append(Example(text, item.label, weight, "feedback"))
    base_rows = [row for row in base_train if text_key(row[0]) not in latest]
    base = [Example(t, label) for t, label in _sample(base_rows, config.base_sample, config.seed)]
    test = [Example(t, label) for t, label in _sample(base_test, config.eval_sample, config.seed)]
    counts = {
        "base_train": len(base),
        "base_overridden": len(base_train) - len(base_rows),
        "feedback_train": len(fb_train),
        "feedback_holdout": len(holdout),
        "feedback_held_out_total": held_out_total,
        "feedback_without_text": without_text,
        "base_test": len(test),
    }
    logger.info("snapshot: %s", counts)
    return Snapshot(train=base + fb_train, base_test=test, feedback_holdout=holdout, counts=counts)

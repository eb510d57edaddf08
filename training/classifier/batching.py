"""Tokenised examples, length-grouped batches and dynamic padding for classifier training."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from datasets import Dataset

from models.predictor import pad_batch
from models.textnorm import word_tokens
from models.types import LABELS

logger = logging.getLogger(__name__)


SOFT_COLUMN = "soft"  # optional: a teacher's probabilities per row, all zeros for "use the label"


@dataclass
class Encoded:
    """A split as token ids, label indices, sample weights and optional soft targets."""

    ids: list[list[int]]
    labels: list[int]
    weights: list[float]
    soft: list[list[float]] | None = None


class Batch(NamedTuple):
    ids: torch.Tensor  # (B, T)
    mask: torch.Tensor  # (B, T)
    labels: torch.Tensor  # (B,)
    weights: torch.Tensor  # (B,)
    soft: torch.Tensor | None  # (B, L): a row of zeros trains on the label


def encode(dataset: Dataset, tokenizer: Any, max_len: int) -> Encoded:
    ids = tokenizer(list(dataset["text"]), truncation=True, max_length=max_len)["input_ids"]
    soft = dataset[SOFT_COLUMN] if SOFT_COLUMN in dataset.column_names else None
    return Encoded(ids, list(dataset["label"]), [float(w) for w in dataset["weight"]], soft)


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, group: int = 50
) -> list[list[int]]:
    """Shuffled batches of similar lengths (sorted inside groups of `group` batches) to cut padding."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    span = batch_size * group
    for start in range(0, len(order), span):
        chunk = sorted(order[start : start + span], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def iterate_batches(
    data: Encoded, batches: list[list[int]], pad_id: int, device: torch.device
) -> Iterator[Batch]:
    """One `Batch` per list of row indices, padded to its longest text."""
    for batch in batches:
        ids, mask = pad_batch([data.ids[i] for i in batch], pad_id)
        labels = torch.tensor([data.labels[i] for i in batch], dtype=torch.long)
        weights = torch.tensor([data.weights[i] for i in batch], dtype=torch.float32)
        soft = None
        if data.soft is not None:
            soft = torch.tensor([data.soft[i] for i in batch], dtype=torch.float32).to(device)
        yield Batch(ids.to(device), mask.to(device), labels.to(device), weights.to(device), soft)


def class_weights(labels: Sequence[int], n_classes: int) -> torch.Tensor:
    """Balanced class weights n / (k * count_c), 1.0 for a class that does not occur."""
    counts = Counter(labels)
    total = len(labels)
    return torch.tensor(
        [total / (n_classes * counts[c]) if counts[c] else 1.0 for c in range(n_classes)],
        dtype=torch.float32,
    )


def training_stats(dataset: Dataset) -> dict[str, Any]:
    """Label distribution and word vocabulary counts of the training texts (for drift detection)."""
    vocab: Counter[str] = Counter()
    for text in dataset["text"]:
        vocab.update(word_tokens(text))
    labels = Counter(LABELS[i] for i in dataset["label"])
    total = max(1, len(dataset))
    return {
        "n_examples": len(dataset),
        "label_counts": {label: labels.get(label, 0) for label in LABELS},
        "label_distribution": {label: labels.get(label, 0) / total for label in LABELS},
        "vocab_tokenizer": "models.textnorm.word_tokens(models.textnorm.normalise_text(text))",
        "vocab_counts": dict(vocab.most_common()),
    }

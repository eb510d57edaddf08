"""Arguments of a classifier training run (kept apart from the model and the loop)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training.errors import TrainingFailed

logger = logging.getLogger(__name__)

TRAIN_HEADS = ("bilstm", "linear", "tfidf")


@dataclass
class ClassifierTrainingArgs:
    """Everything that decides a classifier training run.

    The defaults are the measured choice for 2 CPU cores (see docs/classifier.md): full fine-tuning
    of MiniLM + BiLSTM for one epoch under bf16 autocast, max 64 tokens, class-weighted loss,
    inside a wall-clock budget so the default run ends within 15 minutes.

    Example:
        >>> ClassifierTrainingArgs(head="linear", max_examples=2000).head
        'linear'
    """

    head: str = "bilstm"  # bilstm | linear | tfidf
    epochs: float = 1.0
    max_len: int = 64
    batch_size: int = 32
    learning_rate: float = 5e-5  # encoder
    head_learning_rate: float = 1e-3  # LSTM, pooling and output layer
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    freeze_layers: int = 0  # lower encoder layers kept fixed (embeddings too when > 0); -1 = all
    max_examples: int | None = None  # cap on training examples
    max_eval_examples: int | None = 2000  # validation examples used for early stopping (speed)
    evals_per_epoch: int = 4
    patience: int = 2  # evaluations without a better validation macro-F1 before stopping
    keep_best: bool = True  # restore the best validation checkpoint; False keeps the last step
    class_weights: bool = True
    label_smoothing: float = 0.05
    precision: str = "auto"  # auto | fp32 | bf16
    device: str = "auto"  # auto | cpu | cuda
    seed: int = 13
    time_budget_minutes: float = 12.0  # the training loop stops here; evaluation and saving follow
    encoder_path: str = ""  # "" = the pinned MiniLM asset
    lstm_hidden: int = 192
    dropout: float = 0.1
    pooling: str = "maxmean"
    output_dir: Path | None = None  # default: models_dir / clf-YYYYmmdd-HHMMSS
    models_dir: Path = Path("var/models")
    write_plots: bool = True

    def __post_init__(self) -> None:
        if self.head not in TRAIN_HEADS:
            raise TrainingFailed(f"unknown head {self.head!r}: use one of {TRAIN_HEADS}")
        if self.epochs <= 0 or self.batch_size < 1 or self.max_len < 8:
            raise TrainingFailed("epochs must be > 0, batch_size >= 1 and max_len >= 8")

    def model_dir(self, prefix: str) -> Path:
        """Where the run saves its model: `output_dir`, else a new version under `models_dir`."""
        return (
            Path(self.output_dir) if self.output_dir else new_version(prefix, Path(self.models_dir))
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(self).items()
        }


def new_version(prefix: str, models_dir: Path) -> Path:
    """A fresh `prefix-YYYYmmdd-HHMMSS` directory path under `models_dir` (suffixed if taken)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate = models_dir / f"{prefix}-{stamp}"
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = models_dir / f"{prefix}-{stamp}-{suffix}"
    return candidate

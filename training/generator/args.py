"""Arguments of a seq2seq reply-model training run (saved next to the model as part of its metrics)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from models.seq2seq.config import Arch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seq2SeqTrainingArgs:
    """What to train and how.

    Attributes:
        output_dir: the model directory to write (config, weights, spm.model, metrics, plot).
        arch: "lstm" or "transformer".
        epochs, batch_size, lr, warmup_steps, label_smoothing, clip: the optimisation.
        d_model, layers, heads, ffn, dropout: the architecture (see `Seq2SeqConfig`).
        vocab_size: SentencePiece vocabulary size.
        max_src_tokens, max_tgt_tokens: truncation.
        max_minutes: stop after this long even if epochs remain (the model so far is kept).
        bf16: autocast matmuls to bfloat16 where the CPU supports it.
    """

    output_dir: Path
    arch: Arch = "transformer"
    epochs: int = 8
    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 100
    label_smoothing: float = 0.1
    clip: float = 1.0
    d_model: int = 256
    layers: int = 2
    heads: int = 4
    ffn: int = 512
    dropout: float = 0.1
    vocab_size: int = 4000
    max_src_tokens: int = 64
    max_tgt_tokens: int = 96
    max_minutes: float = 15.0
    seed: int = 13
    bf16: bool = True

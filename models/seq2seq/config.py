"""Hyperparameters of a seq2seq reply model, saved as JSON next to its weights."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

Arch = Literal["lstm", "transformer"]
CONFIG_FILE = "seq2seq_config.json"


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Architecture and sequence limits.

    Attributes:
        arch: "lstm" (BiLSTM encoder + attention LSTM decoder) or "transformer" (encoder-decoder).
        vocab_size: SentencePiece vocabulary size (ids 0 pad, 1 unk, 2 bos, 3 eos).
        d_model: embedding and hidden size (the BiLSTM uses d_model/2 per direction).
        layers: encoder layers = decoder layers.
        heads, ffn: Transformer attention heads and feed-forward width (unused by the LSTM).
        max_src_tokens, max_tgt_tokens: truncation of messages and replies.
    """

    arch: Arch = "transformer"
    vocab_size: int = 4000
    d_model: int = 256
    layers: int = 2
    heads: int = 4
    ffn: int = 512
    dropout: float = 0.1
    max_src_tokens: int = 64
    max_tgt_tokens: int = 96

    def save(self, directory: Path) -> None:
        (directory / CONFIG_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, directory: Path) -> Seq2SeqConfig:
        raw: dict[str, Any] = json.loads((directory / CONFIG_FILE).read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

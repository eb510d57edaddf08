"""Save and load seq2seq models as a self-describing directory: config JSON, safetensors, spm.model."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sentencepiece as spm
import torch
from safetensors.torch import load_model, save_model

from models.atomic import write_dir_atomically
from models.errors import GeneratorError
from models.seq2seq.config import CONFIG_FILE, Seq2SeqConfig
from models.seq2seq.lstm import LSTMSeq2Seq
from models.seq2seq.tokenizer import TOKENIZER_FILE, load_tokenizer

if TYPE_CHECKING:
    from models.seq2seq.transformer import TransformerSeq2Seq

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
METRICS_FILE = "metrics.json"


def build_model(config: Seq2SeqConfig) -> LSTMSeq2Seq | TransformerSeq2Seq:
    """A freshly initialised model of `config.arch`."""
    if config.arch == "lstm":
        return LSTMSeq2Seq(config)
    if config.arch == "transformer":
        from models.seq2seq.transformer import TransformerSeq2Seq

        return TransformerSeq2Seq(config)
    raise GeneratorError(f"unknown seq2seq architecture {config.arch!r} (lstm or transformer)")


def save_seq2seq(
    model: torch.nn.Module,
    config: Seq2SeqConfig,
    tokenizer_path: Path,
    directory: Path,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write config, weights (tied weights stored once), tokenizer and metrics into `directory`.

    The directory is written atomically and replaces an existing one; `tokenizer_path` may lie
    inside it (training writes `spm.model` there first).
    """
    with write_dir_atomically(directory) as tmp:
        config.save(tmp)
        save_model(model, str(tmp / WEIGHTS_FILE))
        shutil.copyfile(tokenizer_path, tmp / TOKENIZER_FILE)
        (tmp / METRICS_FILE).write_text(json.dumps(metrics or {}, indent=2))
    return directory


def load_seq2seq(
    directory: Path,
) -> tuple[torch.nn.Module, spm.SentencePieceProcessor, Seq2SeqConfig]:
    """(model in eval mode, SentencePiece processor, config) from a saved directory."""
    if not (directory / CONFIG_FILE).is_file():
        raise GeneratorError(f"{directory} is not a seq2seq model directory (no {CONFIG_FILE})")
    config = Seq2SeqConfig.load(directory)
    model = build_model(config)
    try:
        load_model(model, str(directory / WEIGHTS_FILE))
    except (OSError, RuntimeError) as exc:
        raise GeneratorError(f"cannot load seq2seq weights from {directory}: {exc}") from exc
    return model.eval(), load_tokenizer(directory), config

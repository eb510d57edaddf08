"""Saving and loading a classifier as a self-describing directory (safetensors, never pickle).

Layout of a model directory:
    classifier.json       ClassifierConfig (hyperparameters, labels)
    encoder/config.json   the encoder's architecture (weights are in model.safetensors)
    model.safetensors     all weights (encoder + head)
    tokenizer.json, tokenizer_config.json
    labels.json           label names in output order
    metrics.json          evaluation metrics of the run (optional)
    history.json          training curves (optional)
    training_stats.json   training label distribution + token vocabulary counts (optional)
    *.png                 report plots written at training time (optional)
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from models.atomic import write_dir_atomically
from models.classifier import ClassifierConfig, SentimentClassifier
from models.errors import ModelLoadError

logger = logging.getLogger(__name__)

CONFIG_FILE = "classifier.json"
WEIGHTS_FILE = "model.safetensors"
ENCODER_DIR = "encoder"


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path, default: Any = None) -> Any:
    """A JSON file's content, or `default` when the file does not exist."""
    if not path.is_file():
        return default
    return json.loads(path.read_text())


def save_classifier(
    model: SentimentClassifier,
    tokenizer: Any,
    directory: Path,
    *,
    metrics: dict[str, Any] | None = None,
    history: dict[str, Any] | None = None,
    training_stats: dict[str, Any] | None = None,
) -> Path:
    """Write `model` and `tokenizer` to `directory` atomically (temp dir, then rename).

    Returns:
        The directory written.
    """
    directory = Path(directory)
    with write_dir_atomically(directory) as tmp:
        state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
        write_json(tmp / CONFIG_FILE, model.config.to_dict())
        encoder: Any = model.encoder
        encoder.config.save_pretrained(tmp / ENCODER_DIR)
        tokenizer.save_pretrained(str(tmp))
        write_json(tmp / "labels.json", list(model.config.labels))
        for name, payload in (
            ("metrics", metrics),
            ("history", history),
            ("training_stats", training_stats),
        ):
            if payload is not None:
                write_json(tmp / f"{name}.json", payload)
    logger.info("saved classifier to %s", directory)
    return directory


def load_classifier(directory: Path | str) -> tuple[SentimentClassifier, Any, ClassifierConfig]:
    """Load a saved classifier in eval mode, on the CPU, in fp32.

    Returns:
        (model, tokenizer, config)

    Raises:
        ModelLoadError: when the directory is missing a file or the weights do not fit the config.
    """
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    directory = Path(directory)
    for needed in (CONFIG_FILE, WEIGHTS_FILE, f"{ENCODER_DIR}/config.json"):
        if not (directory / needed).is_file():
            raise ModelLoadError(f"{directory} is not a classifier directory: {needed} is missing")
    try:
        config = ClassifierConfig.from_dict(read_json(directory / CONFIG_FILE))
        encoder_config = AutoConfig.from_pretrained(str(directory / ENCODER_DIR))
        encoder = AutoModel.from_config(encoder_config, attn_implementation="sdpa")
        model = SentimentClassifier(config, encoder)
        model.load_state_dict(load_file(str(directory / WEIGHTS_FILE)), strict=True)
        tokenizer = AutoTokenizer.from_pretrained(str(directory))
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"cannot load classifier from {directory}: {exc}") from exc
    model.eval()
    return model, tokenizer, config

"""Shapes, masking and save/load of the sentiment classifier (tiny random models)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.classifier import ClassifierConfig
from models.classifier_io import load_classifier, save_classifier
from models.errors import ModelConfigError, ModelLoadError
from models.predictor import pad_batch
from tests.fixtures.tiny_models import build_tiny_classifier

TEXTS = ["my order never arrived", "great service thanks", "ok"]


def _batch(tokenizer, texts, extra_pad=0):
    ids = tokenizer(texts)["input_ids"]
    input_ids, mask = pad_batch(ids, tokenizer.pad_token_id)
    if extra_pad:
        input_ids = torch.cat([input_ids, torch.zeros(len(ids), extra_pad, dtype=torch.long)], 1)
        mask = torch.cat([mask, torch.zeros(len(ids), extra_pad, dtype=torch.long)], 1)
    return input_ids, mask


@pytest.mark.parametrize(
    ("head", "pooling"), [("bilstm", "maxmean"), ("bilstm", "attention"), ("linear", "maxmean")]
)
def test_logits_shape_and_padding_invariance(head, pooling):
    model, tokenizer = build_tiny_classifier(head, pooling)
    ids, mask = _batch(tokenizer, TEXTS)
    with torch.inference_mode():
        logits = model(ids, mask)
        padded = model(*_batch(tokenizer, TEXTS, extra_pad=7))
        alone = torch.cat([model(*_batch(tokenizer, [t])) for t in TEXTS])
    assert logits.shape == (3, 3)
    torch.testing.assert_close(padded, logits, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(alone, logits, atol=1e-5, rtol=1e-4)


def test_padding_tokens_are_ignored_whatever_their_id():
    model, tokenizer = build_tiny_classifier()
    ids, mask = _batch(tokenizer, TEXTS, extra_pad=5)
    garbage = ids.clone()
    garbage[mask == 0] = 9  # any id in padded positions must not matter
    with torch.inference_mode():
        torch.testing.assert_close(model(garbage, mask), model(ids, mask), atol=1e-5, rtol=1e-4)


def test_sentence_embedding_shape():
    model, tokenizer = build_tiny_classifier()
    with torch.inference_mode():
        vectors = model.sentence_embedding(*_batch(tokenizer, TEXTS))
    assert vectors.shape == (3, 32)


def test_save_load_round_trip_gives_identical_outputs(tmp_path: Path):
    model, tokenizer = build_tiny_classifier("bilstm", "attention")
    directory = save_classifier(model, tokenizer, tmp_path / "clf-x", metrics={"macro_f1": 0.5})
    loaded, loaded_tokenizer, config = load_classifier(directory)
    assert config == model.config
    assert loaded_tokenizer(TEXTS)["input_ids"] == tokenizer(TEXTS)["input_ids"]
    batch = _batch(tokenizer, TEXTS)
    with torch.inference_mode():
        assert torch.equal(loaded(*batch), model(*batch))
    assert (directory / "labels.json").is_file() and (directory / "metrics.json").is_file()
    assert not list(tmp_path.glob(".clf-x-*")), "temporary directory left behind"


def test_load_rejects_a_directory_that_is_not_a_classifier(tmp_path: Path):
    with pytest.raises(ModelLoadError, match=r"classifier\.json"):
        load_classifier(tmp_path)


def test_config_validates_and_ignores_unknown_keys():
    with pytest.raises(ModelConfigError):
        ClassifierConfig(head="cnn")
    config = ClassifierConfig.from_dict({"head": "linear", "future_option": 1})
    assert config.head == "linear"
    assert config.pooled_dim == 2 * config.encoder_dim

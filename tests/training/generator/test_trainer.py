"""Training the seq2seq reply models: batching, the loss going down, the saved directory."""

from __future__ import annotations

import random

import pytest
import torch

from models.seq2seq.generator import Seq2SeqGenerator
from models.seq2seq.io import build_model, load_seq2seq
from models.seq2seq.tokenizer import BOS_ID, EOS_ID, PAD_ID
from tests.fixtures.tiny_generators import tiny_seq2seq_args
from training.errors import TrainingFailed
from training.generator.pairs import PairSplits, split_pairs
from training.generator.trainer import collate, evaluate_loss, make_batches, train_seq2seq


def test_collate_shifts_targets_and_pads() -> None:
    encoded = [([5, 6, 7], [8, 9]), ([5], [10, 11, 12])]
    src, lens, tgt_in, tgt_out = collate(encoded, [0, 1])
    assert src.tolist() == [[5, 6, 7], [5, PAD_ID, PAD_ID]]
    assert lens.tolist() == [3, 1]
    assert tgt_in.tolist() == [[BOS_ID, 8, 9, PAD_ID], [BOS_ID, 10, 11, 12]]
    assert tgt_out.tolist() == [[8, 9, EOS_ID, PAD_ID], [10, 11, 12, EOS_ID]]


def test_batches_cover_every_pair_once() -> None:
    encoded = [([1], [2] * (i % 7 + 1)) for i in range(50)]
    batches = make_batches(encoded, 8, random.Random(0))
    assert sorted(i for batch in batches for i in batch) == list(range(50))
    assert max(len(b) for b in batches) == 8


@pytest.mark.parametrize("arch", ["lstm", "transformer"])
def test_a_few_epochs_lower_the_loss_and_save_a_usable_model(arch, tiny_pairs, tmp_path) -> None:
    splits = split_pairs(tiny_pairs, seed=0)
    args = tiny_seq2seq_args(tmp_path / f"gen-{arch}", arch=arch, epochs=8)
    result = train_seq2seq(args, splits, progress=False)
    history = result.history
    assert history["train_loss"][-1] < 0.9 * history["train_loss"][0]
    # Held-out loss of the trained model beats the same architecture untrained.
    model, sp, config = load_seq2seq(result.model_dir)
    from training.generator.trainer import encode_pairs

    val = encode_pairs(sp, splits.validation, config)
    torch.manual_seed(1)
    untrained = build_model(config)
    assert evaluate_loss(model, val, 8, False) < evaluate_loss(untrained, val, 8, False)
    for name in (
        "seq2seq_config.json",
        "model.safetensors",
        "spm.model",
        "metrics.json",
        "loss.png",
    ):
        assert (result.model_dir / name).is_file(), name
    assert result.metrics["train_pairs"] == len(splits.train)
    draft = Seq2SeqGenerator.load(result.model_dir).draft("where is my package 1234?")
    assert draft.reply.strip()


def test_no_training_pairs_is_an_error(tmp_path) -> None:
    with pytest.raises(TrainingFailed, match="no training pairs"):
        train_seq2seq(tiny_seq2seq_args(tmp_path), PairSplits([], [], []), progress=False)

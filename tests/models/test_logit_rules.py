"""The shared logit rules: repetition penalty and the no-repeat n-gram ban."""

from __future__ import annotations

import math

import torch

from models.logit_rules import penalise


def test_repetition_penalty_lowers_seen_tokens_of_either_sign() -> None:
    logits = torch.tensor([2.0, -2.0, 1.0, 0.5])
    out = penalise(logits.clone(), [0, 1], 2.0, 0)
    assert out.tolist() == [1.0, -4.0, 1.0, 0.5]


def test_no_repeat_ngram_bans_the_completing_token() -> None:
    generated = [5, 6, 7, 5, 6]  # the trigram (5, 6, 7) would repeat with 7
    out = penalise(torch.zeros(10), generated, 1.0, 3)
    assert math.isinf(out[7]) and out[7] < 0
    assert torch.isfinite(out[torch.arange(10) != 7]).all()


def test_nothing_generated_changes_nothing() -> None:
    logits = torch.randn(6)
    assert torch.equal(penalise(logits.clone(), [], 1.5, 3), logits)

"""Logit rules shared by every greedy decoder: a repetition penalty and a no-repeat n-gram ban."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch

logger = logging.getLogger(__name__)


def penalise(
    logits: torch.Tensor, generated: Sequence[int], repetition_penalty: float, no_repeat_ngram: int
) -> torch.Tensor:
    """`logits` (V,) changed in place: seen tokens made less likely, n-gram repeats banned.

    The penalty divides positive logits and multiplies negative ones (CTRL-style), so a seen token
    always loses probability. A token that would complete an n-gram already generated gets -inf.
    """
    if not generated:
        return logits
    if repetition_penalty != 1.0:
        seen = torch.tensor(sorted(set(generated)))
        values = logits[seen]
        logits[seen] = torch.where(
            values > 0, values / repetition_penalty, values * repetition_penalty
        )
    n = no_repeat_ngram
    if n > 1 and len(generated) >= n:
        prefix = list(generated[-(n - 1) :])
        banned = [
            generated[i + n - 1]
            for i in range(len(generated) - n + 1)
            if list(generated[i : i + n - 1]) == prefix
        ]
        if banned:
            logits[banned] = float("-inf")
    return logits

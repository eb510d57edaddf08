"""Batched greedy decoding for the seq2seq models, with the shared repetition rules."""

from __future__ import annotations

import logging
from typing import Any, Protocol

import torch

from models.logit_rules import penalise
from models.seq2seq.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID

logger = logging.getLogger(__name__)


class StepModel(Protocol):
    """What greedy decoding needs from a seq2seq model."""

    def start(self, src: torch.Tensor, src_lens: torch.Tensor) -> dict[str, Any]: ...

    def step(
        self, state: dict[str, Any], tokens: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, Any]]: ...


def greedy_decode(
    model: StepModel,
    src: torch.Tensor,
    src_lens: torch.Tensor,
    *,
    max_len: int,
    repetition_penalty: float = 1.2,
    no_repeat_ngram: int = 3,
) -> list[list[int]]:
    """Greedy replies for a batch of sources `src` (B, S): token ids without bos/eos."""
    batch = src.size(0)
    state = model.start(src, src_lens)
    tokens = torch.full((batch, 1), BOS_ID, dtype=torch.long)  # (B, T)
    outputs: list[list[int]] = [[] for _ in range(batch)]
    done = [False] * batch
    for _ in range(max_len):
        logits, state = model.step(state, tokens)  # (B, V)
        chosen = []
        for row in range(batch):
            if done[row]:
                chosen.append(PAD_ID)
                continue
            scores = penalise(
                logits[row].float().clone(), outputs[row], repetition_penalty, no_repeat_ngram
            )
            scores[[PAD_ID, BOS_ID, UNK_ID]] = float("-inf")
            token = int(torch.argmax(scores))
            if token == EOS_ID:
                done[row] = True
            else:
                outputs[row].append(token)
            chosen.append(token)
        if all(done):
            break
        tokens = torch.cat([tokens, torch.tensor(chosen).unsqueeze(1)], dim=1)
    return outputs

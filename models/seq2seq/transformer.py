"""A small Transformer encoder-decoder (pre-norm, learned positions, shared tied embeddings)."""

from __future__ import annotations

import logging
import math
from typing import Any

import torch
from torch import nn

from models.seq2seq.config import Seq2SeqConfig
from models.seq2seq.tokenizer import PAD_ID

logger = logging.getLogger(__name__)

MAX_POSITIONS = 512


class TransformerSeq2Seq(nn.Module):
    """`nn.Transformer` with one embedding table shared by source, target and output layer."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        d = config.d_model
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, d, padding_idx=PAD_ID)
        self.positions = nn.Embedding(MAX_POSITIONS, d)
        self.transformer = nn.Transformer(
            d_model=d,
            nhead=config.heads,
            num_encoder_layers=config.layers,
            num_decoder_layers=config.layers,
            dim_feedforward=config.ffn,
            dropout=config.dropout,
            batch_first=True,
            norm_first=True,
        )
        self.out = nn.Linear(d, config.vocab_size, bias=False)
        self.out.weight = self.embed.weight
        self.drop = nn.Dropout(config.dropout)
        # Tied output layer: unit-variance embeddings would give logits of std ~sqrt(d).
        nn.init.normal_(self.embed.weight, std=config.d_model**-0.5)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.size(1), device=ids.device).clamp(max=MAX_POSITIONS - 1)
        scaled = self.embed(ids) * math.sqrt(self.config.d_model)
        embedded: torch.Tensor = self.drop(scaled + self.positions(positions))  # (B, T, D)
        return embedded

    def start(self, src: torch.Tensor, src_lens: torch.Tensor) -> dict[str, Any]:
        """Encode `src` (B, S) once; the decoder attends to it at every step."""
        pad = src == PAD_ID  # (B, S)
        memory = self.transformer.encoder(self._embed(src), src_key_padding_mask=pad)
        return {"memory": memory, "pad": pad}

    def _decode(
        self, state: dict[str, Any], tgt: torch.Tensor, tgt_pad: torch.Tensor | None
    ) -> torch.Tensor:
        causal = nn.Transformer.generate_square_subsequent_mask(tgt.size(1), device=tgt.device)
        hidden = self.transformer.decoder(
            self._embed(tgt),
            state["memory"],
            tgt_mask=causal,
            tgt_is_causal=True,
            tgt_key_padding_mask=tgt_pad,
            memory_key_padding_mask=state["pad"],
        )
        logits: torch.Tensor = self.out(hidden)  # (B, T, V)
        return logits

    def forward(
        self, src: torch.Tensor, src_lens: torch.Tensor, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) for the decoder inputs `tgt_in` (B, T)."""
        return self._decode(self.start(src, src_lens), tgt_in, tgt_in == PAD_ID)

    def step(
        self, state: dict[str, Any], tokens: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """Logits (B, V) for the next token; the whole prefix is re-decoded (short replies, no cache)."""
        return self._decode(state, tokens, None)[:, -1], state

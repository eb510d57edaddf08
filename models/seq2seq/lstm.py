"""BiLSTM encoder + LSTM decoder with Luong ("general") attention over the encoder states."""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from models.seq2seq.config import Seq2SeqConfig
from models.seq2seq.tokenizer import PAD_ID

logger = logging.getLogger(__name__)


class LSTMSeq2Seq(nn.Module):
    """The seed project's baseline: packed BiLSTM encoder, attention LSTM decoder, tied output layer."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        d, layers = config.d_model, config.layers
        dropout = config.dropout if layers > 1 else 0.0
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, d, padding_idx=PAD_ID)
        self.encoder = nn.LSTM(
            d, d // 2, num_layers=layers, bidirectional=True, batch_first=True, dropout=dropout
        )
        self.bridge = nn.Linear(d, d)
        self.decoder = nn.LSTM(d, d, num_layers=layers, batch_first=True, dropout=dropout)
        self.attn = nn.Linear(d, d, bias=False)
        self.combine = nn.Linear(2 * d, d)
        self.out = nn.Linear(d, config.vocab_size)
        self.out.weight = self.embed.weight  # tied: fewer parameters, better on a small corpus
        self.drop = nn.Dropout(config.dropout)
        # Tied output layer: unit-variance embeddings would give logits of std ~sqrt(d).
        nn.init.normal_(self.embed.weight, std=config.d_model**-0.5)

    def start(self, src: torch.Tensor, src_lens: torch.Tensor) -> dict[str, Any]:
        """Encode `src` (B, S); returns the decoder's initial state."""
        emb = self.drop(self.embed(src))  # (B, S, D)
        packed = pack_padded_sequence(
            emb, src_lens.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.encoder(packed)
        memory, _ = pad_packed_sequence(
            out, batch_first=True, total_length=src.size(1)
        )  # (B, S, D)
        mask = src != PAD_ID  # (B, S)
        pooled = (memory * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        h0 = torch.tanh(self.bridge(pooled)).unsqueeze(0).repeat(self.config.layers, 1, 1)
        return {"memory": memory, "mask": mask, "hc": (h0, torch.zeros_like(h0))}

    def _project(self, dec: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = dec @ self.attn(memory).transpose(1, 2)  # (B, T, S)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        context = torch.softmax(scores, dim=-1) @ memory  # (B, T, D)
        hidden = torch.tanh(self.combine(torch.cat([dec, context], dim=-1)))  # (B, T, D)
        logits: torch.Tensor = self.out(self.drop(hidden))  # (B, T, V)
        return logits

    def forward(
        self, src: torch.Tensor, src_lens: torch.Tensor, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) for the decoder inputs `tgt_in` (B, T)."""
        state = self.start(src, src_lens)
        dec, _ = self.decoder(self.drop(self.embed(tgt_in)), state["hc"])  # (B, T, D)
        return self._project(dec, state["memory"], state["mask"])

    def step(
        self, state: dict[str, Any], tokens: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """Logits (B, V) for the next token after `tokens` (B, T); only the last one is fed."""
        dec, hc = self.decoder(self.embed(tokens[:, -1:]), state["hc"])  # (B, 1, D)
        logits = self._project(dec, state["memory"], state["mask"])[:, -1]
        return logits, {**state, "hc": hc}

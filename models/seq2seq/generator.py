"""A trained seq2seq model behind the same `draft()` interface as the causal-LM generator."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import sentencepiece as spm
import torch

from models.cleaning import clean_reply
from models.seq2seq.config import Seq2SeqConfig
from models.seq2seq.decoding import greedy_decode
from models.seq2seq.io import load_seq2seq
from models.seq2seq.tokenizer import PAD_ID
from models.settings import ModelSettings
from models.types import Draft

logger = logging.getLogger(__name__)


def encode_sources(
    sp: spm.SentencePieceProcessor, messages: Sequence[str], max_tokens: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded source ids (B, S) and lengths (B,); an empty message becomes one unk-free pad-less id."""
    rows = [list(sp.encode(m.strip() or "?"))[:max_tokens] or [1] for m in messages]
    width = max(len(r) for r in rows)
    src = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        src[i, : len(row)] = torch.tensor(row)
    return src, torch.tensor([len(r) for r in rows])


class Seq2SeqGenerator:
    """Drafts replies with a from-scratch BiLSTM or Transformer seq2seq model.

    It sees only the customer's message: sentiment, tone and examples are accepted for interface
    compatibility and used only for the fallback reply.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        sp: spm.SentencePieceProcessor,
        config: Seq2SeqConfig,
        name: str,
    ) -> None:
        self.model, self.sp, self.config, self.name = model, sp, config, name

    @classmethod
    def load(cls, directory: Path, settings: ModelSettings | None = None) -> Seq2SeqGenerator:
        model, sp, config = load_seq2seq(directory)
        return cls(model, sp, config, f"{config.arch}:{directory.name}")

    def generate(self, messages: Sequence[str], max_new_tokens: int | None = None) -> list[str]:
        """Raw decoded replies for a batch of messages."""
        budget = min(max_new_tokens or self.config.max_tgt_tokens, 4 * self.config.max_tgt_tokens)
        src, lens = encode_sources(self.sp, messages, self.config.max_src_tokens)
        with torch.inference_mode():
            ids = greedy_decode(self.model, src, lens, max_len=budget)  # type: ignore[arg-type]
        return [str(self.sp.decode(row)) for row in ids]

    def draft(
        self,
        message: str,
        *,
        sentiment: str | None = None,
        tone: str | None = None,
        examples: Sequence[tuple[str, str]] = (),
        max_new_tokens: int | None = None,
    ) -> Draft:
        """One cleaned reply to `message` within `max_new_tokens` tokens."""
        started = time.perf_counter()
        raw = self.generate([message], max_new_tokens)[0]
        reply = clean_reply(raw, sentiment=sentiment, source=message)
        return Draft(reply, self.name, sentiment, (time.perf_counter() - started) * 1000, [])

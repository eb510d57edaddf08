"""The sentiment classifier: BERT-family encoder -> BiLSTM (packed) -> masked pooling -> linear.

The `linear` head variant skips the LSTM and pools the encoder's token states directly; both share
`ClassifierConfig`, which is saved as JSON beside the weights (see `models.classifier_io`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from models.errors import ModelConfigError
from models.types import LABELS

logger = logging.getLogger(__name__)

HEADS = ("bilstm", "linear")
POOLINGS = ("maxmean", "attention")


@dataclass
class ClassifierConfig:
    """Hyperparameters of a `SentimentClassifier`; saved as `classifier.json` in a model directory.

    Example:
        >>> ClassifierConfig(head="linear").pooled_dim
        768
    """

    labels: list[str] = field(default_factory=lambda: list(LABELS))
    head: str = "bilstm"  # "bilstm" | "linear"
    encoder_dim: int = 384
    lstm_hidden: int = 192
    lstm_layers: int = 1
    dropout: float = 0.1
    pooling: str = "maxmean"  # "maxmean" | "attention"
    max_tokens: int = 128
    encoder_source: str = ""  # where the encoder was first loaded from (informational)

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ModelConfigError(f"unknown head {self.head!r}: use one of {HEADS}")
        if self.pooling not in POOLINGS:
            raise ModelConfigError(f"unknown pooling {self.pooling!r}: use one of {POOLINGS}")
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise ModelConfigError(f"labels must be 2+ distinct names, got {self.labels}")

    @property
    def feature_dim(self) -> int:
        """Width of the token features that are pooled."""
        return 2 * self.lstm_hidden if self.head == "bilstm" else self.encoder_dim

    @property
    def pooled_dim(self) -> int:
        return 2 * self.feature_dim if self.pooling == "maxmean" else self.feature_dim

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassifierConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            logger.warning("ignoring unknown classifier config keys %s", unknown)
        return cls(**{k: v for k, v in data.items() if k in known})


class MaskedPooling(nn.Module):
    """Pools (B, T, D) token features over real tokens only: max+mean, or learned attention."""

    def __init__(self, mode: str, dim: int) -> None:
        super().__init__()
        self.mode = mode
        self.score = nn.Linear(dim, 1) if mode == "attention" else None

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask.unsqueeze(-1).bool()  # (B, T, 1)
        if self.score is not None:
            logits = self.score(features).masked_fill(~keep, float("-inf"))  # (B, T, 1)
            weights = torch.softmax(logits, dim=1)
            return (weights * features).sum(dim=1)  # (B, D)
        return torch.cat([masked_max(features, keep), masked_mean(features, keep)], dim=-1)


def masked_mean(features: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean over positions where `keep` (B, T, 1) is true: (B, T, D) -> (B, D)."""
    total = (features * keep).sum(dim=1)
    return total / keep.sum(dim=1).clamp(min=1).to(features.dtype)


def masked_max(features: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Max over positions where `keep` (B, T, 1) is true: (B, T, D) -> (B, D)."""
    return features.masked_fill(~keep, torch.finfo(features.dtype).min).amax(dim=1)


class SentimentClassifier(nn.Module):
    """Encoder + (BiLSTM) + masked pooling + linear layer over `config.labels`.

    Args:
        config: the hyperparameters.
        encoder: a transformers encoder (`AutoModel`) whose `last_hidden_state` is (B, T, encoder_dim).

    Example:
        >>> logits = model(input_ids, attention_mask)  # (B, len(config.labels))
    """

    def __init__(self, config: ClassifierConfig, encoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.lstm: nn.LSTM | None = None
        if config.head == "bilstm":
            self.lstm = nn.LSTM(
                config.encoder_dim,
                config.lstm_hidden,
                num_layers=config.lstm_layers,
                batch_first=True,
                bidirectional=True,
                dropout=config.dropout if config.lstm_layers > 1 else 0.0,
            )
        self.pool = MaskedPooling(config.pooling, config.feature_dim)
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.pooled_dim, len(config.labels))

    def token_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The encoder's last hidden states: (B, T) ids -> (B, T, encoder_dim)."""
        output = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        states: torch.Tensor = output.last_hidden_state
        return states

    def _bilstm(self, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        assert self.lstm is not None
        lengths = attention_mask.sum(dim=1).clamp(min=1).cpu()  # (B,)
        # The LSTM runs in fp32 even under bf16 autocast: it is cheap here and stays accurate.
        with torch.autocast(device_type=states.device.type, enabled=False):
            packed = pack_padded_sequence(
                states.float(), lengths, batch_first=True, enforce_sorted=False
            )
            output, _ = self.lstm(packed)
            padded, _ = pad_packed_sequence(output, batch_first=True, total_length=states.shape[1])
        return padded  # (B, T, 2 * lstm_hidden), zeros after each length

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits (B, len(labels)) for token ids (B, T) with mask (B, T) (1 = real token)."""
        states = self.token_states(input_ids, attention_mask)  # (B, T, E)
        return self._logits(states, attention_mask)

    def logits_and_embedding(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`forward` and `sentence_embedding` from one pass of the encoder."""
        states = self.token_states(input_ids, attention_mask)
        embedding = masked_mean(states.float(), attention_mask.unsqueeze(-1).bool())
        return self._logits(states, attention_mask), embedding

    def _logits(self, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # (B, T, 2L) after the BiLSTM, (B, T, E) for the linear head
        features = self._bilstm(states, attention_mask) if self.lstm is not None else states.float()
        pooled = self.pool(features, attention_mask)  # (B, P)
        logits: torch.Tensor = self.out(self.dropout(pooled))
        return logits.float()

    def sentence_embedding(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """Mean of the encoder's real-token states (B, encoder_dim), as sentence-transformers do."""
        states = self.token_states(input_ids, attention_mask).float()
        return masked_mean(states, attention_mask.unsqueeze(-1).bool())

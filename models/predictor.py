"""Serving the classifier: batched, length-sorted, truncated, thread-safe predictions and embeddings.

Texts the model cannot judge (empty, whitespace, emoji or link only) get a neutral `Prediction`
with a `note`, never an exception; very long texts are cut to a character budget before tokenising
(cheap) and then to the token budget.

With a `CorrectionMemory` attached (`predictor.memory`, kept current by the serving process) and
the texts' workspaces given, each workspace's corrections are blended into its predictions; the
embeddings come from the same encoder pass as the scores.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.classifier import SentimentClassifier
from models.classifier_io import load_classifier
from models.correction_memory import CorrectionMemory
from models.encoder import autocast, quantize_int8, resolve_precision
from models.errors import InferenceError
from models.settings import ModelSettings
from models.textnorm import non_english_share, normalise_text, unclassifiable_reason
from models.types import Prediction

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN_BUDGET = 10  # WordPiece averages ~4-5 chars per token on English; keep slack


class SentimentPredictor:
    """Classifies texts with a saved classifier directory.

    Example:
        >>> predictor = SentimentPredictor.load(Path("var/models/clf-20260101-120000"), settings)
        >>> predictor.predict(["my order never arrived"])[0].label
        'negative'
    """

    def __init__(
        self,
        model: SentimentClassifier,
        tokenizer: Any,
        *,
        version: str,
        precision: str = "fp32",
        max_tokens: int = 128,
        batch_size: int = 32,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.version = version
        self.precision = precision
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.labels = list(model.config.labels)
        self.device = next(model.parameters()).device
        self.memory: CorrectionMemory | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, directory: Path | str, settings: ModelSettings) -> SentimentPredictor:
        """Load a classifier directory for serving, with the precision from `settings`."""
        directory = Path(directory)
        model, tokenizer, config = load_classifier(directory)
        precision = resolve_precision(settings.classifier_precision)
        if precision == "int8":
            quantize_int8(model)
        torch.set_num_threads(settings.torch_threads)
        logger.info("loaded classifier %s (%s)", directory.name, precision)
        return cls(
            model,
            tokenizer,
            version=directory.name,
            precision=precision,
            max_tokens=min(settings.classifier_max_tokens, config.max_tokens),
            batch_size=settings.classifier_batch_size,
        )

    def predict(
        self, texts: Sequence[str], team_ids: Sequence[str | None] | None = None
    ) -> list[Prediction]:
        """One `Prediction` per text, in order; `team_ids` (one per text) lets each workspace's
        corrections count (see `memory`)."""
        results: list[Prediction | None] = [None] * len(texts)
        todo: list[tuple[int, str, str]] = []
        for index, raw in enumerate(texts):
            text, note = self._prepare(raw)
            reason = unclassifiable_reason(text)
            if reason:
                results[index] = self._neutral(reason)
            else:
                todo.append((index, text, note))
        if todo:
            probs = self._adapted_probs(
                [text for _, text, _ in todo],
                None if team_ids is None else [team_ids[index] for index, _, _ in todo],
            )
            for (index, _, note), row in zip(todo, probs, strict=True):
                results[index] = self._prediction(row, note)
        return [r for r in results if r is not None]

    def _adapted_probs(self, texts: list[str], team_ids: Sequence[str | None] | None) -> np.ndarray:
        memory = self.memory
        if memory is None or team_ids is None or not any(memory.size(t) for t in team_ids if t):
            return self.predict_proba(texts)
        probs, vectors = self.probs_and_embeddings(texts)
        return memory.blend(probs, vectors, team_ids)

    def probs_and_embeddings(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Label probabilities (N, L) and L2-normalised sentence embeddings (N, H) of
        already-normalised texts, from one encoder pass (what the correction memory needs)."""
        probs, vectors = self._run(texts, embed=True)
        return probs, _normalised(vectors)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Label probabilities (N, len(labels)) for already-normalised texts."""
        return self._run(texts, embed=False)[0]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised sentence embeddings (N, H) for retrieval (mean of encoder token states)."""
        prepared = [self._prepare(t)[0] or " " for t in texts]
        return _normalised(self._run(prepared, scores=False, embed=True)[1])

    def _prepare(self, raw: str) -> tuple[str, str]:
        if not isinstance(raw, str):
            raw = "" if raw is None else str(raw)
        budget = self.max_tokens * CHARS_PER_TOKEN_BUDGET
        note = ""
        if len(raw) > budget:
            raw, note = raw[:budget], "truncated"
        text = normalise_text(raw)
        if text and non_english_share(text) > 0.5:
            note = ", ".join(x for x in (note, "probably not English: low reliability") if x)
        return text, note

    def _neutral(self, reason: str) -> Prediction:
        neutral = "neutral" if "neutral" in self.labels else self.labels[0]
        scores = {label: (1.0 if label == neutral else 0.0) for label in self.labels}
        return Prediction(neutral, 1.0, scores, self.version, note=reason)

    def _prediction(self, row: np.ndarray, note: str) -> Prediction:
        best = int(row.argmax())
        scores = {label: float(p) for label, p in zip(self.labels, row, strict=True)}
        return Prediction(self.labels[best], float(row[best]), scores, self.version, note=note)

    def _run(
        self, texts: Sequence[str], *, scores: bool = True, embed: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (N, L) when `scores` and sentence embeddings (N, H) when `embed` (else
        zero-width arrays), both from one encoder pass per batch."""
        encoded = self.tokenizer(
            list(texts), truncation=True, max_length=self.max_tokens, add_special_tokens=True
        )["input_ids"]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))  # cut padding
        probs = np.zeros((len(encoded), len(self.labels) if scores else 0), dtype=np.float32)
        vectors = np.zeros(
            (len(encoded), self.model.config.encoder_dim if embed else 0), dtype=np.float32
        )
        pad_id = self.tokenizer.pad_token_id or 0
        with self._lock, torch.inference_mode(), autocast(self.precision, self.device):
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                ids, mask = pad_batch([encoded[i] for i in chunk], pad_id)
                ids, mask = ids.to(self.device), mask.to(self.device)
                try:
                    if scores and embed:
                        logits, embedding = self.model.logits_and_embedding(ids, mask)
                    elif embed:
                        logits, embedding = None, self.model.sentence_embedding(ids, mask)
                    else:
                        logits, embedding = self.model(ids, mask), None
                except RuntimeError as exc:
                    raise InferenceError(f"classifier forward pass failed: {exc}") from exc
                if logits is not None:
                    probs[chunk] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                if embedding is not None:
                    vectors[chunk] = embedding.float().cpu().numpy()
        return probs, vectors


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: np.ndarray = vectors / np.clip(norms, 1e-12, None)
    return out


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists to the longest: (ids (B, T), attention mask (B, T))."""
    longest = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), longest), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask

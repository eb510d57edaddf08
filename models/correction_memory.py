"""Corrections that count at once: a per-workspace nearest-neighbour memory blended with the
classifier's output.

Each workspace keeps the sentence embeddings (L2-normalised mean of the encoder's token states,
`SentimentPredictor.embed`) of the messages its people labelled, with their labels. For a new
message of that workspace, the `k` most similar corrections vote, each weighted by
`exp((similarity - 1) / temperature)`, counting only those at least `min_similarity` alike; the
vote is mixed into the classifier's probabilities with a weight that grows from 0 (nearest
correction at `min_similarity`) to `weight` (an identical message). A message unlike every
correction keeps the classifier's answer, so the memory moves the domain its corrections come
from and leaves the rest alone. Measured in docs/retraining.md ("Correction memory").

Workspaces never share a memory: a lookup reads only its own workspace's rows. Size is bounded
per workspace (the newest `capacity` corrections); a lookup is one (n, H) x (H, m) product.

Example:
    >>> memory = CorrectionMemory(("negative", "neutral", "positive"))
    >>> memory.replace("T1", np.eye(3, dtype=np.float32), ["negative", "neutral", "positive"])
    >>> memory.blend(np.full((1, 3), 1 / 3), np.eye(3)[:1], ["T1"]).argmax()
    0
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CAPACITY = 5_000


@dataclass(frozen=True)
class MemoryRule:
    """How corrections vote (the defaults measured best; docs/retraining.md)."""

    k: int = 10
    min_similarity: float = 0.3
    weight: float = 1.0
    temperature: float = 0.2


@dataclass(frozen=True)
class _Corrections:
    embeddings: np.ndarray  # (m, H), L2-normalised, float32
    labels: np.ndarray  # (m,) label indices


class CorrectionMemory:
    """The corrections of every workspace served by this process, each workspace on its own.

    Args:
        labels: the classifier's labels, in its output order.
        rule: how corrections vote and how much.
        capacity: most corrections kept per workspace (the newest).
        version: the classifier whose encoder made the embeddings (a new model re-embeds).
    """

    def __init__(
        self,
        labels: Sequence[str],
        *,
        rule: MemoryRule | None = None,
        capacity: int = CAPACITY,
        version: str = "",
    ) -> None:
        self.labels = tuple(labels)
        self.rule = rule or MemoryRule()
        self.capacity = max(1, capacity)
        self.version = version
        self._teams: dict[str, _Corrections] = {}
        self._lock = threading.Lock()

    def size(self, team_id: str) -> int:
        """Corrections held for `team_id`."""
        with self._lock:
            found = self._teams.get(team_id)
        return 0 if found is None else len(found.labels)

    def replace(self, team_id: str, embeddings: np.ndarray, labels: Sequence[str]) -> None:
        """Hold exactly these corrections for `team_id` (oldest first; the newest are kept)."""
        self._store(team_id, *self._checked(embeddings, labels))

    def add(self, team_id: str, embeddings: np.ndarray, labels: Sequence[str]) -> None:
        """Append corrections for `team_id` (newest last), forgetting the oldest beyond capacity."""
        vectors, indices = self._checked(embeddings, labels)
        with self._lock:
            held = self._teams.get(team_id)
        if held is not None:
            vectors = np.concatenate([held.embeddings, vectors])
            indices = np.concatenate([held.labels, indices])
        self._store(team_id, vectors, indices)

    def blend(
        self, probs: np.ndarray, embeddings: np.ndarray, team_ids: Sequence[str | None]
    ) -> np.ndarray:
        """`probs` (N, L) with each row's workspace's corrections mixed in (a new array).

        Rows whose workspace has no corrections (or `None`) keep their probabilities.
        """
        out = np.array(probs, dtype=np.float32, copy=True)
        rows_by_team: dict[str, list[int]] = {}
        for row, team in enumerate(team_ids):
            if team is not None:
                rows_by_team.setdefault(team, []).append(row)
        for team, rows in rows_by_team.items():
            with self._lock:
                held = self._teams.get(team)
            if held is not None:
                out[rows] = self._vote(out[rows], np.asarray(embeddings)[rows], held)
        return out

    def _vote(self, probs: np.ndarray, queries: np.ndarray, held: _Corrections) -> np.ndarray:
        rule = self.rule
        k = min(rule.k, len(held.labels))
        sims = queries.astype(np.float32) @ held.embeddings.T  # (n, m)
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(sims, nearest, axis=1)  # (n, k)
        weights = np.exp((top - 1.0) / rule.temperature) * (top >= rule.min_similarity)
        votes = np.zeros_like(probs)
        for j in range(k):
            np.add.at(votes, (np.arange(len(probs)), held.labels[nearest[:, j]]), weights[:, j])
        mass = votes.sum(axis=1, keepdims=True)
        knn = np.divide(votes, mass, out=probs.copy(), where=mass > 0)
        closeness = (top.max(axis=1, keepdims=True) - rule.min_similarity) / (
            1.0 - rule.min_similarity
        )
        mix = rule.weight * np.clip(closeness, 0.0, 1.0)
        mixed: np.ndarray = (1.0 - mix) * probs + mix * knn
        return mixed

    def _checked(
        self, embeddings: np.ndarray, labels: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(labels):
            raise ValueError(
                f"need (n, H) embeddings for {len(labels)} labels, got {vectors.shape}"
            )
        unknown = sorted(set(labels) - set(self.labels))
        if unknown:
            raise ValueError(f"unknown labels {unknown}: the classifier knows {self.labels}")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.clip(norms, 1e-12, None)
        indices = np.array([self.labels.index(label) for label in labels], dtype=np.int64)
        return vectors, indices

    def _store(self, team_id: str, vectors: np.ndarray, indices: np.ndarray) -> None:
        kept = _Corrections(vectors[-self.capacity :], indices[-self.capacity :])
        with self._lock:
            if len(kept.labels):
                self._teams[team_id] = kept
            else:
                self._teams.pop(team_id, None)

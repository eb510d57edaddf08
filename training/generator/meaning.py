"""Does a draft say what the reference says? Two measures beside n-gram overlap, both with a
sentence encoder (the shipped all-MiniLM-L6-v2 in the bot's evaluation, a hashing embedder in
tests):

- semantic similarity: the mean cosine between each draft and its reference, 0-100;
- intent accuracy: the share of drafts that a nearest-centroid judge, built from the train
  split's reference replies grouped by Bitext intent, assigns to the customer's intent. The
  judge's own accuracy on the test references is its ceiling (`MeaningScorer.ceiling`).

Example:
    >>> scorer = MeaningScorer(train_pairs, embed)
    >>> scorer.similarity(drafts, references), scorer.intent_accuracy(drafts, intents)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from models.retrieval import l2_normalise
from training.errors import EvaluationError
from training.generator.pairs import Pair

Embed = Callable[[Sequence[str]], np.ndarray]


class MeaningScorer:
    """Semantic similarity and intent accuracy, with intent centroids from `train` replies."""

    def __init__(self, train: Sequence[Pair], embed: Embed) -> None:
        self.embed = embed
        by_intent: dict[str, list[str]] = {}
        for pair in train:
            if pair.intent:
                by_intent.setdefault(pair.intent, []).append(pair.reply)
        self.intents = sorted(by_intent)
        centroids = [self._vectors(by_intent[i]).mean(axis=0) for i in self.intents]
        self.centroids = l2_normalise(np.array(centroids)) if centroids else np.zeros((0, 1))

    def similarity(self, drafts: Sequence[str], references: Sequence[str]) -> float:
        """Mean cosine of each draft with its reference, 0-100."""
        if len(drafts) != len(references) or not drafts:
            raise EvaluationError(f"{len(drafts)} drafts for {len(references)} references")
        cosines = (self._vectors(drafts) * self._vectors(references)).sum(axis=1)
        return round(100 * float(cosines.mean()), 2)

    def intent_accuracy(self, drafts: Sequence[str], intents: Sequence[str]) -> float | None:
        """Share of drafts (0-100) nearest to their message's intent; None without intents."""
        if len(drafts) != len(intents):
            raise EvaluationError(f"{len(drafts)} drafts for {len(intents)} intents")
        known = [i for i, intent in enumerate(intents) if intent in self.intents]
        if not known:
            return None
        nearest = (self._vectors([drafts[i] for i in known]) @ self.centroids.T).argmax(axis=1)
        hits = sum(int(self.intents[n] == intents[i]) for n, i in zip(nearest, known, strict=True))
        return round(100.0 * hits / len(known), 2)

    def ceiling(self, test: Sequence[Pair]) -> float | None:
        """The judge's intent accuracy on the references themselves."""
        return self.intent_accuracy([p.reply for p in test], [p.intent for p in test])

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        return l2_normalise(np.asarray(self.embed([t or " " for t in texts]), dtype=np.float32))

"""Find the approved replies most similar to a new message, to ground the generator.

Similarity is the cosine of L2-normalised message embeddings. Any `Embedder` works: the
classifier predictor's `.embed` (what the bot uses), plain mean-pooled MiniLM sentences
(`MiniLMEmbedder`, used by the offline evaluation) or a hashed bag of words (`HashingEmbedder`,
no weights at all: tests and a last-resort fallback). A team without approved replies yet gets
`BUILTIN_EXAMPLES`, a dozen generic replies written for this project.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

Embedder = Callable[[Sequence[str]], np.ndarray]
Pair = tuple[str, str]

BUILTIN_EXAMPLES: tuple[Pair, ...] = (
    (
        "I was charged twice for my order",
        "I'm sorry about the double charge. I've asked our billing team to refund the duplicate payment on {{order number}}; you'll see it back on your card within 3-5 business days.",
    ),
    (
        "My package still hasn't arrived",
        "I'm sorry your package is late. I've opened a trace with the carrier for {{order number}} and will email you an update within 24 hours.",
    ),
    (
        "I want a refund",
        "I'm sorry this didn't work out. I've started the refund for {{order number}}; it will reach your original payment method within 5 business days, and I'll confirm by email.",
    ),
    (
        "Nobody answers my emails",
        "I'm sorry you've been waiting without an answer. I'm taking over your case now and will reply to you personally by the end of today.",
    ),
    (
        "The app crashes when I log in",
        "I'm sorry the app keeps crashing. Could you tell me your app version and phone model? Meanwhile, updating to the latest version and restarting the app often fixes it.",
    ),
    (
        "I can't log in to my account",
        "Sorry for the trouble signing in. Please use \"Forgot password\" on the sign-in page; if the reset email doesn't arrive within 10 minutes, reply here and I'll reset it for you.",
    ),
    (
        "How do I change my shipping address?",
        "You can change it under Orders > {{order number}} > Edit address until the order ships. If it has already shipped, tell me the new address and I'll ask the carrier to redirect it.",
    ),
    (
        "How do I cancel my subscription?",
        "You can cancel any time under Account > Subscription > Cancel. Your plan stays active until the end of the current billing period, and I'm happy to do it for you if you prefer.",
    ),
    (
        "The item arrived damaged",
        "I'm sorry your item arrived damaged. Please send a photo of the damage and I'll ship a replacement right away at no cost to you.",
    ),
    (
        "What are your opening hours?",
        "Our support team is available {{support hours}}. You can also reach us here any time and we'll get back to you as soon as we're online.",
    ),
    (
        "Thanks, the problem is solved!",
        "Thank you for letting us know, that's great to hear! If anything else comes up, just reply here and we'll be glad to help.",
    ),
    (
        "Great service, thank you so much",
        "Thank you so much for the kind words! I'll pass them on to the team. Let us know if there's anything else we can do for you.",
    ),
)


def top_k(query: np.ndarray, matrix: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Indices and cosine scores of the `k` rows of `matrix` closest to `query` (both L2-normalised).

    Args:
        query: (H,) vector.
        matrix: (N, H) rows.
        k: how many to return (fewer when N < k).
    """
    if k <= 0 or matrix.shape[0] == 0:
        return []
    scores = matrix @ query  # (N,)
    k = min(k, scores.shape[0])
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(i), float(scores[i])) for i in best]


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normed: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return normed


class HashingEmbedder:
    """Hashed word unigrams and bigrams, L2-normalised: no weights, deterministic, crude."""

    def __init__(self, dim: int = 1024) -> None:
        self.dim = dim

    def _index(self, feature: str) -> int:
        return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=4).digest(), "big")

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9']+", text.lower())
            for feature in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
                out[row, self._index(feature) % self.dim] += 1.0
        return l2_normalise(out)


class MiniLMEmbedder:
    """Mean-pooled sentence embeddings from a BERT-family encoder (all-MiniLM-L6-v2 by default)."""

    def __init__(self, model: Any, tokenizer: Any, max_tokens: int = 128) -> None:
        self.model, self.tokenizer, self.max_tokens = model, tokenizer, max_tokens

    @classmethod
    def load(cls, directory: Path | None = None) -> MiniLMEmbedder:
        from transformers import AutoModel, AutoTokenizer

        from models.assets import minilm_dir

        source = directory or minilm_dir()
        return cls(AutoModel.from_pretrained(source).eval(), AutoTokenizer.from_pretrained(source))

    def __call__(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = [t or " " for t in texts[start : start + batch_size]]
                enc = self.tokenizer(
                    batch,
                    padding=True,
                    truncation=True,
                    max_length=self.max_tokens,
                    return_tensors="pt",
                )
                hidden = self.model(**enc).last_hidden_state  # (B, T, H)
                mask = enc["attention_mask"].unsqueeze(-1).float()  # (B, T, 1)
                chunks.append(((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).numpy())
        if not chunks:
            return np.zeros((0, 1), dtype=np.float32)
        return l2_normalise(np.concatenate(chunks))


class ReplyRetriever:
    """Picks the approved replies whose customer messages are closest to a new message.

    Embeddings of candidate messages are cached (LRU, by text), so a team's few hundred approved
    replies are embedded once, not on every draft. Thread-safe.

    Example:
        >>> retriever = ReplyRetriever(HashingEmbedder())
        >>> retriever.retrieve("charged twice", [], k=1)  # no approved replies: built-ins
        [('I was charged twice for my order', "I'm sorry about the double charge. ...")]
    """

    def __init__(self, embed: Embedder, *, cache_size: int = 5000, min_score: float = 0.2) -> None:
        self.embed = embed
        self.cache_size = cache_size
        self.min_score = min_score
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = self.embed(missing) if missing else None
        with self._lock:
            for i, text in enumerate(missing):
                assert fresh is not None
                self._cache[text] = fresh[i]
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > max(self.cache_size, len(texts)):
                self._cache.popitem(last=False)
        return np.stack(rows)

    def retrieve(self, message: str, candidates: Sequence[Pair], k: int) -> list[Pair]:
        """The `k` closest (message, reply) pairs; the built-ins when `candidates` is empty.

        Candidates scoring below `min_score` are dropped, except that the best one is always kept
        for a team's own replies (any grounding in their wording beats none).
        """
        if k <= 0:
            return []
        pool = list(candidates) or list(BUILTIN_EXAMPLES)
        vectors = self._vectors([message, *(question for question, _ in pool)])
        ranked = top_k(vectors[0], vectors[1:], k)
        chosen = [
            pool[i]
            for rank, (i, score) in enumerate(ranked)
            if rank == 0 or score >= self.min_score
        ]
        logger.debug("retrieved %d of %d examples", len(chosen), len(pool))
        return chosen

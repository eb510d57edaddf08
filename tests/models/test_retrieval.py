"""Retrieval of approved replies: cosine top-k, the hashing embedder, built-ins, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from models.retrieval import BUILTIN_EXAMPLES, HashingEmbedder, ReplyRetriever, l2_normalise, top_k

TEAM = [
    ("my parcel never arrived", "Sorry, I've opened a trace with the carrier."),
    ("how do I reset my password", "Use Forgot password on the sign-in page."),
    ("I was billed twice this month", "Sorry, I've refunded the duplicate charge."),
]


def test_top_k_orders_by_cosine() -> None:
    matrix = l2_normalise(np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]))
    query = l2_normalise(np.array([[0.0, 1.0]]))[0]
    assert [i for i, _ in top_k(query, matrix, 2)] == [2, 1]
    assert len(top_k(query, matrix, 10)) == 3
    assert top_k(query, matrix, 0) == [] and top_k(query, matrix[:0], 3) == []


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    embed = HashingEmbedder(dim=256)
    a, b = embed(["Where is my order?", "where is my ORDER"])
    assert np.allclose(np.linalg.norm(a), 1.0)
    assert float(a @ b) == pytest.approx(1.0)  # case and punctuation do not matter
    assert np.allclose(embed([""])[0], 0.0)  # nothing to hash: a zero vector, not NaN


def test_retrieves_the_closest_team_reply_first() -> None:
    retriever = ReplyRetriever(HashingEmbedder())
    found = retriever.retrieve("I was billed twice!", TEAM, k=2)
    assert found[0] == TEAM[2]
    assert len(found) <= 2


def test_without_team_replies_the_builtins_are_used() -> None:
    found = ReplyRetriever(HashingEmbedder()).retrieve("I was charged twice for my order", [], k=3)
    assert found[0] == BUILTIN_EXAMPLES[0]
    assert set(found) <= set(BUILTIN_EXAMPLES)


def test_weak_matches_are_dropped_but_the_best_is_kept() -> None:
    retriever = ReplyRetriever(HashingEmbedder(), min_score=0.99)
    found = retriever.retrieve("password reset please", TEAM, k=3)
    assert found == [TEAM[1]]
    assert retriever.retrieve("anything", TEAM, k=0) == []


def test_embeddings_are_cached_per_text() -> None:
    calls: list[int] = []
    hashing = HashingEmbedder()

    def counting(texts):
        calls.append(len(texts))
        return hashing(texts)

    retriever = ReplyRetriever(counting)
    retriever.retrieve("where is my parcel", TEAM, k=1)
    retriever.retrieve("where is my parcel", TEAM, k=1)
    retriever.retrieve("a new question", TEAM, k=1)
    assert calls == [4, 1]

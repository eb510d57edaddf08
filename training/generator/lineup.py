"""The generators `triagebot evaluate drafts` compares, all on the same held-out pairs.

Names in a lineup:
    "lm": the pretrained causal LM (GENERATOR_PATH or the converted SmolLM2), zero-shot.
    "lm+retrieval": the same model, prompted with the k train pairs closest to each message.
    anything else: a model directory (a seq2seq model from `triagebot train generator`, or
        another causal LM, zero-shot).

Retrieval draws only on the train split, so no test reply can leak into a prompt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.retrieval import HashingEmbedder, MiniLMEmbedder, ReplyRetriever
from models.settings import ModelSettings
from training.errors import DataError
from training.generator.evaluation import Examples, Sentiment, evaluate_generator
from training.generator.meaning import MeaningScorer
from training.generator.pairs import Pair
from training.generator.types import GeneratorReport

logger = logging.getLogger(__name__)

LM, LM_RETRIEVAL = "lm", "lm+retrieval"
DEFAULT_LINEUP = (LM, LM_RETRIEVAL)


@dataclass(frozen=True)
class Contender:
    """One generator to score: its display name, the model and whether it gets retrieved examples."""

    name: str
    generator: Any
    retrieval: bool


def build_lineup(
    names: Sequence[str], settings: ModelSettings, lm_path: str | Path = ""
) -> list[Contender]:
    """Load every named generator once (the LM is shared by "lm" and "lm+retrieval")."""
    from models.generator import ReplyGenerator, load_generator

    lm: Any = None
    lineup = []
    for name in names:
        if name in (LM, LM_RETRIEVAL):
            lm = lm or ReplyGenerator.load(lm_path, settings)
            lineup.append(Contender(name, lm, name == LM_RETRIEVAL))
            continue
        path = Path(name)
        if not path.is_dir():
            raise DataError(f"generator {name!r} is neither lm, lm+retrieval nor a model directory")
        lineup.append(Contender(path.name, load_generator(path, settings), False))
    return lineup


def make_embedder(kind: str) -> Callable[[Sequence[str]], Any]:
    """ "minilm" (mean-pooled all-MiniLM-L6-v2, what the bot's classifier encoder resembles) or
    "hashing" (hashed bag of words: no weights, for tests)."""
    if kind == "hashing":
        return HashingEmbedder()
    if kind == "minilm":
        return MiniLMEmbedder.load()
    raise DataError(f"unknown embedder {kind!r} (minilm or hashing)")


def retrieval_from(
    train: Sequence[Pair], embedder: Callable[[Sequence[str]], Any], k: int
) -> Examples:
    """A function giving the `k` train pairs closest to a message (the bot's `ReplyRetriever`)."""
    retriever = ReplyRetriever(embedder, cache_size=len(train) + 16)
    pool = [(pair.message, pair.reply) for pair in train]
    return lambda message: retriever.retrieve(message, pool, k)


def evaluate_lineup(
    lineup: Sequence[Contender],
    test: Sequence[Pair],
    *,
    examples_for: Examples | None,
    sentiment_for: Sentiment | None,
    max_new_tokens: int | None,
    progress: bool = False,
    meaning: MeaningScorer | None = None,
) -> list[GeneratorReport]:
    """Score each contender on `test`; only retrieval contenders get `examples_for`."""
    return [
        evaluate_generator(
            contender.name,
            contender.generator,
            test,
            examples_for=examples_for if contender.retrieval else None,
            sentiment_for=sentiment_for,
            max_new_tokens=max_new_tokens,
            progress=progress,
            meaning=meaning,
        )
        for contender in lineup
    ]

"""Drafting a suggested reply: classify the message, retrieve the team's approved replies, generate.

`DraftService` is what listeners, the dashboard API and the CLI call. It never fails because a
helper is missing: no classifier means a small keyword guess at the sentiment, a database error
or a team without approved replies means the built-in example replies
(`models.retrieval.BUILTIN_EXAMPLES`). Only a missing generator is an error.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from typing import Any

from bot.settings import Settings
from models.errors import GeneratorError
from models.generator import DraftGenerator
from models.holder import ModelHolder
from models.retrieval import Embedder, HashingEmbedder, Pair, ReplyRetriever
from models.types import Draft
from storage.database import Database
from storage.errors import StorageError
from storage.repositories import list_approved_replies

logger = logging.getLogger(__name__)

_UPSET = re.compile(
    r"\b(?:never|nobody|no one|twice|refund|broken|worst|terrible|awful|angry|ridiculous|"
    r"unacceptable|still (?:waiting|not)|not working|doesn'?t work|crash\w*|charged|scam|"
    r"cancel|disappointed|frustrat\w*|useless|fed up|complain\w*)\b",
    re.IGNORECASE,
)
_HAPPY = re.compile(
    r"\b(?:thanks?|thank you|great|awesome|love|perfect|amazing|excellent|solved|works now)\b",
    re.IGNORECASE,
)


def guess_sentiment(text: str) -> str:
    """A keyword guess, used only when no classifier is loaded (upset words win over happy ones)."""
    if _UPSET.search(text):
        return "negative"
    if _HAPPY.search(text):
        return "positive"
    return "neutral"


class DraftService:
    """Drafts replies grounded in a team's approved replies.

    Args:
        generator_holder: the generator to use (causal LM or seq2seq), swappable.
        classifier_holder: a `SentimentPredictor` (`.predict`, `.embed`, `.version`), or empty.
        db: a `storage.database.Database` holding approved replies, or None (built-ins only).
        settings: all settings; uses `models.draft_examples_k`, `draft_max_new_tokens`, `draft_tone`.
        embedder: override the retrieval embeddings (default: the classifier's `.embed`, or a
            hashed bag of words without a classifier).

    Example:
        >>> service = DraftService(ModelHolder(generator), ModelHolder(predictor), db, settings)
        >>> service.draft("I was charged twice", team_id="T1").reply
        "I'm sorry about the double charge. ..."
    """

    def __init__(
        self,
        generator_holder: ModelHolder[DraftGenerator],
        classifier_holder: ModelHolder[Any] | None,
        db: Database | None,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
    ) -> None:
        self.generators = generator_holder
        self.classifiers = classifier_holder or ModelHolder()
        self.db = db
        self.settings = settings
        self.embedder = embedder
        self._retrievers: dict[str, ReplyRetriever] = {}
        self._lock = threading.Lock()

    def draft(
        self,
        text: str,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
        tone: str | None = None,
    ) -> Draft:
        """One suggested reply to `text`; `latency_ms` covers classification, retrieval and generation.

        Raises:
            GeneratorError: no generator is loaded, or it failed.
        """
        started = time.perf_counter()
        generator = self.generators.get_or_none()
        if generator is None:
            raise GeneratorError("no reply generator is loaded")
        classifier = self.classifiers.get_or_none()
        sentiment = self._sentiment(text, classifier)
        examples = self.examples_for(text, team_id=team_id, classifier=classifier)
        draft = generator.draft(
            text,
            sentiment=sentiment,
            tone=tone or self.settings.models.draft_tone or None,
            examples=examples,
            max_new_tokens=self.settings.models.draft_max_new_tokens,
        )
        latency = (time.perf_counter() - started) * 1000
        logger.info("drafted %d chars with %s in %.0f ms", len(draft.reply), draft.model, latency)
        return dataclasses.replace(draft, latency_ms=latency)

    def _sentiment(self, text: str, classifier: Any) -> str:
        if classifier is not None:
            try:
                return str(classifier.predict([text])[0].label)
            except Exception:  # a broken classifier must not stop drafting
                logger.exception("classifier failed while drafting: keyword guess instead")
        return guess_sentiment(text)

    def examples_for(self, text: str, *, team_id: str | None, classifier: Any = None) -> list[Pair]:
        """The k approved replies closest to `text` (the built-ins when the team has none)."""
        k = self.settings.models.draft_examples_k
        if k <= 0:
            return []
        retriever = self._retriever(classifier)
        try:
            return retriever.retrieve(text, self._approved(team_id), k)
        except Exception:  # retrieval is a nicety: draft ungrounded rather than fail
            logger.exception("retrieval failed: drafting without examples")
            return []

    def _approved(self, team_id: str | None) -> list[Pair]:
        if self.db is None or team_id is None:  # no workspace: no workspace's replies
            return []
        try:
            records = list_approved_replies(self.db, team_id=team_id, limit=500)
        except StorageError as exc:  # e.g. a fresh data directory before `triagebot db upgrade`
            logger.warning("cannot read approved replies (%s): using the built-in examples", exc)
            return []
        return [(r.message_text, r.reply_text) for r in records if r.message_text and r.reply_text]

    def _retriever(self, classifier: Any) -> ReplyRetriever:
        """One retriever (with its embedding cache) per embedding model; a swap starts a new one."""
        if self.embedder is not None:
            key, embed = "custom", self.embedder
        elif classifier is not None and hasattr(classifier, "embed"):
            key, embed = (
                f"classifier:{getattr(classifier, 'version', id(classifier))}",
                classifier.embed,
            )
        else:
            key, embed = "hashing", HashingEmbedder()
        with self._lock:
            if key not in self._retrievers:
                self._retrievers = {key: ReplyRetriever(embed)}
            return self._retrievers[key]

"""Keeps the served classifier's correction memory in step with the feedback in the database.

Every serving process (an inline `serve`, each Celery worker) runs one `MemorySync`. Each
`refresh()` reads the feedback given or changed since the last one, embeds the new texts with the
served classifier, and rebuilds those workspaces' memories from its cache of embeddings (a
relabel replaces the old label; an unchanged text is not embedded again). A promoted or rolled
back classifier has another encoder, so its memory is built afresh from every correction.

Only corrections whose text is kept count (typed texts, and messages in `store_text` channels):
the same rule that lets a correction train the next model.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.services import Predictor
from models.correction_memory import CorrectionMemory
from models.holder import ModelHolder
from models.predictor import SentimentPredictor
from storage import repositories as repo
from storage.database import Database
from storage.errors import StorageError

logger = logging.getLogger(__name__)

EMBED_BATCH = 64
FULL_EVERY = 30  # refreshes between full reads (5 minutes at the default 10 s)


@dataclass(frozen=True)
class _Cached:
    team_id: str
    text: str
    label: str
    vector: np.ndarray


class MemorySync:
    """Builds and refreshes `predictor.memory` for the classifier in `holder`.

    Args:
        db: where feedback is.
        holder: the served classifier (hot-swapped on promotion).
        capacity: most corrections kept per workspace.
        every_seconds: how often `start()`'s thread refreshes.
    """

    def __init__(
        self,
        db: Database,
        holder: ModelHolder[Predictor],
        *,
        capacity: int,
        every_seconds: float = 10.0,
    ) -> None:
        self.db = db
        self.holder = holder
        self.capacity = capacity
        self.every_seconds = every_seconds
        self._cache: dict[int, _Cached] = {}
        self._since: datetime | None = None
        self._version = ""
        self._refreshes = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self, *, full: bool = False) -> int:
        """Bring the memory up to date; return how many corrections were embedded now.

        A `full` refresh (also every `FULL_EVERY`-th) reads all feedback, not only what changed,
        so a correction whose text is gone (message deleted, retention, uninstall) leaves the
        memory.
        """
        predictor = self.holder.get_or_none()
        if not isinstance(predictor, SentimentPredictor):
            return 0  # nothing served yet, or a stand-in without an encoder
        with self._lock:
            if predictor.memory is None or self._version != predictor.version:
                self._cache, self._since, self._version = {}, None, predictor.version
                predictor.memory = CorrectionMemory(
                    predictor.labels, capacity=self.capacity, version=predictor.version
                )
            memory = predictor.memory
            self._refreshes += 1
            full = full or self._since is None or self._refreshes % FULL_EVERY == 0
            try:
                changed = repo.list_feedback(
                    self.db, team_id=repo.ALL_WORKSPACES, since=None if full else self._since
                )
            except StorageError as exc:
                logger.warning("correction memory not refreshed: %s", exc)
                return 0
            usable = [f for f in changed if f.team_id and f.text and f.label in memory.labels]
            before = self._cache
            todo = [f for f in usable if f.id not in before or before[f.id].text != f.text]
            vectors = self._embed(predictor, [f.text or "" for f in todo])
            embedded = {f.id: vector for f, vector in zip(todo, vectors, strict=True)}
            # What changed is read again below, and a full read starts from nothing, so a
            # correction whose text is gone is forgotten.
            gone = {f.id for f in changed}
            cache = {} if full else {i: c for i, c in before.items() if i not in gone}
            for f in usable:
                assert f.team_id is not None and f.text is not None
                vector = embedded[f.id] if f.id in embedded else before[f.id].vector
                cache[f.id] = _Cached(f.team_id, f.text, f.label, vector)
            touched = {c.team_id for i, c in before.items() if full or i in gone}
            touched |= {cache[f.id].team_id for f in usable}
            self._cache = cache
            self._rebuild(memory, touched)
            if changed:
                self._since = max(f.updated_at for f in changed)
        if todo:
            logger.info("correction memory: %d new corrections embedded", len(todo))
        return len(todo)

    def start(self) -> None:
        """Refresh now and then every `every_seconds` in a daemon thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="correction-memory", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # a failed refresh keeps the last memory; the next one retries
                logger.exception("correction memory refresh failed")
            self._stop.wait(self.every_seconds)

    @staticmethod
    def _embed(predictor: SentimentPredictor, texts: list[str]) -> list[np.ndarray]:
        vectors: list[np.ndarray] = []
        for start in range(0, len(texts), EMBED_BATCH):
            vectors.extend(predictor.embed(texts[start : start + EMBED_BATCH]))
        return vectors

    def _rebuild(self, memory: CorrectionMemory, teams: set[str]) -> None:
        """These workspaces' memories from the cache, oldest feedback first (ids grow with
        time); beyond capacity the oldest are forgotten."""
        by_team: dict[str, list[int]] = {team: [] for team in teams}
        for feedback_id in sorted(self._cache):
            team = self._cache[feedback_id].team_id
            if team in by_team:
                by_team[team].append(feedback_id)
        for team, ids in by_team.items():
            for stale in ids[: -self.capacity]:
                del self._cache[stale]
            kept = [self._cache[i] for i in ids[-self.capacity :]]
            vectors = np.stack([c.vector for c in kept]) if kept else np.zeros((0, 1), np.float32)
            memory.replace(team, vectors, [c.label for c in kept])

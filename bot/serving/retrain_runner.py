"""Background retraining for Slack and App Home: start at once, report progress and the outcome.

Example:
    >>> service = RetrainService(db, settings)
    >>> service.start("admin", "U123", notify=lambda text: respond(text))
    True
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Protocol

from bot.services import Notify
from bot.settings import Settings
from storage.database import Database
from training.retrain.run import describe_result, retrain_once
from training.retrain.types import Progress, RetrainResult

logger = logging.getLogger(__name__)


class RetrainFn(Protocol):
    def __call__(
        self,
        trigger: str,
        *,
        db: Database,
        settings: Settings,
        requested_by: str | None = None,
        progress: Progress | None = None,
        slot: datetime | None = None,
    ) -> RetrainResult: ...


class RetrainService:
    """Runs one `retrain_once` at a time in this process, in a daemon thread.

    Other processes are kept out by the database lease inside `retrain_once`; a run refused
    there is reported through `notify` as "already running".
    """

    def __init__(
        self, db: Database, settings: Settings, *, retrain: RetrainFn = retrain_once
    ) -> None:
        self.db = db
        self.settings = settings
        self._retrain = retrain
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_result: RetrainResult | None = None

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(
        self,
        trigger: str,
        requested_by: str | None,
        notify: Notify,
        *,
        slot: datetime | None = None,
    ) -> bool:
        """Start a run in the background; False (and nothing started) if one is running here."""
        with self._lock:
            if self.running:
                return False
            self._thread = threading.Thread(
                target=self._run,
                args=(trigger, requested_by, notify, slot),
                name="retrain",
                daemon=True,
            )
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> RetrainResult | None:
        """Block until the current run ends (tests, CLI); returns its result."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.last_result

    def _run(
        self, trigger: str, requested_by: str | None, notify: Notify, slot: datetime | None
    ) -> None:
        try:
            self.last_result = retrain_and_report(
                self._retrain,
                trigger,
                requested_by,
                notify,
                db=self.db,
                settings=self.settings,
                slot=slot,
            )
        except Exception as exc:
            logger.exception("retrain (%s) crashed", trigger)
            _safe(notify, f"Retraining failed: {type(exc).__name__}: {exc}")


def retrain_and_report(
    retrain: RetrainFn,
    trigger: str,
    requested_by: str | None,
    notify: Notify,
    *,
    db: Database,
    settings: Settings,
    slot: datetime | None = None,
) -> RetrainResult:
    """One run in the calling thread, telling `notify` that it started, each stage (see
    `StageNotifier`) and the outcome. Raises what the run raised."""
    _safe(notify, f"Retraining started ({trigger}). I'll post progress here.")
    result = retrain(
        trigger,
        db=db,
        settings=settings,
        requested_by=requested_by,
        progress=StageNotifier(notify),
        slot=slot,
    )
    _safe(notify, describe_result(result))
    return result


class StageNotifier:
    """A progress callback that tells `notify` about each new stage and every quarter of training."""

    def __init__(self, notify: Notify) -> None:
        self._notify = notify
        self._stage = ""
        self._quarter = -1

    def __call__(self, stage: str, fraction: float | None = None) -> None:
        quarter = int(fraction * 4) if fraction is not None else -1
        if stage == self._stage and quarter <= self._quarter:
            return
        if stage == self._stage and 0 < quarter < 4:
            _safe(self._notify, f"{stage}: {quarter * 25}%")
        elif stage != self._stage:
            _safe(self._notify, f"{stage}...")
        self._stage, self._quarter = stage, quarter


def _safe(notify: Notify, text: str) -> None:
    try:
        notify(text)
    except Exception:
        logger.exception("could not post retrain progress")

"""Hot swap: every serving process follows the active classifier version stored in the database.

A `ModelWatcher` thread checks `get_active_model_version` every `MODEL_RELOAD_SECONDS` (at once
after `SIGHUP`, see `install_sighup`). When the version differs from the one it serves, it loads
the new one *outside* any lock and then swaps the `ModelHolder` contents; requests in flight keep
the model object they already took. A version that fails to load is logged, reported once
through `on_error`, and not retried until the active version changes again: the old model keeps
serving.

Example:
    >>> watcher = ModelWatcher(holder, db, loader=lambda p: SentimentPredictor.load(p, settings))
    >>> watcher.start(interval=30)          # in `serve`; `watcher.stop()` on shutdown
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from models.holder import ModelHolder
from storage import repositories as repo
from storage.database import Database

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ModelWatcher(Generic[T]):
    """Keeps a `ModelHolder` serving the active version of one model kind."""

    def __init__(
        self,
        holder: ModelHolder[T],
        db: Database,
        *,
        loader: Callable[[Path], T],
        kind: str = "classifier",
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.holder = holder
        self.db = db
        self.kind = kind
        self._loader = loader
        self._on_error = on_error
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failed: str | None = None
        current = holder.get_or_none()
        self.version: str | None = getattr(current, "version", None)

    def check_now(self) -> bool:
        """Swap in the active version if it changed; True when a swap happened."""
        try:
            active = repo.get_active_model_version(self.db, kind=self.kind)
        except Exception:
            logger.exception(
                "cannot read the active %s version; keeping %s", self.kind, self.version
            )
            return False
        if active is None or active.version in (self.version, self._failed):
            return False
        try:
            model = self._loader(Path(active.path))
        except Exception as exc:
            self._failed = active.version
            message = (
                f"{self.kind} {active.version} failed to load ({type(exc).__name__}: {exc}); "
                f"still serving {self.version}"
            )
            logger.exception("%s", message)
            if self._on_error is not None:
                self._on_error(message)
            return False
        self.holder.swap(model)
        logger.info("%s swapped: %s -> %s", self.kind, self.version, active.version)
        self.version, self._failed = active.version, None
        return True

    def wake(self) -> None:
        """Check at once instead of at the next interval (signal-safe: only sets an event)."""
        self._wake.set()

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            self.check_now()
            self._wake.wait(interval)
            self._wake.clear()

    def start(self, interval: float) -> threading.Thread:
        """Run the watcher in a daemon thread, checking every `interval` seconds."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name=f"{self.kind}-watcher", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)


def install_sighup(watchers: list[ModelWatcher[Any]]) -> bool:
    """Make SIGHUP wake the watchers; only possible from the main thread (False otherwise)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGHUP"):
        return False

    def handle_sighup(signum: int, frame: object) -> None:
        for watcher in watchers:
            watcher.wake()

    signal.signal(signal.SIGHUP, handle_sighup)
    return True

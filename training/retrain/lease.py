"""The database lease `retrain`: one retrain at a time across every process sharing the database.

The holder renews it from a heartbeat thread; a crashed process stops renewing, so the lease
expires after `RETRAIN_LEASE_SECONDS`. Runs a crashed process left `running` are failed by
`recover_stale_runs` at the next start, and by every run before it starts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from storage import repositories as repo
from storage.database import Database
from training.errors import TrainingError

logger = logging.getLogger(__name__)

LEASE_NAME = "retrain"


class RetrainBusy(TrainingError):
    """Another retrain holds the lease (in this or another process)."""


def lease_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseKeeper:
    """Renews a lease every third of its TTL in a daemon thread until stopped."""

    def __init__(self, db: Database, holder: str, ttl_seconds: int) -> None:
        self.db, self.holder, self.ttl = db, holder, ttl_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="retrain-lease", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(max(1.0, self.ttl / 3)):
            try:
                if not repo.renew_lease(
                    self.db, name=LEASE_NAME, holder=self.holder, ttl_seconds=self.ttl
                ):
                    logger.error("retrain lease lost (expired and taken by another process)")
            except Exception:
                logger.exception("could not renew the retrain lease")

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@contextmanager
def retrain_lease(db: Database, ttl_seconds: int) -> Iterator[str]:
    """Hold the `retrain` lease (raises `RetrainBusy` when taken); released on exit."""
    holder = lease_holder()
    if not repo.acquire_lease(db, name=LEASE_NAME, holder=holder, ttl_seconds=ttl_seconds):
        raise RetrainBusy("another retrain is already running")
    try:
        with LeaseKeeper(db, holder, ttl_seconds):
            yield holder
    finally:
        try:
            repo.release_lease(db, name=LEASE_NAME, holder=holder)
        except Exception:
            logger.exception("could not release the retrain lease (it expires by itself)")


def fail_running_runs(db: Database) -> int:
    """Mark every run still `running` as failed: call only while holding the lease."""
    count: int = repo.fail_stale_runs(db, older_than=datetime.now(UTC))
    if count:
        logger.warning("marked %d interrupted training run(s) failed", count)
    return count


def recover_stale_runs(db: Database) -> int:
    """At process start: fail runs left by a crashed process, unless a live run holds the lease."""
    try:
        with retrain_lease(db, 60):
            return fail_running_runs(db)
    except RetrainBusy:
        return 0

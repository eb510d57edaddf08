"""The outbox sender: a background thread that delivers due rows and records how each went.

Event-driven: `kick()` (called after every write in this process) wakes it at once; otherwise it
sleeps until the earliest row falls due (a retry, a paced message, a lease that runs out) and
at most `sweep_seconds`, so rows another process left behind (it crashed) are found too.
Several senders, in one process or many, can run on one database: a row is claimed with a lease
(`storage.repositories.claim_due`), so only one sends it at a time.

Example:
    >>> sender = OutboxSender(db, SlackClients(settings.slack))  # doctest: +SKIP
    >>> sender.start(); ...; sender.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.outbox.clients import ClientSource
from bot.outbox.delivery import Deliverer
from bot.outbox.outcomes import Outcome, backoff
from bot.outbox.pacing import POST_BURST, POST_INTERVAL_SECONDS, Holds, Pacer
from storage import repositories as repo
from storage.columns import utcnow
from storage.database import Database
from storage.records import OutboxRecord

logger = logging.getLogger(__name__)

MIN_WAIT_SECONDS = 0.01
KEEP_FINISHED = timedelta(days=7)  # delivered and expired rows, then purged
PURGE_EVERY_SECONDS = 3600.0


class OutboxSender:
    """Delivers the outbox from a thread pool; `start()` it once, `stop()` it on the way out.

    Args:
        db: the database holding the outbox.
        clients: Web API clients by team, without retry handlers (`bot.slack_api.SlackClients`).
        threads: rows of different channels sent at once.
        sweep_seconds: the longest sleep, to find rows of other (crashed) processes.
        lease_seconds: how long a claim holds a row (longer than any one Slack call).
        batch_size: rows claimed per round.
        post_interval: seconds between messages per channel after a burst of `post_burst`.
        coalesce_seconds: pause between two updates of one digest.
    """

    def __init__(
        self,
        db: Database,
        clients: ClientSource,
        *,
        threads: int = 4,
        sweep_seconds: float = 30.0,
        lease_seconds: float = 60.0,
        batch_size: int = 50,
        post_interval: float = POST_INTERVAL_SECONDS,
        post_burst: int = POST_BURST,
        coalesce_seconds: float = 1.0,
    ) -> None:
        self.db = db
        self.holder = f"sender-{uuid.uuid4().hex[:12]}"
        self.sweep_seconds = sweep_seconds
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.coalesce_seconds = coalesce_seconds
        pacer = Pacer(db, post_interval=post_interval, post_burst=post_burst)
        self.deliverer = Deliverer(db, clients, pacer)
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Condition()
        self._kicked = False
        self._stopping = threading.Event()
        self._rounds = threading.Condition()  # notified after every round
        self._purged_at = 0.0

    # ---- lifecycle
    def start(self) -> None:
        """Start the sender thread (once)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="outbox-send")
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the Slack calls in flight (each is bounded by the client's timeout)."""
        self._stopping.set()
        self.kick()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def kick(self) -> None:
        """Wake the sender now: a row was written."""
        with self._wake:
            self._kicked = True
            self._wake.notify()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no row is pending (tests, shutdown); False if some still are at `timeout`."""
        deadline = time.monotonic() + timeout
        while repo.count_pending(self.db):
            left = deadline - time.monotonic()
            if left <= 0 or self._thread is None:
                return False
            self.kick()
            with self._rounds:
                self._rounds.wait(min(left, 0.5))
        return True

    # ---- the loop
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.run_once() >= self.batch_size
            except Exception:  # the database may be away for a while: keep the thread alive
                logger.exception("outbox sender round failed")
                busy = False
            with self._rounds:
                self._rounds.notify_all()
            if not busy:
                self._sleep(self._next_wait())

    def _next_wait(self) -> float:
        try:
            due = repo.next_due_at(self.db)
        except Exception:
            logger.exception("outbox sender could not read the next due time")
            return self.sweep_seconds
        if due is None:
            return self.sweep_seconds
        seconds = (due - utcnow()).total_seconds()
        return min(self.sweep_seconds, max(MIN_WAIT_SECONDS, seconds))

    def _sleep(self, seconds: float) -> None:
        with self._wake:
            if not self._kicked and not self._stopping.is_set():
                self._wake.wait(seconds)
            self._kicked = False

    def run_once(self) -> int:
        """One round: give up overdue rows (and, hourly, purge old finished ones), claim what is
        due, deliver it; return how many rows were claimed.

        Rows of one channel go in order on one thread; different channels go in parallel.
        """
        repo.expire_overdue(self.db)
        if time.monotonic() - self._purged_at >= PURGE_EVERY_SECONDS:
            self._purged_at = time.monotonic()
            repo.purge_outbox(self.db, older_than=KEEP_FINISHED)
        rows = repo.claim_due(
            self.db, holder=self.holder, limit=self.batch_size, lease_seconds=self.lease_seconds
        )
        if not rows:
            return 0
        holds = repo.active_holds(self.db)
        groups: defaultdict[tuple[str | None, str], list[OutboxRecord]] = defaultdict(list)
        for row in rows:
            groups[(row.team_id, row.channel_id or row.key)].append(row)
        if self._pool is None:  # not started: deliver in the caller's thread (tests, scripts)
            for group in groups.values():
                self._deliver_group(group, dict(holds))
        else:
            running = [
                self._pool.submit(self._deliver_group, group, dict(holds))
                for group in groups.values()
            ]
            futures.wait(running)
        return len(rows)

    def _deliver_group(self, rows: list[OutboxRecord], holds: Holds) -> None:
        for row in rows:
            try:
                outcome = self.deliverer.deliver(row, holds)
            except Exception as exc:  # a bug or the database: retry later, keep the others going
                logger.exception("delivering outbox row %s (%s) failed", row.id, row.key)
                outcome = Outcome.retry(type(exc).__name__)
            try:
                self._record(row, outcome)
            except Exception:  # the lease runs out and the row is tried again
                logger.exception("could not record the outcome of outbox row %s", row.id)

    def _record(self, row: OutboxRecord, outcome: Outcome) -> None:
        db, holder = self.db, self.holder
        if outcome.kind == "sent":
            if row.method == "digest" and outcome.result_ts and outcome.version is not None:
                repo.finish_digest(
                    db,
                    row_id=row.id,
                    holder=holder,
                    digest_id=int(row.payload["digest_id"]),
                    version=outcome.version,
                    posted_ts=outcome.result_ts,
                    coalesce_seconds=self.coalesce_seconds,
                )
            else:
                repo.mark_sent(db, row_id=row.id, holder=holder, result_ts=outcome.result_ts)
        elif outcome.kind == "failed":
            logger.warning("Slack refused %s (%s): %s", row.key, row.method, outcome.reason)
            repo.mark_failed(db, row_id=row.id, holder=holder, reason=outcome.reason or "unknown")
        else:
            deferred = outcome.kind == "deferred"
            wait = outcome.wait if outcome.wait is not None else backoff(row.attempts)
            if not deferred:
                logger.info("retrying %s in %.1f s: %s", row.key, wait, outcome.reason)
            repo.retry_at(
                db,
                row_id=row.id,
                holder=holder,
                at=utcnow() + timedelta(seconds=wait),
                reason=outcome.reason,
                count_attempt=not deferred,
            )

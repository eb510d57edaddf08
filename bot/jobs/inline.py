"""The default executor: bounded in-process queues, one per job queue, each with its own threads.

Nothing here blocks a caller: `submit` puts the job on its queue or returns False at once when
the queue is full (back-pressure; the listener tells the user). Triage, drafts and training have
separate queues and threads, so a 2-second draft never delays a tag, and the many triage threads
feed the micro-batcher, which turns concurrent messages into one forward pass.

Jobs live in memory: those still queued when the process dies are lost (Slack does not redeliver
an acknowledged event). Deployments that must not lose them run the `celery` executor.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from bot import metrics
from bot.jobs.types import QUEUES, Job, QueueName

logger = logging.getLogger(__name__)

_STOP = object()


class InlineJobQueue:
    """Bounded per-queue worker threads that run `handle(job)`.

    Args:
        handle: runs one job (`bot.jobs.handlers.run_job` bound to a runtime).
        threads: worker threads per queue.
        queue_size: most jobs waiting per queue before `submit` refuses.
        on_close: called by `close` (the runtime's own background work, e.g. its memory).
    """

    name = "inline"

    def __init__(
        self,
        handle: Callable[[Job], object],
        *,
        threads: dict[QueueName, int],
        queue_size: int,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self._handle = handle
        self._on_close = on_close
        self._queues: dict[QueueName, queue.Queue[object]] = {
            name: queue.Queue(maxsize=queue_size) for name in QUEUES
        }
        self._idle = threading.Condition()
        self._threads = [
            threading.Thread(target=self._work, args=(name,), name=f"job-{name}-{i}", daemon=True)
            for name in QUEUES
            for i in range(max(1, threads.get(name, 1)))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> bool:
        """Queue `job`; False at once when its queue is full."""
        try:
            self._queues[job.queue].put_nowait(job)
        except queue.Full:
            metrics.count_job(job.kind, "rejected")
            logger.warning("%s queue full: %s job refused", job.queue, job.kind)
            return False
        metrics.count_job(job.kind, "submitted")
        metrics.set_queue_depth(job.queue, self._queues[job.queue].qsize())
        return True

    def depth(self) -> dict[str, int]:
        return {name: q.qsize() for name, q in self._queues.items()}

    def full(self, queue: QueueName) -> bool:
        return self._queues[queue].full()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every queued job has run (tests, shutdown); False on timeout."""
        with self._idle:
            return self._idle.wait_for(
                lambda: all(q.unfinished_tasks == 0 for q in self._queues.values()), timeout
            )

    def close(self) -> None:
        """Stop the threads after the jobs already queued (daemon threads: exit does not wait)."""
        self._on_close()
        for name, q in self._queues.items():
            for thread in self._threads:
                if thread.name.startswith(f"job-{name}-"):
                    q.put(_STOP)

    def _work(self, name: QueueName) -> None:
        jobs = self._queues[name]
        while True:
            job = jobs.get()
            if job is _STOP:
                jobs.task_done()
                return
            metrics.set_queue_depth(name, jobs.qsize())
            try:
                self._handle(job)  # type: ignore[arg-type]
            except Exception:
                logger.exception("%s job failed", getattr(job, "kind", "?"))
            finally:
                jobs.task_done()
                with self._idle:
                    self._idle.notify_all()

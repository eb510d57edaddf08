"""The inline executor: separate queues and threads per kind, back-pressure without blocking."""

from __future__ import annotations

import threading

from bot.jobs.inline import InlineJobQueue
from bot.jobs.types import ClassifyJob, DraftJob, Job


def draft_job(text: str = "help") -> DraftJob:
    return DraftJob(mode="command", text=text, team_id="T1", channel_id="C1", response_url="u")


def classify_job(text: str = "hi") -> ClassifyJob:
    return ClassifyJob(text=text, team_id="T1", channel_id="C1", response_url="u")


class Handler:
    """Records jobs; draft jobs block until `release` is set."""

    def __init__(self) -> None:
        self.done: list[Job] = []
        self.release = threading.Event()
        self.drafting = threading.Semaphore(0)
        self._done = threading.Condition()

    def wait_for_done(self, job: Job, timeout: float = 60) -> bool:
        with self._done:
            return self._done.wait_for(lambda: job in self.done, timeout)

    def __call__(self, job: Job) -> None:
        if isinstance(job, DraftJob):
            self.drafting.release()
            self.release.wait(60)
        if job.response_url == "boom":  # type: ignore[union-attr]
            raise RuntimeError("handler failed")
        with self._done:
            self.done.append(job)
            self._done.notify_all()


def test_a_classification_runs_while_every_draft_thread_is_busy() -> None:
    handler = Handler()
    jobs = InlineJobQueue(handler, threads={"triage": 2, "drafts": 1}, queue_size=100)
    try:
        assert jobs.submit(draft_job())
        assert handler.drafting.acquire(timeout=60)  # the only draft thread is now stuck
        assert all(jobs.submit(draft_job(f"d{i}")) for i in range(5))
        job = classify_job()
        assert jobs.submit(job)
        assert handler.wait_for_done(job)
        assert not any(isinstance(j, DraftJob) for j in handler.done)
    finally:
        handler.release.set()
        assert jobs.join(60)
        jobs.close()
    assert len(handler.done) == 7


def test_a_full_queue_refuses_at_once_and_takes_jobs_again_once_drained() -> None:
    handler = Handler()
    jobs = InlineJobQueue(handler, threads={"drafts": 1}, queue_size=2)
    try:
        assert jobs.submit(draft_job("running"))
        assert handler.drafting.acquire(timeout=60)
        assert jobs.submit(draft_job("queued 1")) and jobs.submit(draft_job("queued 2"))
        assert jobs.depth()["drafts"] == 2
        assert not jobs.submit(draft_job("refused"))  # returns at once: nothing blocks
        handler.release.set()
        assert jobs.join(60)
        assert jobs.submit(draft_job("accepted again"))
        assert jobs.join(60)
    finally:
        handler.release.set()
        jobs.close()
    texts = [j.text for j in handler.done]  # type: ignore[union-attr]
    assert "refused" not in texts and "accepted again" in texts and len(texts) == 4


def test_a_failing_job_is_logged_and_the_thread_goes_on() -> None:
    handler = Handler()
    jobs = InlineJobQueue(handler, threads={"triage": 1}, queue_size=10)
    try:
        assert jobs.submit(
            ClassifyJob(text="x", team_id=None, channel_id=None, response_url="boom")
        )
        assert jobs.submit(classify_job("after"))
        assert jobs.join(60)
    finally:
        jobs.close()
    assert [j.text for j in handler.done] == ["after"]  # type: ignore[union-attr]

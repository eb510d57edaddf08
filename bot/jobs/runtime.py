"""What a job needs to run: the database, the models of this process and the Slack outbox.

Built once per process: inside `triagebot serve` for the inline executor (sharing the serving
models), and once per worker process for Celery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot import metrics
from bot.jobs.batcher import MicroBatcher
from bot.services import Drafter, Notify, Predictor
from bot.settings import Settings
from models.holder import ModelHolder
from storage.database import Database

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.jobs.queue import JobQueue
    from bot.jobs.types import ClassifiedMessage, TriageJob
    from bot.serving.correction_memory import MemorySync
    from models.types import Prediction


class RetrainNow(Protocol):
    """Runs one retraining to its end; returns its outcome in a few words."""

    def __call__(
        self,
        trigger: str,
        requested_by: str | None,
        notify: Notify,
        *,
        slot: datetime | None = None,
    ) -> str: ...


class SlackOutbox(Protocol):
    """Slack writes that must happen once, delivered (paced, retried) by the outbox sender.

    Each write has a `key`; writing the same key twice keeps the first (redelivered jobs).
    """

    def record_triages(self, messages: Sequence[ClassifiedMessage]) -> list[bool | Exception]:
        """Store each prediction with its reaction (and alert), in one transaction for all.

        Per message: True when recorded now, False when it was recorded before (nothing is
        written twice), or the error that refused it (its neighbours are still recorded).
        """
        ...

    def record_edit(self, job: TriageJob, prediction: Prediction, *, latency_ms: float) -> bool:
        """Store an edited message's new prediction once (`job.edited_ts` names the edit), with
        its reaction swapped and its alert updated or raised; False when nothing changed."""
        ...

    def respond(self, *, key: str, team_id: str | None, url: str, body: dict[str, Any]) -> None:
        """Answer on a `response_url`."""
        ...

    def post(
        self,
        *,
        key: str,
        team_id: str,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Post a message (`chat.postMessage`), with message `metadata` (`event_type`,
        `event_payload`) when given."""
        ...

    def update_view(
        self, *, key: str, team_id: str | None, view_id: str, view: dict[str, Any]
    ) -> None:
        """Replace an open modal (`views.update`)."""
        ...

    def notify_admins(self, *, key: str, text: str, response_url: str | None = None) -> None:
        """Tell the admins (DMs to `TRIAGE_ADMIN_USER_IDS`, else the escalation channel), and
        answer on `response_url` too when the request came with one."""
        ...

    def complete_function(
        self, *, key: str, team_id: str, execution_id: str, outputs: dict[str, Any]
    ) -> None:
        """End a Workflow Builder step successfully (`functions.completeSuccess`)."""
        ...

    def fail_function(self, *, key: str, team_id: str, execution_id: str, error: str) -> None:
        """End a Workflow Builder step with an error its workflow shows (`functions.completeError`)."""
        ...


@dataclass
class JobRuntime:
    """The process-wide things job handlers use.

    Attributes:
        settings: all settings.
        db: the database.
        classifier: holder of the classifier this process serves.
        drafter: the draft service, or None when drafts are off.
        outbox: where Slack writes go.
        retrain_now: runs one retraining to its end in the calling thread (a training worker).
        jobs: the queue follow-up jobs go to (a suggestion after triage); set by the executor.
    """

    settings: Settings
    db: Database
    classifier: ModelHolder[Predictor]
    drafter: Drafter | None
    outbox: SlackOutbox
    retrain_now: RetrainNow = field(default=lambda *args, **kwargs: "retraining unavailable")
    jobs: JobQueue | None = None
    batcher: MicroBatcher[tuple[str, str | None], Prediction] = field(init=False)
    recorder: MicroBatcher[ClassifiedMessage, bool] = field(init=False)
    memory: MemorySync | None = None

    def __post_init__(self) -> None:
        jobs = self.settings.jobs
        self.batcher = MicroBatcher(
            self._classify_batch,
            batch_size=jobs.batch_size,
            max_wait=jobs.batch_wait_ms / 1000,
            on_batch=metrics.observe_batch,
        )
        # Recording waits for no company: while one batch is written, the next gathers itself.
        self.recorder = MicroBatcher(
            self.outbox.record_triages, batch_size=jobs.batch_size, max_wait=0
        )

    def _classify_batch(self, items: list[tuple[str, str | None]]) -> list[Prediction]:
        predictor: Predictor = self.classifier.get()
        return predictor.predict([text for text, _ in items], [team for _, team in items])

    def start_memory(self) -> None:
        """Keep the served classifier's correction memory current (`CORRECTION_MEMORY`)."""
        models = self.settings.models
        if not models.correction_memory or self.memory is not None:
            return
        from bot.serving.correction_memory import MemorySync  # torch: only where models run

        self.memory = MemorySync(self.db, self.classifier, capacity=models.correction_memory_size)
        self.memory.start()

    def stop_memory(self) -> None:
        """Stop refreshing the correction memory (the memory itself stays as it is)."""
        if self.memory is not None:
            self.memory.stop()

    def close(self) -> None:
        """Stop the outbox sender (after its calls in flight) and the memory; release the
        database."""
        self.stop_memory()
        stop = getattr(self.outbox, "stop", None)
        if callable(stop):
            stop()
        self.db.dispose()

    def classify(self, text: str, team_id: str | None = None) -> Prediction:
        """Classify one text of `team_id` (its corrections count) in whatever batch is forming
        now."""
        return self.batcher.predict((text, team_id))

    def record(self, message: ClassifiedMessage) -> bool:
        """Record a classified message (in whatever batch is being gathered now); False when it
        was recorded before. Raises what refused it."""
        return self.recorder.predict(message)

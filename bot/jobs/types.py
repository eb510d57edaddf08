"""The jobs: small typed payloads that travel through an executor (in memory or a Celery broker).

Every job is a frozen dataclass of strings (and None), so it survives JSON unchanged. Its queue
says which workers take it: triage never waits behind a draft, and a retrain never delays either.

Example:
    >>> job = ClassifyJob(text="it broke again", team_id="T1", channel_id="C1", response_url="u")
    >>> job_from_payload(job.kind, job_payload(job)) == job
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, TypeAlias
from uuid import uuid4

if TYPE_CHECKING:
    from models.types import Prediction

QueueName = Literal["triage", "drafts", "training"]
QUEUES: tuple[QueueName, ...] = ("triage", "drafts", "training")


# `TriageJob.visibility`: a channel only the home workspace sees, or a Slack Connect channel.
INTERNAL = "internal"
SHARED = "shared"


def new_job_id() -> str:
    """A job's id: what makes its Slack writes happen once however often it is redelivered."""
    return uuid4().hex


@dataclass(frozen=True)
class TriageJob:
    """Classify a channel message, record it once, and queue its reaction and alert.

    Idempotent by the stored prediction's unique (team, channel, ts): a redelivered job changes
    nothing twice. With `edited_ts` (Slack's `edited.ts`) the message was edited: it is
    classified again and its prediction, reaction and alert updated, once per edit.
    """

    kind: ClassVar[str] = "triage"
    queue: ClassVar[QueueName] = "triage"

    team_id: str
    channel_id: str
    ts: str
    user_id: str
    text: str
    mode: str = "tag"  # the channel's mode when the message arrived: tag | alert | suggest
    escalation_channel: str | None = None
    thread_ts: str | None = None
    event_id: str | None = None
    # Who sees the channel: "internal" (the home workspace only) or "shared" (Slack Connect: the
    # customer's organisation sees everything posted there). A string, so payloads stay strict.
    visibility: str = INTERNAL
    edited_ts: str | None = None
    # The author's own workspace when it is not the installing one (Slack Connect's `user_team`):
    # the customer's organisation, kept on the case so its history spans all its people.
    user_team: str | None = None

    @property
    def shared(self) -> bool:
        """True unless the channel is known to be internal (an unknown value counts as shared)."""
        return self.visibility != INTERNAL


class ClassifiedMessage(NamedTuple):
    """A triage job with its prediction, waiting to be recorded with its Slack writes."""

    job: TriageJob
    prediction: Prediction
    latency_ms: float


@dataclass(frozen=True)
class ClassifyJob:
    """Classify a text for a person (`/sentiment`, the classify shortcut); answer on `response_url`."""

    kind: ClassVar[str] = "classify"
    queue: ClassVar[QueueName] = "triage"

    text: str
    team_id: str | None
    channel_id: str | None
    response_url: str
    message_ts: str | None = None
    id: str = field(default_factory=new_job_id)


DraftMode = Literal["command", "shortcut", "regenerate", "suggest"]


@dataclass(frozen=True)
class DraftJob:
    """Draft a reply and deliver it where the request came from.

    Modes: `command` answers on `response_url`; `regenerate` replaces the draft message there;
    `shortcut` fills the "working" modal `view_id`; `suggest` posts in the message's thread, or
    in `deliver_to` when given (a Slack Connect message: the escalation channel, which only the
    home workspace sees).
    """

    kind: ClassVar[str] = "draft"
    queue: ClassVar[QueueName] = "drafts"

    mode: DraftMode
    text: str
    team_id: str | None
    channel_id: str | None
    response_url: str | None = None
    view_id: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    tone: str | None = None
    deliver_to: str | None = None
    label: str | None = None  # the message's predicted label, when triage knows it
    id: str = field(default_factory=new_job_id)


@dataclass(frozen=True)
class RetrainJob:
    """One retraining run (admin, App Home or scheduler); progress goes to the admins."""

    kind: ClassVar[str] = "retrain"
    queue: ClassVar[QueueName] = "training"

    trigger: str
    requested_by: str | None
    slot: str | None = None  # ISO time of the scheduler's cron slot
    response_url: str | None = None
    id: str = field(default_factory=new_job_id)


@dataclass(frozen=True)
class ClassifyStepJob:
    """The Workflow Builder step "Classify sentiment": complete it with label and confidence.

    `execution_id` is Slack's `function_execution_id`; its outbox key completes the step once.
    """

    kind: ClassVar[str] = "classify_step"
    queue: ClassVar[QueueName] = "triage"

    text: str
    team_id: str
    execution_id: str


@dataclass(frozen=True)
class DraftStepJob:
    """The Workflow Builder step "Draft a reply": complete it with a draft grounded in `team_id`'s
    approved replies."""

    kind: ClassVar[str] = "draft_step"
    queue: ClassVar[QueueName] = "drafts"

    text: str
    team_id: str
    execution_id: str


StepJob: TypeAlias = ClassifyStepJob | DraftStepJob
Job: TypeAlias = TriageJob | ClassifyJob | DraftJob | RetrainJob | ClassifyStepJob | DraftStepJob
JOB_TYPES: dict[str, type[Job]] = {
    cls.kind: cls
    for cls in (TriageJob, ClassifyJob, DraftJob, RetrainJob, ClassifyStepJob, DraftStepJob)
}


class BadJob(ValueError):
    """A payload that is not a job this version knows (unknown kind, missing or extra fields)."""


def job_payload(job: Job) -> dict[str, str | None]:
    """The job's fields as a JSON-able dict (the kind travels beside it)."""
    return asdict(job)


def job_from_payload(kind: str, payload: dict[str, Any]) -> Job:
    """Rebuild a job from `job_payload`.

    Raises:
        BadJob: unknown kind, a field missing or unexpected, or a value that is not a string.
    """
    cls = JOB_TYPES.get(kind)
    if cls is None:
        raise BadJob(f"unknown job kind {kind!r}")
    names = {f.name for f in fields(cls)}
    extra = set(payload) - names
    if extra:
        raise BadJob(f"{kind} job has unexpected fields {sorted(extra)}")
    for name, value in payload.items():
        if value is not None and not isinstance(value, str):
            raise BadJob(f"{kind} job field {name} must be a string, got {type(value).__name__}")
    try:
        return cls(**payload)
    except TypeError as exc:
        raise BadJob(f"{kind} job: {exc}") from exc

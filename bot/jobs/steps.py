"""The Workflow Builder steps as jobs: classify or draft, then end the step through the outbox.

`bot.listeners.functions` validates a `function_executed` event and submits one of these jobs;
here the model runs on the job's queue (triage or drafts), never on the request thread. Every
step ends exactly once: success and failure share the outbox key `step_key(execution_id)`, so
whichever is written first is the one Slack hears, however often the job runs.
"""

from __future__ import annotations

import logging

from bot import metrics
from bot.jobs.runtime import JobRuntime, SlackOutbox
from bot.jobs.types import ClassifyStepJob, DraftStepJob, StepJob

logger = logging.getLogger(__name__)

DRAFTS_OFF = "Drafting replies is turned off on this triagebot server."
STEP_FAILED = "triagebot could not finish this step. Please run the workflow again."


def step_key(execution_id: str) -> str:
    """The outbox key that ends one step execution (success or failure, whichever comes first)."""
    return f"function:{execution_id}"


def fail_step(outbox: SlackOutbox, *, team_id: str, execution_id: str, error: str) -> None:
    """End a step with `error`, which the workflow shows to whoever runs it."""
    outbox.fail_function(
        key=step_key(execution_id), team_id=team_id, execution_id=execution_id, error=error
    )


def run_step(runtime: JobRuntime, job: StepJob) -> str:
    """Run one step job; returns what happened (for logs and tests)."""
    if isinstance(job, ClassifyStepJob):
        return classify_step(runtime, job)
    return draft_step(runtime, job)


def classify_step(runtime: JobRuntime, job: ClassifyStepJob) -> str:
    """Classify the step's text (its workspace's corrections counting): outputs label, confidence."""
    prediction = runtime.classify(job.text, job.team_id)
    outputs = {"label": prediction.label, "confidence": round(prediction.confidence, 4)}
    runtime.outbox.complete_function(
        key=step_key(job.execution_id),
        team_id=job.team_id,
        execution_id=job.execution_id,
        outputs=outputs,
    )
    return f"step classified {prediction.label}"


def draft_step(runtime: JobRuntime, job: DraftStepJob) -> str:
    """Draft a reply grounded in the calling workspace's approved replies: outputs draft."""
    if runtime.drafter is None:
        fail_step(
            runtime.outbox, team_id=job.team_id, execution_id=job.execution_id, error=DRAFTS_OFF
        )
        return "drafts off"
    reply = runtime.drafter.draft(job.text, team_id=job.team_id)
    metrics.observe_draft(reply.latency_ms / 1000)
    runtime.outbox.complete_function(
        key=step_key(job.execution_id),
        team_id=job.team_id,
        execution_id=job.execution_id,
        outputs={"draft": reply.reply},
    )
    return "step drafted"

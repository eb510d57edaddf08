"""Workflow Builder custom steps (`@app.function`): "Classify sentiment" and "Draft a reply".

Bolt acks a `function_executed` event before the listener runs (`auto_acknowledge`). The
listener claims the step execution once (Slack's retries of the event are dropped), checks the
input and submits a job (`bot.jobs.steps`); the model runs on the job's queue, and the job ends
the step through the outbox (`functions.completeSuccess` / `functions.completeError`, paced and
retried like every Slack write). The workspace is the signed event's own, so a draft is grounded
in the calling workspace's approved replies only.
"""

from __future__ import annotations

import logging
import re
from typing import Any, NamedTuple

from slack_bolt import App, BoltContext

from bot import metrics
from bot.jobs.steps import DRAFTS_OFF, STEP_FAILED, fail_step, step_key
from bot.jobs.types import ClassifyStepJob, DraftStepJob
from bot.listeners.errors import guarded
from bot.services import Services
from storage import repositories as repo

logger = logging.getLogger(__name__)

MAX_STEP_TEXT = 4_000  # characters; a support message, not a document
STEP_BUSY = "triagebot is busy right now. Please run the workflow again in a minute."
ANY_STEP = re.compile(".*")


class Execution(NamedTuple):
    """One run of a step: its workspace (from the signed event), Slack's id for it, its input."""

    team_id: str
    execution_id: str
    text: object


def register(app: App, services: Services) -> None:
    """Add the two steps and a catch-all that ends steps this version does not know."""

    @app.function("classify_sentiment")
    @guarded
    def handle_classify_sentiment(body: dict[str, Any], context: BoltContext) -> None:
        """Queue the classification of the step's text; the job completes the step."""
        step = first_delivery(services, body, context)
        if step is not None:
            submit_step(services, step, ClassifyStepJob)

    @app.function("draft_reply")
    @guarded
    def handle_draft_reply(body: dict[str, Any], context: BoltContext) -> None:
        """Queue a draft reply to the step's text; the job completes the step."""
        step = first_delivery(services, body, context)
        if step is not None and not services.drafts_enabled:
            end_step(services, step, DRAFTS_OFF)
        elif step is not None:
            submit_step(services, step, DraftStepJob)

    @app.function(ANY_STEP)
    @guarded
    def handle_unknown_step(body: dict[str, Any], context: BoltContext) -> None:
        """A step this version does not declare (a stale manifest): end it with an error."""
        callback_id = ((body.get("event") or {}).get("function") or {}).get("callback_id")
        logger.warning("function_executed for an unknown step %r", callback_id)
        step = first_delivery(services, body, context)
        if step is not None:
            end_step(services, step, f"triagebot has no step called {callback_id!r}.")


def first_delivery(
    services: Services, body: dict[str, Any], context: BoltContext
) -> Execution | None:
    """The step run this event asks for, the first time it arrives; None for Slack's retries
    (claimed in the database, so a retry reaching another replica is dropped too)."""
    metrics.count_request("function")
    execution_id = context.function_execution_id
    team_id = context.team_id or body.get("team_id")
    if not execution_id or not team_id:
        logger.warning("function_executed without an execution id or a workspace: ignored")
        return None
    if not repo.claim_event(services.db, event_id=step_key(execution_id)):
        metrics.count_request("function_retry")
        logger.info("step %s delivered again: started before, dropped", execution_id)
        return None
    inputs = (body.get("event") or {}).get("inputs") or {}
    return Execution(str(team_id), execution_id, inputs.get("text"))


def check_text(value: object) -> str | None:
    """Why a step's `text` input cannot be used, or None when it can."""
    if not isinstance(value, str) or not value.strip():
        return "The step needs some text: its *text* input is empty."
    if len(value) > MAX_STEP_TEXT:
        return (
            f"The text is {len(value):,} characters long; "
            f"this step takes at most {MAX_STEP_TEXT:,}."
        )
    return None


def submit_step(
    services: Services, step: Execution, job_type: type[ClassifyStepJob] | type[DraftStepJob]
) -> None:
    """Queue the step's job; end the step with an error instead when its input is unusable, the
    queue is full or submitting fails."""
    try:
        error = check_text(step.text)
        if error is None:
            job = job_type(
                text=str(step.text), team_id=step.team_id, execution_id=step.execution_id
            )
            error = None if services.submit(job) else STEP_BUSY
    except Exception:
        end_step(services, step, STEP_FAILED)
        raise  # `guarded` logs it
    if error is not None:
        end_step(services, step, error)


def end_step(services: Services, step: Execution, error: str) -> None:
    """End the step now with `error`, which the workflow shows to whoever runs it."""
    fail_step(services.outbox, team_id=step.team_id, execution_id=step.execution_id, error=error)

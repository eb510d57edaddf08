"""What each job does when an executor runs it. Every Slack write goes through the outbox.

`run_job` is the one entry point for both executors. A handler may be run twice for one job
(Celery redelivers a job whose worker died): the stored prediction's unique key and each outbox
write's key make the second run change nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from bot import metrics
from bot.blocks.common import APOLOGY, context
from bot.blocks.draft import (
    build_draft_blocks,
    build_draft_edit_modal,
    build_draft_text,
    build_message_modal,
    draft_metadata,
)
from bot.blocks.prediction import build_prediction_blocks, build_prediction_text
from bot.jobs.runtime import JobRuntime
from bot.jobs.steps import STEP_FAILED, fail_step, run_step
from bot.jobs.types import (
    ClassifiedMessage,
    ClassifyJob,
    ClassifyStepJob,
    DraftJob,
    DraftStepJob,
    Job,
    RetrainJob,
    TriageJob,
)
from models.types import Draft, Prediction
from storage import repositories as repo

logger = logging.getLogger(__name__)

DRAFT_FAILED = "Sorry, I could not draft a reply this time. Please try again."


def run_job(runtime: JobRuntime, job: Job) -> str:
    """Run one job; returns what happened (for logs and tests). Raises what the handler raised."""
    started = time.perf_counter()
    try:
        if isinstance(job, TriageJob):
            outcome = triage(runtime, job)
        elif isinstance(job, ClassifyJob):
            outcome = classify(runtime, job)
        elif isinstance(job, DraftJob):
            outcome = draft(runtime, job)
        elif isinstance(job, (ClassifyStepJob, DraftStepJob)):
            outcome = run_step(runtime, job)
        else:
            outcome = retrain(runtime, job)
    except Exception:
        metrics.count_job(job.kind, "failed")
        apologise(runtime, job)
        raise
    metrics.count_job(job.kind, "done")
    metrics.observe_job(job.kind, time.perf_counter() - started)
    return outcome


def apologise(runtime: JobRuntime, job: Job) -> None:
    """Tell the person who asked that their request failed (once per job; never raises)."""
    if isinstance(job, (TriageJob, RetrainJob)):
        return  # nobody is waiting on a triage or a retrain (the retrain reports its own end)
    try:
        if isinstance(job, (ClassifyStepJob, DraftStepJob)):  # the workflow stops waiting
            fail_step(
                runtime.outbox,
                team_id=job.team_id,
                execution_id=job.execution_id,
                error=STEP_FAILED,
            )
            return
        key = f"apology:{job.id}"
        if isinstance(job, DraftJob) and job.mode == "shortcut" and job.view_id:
            view = build_message_modal("Draft a reply", APOLOGY)
            runtime.outbox.update_view(key=key, team_id=job.team_id, view_id=job.view_id, view=view)
        elif job.response_url:
            body = {"response_type": "ephemeral", "replace_original": False, "text": APOLOGY}
            runtime.outbox.respond(key=key, team_id=job.team_id, url=job.response_url, body=body)
    except Exception:
        logger.exception("could not apologise for a failed %s job", job.kind)


def triage(runtime: JobRuntime, job: TriageJob) -> str:
    """Classify a channel message; store it with its reaction and alert; maybe suggest a reply."""
    if job.edited_ts:
        return retriage(runtime, job)
    prediction, latency_ms = _classified(runtime, job)
    created = runtime.record(ClassifiedMessage(job, prediction, latency_ms))
    if not created:
        return "duplicate message"
    outcome = f"tagged {prediction.label}"
    if job.mode == "suggest" and prediction.label != "positive" and runtime.drafter is not None:
        outcome += ", " + _suggest(runtime, job, prediction.label)
    return outcome


def _classified(runtime: JobRuntime, job: TriageJob) -> tuple[Prediction, float]:
    """The message's prediction (its workspace's corrections counting) and milliseconds taken."""
    started = time.perf_counter()
    prediction = runtime.classify(job.text, job.team_id)
    elapsed = time.perf_counter() - started
    metrics.observe_classification(prediction.label, elapsed)
    return prediction, elapsed * 1000


def retriage(runtime: JobRuntime, job: TriageJob) -> str:
    """Classify an edited message again; update its prediction, reaction and alert once."""
    prediction, latency_ms = _classified(runtime, job)
    if not runtime.outbox.record_edit(job, prediction, latency_ms=latency_ms):
        return "edit not applied (done before, deleted, or never triaged)"
    return f"re-tagged {prediction.label} after an edit"


def _suggest(runtime: JobRuntime, job: TriageJob, label: str) -> str:
    """Queue a suggested reply: into the message's thread, or, in a Slack Connect channel (where
    the customer would see it), into the escalation channel, which only agents read."""
    deliver_to = None
    if job.shared:
        if not job.escalation_channel or job.escalation_channel == job.channel_id:
            return "suggestion skipped (shared channel, no escalation channel)"
        deliver_to = job.escalation_channel
    follow_up = DraftJob(
        mode="suggest",
        text=job.text,
        team_id=job.team_id,
        channel_id=job.channel_id,
        message_ts=job.ts,
        thread_ts=job.thread_ts or job.ts,
        deliver_to=deliver_to,
        label=label,
        id=f"suggest-{job.team_id}-{job.channel_id}-{job.ts}",
    )
    submitted = runtime.jobs is not None and runtime.jobs.submit(follow_up)
    return "suggestion queued" if submitted else "suggestion skipped (busy)"


def classify(runtime: JobRuntime, job: ClassifyJob) -> str:
    """Answer a person's classify request with scores and feedback buttons."""
    prediction = runtime.classify(job.text, job.team_id)
    feedback: dict[str, Any] = {"c": job.channel_id, "team": job.team_id}
    if job.message_ts:
        feedback["ts"] = job.message_ts
    body = {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": build_prediction_text(prediction),
        "blocks": build_prediction_blocks(
            job.text, prediction, emoji=runtime.settings.slack.emoji, feedback_state=feedback
        ),
    }
    runtime.outbox.respond(
        key=f"classify:{job.id}", team_id=job.team_id, url=job.response_url, body=body
    )
    return f"classified {prediction.label}"


def draft(runtime: JobRuntime, job: DraftJob) -> str:
    """Draft a reply and deliver it the way the request asked (see `DraftJob`)."""
    key = f"draft:{job.id}"
    if runtime.drafter is None:
        return "drafts off"
    reply = runtime.drafter.draft(
        job.text, team_id=job.team_id, channel_id=job.channel_id, tone=job.tone
    )
    metrics.observe_draft(reply.latency_ms / 1000)
    if job.mode == "shortcut" and job.view_id:
        runtime.outbox.update_view(
            key=key, team_id=job.team_id, view_id=job.view_id, view=_edit_modal(job, reply)
        )
    elif job.mode == "suggest" and job.channel_id and job.team_id and job.deliver_to:
        _suggest_privately(runtime, job, reply, key=key, team_id=job.team_id)
    elif job.mode == "suggest" and job.channel_id and job.team_id:
        state = _draft_state(job)
        runtime.outbox.post(
            key=key,
            team_id=job.team_id,
            channel_id=job.channel_id,
            thread_ts=job.thread_ts,
            text="Suggested reply",
            blocks=build_draft_blocks(reply, state),
            metadata=_metadata(job, reply),
        )
    elif job.response_url:
        body: dict[str, Any] = {
            "response_type": "ephemeral",
            "replace_original": job.mode == "regenerate",
            "text": build_draft_text(reply) if job.mode == "command" else "Suggested reply",
            "blocks": build_draft_blocks(reply, _draft_state(job)),
        }
        runtime.outbox.respond(key=key, team_id=job.team_id, url=job.response_url, body=body)
    else:
        logger.warning("draft job %s has nowhere to deliver (mode %s)", job.id, job.mode)
        return "undeliverable"
    return f"drafted ({job.mode})"


def _suggest_privately(
    runtime: JobRuntime, job: DraftJob, reply: Draft, *, key: str, team_id: str
) -> None:
    """Post a Slack Connect message's suggestion in `job.deliver_to` (the escalation channel),
    in the thread of the message's alert once that is posted, else on its own. *Post* still
    answers in the customer's thread, once an agent has read the draft."""
    channel_id, deliver_to = str(job.channel_id), str(job.deliver_to)
    where = f"Suggested reply for a customer in <#{channel_id}> (Slack Connect)"
    runtime.outbox.post(
        key=key,
        team_id=team_id,
        channel_id=deliver_to,
        thread_ts=_alert_ts(runtime, team_id, channel_id, str(job.message_ts), deliver_to),
        text=where,
        blocks=[context(where), *build_draft_blocks(reply, _draft_state(job))],
        metadata=_metadata(job, reply),
    )


def _alert_ts(
    runtime: JobRuntime, team_id: str, channel_id: str, message_ts: str, escalation_channel: str
) -> str | None:
    """The ts of the alert posted about a message in `escalation_channel`; None when there is
    none (yet), or it was folded into a digest."""
    alert = repo.get_outbox_row(runtime.db, key=repo.alert_key(team_id, channel_id, message_ts))
    if alert is None or alert.status != "sent" or alert.channel_id != escalation_channel:
        return None
    return alert.result_ts


def _metadata(job: DraftJob, reply: Draft) -> dict[str, Any]:
    """The posted draft's `triage_draft` metadata (ephemeral answers cannot carry any)."""
    return draft_metadata(
        reply, channel_id=job.channel_id, message_ts=job.message_ts, label=job.label
    )


def _draft_state(job: DraftJob) -> dict[str, Any]:
    """The state the draft's buttons carry: message, channel, thread, team."""
    state: dict[str, Any] = {"m": job.text, "c": job.channel_id, "team": job.team_id}
    if job.message_ts:
        state["ts"] = job.message_ts
    if job.thread_ts:
        state["th"] = job.thread_ts
    return state


def _edit_modal(job: DraftJob, reply: Draft) -> dict[str, Any]:
    return build_draft_edit_modal(
        {
            "m": job.text,
            "d": reply.reply,
            "c": job.channel_id,
            "ts": job.message_ts,
            "th": job.thread_ts,
            "team": job.team_id,
            "model": reply.model,
        }
    )


def retrain(runtime: JobRuntime, job: RetrainJob) -> str:
    """Run one retraining in this worker; progress and the outcome go to the admins."""
    slot = datetime.fromisoformat(job.slot) if job.slot else None
    notices: list[str] = []

    def notify(text: str) -> None:
        notices.append(text)
        runtime.outbox.notify_admins(
            key=f"retrain:{job.id}:{len(notices)}", text=text, response_url=job.response_url
        )

    return runtime.retrain_now(job.trigger, job.requested_by, notify, slot=slot)

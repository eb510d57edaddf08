"""Scheduled case jobs: raise unacknowledged cases again, and the daily case summary.

Both take the clock as `now` (the scheduler passes its own; tests pass theirs) and write to
Slack only through the outbox, so the sender of any serving process delivers them. Across
processes each follow-up is raised once (`record_followup` checks the case is still due in its
own transaction) and each summary slot is posted once (`claim_slot`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.blocks.cases import build_followup_text, build_summary_blocks, build_summary_text
from bot.serving.job_context import JobContext, claim_slot
from storage import repositories as repo
from storage.repositories import ALL_WORKSPACES, FollowUp, OutboxWrite

logger = logging.getLogger(__name__)

SUMMARY_WINDOW = timedelta(days=1)


def _mentions(ctx: JobContext, follow_up: FollowUp) -> list[str]:
    """The on-call user group of the channel, else the escalation admins."""
    if follow_up.oncall_group:
        return [f"<!subteam^{follow_up.oncall_group}>"]
    return [f"<@{user}>" for user in sorted(ctx.settings.slack.admin_ids)]


def follow_up_cases(ctx: JobContext, now: datetime) -> int:
    """Job: raise every case past its channel's response target at `now`; how many were."""
    raised = 0
    for follow_up in repo.due_followups(ctx.db, team_id=ALL_WORKSPACES, now=now):
        case = follow_up.case
        payload = {
            "channel": case.escalation_channel,
            "text": build_followup_text(
                case, minutes=follow_up.target_minutes, mentions=_mentions(ctx, follow_up)
            ),
        }
        if follow_up.alert_ts:
            payload["thread_ts"] = follow_up.alert_ts
        write = OutboxWrite(
            key=f"case-followup:{case.team_id}:{case.id}:{case.followups + 1}",
            method="chat.postMessage",
            team_id=case.team_id,
            channel_id=case.escalation_channel,
            payload=payload,
            expires_in=ctx.settings.jobs.outbox_expiry_seconds,
        )
        raised += repo.record_followup(
            ctx.db,
            team_id=case.team_id,
            case_id=case.id,
            target_minutes=follow_up.target_minutes,
            now=now,
            writes=[write],
        )
    if raised:
        logger.info("raised %d unacknowledged cases again", raised)
    return raised


def daily_case_summary(ctx: JobContext, now: datetime) -> int:
    """Job: post the last day's case numbers to every escalation channel that has cases; how
    many summaries were queued."""
    writes = []
    for team_id, channel in repo.escalation_channels_with_cases(ctx.db, team_id=ALL_WORKSPACES):
        summary = repo.case_summary(
            ctx.db,
            team_id=team_id,
            escalation_channel=channel,
            since=now - SUMMARY_WINDOW,
            until=now,
        )
        writes.append(
            OutboxWrite(
                key=f"case-summary:{team_id}:{channel}:{now.isoformat()}",
                method="chat.postMessage",
                team_id=team_id,
                channel_id=channel,
                payload={
                    "channel": channel,
                    "text": build_summary_text(summary),
                    "blocks": build_summary_blocks(summary),
                },
                expires_in=ctx.settings.jobs.outbox_expiry_seconds,
            )
        )
    return repo.enqueue(ctx.db, writes=writes) if writes else 0


def scheduled_followups(ctx: JobContext) -> None:
    """Interval job: `follow_up_cases` on the scheduler's clock."""
    try:
        follow_up_cases(ctx, ctx.now())
    except Exception:
        logger.exception("case follow-up failed")


def scheduled_summary(ctx: JobContext, trigger: CronTrigger) -> None:
    """Cron job (`CASE_SUMMARY_CRON`): `daily_case_summary` once per slot across processes."""
    try:
        if claim_slot(ctx, "case-summary", trigger):
            daily_case_summary(ctx, ctx.now())
    except Exception:
        logger.exception("daily case summary failed")

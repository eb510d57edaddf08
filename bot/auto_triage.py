"""Automatic triage of channel messages: which channels opted in, which messages count, the job.

The `message` listener turns a new message into a `TriageJob`; `bot.jobs.handlers.triage` runs
it. Redeliveries are stopped twice: by the event id (claimed here) and by the unique
(team, channel, ts) of the stored prediction.

In a Slack Connect (shared) channel only the customers' messages are triaged, and the job says
the channel is shared, so nothing the customer could see (a reaction, a draft) is written there.

An edit (`message_changed`) that changed a person's text becomes the same job with `edited_ts`
(`edit_job`); edits by bots, unfurls and attachments (same text) and edits in channels not
opted in are skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from bot.jobs.types import INTERNAL, SHARED, TriageJob
from bot.services import Services
from storage import repositories as repo

logger = logging.getLogger(__name__)

# Message subtypes that are a person writing something new; everything else is skipped.
NEW_MESSAGE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
MAX_TEXT = 40_000


@dataclass(frozen=True)
class ChannelPolicy:
    """How the bot works in one channel."""

    mode: str  # tag | alert | suggest
    escalation_channel: str | None


def channel_policy(services: Services, team_id: str, channel_id: str) -> ChannelPolicy | None:
    """The channel's stored setting, else the static `TRIAGE_AUTO_CHANNELS` list; None: not opted in."""
    slack = services.settings.slack
    stored = repo.get_channel_settings(services.db, team_id=team_id, channel_id=channel_id)
    if stored is not None:
        if not stored.enabled:
            return None
        return ChannelPolicy(
            stored.mode, stored.escalation_channel or slack.escalation_channel or None
        )
    if channel_id in slack.auto_channel_ids:
        return ChannelPolicy("alert", slack.escalation_channel or None)
    return None


def is_new_human_message(event: dict[str, Any]) -> bool:
    """True for a person's new message or thread reply; False for edits, joins, bots, deletions."""
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return False
    return event.get("subtype") in NEW_MESSAGE_SUBTYPES


def is_external_author(event: dict[str, Any], *, home_team_id: str) -> bool:
    """True when a message's author belongs to another organisation (Slack Connect).

    A message event names its author's workspace in `user_team` and `team`; in a shared channel
    a customer's differs from the installing (signed) team, `home_team_id`. Either one differing
    counts. A message that names neither, or a request whose team is unknown, counts as the home
    workspace's: the envelope's `is_ext_shared_channel` still marks the channel (see
    `is_shared_channel`).
    """
    if not home_team_id:
        return False
    teams = {str(event.get(key) or "") for key in ("user_team", "team")} - {""}
    return any(team != home_team_id for team in teams)


def external_team(event: dict[str, Any], *, home_team_id: str) -> str | None:
    """The author's own workspace when it is another organisation's (`user_team`, else `team`),
    else None."""
    if not is_external_author(event, home_team_id=home_team_id):
        return None
    teams = [str(event.get(key) or "") for key in ("user_team", "team")]
    return next((team for team in teams if team and team != home_team_id), None)


def is_shared_channel(event: dict[str, Any], *, home_team_id: str, ext_shared: bool) -> bool:
    """True in a Slack Connect channel: the envelope's `is_ext_shared_channel` says so, or the
    author is from another organisation (which only happens in a shared channel)."""
    return ext_shared or is_external_author(event, home_team_id=home_team_id)


def triage_job(
    services: Services,
    *,
    team_id: str,
    event: dict[str, Any],
    event_id: str | None,
    ext_shared: bool = False,
) -> TriageJob | str:
    """The job for a new message in an opted-in channel, or why there is none.

    A Slack retry of an event this process saw is dropped here (`bot.recent_events`: no database
    write on the ack path); the job itself is idempotent by the message's (team, channel, ts), so
    a retry that reaches another replica is recorded once all the same. In a shared channel
    (`ext_shared`: the envelope's `is_ext_shared_channel`) only external authors are triaged:
    agents answering there are not customers.
    """
    channel_id = str(event.get("channel", ""))
    policy = channel_policy(services, team_id, channel_id)
    if policy is None:
        return "not opted in"
    shared = is_shared_channel(event, home_team_id=team_id, ext_shared=ext_shared)
    if shared and not is_external_author(event, home_team_id=team_id):
        return "agent's message in a shared channel"
    if event_id and not services.recent_events.first_time(event_id):
        return "duplicate event"
    return TriageJob(
        team_id=team_id,
        channel_id=channel_id,
        ts=str(event["ts"]),
        user_id=str(event["user"]),
        text=str(event.get("text") or "")[:MAX_TEXT],
        mode=policy.mode,
        escalation_channel=policy.escalation_channel,
        thread_ts=event.get("thread_ts"),
        event_id=event_id,
        visibility=SHARED if shared else INTERNAL,
        user_team=external_team(event, home_team_id=team_id),
    )


def edited_message(event: dict[str, Any]) -> dict[str, Any] | None:
    """The message of a `message_changed` event when a person changed its text, else None.

    Slack also sends `message_changed` when a link unfurls or an attachment changes: the text
    stays the same, and such "edits" are not edits.
    """
    message = event.get("message")
    previous = event.get("previous_message")
    if not isinstance(message, dict) or not isinstance(previous, dict):
        return None
    if not is_new_human_message({**message, "subtype": None}) or not message.get("ts"):
        return None
    if str(message.get("text") or "") == str(previous.get("text") or ""):
        return None
    return message


def edit_job(
    services: Services,
    *,
    team_id: str,
    event: dict[str, Any],
    event_id: str | None,
    ext_shared: bool = False,
) -> TriageJob | str:
    """The job that classifies an edited message again, or why there is none.

    Same rules as `triage_job` (opted-in channel, customers only in a shared channel, the event
    id claimed once); the edit's version is Slack's `edited.ts` (else the event's ts), so
    each edit is applied once (`storage.repositories.record_edit`).
    """
    message = edited_message(event)
    if message is None:
        return "not a change of a person's text"
    job = triage_job(
        services,
        team_id=team_id,
        event={**message, "channel": event.get("channel")},
        event_id=event_id,
        ext_shared=ext_shared,
    )
    if isinstance(job, str):
        return job
    edited = message.get("edited")
    version = edited.get("ts") if isinstance(edited, dict) else None
    return replace(job, edited_ts=str(version or event.get("event_ts") or event.get("ts")))

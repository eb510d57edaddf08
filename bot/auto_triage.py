"""Automatic triage of one channel message: opt-in, classify, record once, react, alert, suggest.

Called by the `message` event listener after the ack. Redeliveries are stopped twice: by the
event id (`claim_event`) and by the unique (team, channel, ts) of the stored prediction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot import metrics
from bot.blocks.draft import build_draft_blocks
from bot.blocks.triage import build_alert_blocks, build_alert_text
from bot.services import Services
from bot.slack_api import call_or_skip
from models.types import Prediction
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


def triage_message(
    services: Services,
    client: WebClient,
    *,
    team_id: str,
    event: dict[str, Any],
    event_id: str | None,
) -> str:
    """Handle one message event; returns what happened (for logs and tests)."""
    channel_id = str(event.get("channel", ""))
    policy = channel_policy(services, team_id, channel_id)
    if policy is None:
        return "not opted in"
    if event_id and not repo.claim_event(services.db, event_id=event_id):
        return "duplicate event"
    text = str(event.get("text") or "")[:MAX_TEXT]
    started = time.perf_counter()
    prediction = services.predict(text)
    elapsed = time.perf_counter() - started
    metrics.observe_classification(prediction.label, elapsed)
    _, created = repo.record_prediction(
        services.db,
        team_id=team_id,
        channel_id=channel_id,
        message_ts=str(event["ts"]),
        user_id=str(event["user"]),
        label=prediction.label,
        scores=dict(prediction.scores),
        model_version=prediction.model_version,
        latency_ms=elapsed * 1000,
        text=text,
        thread_ts=event.get("thread_ts"),
    )
    if not created:
        return "duplicate message"
    emoji = services.settings.slack.emoji[prediction.label]
    call_or_skip(client.reactions_add, channel=channel_id, timestamp=event["ts"], name=emoji)
    outcome = f"tagged {prediction.label}"
    confident = prediction.confidence >= services.settings.slack.alert_threshold
    if prediction.label == "negative" and confident and policy.mode in ("alert", "suggest"):
        outcome += _alert(
            client, policy, team_id=team_id, event=event, text=text, prediction=prediction
        )
    if policy.mode == "suggest" and prediction.label != "positive":
        outcome += _suggest(services, client, team_id=team_id, event=event, text=text)
    return outcome


def _alert(
    client: WebClient,
    policy: ChannelPolicy,
    *,
    team_id: str,
    event: dict[str, Any],
    text: str,
    prediction: Prediction,
) -> str:
    if not policy.escalation_channel:
        logger.debug("negative message in %s but no escalation channel", event.get("channel"))
        return ""
    permalink = None
    link = call_or_skip(client.chat_getPermalink, channel=event["channel"], message_ts=event["ts"])
    if link is not None:
        permalink = link.get("permalink")
    state = {"c": event["channel"], "ts": event["ts"], "team": team_id}
    blocks = build_alert_blocks(
        channel_id=str(event["channel"]),
        user_id=str(event["user"]),
        text=text,
        prediction=prediction,
        permalink=permalink,
        feedback_state=state,
    )
    posted = call_or_skip(
        client.chat_postMessage,
        channel=policy.escalation_channel,
        blocks=blocks,
        text=build_alert_text(channel_id=str(event["channel"]), text=text),
        unfurl_links=False,
    )
    return ", alerted" if posted is not None else ", alert skipped"


def _suggest(
    services: Services, client: WebClient, *, team_id: str, event: dict[str, Any], text: str
) -> str:
    if services.drafter is None:
        return ""
    channel_id = str(event["channel"])
    draft = services.drafter.draft(text, team_id=team_id, channel_id=channel_id)
    metrics.observe_draft(draft.latency_ms / 1000)
    thread_ts = event.get("thread_ts") or event["ts"]
    state = {"m": text, "c": channel_id, "ts": event["ts"], "th": thread_ts, "team": team_id}
    posted = call_or_skip(
        client.chat_postMessage,
        channel=channel_id,
        thread_ts=thread_ts,
        blocks=build_draft_blocks(draft, state),
        text="Suggested reply",
    )
    return ", suggested" if posted is not None else ", suggestion skipped"

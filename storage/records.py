"""Plain, frozen data objects that repositories return (never ORM rows).

Timestamps are timezone-aware UTC datetimes on every engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictionRecord:
    """A classified Slack message. `text` is set only where the channel stores text."""

    id: int
    team_id: str
    channel_id: str
    message_ts: str
    thread_ts: str | None
    user_id: str
    label: str
    scores: dict[str, float]
    model_version: str
    latency_ms: float
    created_at: datetime
    text: str | None = None


@dataclass(frozen=True)
class FeedbackRecord:
    """A user's label for a message (ids) or a typed text.

    `text` is the user's typed text, or the message's stored text when the channel keeps
    text, else None (label and ids only).
    """

    id: int
    label: str
    source: str
    user_id: str
    team_id: str | None
    channel_id: str | None
    message_ts: str | None
    text: str | None
    note: str | None
    predicted_label: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ApprovedReplyRecord:
    """A message and the reply an agent actually posted (after editing a draft).

    `message_text` (the customer's) is None where the channel's privacy mode keeps no text, after
    the retention period, or when it was not known.
    """

    id: int
    team_id: str
    channel_id: str
    user_id: str
    message_text: str | None
    reply_text: str
    draft_text: str | None
    model: str | None
    created_at: datetime
    message_ts: str | None = None


@dataclass(frozen=True)
class ModelVersionRecord:
    """A registered model artifact. `status`: candidate, active, retired or rejected."""

    version: str
    kind: str
    path: str
    parent_version: str | None
    status: str
    metrics: dict[str, Any]
    data_snapshot: dict[str, Any]
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None = None


@dataclass(frozen=True)
class TrainingRunRecord:
    """One retraining attempt; `outcome` is None while it is running."""

    id: int
    trigger: str
    requested_by: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    reason: str
    metrics: dict[str, Any] = field(default_factory=dict)
    data_counts: dict[str, Any] = field(default_factory=dict)
    candidate_version: str | None = None
    log_excerpt: str = ""

    @property
    def running(self) -> bool:
        """True until `finish_training_run` (or `fail_stale_runs`) closes it."""
        return self.outcome is None


@dataclass(frozen=True)
class ChannelSettingsRecord:
    """A channel's opt-in. `mode`: tag, alert or suggest; `privacy_mode`: ids_only or store_text."""

    team_id: str
    channel_id: str
    enabled: bool
    mode: str
    privacy_mode: str
    escalation_channel: str | None
    set_by: str
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DriftReportRecord:
    """One drift check: its metrics and the names of the checks that fired."""

    id: int
    created_at: datetime
    metrics: dict[str, Any]
    fired: list[str]


@dataclass(frozen=True)
class AdminActionRecord:
    """An audit entry for an admin action."""

    id: int
    team_id: str
    user_id: str
    action: str
    detail: str
    created_at: datetime


@dataclass(frozen=True)
class OutboxRecord:
    """One Slack write in the outbox. `status`: pending, sent, failed or expired.

    `payload` is emptied once the row is sent or given up (it may quote customer text).
    """

    id: int
    key: str
    team_id: str | None
    channel_id: str | None
    method: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    expires_at: datetime
    last_error: str | None = None
    result_ts: str | None = None
    sent_at: datetime | None = None
    claimed_until: datetime | None = None


@dataclass(frozen=True)
class AlertRecord:
    """A confident negative message reported to an escalation channel.

    `text` is set only where the source channel stores text; `digest_id` when it was folded
    into a digest.
    """

    id: int
    team_id: str
    escalation_channel: str
    channel_id: str
    message_ts: str
    user_id: str
    label: str
    confidence: float
    text: str | None
    digest_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class DigestRecord:
    """A digest message and every alert folded into it, oldest first.

    `version` grows with each alert; `posted_ts` is the posted message's ts (None before).
    """

    id: int
    team_id: str
    escalation_channel: str
    opened_at: datetime
    version: int
    posted_ts: str | None
    alerts: tuple[AlertRecord, ...] = ()

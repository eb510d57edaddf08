"""Plain, frozen data objects that repositories return (never ORM rows).

Timestamps are timezone-aware UTC datetimes on every engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
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
    """A channel's opt-in. `mode`: tag, alert or suggest; `privacy_mode`: ids_only or store_text.

    Its cases: `response_target_minutes` (None: no follow-up), `auto_resolve_on_reply` and the
    `oncall_group` (a user group id) that a follow-up mentions.
    """

    team_id: str
    channel_id: str
    enabled: bool
    mode: str
    privacy_mode: str
    escalation_channel: str | None
    set_by: str
    updated_at: datetime | None = None
    response_target_minutes: int | None = None
    auto_resolve_on_reply: bool = False
    oncall_group: str | None = None


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


@dataclass(frozen=True)
class CaseRecord:
    """The case opened for one alert (`alert_id`): its state and who did what when.

    `state`: open, acknowledged or resolved. `customer_id` wrote the message; `customer_team`
    is the customer's own workspace in a Slack Connect channel, else None. `followups` counts
    the times an unacknowledged case was raised again.
    """

    id: int
    team_id: str
    alert_id: int
    escalation_channel: str
    channel_id: str
    message_ts: str
    customer_id: str
    customer_team: str | None
    state: str
    assignee_id: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None
    followups: int
    last_followup_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CaseEventRecord:
    """One change of a case: `action` by `actor_id` (None: the bot), with its `detail`."""

    id: int
    case_id: int
    team_id: str
    action: str
    actor_id: str | None
    detail: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class CustomerHistory:
    """One customer's negative messages since a moment, and their cases (newest first)."""

    negative_messages: int
    cases: list[CaseRecord]


@dataclass(frozen=True)
class CustomerSummary:
    """A customer with cases: the Slack user (and their workspace in Slack Connect)."""

    customer_id: str
    customer_team: str | None
    negative_messages: int
    open_cases: int
    last_seen: datetime


@dataclass(frozen=True)
class CaseSummary:
    """One escalation channel's cases over a window (see the module docstring).

    `negative_share`: channel id -> negative messages / all classified messages in the week.
    """

    team_id: str
    escalation_channel: str
    opened: int
    resolved: int
    still_open: int
    unacknowledged: int
    median_ack_seconds: float | None
    median_resolve_seconds: float | None
    negative_share: dict[str, float] = field(default_factory=dict)
    withdrawn: int = 0  # closed because the customer deleted their message


@dataclass(frozen=True)
class LearningDay:
    """One workspace's counts on one UTC day, for the learning curve (see
    `storage.repositories.learning_history`).

    `reviewed`: feedback given or changed that day on a message whose prediction is known;
    `corrections`: those whose label differs from the prediction's (the drift check's rule);
    `remembered`: feedback with a kept text first given that day (what the correction memory
    holds). `team_id` is None for feedback typed outside any workspace.
    """

    day: date
    team_id: str | None
    predictions: int = 0
    reviewed: int = 0
    corrections: int = 0
    remembered: int = 0


@dataclass(frozen=True)
class LearningHistory:
    """Daily learning counts since a moment, and what the memory held before it, per workspace."""

    days: list[LearningDay]
    remembered_before: dict[str, int] = field(default_factory=dict)

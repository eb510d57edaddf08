"""ORM rows, one module per domain. Repositories turn them into `storage.records`.

Importing this package registers every table on `Base.metadata` (the migrations compare against
it). Every timestamp is a `UTCDateTime`; every size comes from `storage.validation` so the checks
and the columns agree.
"""

from __future__ import annotations

import logging

from storage.orm.base import NAMING, Base
from storage.orm.cases import CaseEventRow, CaseRow
from storage.orm.channels import ChannelSettings
from storage.orm.dashboard_auth import ApiToken, AuthFailure, DashboardSession
from storage.orm.feedback import ApprovedReply, FeedbackRow
from storage.orm.model_versions import ModelVersion, TrainingRun
from storage.orm.ops import AdminAction, DriftReport, Lease, ProcessedEvent
from storage.orm.outbox import AlertDigestRow, AlertRow, OutboxRow, SlackPace
from storage.orm.predictions import MessageText, PredictionRow

logger = logging.getLogger(__name__)

__all__ = [
    "NAMING",
    "AdminAction",
    "AlertDigestRow",
    "AlertRow",
    "ApiToken",
    "ApprovedReply",
    "AuthFailure",
    "Base",
    "CaseEventRow",
    "CaseRow",
    "ChannelSettings",
    "DashboardSession",
    "DriftReport",
    "FeedbackRow",
    "Lease",
    "MessageText",
    "ModelVersion",
    "OutboxRow",
    "PredictionRow",
    "ProcessedEvent",
    "SlackPace",
    "TrainingRun",
]

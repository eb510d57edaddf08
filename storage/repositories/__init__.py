"""Repository functions: first argument the `Database`, the rest keyword-only, one transaction each.

They validate their input (raising `storage.errors.InvalidInput` / `NotFound` before anything is
written) and return frozen records from `storage.records`, never ORM rows.
"""

from __future__ import annotations

import logging

from storage.repositories.audit import list_admin_actions, record_admin_action
from storage.repositories.channels import (
    get_channel_settings,
    list_channel_settings,
    require_channel_settings,
    set_channel_settings,
    update_channel_settings,
)
from storage.repositories.drift_reports import (
    latest_drift_report,
    list_drift_reports,
    record_drift_report,
)
from storage.repositories.events import claim_event, purge_processed_events
from storage.repositories.feedback import (
    LabelledText,
    correction_rate,
    count_feedback,
    import_feedback,
    list_feedback,
    record_feedback,
)
from storage.repositories.leases import acquire_lease, release_lease, renew_lease
from storage.repositories.model_versions import (
    activate_model_version,
    get_active_model_version,
    get_model_version,
    list_model_versions,
    register_model_version,
    rollback_model,
    set_model_status,
)
from storage.repositories.predictions import (
    get_prediction,
    label_counts_by_day,
    recent_predictions,
    record_prediction,
)
from storage.repositories.privacy import delete_message_text, delete_workspace, purge_expired_texts
from storage.repositories.replies import list_approved_replies, record_approved_reply
from storage.repositories.training_runs import (
    fail_stale_runs,
    finish_training_run,
    get_training_run,
    list_training_runs,
    start_training_run,
)

logger = logging.getLogger(__name__)

__all__ = [
    "LabelledText",
    "acquire_lease",
    "activate_model_version",
    "claim_event",
    "correction_rate",
    "count_feedback",
    "delete_message_text",
    "delete_workspace",
    "fail_stale_runs",
    "finish_training_run",
    "get_active_model_version",
    "get_channel_settings",
    "get_model_version",
    "get_prediction",
    "get_training_run",
    "import_feedback",
    "label_counts_by_day",
    "latest_drift_report",
    "list_admin_actions",
    "list_approved_replies",
    "list_channel_settings",
    "list_drift_reports",
    "list_feedback",
    "list_model_versions",
    "list_training_runs",
    "purge_expired_texts",
    "purge_processed_events",
    "recent_predictions",
    "record_admin_action",
    "record_approved_reply",
    "record_drift_report",
    "record_feedback",
    "record_prediction",
    "register_model_version",
    "release_lease",
    "renew_lease",
    "require_channel_settings",
    "rollback_model",
    "set_channel_settings",
    "set_model_status",
    "start_training_run",
    "update_channel_settings",
]

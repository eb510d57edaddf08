"""Repository functions: first argument the `Database`, the rest keyword-only, one transaction each.

They validate their input (raising `storage.errors.InvalidInput` / `NotFound` before anything is
written) and return frozen records from `storage.records`, never ORM rows.
"""

from __future__ import annotations

import logging

from storage.repositories.alerts import (
    AlertWrite,
    alert_key,
    alert_update_key,
    digest_key,
    finish_digest,
    get_digest,
    list_alerts,
)
from storage.repositories.audit import list_admin_actions, record_admin_action
from storage.repositories.channels import (
    get_channel_settings,
    list_channel_settings,
    require_channel_settings,
    set_channel_settings,
    update_channel_settings,
)
from storage.repositories.dashboard_auth import (
    ApiTokenRecord,
    DashboardSessionRecord,
    count_auth_failures,
    create_api_token,
    get_dashboard_session,
    list_api_tokens,
    lockout_until,
    record_auth_failure,
    revoke_api_token,
    revoke_dashboard_session,
    start_dashboard_session,
    use_api_token,
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
from storage.repositories.outbox import (
    OutboxWrite,
    claim_due,
    count_outbox_by_status,
    count_pending,
    enqueue,
    expire_overdue,
    get_outbox_row,
    list_failed,
    list_outbox,
    mark_failed,
    mark_sent,
    next_due_at,
    purge_outbox,
    retry_at,
)
from storage.repositories.pacing import active_holds, hold_scope, reserve_slot
from storage.repositories.predictions import (
    PredictionEdit,
    PredictionWrite,
    get_prediction,
    label_counts_by_day,
    recent_predictions,
    record_edit,
    record_prediction,
    record_predictions,
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
from storage.workspaces import ALL_WORKSPACES, Workspace

logger = logging.getLogger(__name__)

__all__ = [
    "ALL_WORKSPACES",
    "AlertWrite",
    "ApiTokenRecord",
    "DashboardSessionRecord",
    "LabelledText",
    "OutboxWrite",
    "PredictionEdit",
    "PredictionWrite",
    "Workspace",
    "acquire_lease",
    "activate_model_version",
    "active_holds",
    "alert_key",
    "alert_update_key",
    "claim_due",
    "claim_event",
    "correction_rate",
    "count_auth_failures",
    "count_feedback",
    "count_outbox_by_status",
    "count_pending",
    "create_api_token",
    "delete_message_text",
    "delete_workspace",
    "digest_key",
    "enqueue",
    "expire_overdue",
    "fail_stale_runs",
    "finish_digest",
    "finish_training_run",
    "get_active_model_version",
    "get_channel_settings",
    "get_dashboard_session",
    "get_digest",
    "get_model_version",
    "get_outbox_row",
    "get_prediction",
    "get_training_run",
    "hold_scope",
    "import_feedback",
    "label_counts_by_day",
    "latest_drift_report",
    "list_admin_actions",
    "list_alerts",
    "list_api_tokens",
    "list_approved_replies",
    "list_channel_settings",
    "list_drift_reports",
    "list_failed",
    "list_feedback",
    "list_model_versions",
    "list_outbox",
    "list_training_runs",
    "lockout_until",
    "mark_failed",
    "mark_sent",
    "next_due_at",
    "purge_expired_texts",
    "purge_outbox",
    "purge_processed_events",
    "recent_predictions",
    "record_admin_action",
    "record_approved_reply",
    "record_auth_failure",
    "record_drift_report",
    "record_edit",
    "record_feedback",
    "record_prediction",
    "record_predictions",
    "register_model_version",
    "release_lease",
    "renew_lease",
    "require_channel_settings",
    "reserve_slot",
    "retry_at",
    "revoke_api_token",
    "revoke_dashboard_session",
    "rollback_model",
    "set_channel_settings",
    "set_model_status",
    "start_dashboard_session",
    "start_training_run",
    "update_channel_settings",
    "use_api_token",
]

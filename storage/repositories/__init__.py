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
from storage.repositories.case_changes import (
    CaseChange,
    acknowledge_case,
    assign_case,
    reopen_case,
    resolve_case,
)
from storage.repositories.case_followups import FollowUp, due_followups, record_followup
from storage.repositories.case_summary import case_summary, escalation_channels_with_cases
from storage.repositories.cases import (
    case_of_message,
    cases_of_alerts,
    customer_history,
    get_case,
    list_case_events,
    list_cases,
    list_customers,
)
from storage.repositories.channels import (
    CaseSettings,
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
from storage.repositories.learning import learning_history
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
    "CaseChange",
    "CaseSettings",
    "DashboardSessionRecord",
    "FollowUp",
    "LabelledText",
    "OutboxWrite",
    "PredictionEdit",
    "PredictionWrite",
    "Workspace",
    "acknowledge_case",
    "acquire_lease",
    "activate_model_version",
    "active_holds",
    "alert_key",
    "alert_update_key",
    "assign_case",
    "case_of_message",
    "case_summary",
    "cases_of_alerts",
    "claim_due",
    "claim_event",
    "correction_rate",
    "count_auth_failures",
    "count_feedback",
    "count_outbox_by_status",
    "count_pending",
    "create_api_token",
    "customer_history",
    "delete_message_text",
    "delete_workspace",
    "digest_key",
    "due_followups",
    "enqueue",
    "escalation_channels_with_cases",
    "expire_overdue",
    "fail_stale_runs",
    "finish_digest",
    "finish_training_run",
    "get_active_model_version",
    "get_case",
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
    "learning_history",
    "list_admin_actions",
    "list_alerts",
    "list_api_tokens",
    "list_approved_replies",
    "list_case_events",
    "list_cases",
    "list_channel_settings",
    "list_customers",
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
    "record_followup",
    "record_prediction",
    "record_predictions",
    "register_model_version",
    "release_lease",
    "renew_lease",
    "reopen_case",
    "require_channel_settings",
    "reserve_slot",
    "resolve_case",
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

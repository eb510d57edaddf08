"""Core tables: model versions, predictions, message texts, feedback, approved replies,
training runs, channel settings, processed events, and slack_sdk's installation/OAuth tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.columns import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = 64
NAME = 128
ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    _model_versions()
    _messages()
    _people()
    _slack_tables()


def _model_versions() -> None:
    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(NAME), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("parent_version", sa.String(NAME), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("data_snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_version"],
            ["model_versions.version"],
            name="fk_model_versions_parent_version_model_versions",
        ),
        sa.PrimaryKeyConstraint("version", name="pk_model_versions"),
    )
    op.create_index("ix_model_versions_kind", "model_versions", ["kind"])
    # Exactly one active version per kind, enforced by the database on both engines.
    op.create_index(
        "uq_model_versions_one_active",
        "model_versions",
        ["kind"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def _messages() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("channel_id", sa.String(ID), nullable=False),
        sa.Column("message_ts", sa.String(ID), nullable=False),
        sa.Column("thread_ts", sa.String(ID), nullable=True),
        sa.Column("user_id", sa.String(ID), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(NAME), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["model_versions.version"],
            name="fk_predictions_model_version_model_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_predictions"),
        sa.UniqueConstraint(
            "team_id",
            "channel_id",
            "message_ts",
            name="uq_predictions_team_id_channel_id_message_ts",
        ),
    )
    op.create_index("ix_predictions_created_at", "predictions", ["created_at"])
    op.create_table(
        "message_texts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("channel_id", sa.String(ID), nullable=False),
        sa.Column("message_ts", sa.String(ID), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_message_texts"),
        sa.UniqueConstraint(
            "team_id",
            "channel_id",
            "message_ts",
            name="uq_message_texts_team_id_channel_id_message_ts",
        ),
    )
    op.create_index("ix_message_texts_expires_at", "message_texts", ["expires_at"])
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(ID), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_processed_events"),
    )
    op.create_index("ix_processed_events_created_at", "processed_events", ["created_at"])


def _people() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject_key", sa.String(3 * ID + 8), nullable=False),
        sa.Column("user_id", sa.String(ID), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("predicted_label", sa.String(16), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=True),
        sa.Column("channel_id", sa.String(ID), nullable=True),
        sa.Column("message_ts", sa.String(ID), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("note", sa.String(2000), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("user_id", "subject_key", name="uq_feedback_user_id_subject_key"),
    )
    op.create_index("ix_feedback_team_id", "feedback", ["team_id"])
    op.create_index("ix_feedback_updated_at", "feedback", ["updated_at"])
    op.create_table(
        "approved_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("channel_id", sa.String(ID), nullable=False),
        sa.Column("message_ts", sa.String(ID), nullable=True),
        sa.Column("user_id", sa.String(ID), nullable=False),
        sa.Column("message_text", sa.Text(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=False),
        sa.Column("draft_text", sa.Text(), nullable=True),
        sa.Column("model", sa.String(NAME), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_approved_replies"),
    )
    op.create_index("ix_approved_replies_team_id", "approved_replies", ["team_id"])
    op.create_table(
        "training_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(ID), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("data_counts", sa.JSON(), nullable=False),
        sa.Column("candidate_version", sa.String(NAME), nullable=True),
        sa.Column("log_excerpt", sa.String(20_000), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_training_runs"),
    )
    op.create_index("ix_training_runs_started_at", "training_runs", ["started_at"])
    op.create_table(
        "channel_settings",
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("channel_id", sa.String(ID), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("privacy_mode", sa.String(16), nullable=False),
        sa.Column("escalation_channel", sa.String(ID), nullable=True),
        sa.Column("set_by", sa.String(ID), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", name="pk_channel_settings"),
    )


def _common() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
    ]


def _team() -> list[sa.Column[Any]]:
    return [sa.Column("team_id", sa.String(32)), sa.Column("team_name", sa.String(200))]


def _bot() -> list[sa.Column[Any]]:
    return [
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime()),
    ]


def _enterprise_install() -> sa.Column[Any]:
    return sa.Column("is_enterprise_install", sa.Boolean(), nullable=False)


def _installed_at() -> sa.Column[Any]:
    return sa.Column("installed_at", sa.DateTime(), nullable=False)


def _slack_tables() -> None:
    """slack_sdk 3.x's SQLAlchemy store tables, as its `build_*_table` methods define them."""
    op.create_table(
        "slack_installations",
        *_common(),
        sa.Column("enterprise_url", sa.String(200)),
        *_team(),
        *_bot(),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", sa.String(200)),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", sa.String(200)),
        sa.Column("user_token_expires_at", sa.DateTime()),
        sa.Column("incoming_webhook_url", sa.String(200)),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        _enterprise_install(),
        sa.Column("token_type", sa.String(32)),
        _installed_at(),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots", *_common(), *_team(), *_bot(), _enterprise_install(), _installed_at()
    )
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "slack_oauth_states",
        "slack_bots",
        "slack_installations",
        "channel_settings",
        "training_runs",
        "approved_replies",
        "feedback",
        "processed_events",
        "message_texts",
        "predictions",
        "model_versions",
    ):
        op.drop_table(table)

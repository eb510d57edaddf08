"""The Slack outbox, alerts and their digests, per-channel pacing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = 64
NAME = 128


def upgrade() -> None:
    _outbox()
    _alerts()
    op.create_table(
        "slack_pacing",
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("scope", sa.String(NAME), nullable=False),
        sa.Column("tat", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "scope", name="pk_slack_pacing"),
    )


def _outbox() -> None:
    op.create_table(
        "slack_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=True),
        sa.Column("channel_id", sa.String(ID), nullable=True),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(NAME), nullable=True),
        sa.Column("last_error", sa.String(2000), nullable=True),
        sa.Column("result_ts", sa.String(ID), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_outbox"),
        sa.UniqueConstraint("key", name="uq_slack_outbox_key"),
    )
    op.create_index("ix_slack_outbox_team_id", "slack_outbox", ["team_id"])
    op.create_index("ix_slack_outbox_sent_at", "slack_outbox", ["sent_at"])
    op.create_index(
        "ix_slack_outbox_status_next_attempt_at", "slack_outbox", ["status", "next_attempt_at"]
    )


def _alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("escalation_channel", sa.String(ID), nullable=False),
        sa.Column("channel_id", sa.String(ID), nullable=False),
        sa.Column("message_ts", sa.String(ID), nullable=False),
        sa.Column("user_id", sa.String(ID), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint(
            "team_id", "channel_id", "message_ts", name="uq_alerts_team_id_channel_id_message_ts"
        ),
    )
    op.create_index("ix_alerts_digest_id", "alerts", ["digest_id"])
    op.create_index(
        "ix_alerts_team_id_escalation_channel_created_at",
        "alerts",
        ["team_id", "escalation_channel", "created_at"],
    )
    op.create_table(
        "alert_digests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("escalation_channel", sa.String(ID), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("posted_ts", sa.String(ID), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_digests"),
    )
    op.create_index(
        "ix_alert_digests_team_id_escalation_channel_updated_at",
        "alert_digests",
        ["team_id", "escalation_channel", "updated_at"],
    )


def downgrade() -> None:
    op.drop_table("alert_digests")
    op.drop_table("alerts")
    op.drop_table("slack_outbox")
    op.drop_table("slack_pacing")

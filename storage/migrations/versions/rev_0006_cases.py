"""Cases (an alert's life: acknowledged, assigned, resolved) and their events; channels' case
settings (response target, auto-resolve on an agent's reply, on-call group).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = 64
STATE = 16
NOTE = 2000


def upgrade() -> None:
    _cases()
    _case_events()
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(sa.Column("response_target_minutes", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "auto_resolve_on_reply", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("oncall_group", sa.String(ID), nullable=True))


def _cases() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("escalation_channel", sa.String(ID), nullable=False),
        sa.Column("channel_id", sa.String(ID), nullable=False),
        sa.Column("message_ts", sa.String(ID), nullable=False),
        sa.Column("customer_id", sa.String(ID), nullable=False),
        sa.Column("customer_team", sa.String(ID), nullable=True),
        sa.Column("state", sa.String(STATE), nullable=False),
        sa.Column("assignee_id", sa.String(ID), nullable=True),
        sa.Column("acknowledged_by", sa.String(ID), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(ID), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolution_note", sa.String(NOTE), nullable=True),
        sa.Column("followups", sa.Integer(), nullable=False),
        sa.Column("last_followup_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("alert_id", name="uq_cases_alert_id"),
    )
    op.create_index(
        "ix_cases_team_id_channel_id_message_ts", "cases", ["team_id", "channel_id", "message_ts"]
    )
    op.create_index(
        "ix_cases_team_id_state_created_at", "cases", ["team_id", "state", "created_at"]
    )
    op.create_index("ix_cases_team_id_customer_id", "cases", ["team_id", "customer_id"])


def _case_events() -> None:
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(ID), nullable=False),
        sa.Column("action", sa.String(STATE), nullable=False),
        sa.Column("actor_id", sa.String(ID), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])
    op.create_index("ix_case_events_team_id", "case_events", ["team_id"])


def downgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.drop_column("oncall_group")
        batch.drop_column("auto_resolve_on_reply")
        batch.drop_column("response_target_minutes")
    op.drop_table("case_events")
    op.drop_table("cases")

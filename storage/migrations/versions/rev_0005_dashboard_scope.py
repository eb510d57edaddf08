"""Dashboard sessions and API tokens carry the workspace they may see (NULL: every workspace).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = 64
SCOPED = ("dashboard_sessions", "api_tokens")


def upgrade() -> None:
    # Sessions and tokens made before this revision were the instance's (password, operator
    # tokens), so NULL (every workspace) keeps what they could see.
    for table in SCOPED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("team_id", sa.String(ID), nullable=True))


def downgrade() -> None:
    # The older schema cannot say "one workspace only": a scoped session or token would come
    # back seeing every workspace, so they are deleted rather than widened.
    for table in SCOPED:
        op.execute(sa.text(f"DELETE FROM {table} WHERE team_id IS NOT NULL"))
    for table in SCOPED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("team_id")

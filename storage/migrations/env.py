"""Alembic environment: runs on the connection handed in by `storage.migrations`."""

from __future__ import annotations

import logging

from alembic import context

from storage.engine import build_engine
from storage.orm import Base  # the package registers every table

logger = logging.getLogger(__name__)

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs table rebuilds for most ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:  # the plain `alembic` tool with -x/sqlalchemy.url set
    engine = build_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        _run(connection)

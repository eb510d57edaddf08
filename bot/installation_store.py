"""slack_sdk's own SQLAlchemy installation and OAuth-state stores, on the `Database`'s engine.

They use its writer engine: on SQLite every transaction takes the write lock up front (BEGIN
IMMEDIATE), so a store's read-then-delete (consuming an OAuth state, saving an installation)
waits for other writers, such as the outbox sender, instead of failing "database is locked".

Bolt's adapters live with the bot; storage only creates their tables (migration 0001) and deletes
a workspace's rows on uninstall (`storage.repositories.delete_workspace`).
"""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from storage.database import Database

logger = logging.getLogger(__name__)


def installation_store(db: Database, *, client_id: str = "") -> SQLAlchemyInstallationStore:
    """Bolt's multi-workspace installation store (tables `slack_installations`, `slack_bots`).

    Args:
        db: the database whose engine the store shares.
        client_id: the Slack app's client id (`SLACK_CLIENT_ID`); rows are scoped by it.
    """
    return SQLAlchemyInstallationStore(client_id=client_id, engine=db.writer_engine, logger=logger)


def oauth_state_store(db: Database, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    """Bolt's OAuth state store (table `slack_oauth_states`); states expire after the given time."""
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=expiration_seconds, engine=db.writer_engine, logger=logger
    )

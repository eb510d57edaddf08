"""slack_sdk's own SQLAlchemy installation and OAuth-state stores, on the `Database`'s engine.

They use its writer engine: on SQLite every transaction takes the write lock up front (BEGIN
IMMEDIATE), so a store's read-then-delete (consuming an OAuth state, saving an installation)
waits for other writers, such as the outbox sender, instead of failing "database is locked".

Bolt's adapters live with the bot; storage only creates their tables (migration 0001) and deletes
a workspace's rows on uninstall (`storage.repositories.delete_workspace`).

Finding an installation outside a request (the outbox, the dashboard's sign-in) goes through
`find_workspace_bot` (enterprise known) or `TeamBots` (team id only), so a workspace of an
Enterprise Grid organisation and an org-wide install are found as Bolt's authorize finds them.
"""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator

from storage.database import Database

logger = logging.getLogger(__name__)

# Refresh a rotating bot token this long before it expires (Bolt's default too).
ROTATE_MINUTES_BEFORE = 120
# How often, at most, the workspaces of org-wide installs are asked of Slack again.
ORG_TEAMS_REFRESH_SECONDS = 10.0


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


def find_workspace_bot(
    store: InstallationStore, *, enterprise_id: str | None, team_id: str
) -> Bot | None:
    """The bot installed for `team_id`: its own install, else its organisation's org-wide one.

    A plain workspace has no enterprise; a workspace of an Enterprise Grid organisation is found
    only with its `enterprise_id` (slack_sdk matches the column exactly, so None never finds it);
    an org-wide install is stored under the enterprise with no team. This is the order Bolt's
    authorize follows for a request.
    """
    bot = store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
    if bot is None and enterprise_id:
        bot = store.find_bot(enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True)
    return bot


class TeamBots:
    """The bot token that writes into a workspace, found by its team id alone, kept fresh.

    Jobs and outbox rows know only the team id, and none of our tables records an enterprise.
    Team ids are unique across Slack, so the enterprise is looked up instead of carried:

    - a workspace install (a plain workspace, or one workspace of an Enterprise Grid
      organisation) is the newest `slack_bots` row with that team id; its `enterprise_id` is
      then passed to `find_bot`, as Bolt does for a request;
    - an org-wide install is stored with no team, so which workspaces it serves is asked of
      Slack (`auth.teams.list` with each org-wide bot token), remembered, and asked again when
      a team is not among them (at most every `ORG_TEAMS_REFRESH_SECONDS`).

    With token rotation on (the install stored a refresh token), an expired or expiring bot token
    is refreshed with `oauth.v2.access` (`grant_type=refresh_token`) before it is handed out and
    the refreshed installation is saved, both its rows, as Bolt's authorize does for listeners;
    a refresh token works once, so the two must not keep different ones.

    Args:
        store: the installation store.
        client: a token-less Web API client (`oauth.v2.access`, `auth.teams.list`).
        client_id: the app's client id; with `client_secret`, what a refresh needs.
        client_secret: the app's client secret; None: tokens are not refreshed.

    Example:
        >>> bots = TeamBots(store, client=build_client(slack), client_id="1.2", client_secret="s")  # doctest: +SKIP
        >>> bots.bot_token("T0GRID")  # doctest: +SKIP
        'xoxb-...'
    """

    def __init__(
        self,
        store: SQLAlchemyInstallationStore,
        *,
        client: WebClient,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.rotator = (
            TokenRotator(client_id=client_id, client_secret=client_secret, client=client)
            if client_id and client_secret
            else None
        )
        self._org_of_team: dict[str, str] = {}
        self._org_checked_at = -ORG_TEAMS_REFRESH_SECONDS
        self._lock = threading.Lock()

    def bot_token(self, team_id: str | None) -> str | None:
        """A usable bot token for `team_id`'s workspace; None when no installation serves it.

        Raises:
            SlackTokenRotationError: the token needed refreshing and Slack refused.
        """
        bot = self.find_bot(team_id) if team_id else None
        if bot is None or not bot.bot_token:
            return None
        return self._fresh(bot)

    def find_bot(self, team_id: str) -> Bot | None:
        """The installation serving `team_id`: its own (any enterprise), else an org-wide one."""
        c = self.store.bots.c
        query = (
            sqlalchemy.select(c.enterprise_id)
            .where(
                c.client_id == self.store.client_id,
                c.team_id == team_id,
                c.bot_token.is_not(None),
            )
            .order_by(sqlalchemy.desc(c.installed_at))
            .limit(1)
        )
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is not None:
            return self.store.find_bot(enterprise_id=row.enterprise_id, team_id=team_id)
        enterprise_id = self._org_install_of(team_id)
        if enterprise_id is None:
            return None
        return self.store.find_bot(
            enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
        )

    def _org_install_of(self, team_id: str) -> str | None:
        """The enterprise whose org-wide install serves `team_id`, per `auth.teams.list`."""
        with self._lock:
            found = self._org_of_team.get(team_id)
            if found is not None:
                return found
            if time.monotonic() - self._org_checked_at < ORG_TEAMS_REFRESH_SECONDS:
                return None
            self._org_checked_at = time.monotonic()
            self._org_of_team = self._list_org_teams()
            return self._org_of_team.get(team_id)

    def _list_org_teams(self) -> dict[str, str]:
        c = self.store.bots.c
        query = (
            sqlalchemy.select(c.enterprise_id)
            .where(
                c.client_id == self.store.client_id,
                c.team_id.is_(None),
                c.is_enterprise_install.is_(True),
                c.bot_token.is_not(None),
            )
            .distinct()
        )
        with self.store.engine.connect() as conn:
            enterprises = [str(r.enterprise_id) for r in conn.execute(query) if r.enterprise_id]
        teams: dict[str, str] = {}
        for enterprise_id in enterprises:
            bot = self.store.find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
            token = self._fresh(bot) if bot is not None and bot.bot_token else None
            try:
                for page in self.client.auth_teams_list(token=token, limit=1000):
                    teams.update({str(t["id"]): enterprise_id for t in page.get("teams") or []})
            except SlackApiError:
                logger.warning("auth.teams.list failed for org %s", enterprise_id, exc_info=True)
        return teams

    def _fresh(self, bot: Bot) -> str | None:
        """`bot`'s token, refreshed first when it expires within `ROTATE_MINUTES_BEFORE`."""
        if bot.bot_refresh_token is None or self.rotator is None:
            return bot.bot_token
        installation = self.store.find_installation(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            is_enterprise_install=bot.is_enterprise_install,
        )
        if installation is not None and installation.bot_refresh_token is not None:
            refreshed = self.rotator.perform_token_rotation(
                installation=installation, minutes_before_expiration=ROTATE_MINUTES_BEFORE
            )
            if refreshed is None:
                return bot.bot_token
            self.store.save(refreshed)  # the installation row and the bot row
            logger.info("refreshed the bot token of %s", bot.team_id or bot.enterprise_id)
            return refreshed.bot_token
        refreshed_bot = self.rotator.perform_bot_token_rotation(
            bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE
        )
        if refreshed_bot is None:
            return bot.bot_token
        self.store.save_bot(refreshed_bot)
        logger.info("refreshed the bot token of %s", bot.team_id or bot.enterprise_id)
        return refreshed_bot.bot_token

"""slack_sdk's SQLAlchemy installation and OAuth-state stores on our engine and migrated tables."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Installation

from bot.installation_store import installation_store, oauth_state_store
from storage.database import Database
from tests.storage.helpers import count


def _installation(team_id: str, token: str) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=None,
        team_id=team_id,
        team_name=f"Team {team_id}",
        user_id="U1",
        bot_token=token,
        bot_id="B1",
        bot_user_id="UB1",
        bot_scopes=["chat:write", "commands"],
        user_scopes=[],
    )


def test_save_and_find_an_installation(db: Database) -> None:
    store = installation_store(db, client_id="111.222")
    store.save(_installation("T1", "xoxb-first"))
    store.save(_installation("T1", "xoxb-second"))  # a reinstall
    store.save(_installation("T2", "xoxb-other"))

    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-second"
    assert found.team_name == "Team T1" and found.bot_scopes == ["chat:write", "commands"]
    bot = store.find_bot(enterprise_id=None, team_id="T2")
    assert bot is not None and bot.bot_token == "xoxb-other"
    assert store.find_installation(enterprise_id=None, team_id="T3") is None
    assert count(db, "slack_installations") == 3  # slack_sdk keeps the history

    other_app = installation_store(db, client_id="999.999")  # rows are scoped by client id
    assert other_app.find_installation(enterprise_id=None, team_id="T1") is None

    store.delete_installation(enterprise_id=None, team_id="T1")
    store.delete_bot(enterprise_id=None, team_id="T1")
    assert store.find_installation(enterprise_id=None, team_id="T1") is None
    assert store.find_bot(enterprise_id=None, team_id="T2") is not None


def test_oauth_state_is_consumed_once(db: Database) -> None:
    store = oauth_state_store(db, expiration_seconds=600)
    state = store.issue()
    assert count(db, "slack_oauth_states") == 1
    assert store.consume(state) is True
    assert store.consume(state) is False
    assert store.consume("forged-state") is False


def test_an_expired_oauth_state_is_refused(db: Database) -> None:
    store = oauth_state_store(db, expiration_seconds=-1)  # already expired when issued
    assert store.consume(store.issue()) is False

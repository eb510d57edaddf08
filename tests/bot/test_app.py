"""The app as Slack sees it: signatures, timestamps, apologies, malformed input."""

from __future__ import annotations

import time

import pytest

from bot.app import create_app
from bot.blocks.common import APOLOGY
from bot.settings import SettingsError, load_settings
from tests.fixtures.slack import (
    BotHarness,
    command_body,
    event_body,
    message_event,
    signed_headers,
)


def test_bad_signature_is_refused(bot: BotHarness) -> None:
    response = bot.send(command_body("/sentiment", "hi", response_url="x"), secret="wrong")
    assert response.status == 401
    assert bot.predictor.seen == []


def test_stale_timestamp_is_refused(bot: BotHarness) -> None:
    stale = int(time.time()) - 6 * 60  # Slack's window is 5 minutes
    response = bot.send(command_body("/sentiment", "hi", response_url="x"), timestamp=stale)
    assert response.status == 401


def test_listener_failure_is_logged_and_the_user_gets_an_apology(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(texts: list[str], team_ids: object = None) -> list:
        raise RuntimeError("model exploded")

    bot.predictor.predict = broken  # type: ignore[method-assign]
    response = bot.command("/sentiment", "hello")
    bot.settle()
    assert response.status == 200
    (apology,) = bot.slack.calls_to("response_url")
    assert apology.params["text"] == APOLOGY
    assert "model exploded" in caplog.text


def test_failure_in_a_view_submission_apologises_by_direct_message(bot: BotHarness) -> None:
    from tests.fixtures.slack import view_submission

    bot.services.db = None  # storage gone: the handler fails after its ack
    submission = view_submission(
        "relabel_submit", {"label": {"selected_option": {"value": "negative"}}}
    )
    assert bot.interact(submission).status == 200
    bot.settle()
    (dm,) = bot.slack.calls_to("chat.postMessage")
    assert (dm.params["channel"], dm.params["text"]) == ("U0USER", APOLOGY)


@pytest.mark.parametrize(
    "body, content_type, expected",
    [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded", 400),
        ("{not json", "application/json", 400),
        ("payload=%7B%7D", "application/x-www-form-urlencoded", 404),
    ],
    ids=["payload-not-json", "event-not-json", "payload-without-type"],
)
def test_malformed_bodies_get_a_clear_answer(
    bot: BotHarness, body: str, content_type: str, expected: int
) -> None:
    from bot.web import create_web_app

    client = create_web_app(bot.services.settings, bot.services).test_client()
    headers = signed_headers(body, content_type=content_type)
    assert client.post("/slack/events", data=body, headers=headers).status_code == expected


def test_event_for_an_unknown_type_is_acked(bot: BotHarness) -> None:
    response = bot.send(event_body({"type": "emoji_changed"}, event_id="Ex"), json_body=True)
    assert response.status == 200


def test_empty_message_text_is_handled(bot: BotHarness) -> None:
    response = bot.event(message_event("", ts="1.1", channel="C0NOWHERE"), event_id="Ey")
    assert response.status == 200


def test_http_mode_needs_a_signing_secret(bot: BotHarness) -> None:
    settings = load_settings(None, slack={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": ""})
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        create_app(settings, bot.services)


def test_a_token_or_oauth_is_needed(bot: BotHarness) -> None:
    settings = load_settings(None, slack={"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "s"})
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        create_app(settings, bot.services)


def test_oauth_mode_serves_the_install_page(bot: BotHarness, slack_env: dict) -> None:
    from bot.web import create_web_app

    settings = load_settings(
        None,
        slack={
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "shh",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_BASE_URL": slack_env["SLACK_API_BASE_URL"],
        },
    )
    flask_app = create_web_app(settings, bot.services)
    page = flask_app.test_client().get("/slack/install")
    assert page.status_code == 200
    assert "client_id=111.222" in page.get_data(as_text=True)
    assert "reactions:write" in page.get_data(as_text=True)

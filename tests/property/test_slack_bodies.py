"""Bodies of `POST /slack/events`, as the production web app (`bot.web`) reads them.

Parsers covered (outside input: anyone can reach this URL, Slack signs what it sends):

- `bot/web.py:_signed` and `_dispatch_slack_request`: the signature check before the body is
  read, then Bolt's `to_bolt_request` (JSON event envelopes; `payload=` forms of block actions,
  shortcuts and view submissions; slash-command forms).

Properties: an unsigned body, whatever it holds, gets 401 with one log line and no traceback;
a signed body that is not a JSON object (or a `payload=` that is not one) gets 400 the same way;
a signed object, whatever its fields, is dispatched and never answered with a 5xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import load_settings
from bot.web import create_web_app
from storage.database import Database
from tests.bot.dashboard.fakes import make_services
from tests.fixtures.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    block_action,
    command_body,
    view_submission,
)
from tests.property.logs import LogRecorder, recording
from tests.property.strategies import BODIES, HOSTILE_TEXT, JSON_OBJECTS, JSON_TEXTS, JSON_VALUES

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ACTIONS = [
    "feedback_correct",
    "feedback_wrong",
    "draft_post",
    "draft_edit",
    "draft_regenerate",
    "draft_discard",
    "channel_mode_choose",
    "home_channel_settings",
    "home_retrain",
    "home_rollback",
    "no_such_action",
]
VIEWS = ["relabel_submit", "draft_edit_submit", "channel_settings_submit", "no_such_view"]
COMMANDS = ["/sentiment", "/draft", "/triage", "/nothing"]


@pytest.fixture(scope="module")
def slack_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, FakeSlack]]:
    """The production web app talking to a fake Slack (one for the module: examples are many)."""
    fake = FakeSlack()
    db = Database.from_url("sqlite://")
    db.upgrade()
    settings = load_settings(
        None,
        slack={
            "SLACK_API_BASE_URL": fake.base_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TRIAGE_DRAFTS_ENABLED": "false",
        },
        models={"DATA_DIR": str(tmp_path_factory.mktemp("slack")), "CLASSIFIER_PATH": ""},
        storage={"DATABASE_URL": "sqlite://"},
        server={"SESSION_SECRET": "test-secret"},
    )
    yield create_web_app(settings, make_services(settings, db)), fake
    db.dispose()
    fake.close()


@pytest.fixture(scope="module")
def logs() -> Iterator[LogRecorder]:
    with recording() as recorder:
        yield recorder


def signed(body: bytes, content_type: str) -> dict[str, str]:
    """Slack's headers for `body`: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    stamp = str(int(time.time()))
    digest = hmac.new(
        SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
    )
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


def post(app: Flask, body: bytes, headers: dict[str, str]) -> int:
    return app.test_client().post("/slack/events", data=body, headers=headers).status_code


def is_object(text: str) -> bool:
    """What `bot.web` must accept: JSON that Python reads as an object (else 400)."""
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def assert_quiet(logs: LogRecorder) -> None:
    assert len(logs.records) <= 1, [record.getMessage() for record in logs.records]
    assert not logs.tracebacks()


@given(
    body=BODIES,
    content_type=st.sampled_from([JSON, FORM, "text/plain"]),
    stamp=st.sampled_from([None, "1", "9" * 5000, "x", ""]),
)
def test_an_unsigned_body_gets_401_and_one_log_line(
    slack_app: tuple[Flask, FakeSlack],
    logs: LogRecorder,
    body: bytes,
    content_type: str,
    stamp: str | None,
) -> None:
    headers = {"Content-Type": content_type, "X-Slack-Signature": "v0=" + "0" * 64}
    if stamp is not None:
        headers["X-Slack-Request-Timestamp"] = stamp
    logs.clear()

    assert post(slack_app[0], body, headers) == 401
    assert_quiet(logs)


@given(text=JSON_TEXTS)
def test_a_signed_json_body_that_is_no_object_gets_400_and_one_log_line(
    slack_app: tuple[Flask, FakeSlack], logs: LogRecorder, text: str
) -> None:
    body = text.encode("utf-8", "surrogatepass")
    logs.clear()

    status = post(slack_app[0], body, signed(body, JSON))

    if is_object(text):
        assert status < 500
    else:  # 400; an empty body is Bolt's `{}`, a request no listener handles: 404
        assert status == (404 if not body else 400)
        assert_quiet(logs)


@given(payload=JSON_TEXTS)
def test_a_signed_payload_form_that_is_no_object_gets_400_and_one_log_line(
    slack_app: tuple[Flask, FakeSlack], logs: LogRecorder, payload: str
) -> None:
    body = urlencode({"payload": payload}, encoding="utf-8", errors="surrogatepass").encode()
    logs.clear()

    status = post(slack_app[0], body, signed(body, FORM))

    if is_object(payload):
        assert status < 500
    else:  # 400; an empty body is Bolt's `{}`, a request no listener handles: 404
        assert status == (404 if not body else 400)
        assert_quiet(logs)


@given(fields=st.dictionaries(st.sampled_from(["payload", "command", "text", "x"]), HOSTILE_TEXT))
def test_a_signed_form_of_any_fields_is_never_a_5xx(
    slack_app: tuple[Flask, FakeSlack], fields: dict[str, str]
) -> None:
    body = urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()

    assert post(slack_app[0], body, signed(body, FORM)) < 500


@given(envelope=JSON_OBJECTS, event=st.one_of(JSON_OBJECTS, JSON_VALUES))
def test_a_signed_event_envelope_of_any_shape_is_never_a_5xx(
    slack_app: tuple[Flask, FakeSlack], envelope: dict[str, Any], event: Any
) -> None:
    envelope = {"type": "event_callback", "team_id": "T0TEST", **envelope, "event": event}
    body = json.dumps(envelope).encode()

    assert post(slack_app[0], body, signed(body, JSON)) < 500


INTERACTIVE_TYPES = [
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
]
INTERACTIVE_FIELDS = ["actions", "view", "user", "team", "channel", "container", "message"]


@given(
    kind=st.sampled_from(INTERACTIVE_TYPES),
    fields=st.dictionaries(st.sampled_from(INTERACTIVE_FIELDS), JSON_VALUES),
)
def test_a_signed_interactive_payload_of_any_shape_is_never_a_5xx(
    slack_app: tuple[Flask, FakeSlack], kind: str, fields: dict[str, Any]
) -> None:
    payload = {"type": kind, "team": {"id": "T0TEST"}, "user": {"id": "U0USER"}, **fields}
    body = urlencode({"payload": json.dumps(payload)}).encode()

    assert post(slack_app[0], body, signed(body, FORM)) < 500


@given(action_id=st.sampled_from(ACTIONS), value=st.one_of(HOSTILE_TEXT, JSON_TEXTS))
def test_a_button_press_with_any_value_is_acked(
    slack_app: tuple[Flask, FakeSlack], action_id: str, value: str
) -> None:
    app, fake = slack_app
    payload = block_action(action_id, value, response_url=fake.response_url())
    body = urlencode({"payload": json.dumps(payload)}).encode()

    assert post(app, body, signed(body, FORM)) == 200


@given(
    callback_id=st.sampled_from(VIEWS),
    values=st.dictionaries(
        st.sampled_from(["label", "note", "reply", "channel", "mode", "privacy", "escalation"]),
        JSON_VALUES,
    ),
    metadata=st.one_of(HOSTILE_TEXT, JSON_TEXTS),
)
def test_a_view_submission_with_any_state_and_metadata_is_acked(
    slack_app: tuple[Flask, FakeSlack], callback_id: str, values: dict[str, Any], metadata: str
) -> None:
    payload = view_submission(callback_id, values, private_metadata=metadata)
    payload["view"]["state"]["values"]["garbage"] = values  # and a block of the wrong shape
    body = urlencode({"payload": json.dumps(payload)}).encode()

    assert post(slack_app[0], body, signed(body, FORM)) == 200


@given(command=st.sampled_from(COMMANDS), text=HOSTILE_TEXT)
def test_a_slash_command_with_any_text_is_never_a_5xx(
    slack_app: tuple[Flask, FakeSlack], command: str, text: str
) -> None:
    app, fake = slack_app
    form = dict(parse_qsl(command_body(command, "", response_url=fake.response_url())))
    body = urlencode({**form, "text": text}, errors="surrogatepass").encode()

    assert post(app, body, signed(body, FORM)) < 500

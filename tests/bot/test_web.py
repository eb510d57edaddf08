"""`POST /slack/events` over real HTTP: garbage from anyone gets a 4xx and one log line at most.

Bolt parses a body before it checks the signature, and a body that is valid JSON but not an
object used to raise inside Bolt: a 500 and a 30-line traceback per request, from anyone.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.settings import load_settings
from bot.web import create_web_app
from storage.database import Database
from tests.bot.dashboard.fakes import make_services
from tests.bot.dashboard.server import serve_in_thread
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET, post, signed_headers

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

GARBAGE = [
    ("[1,2]", JSON),
    ("5", JSON),
    ("null", JSON),
    ('"text"', JSON),
    ("[" * 10_000 + "]" * 10_000, JSON),
    ('{"type": "event_callback", "event": ' + "[" * 10_000 + "]" * 10_000 + "}", JSON),
    ('{"n": ' + "9" * 5_000 + "}", JSON),
    ('{"enterprise": 5}', JSON),
    ('{"authorizations": {"a": 1}}', JSON),
    ("payload=%5B1%5D", FORM),
    ("payload=5", FORM),
    ("payload=null", FORM),
]
IDS = [
    "list",
    "number",
    "null",
    "string",
    "nested-10000",
    "nested-event",
    "5000-digits",
    "enterprise-number",
    "authorizations-object",
    "payload-list",
    "payload-number",
    "payload-null",
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The production web app on a free port (one for the module: nothing here writes)."""
    tmp_path = tmp_path_factory.mktemp("web")
    db = Database.from_url("sqlite://")
    db.upgrade()
    settings = load_settings(
        None,
        slack={
            "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",  # nothing listens: never leaves
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TRIAGE_DRAFTS_ENABLED": "false",
        },
        models={"DATA_DIR": str(tmp_path), "CLASSIFIER_PATH": ""},
        storage={"DATABASE_URL": "sqlite://"},
        server={"SESSION_SECRET": "test-secret"},
    )
    with serve_in_thread(create_web_app(settings, make_services(settings, db))) as url:
        yield url
    db.dispose()


def app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the app logged (werkzeug's access log of the test server left out)."""
    return [record for record in caplog.records if record.name != "werkzeug"]


def assert_quietly_refused(caplog: pytest.LogCaptureFixture) -> None:
    records = app_records(caplog)
    assert len(records) <= 1, [record.getMessage() for record in records]
    assert not [record for record in records if record.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(("body", "content_type"), GARBAGE, ids=IDS)
def test_unsigned_garbage_is_refused_with_401_and_no_traceback(
    base_url: str, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    headers = {"Content-Type": content_type}

    status, _ = post(base_url + "/slack/events", body, headers)

    assert status == 401
    assert_quietly_refused(caplog)


@pytest.mark.parametrize(("body", "content_type"), GARBAGE, ids=IDS)
def test_signed_body_that_is_no_object_is_refused_with_400_and_no_traceback(
    base_url: str, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    headers = signed_headers(body, content_type=content_type)

    status, _ = post(base_url + "/slack/events", body, headers)

    assert status == 400
    assert_quietly_refused(caplog)


def test_the_signature_is_checked_before_the_body_is_read(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = '{"type": "url_verification", "challenge": "c"}'
    forged = signed_headers(body, secret="not-the-secret", content_type=JSON)
    stale = signed_headers(body, timestamp=1, content_type=JSON)
    bad_stamp = {**signed_headers(body, content_type=JSON), "X-Slack-Request-Timestamp": "9" * 5000}

    assert post(base_url + "/slack/events", body, forged)[0] == 401
    assert post(base_url + "/slack/events", body, stale)[0] == 401
    assert post(base_url + "/slack/events", body, bad_stamp)[0] == 401
    status, answer = post(base_url + "/slack/events", body, signed_headers(body, content_type=JSON))
    assert (status, json.loads(answer)) == (200, {"challenge": "c"})
    assert not [record for record in app_records(caplog) if record.exc_info]


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
TOO_LARGE = "x" * (2 << 20)
# (method, path, body, status): Slack, ops, dashboard, API and error responses of one server.
EVERY_KIND_OF_RESPONSE = [
    ("POST", "/slack/events", "{}", 401),
    ("POST", "/slack/events", TOO_LARGE, 413),
    ("GET", "/slack/install", None, 404),
    ("GET", "/healthz", None, 200),
    ("GET", "/readyz", None, 200),
    ("GET", "/metrics", None, 200),
    ("GET", "/", None, 503),  # no password, no loopback opt-in: closed
    ("GET", "/api/csrf", None, 503),
    ("POST", "/api/classify", '{"text": "hi"}', 503),
    ("GET", "/api/nothing", None, 404),
    ("GET", "/no/such/page", None, 404),
]


def fetch(url: str, method: str, body: str | None) -> tuple[int, dict[str, str]]:
    """One request over real HTTP; returns (status, headers), error statuses included."""
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", JSON)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    EVERY_KIND_OF_RESPONSE,
    ids=[f"{m} {p} {s}" for m, p, _, s in EVERY_KIND_OF_RESPONSE],
)
def test_every_response_carries_the_security_headers(
    base_url: str, method: str, path: str, body: str | None, status: int
) -> None:
    got, headers = fetch(base_url + path, method, body)

    assert got == status
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")

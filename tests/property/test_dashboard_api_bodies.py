"""Bodies of the dashboard's JSON API (`bot/dashboard/api.py`), through the Flask app.

Parsers covered:

- `bot/dashboard/api.py:read_json_object`: media type, size, UTF-8, JSON, object, known fields.
- `bot/dashboard/api.py:validate_text` and `validate_tone`: the fields of `/api/classify` and
  `/api/draft`.

Properties: any body, from any bytes to 10,000-deep nesting, 5,000-digit numbers and lone
surrogates, gets 200 only when it is an object with a usable `text` (and `tone`), and otherwise
a 4xx with `{"error": {"code", "message"}}`; never a 5xx, never a traceback in the log. The
validators return a clean string or raise `ApiError` with a 4xx, never anything else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from bot.dashboard.api import (
    MAX_BODY_BYTES,
    MAX_TEXT_CHARS,
    MAX_TONE_CHARS,
    ApiError,
    validate_text,
    validate_tone,
)
from storage.database import Database
from tests.bot.dashboard.fakes import PASSWORD, make_app, make_services, make_settings
from tests.property.logs import LogRecorder, recording
from tests.property.strategies import BODIES, HOSTILE_TEXT, JSON_VALUES

BEARER = {"Authorization": f"Bearer {PASSWORD}"}
PATHS = st.sampled_from(["/api/classify", "/api/draft"])
FIELD = st.one_of(HOSTILE_TEXT, JSON_VALUES)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The dashboard with its API over SQLite (one for the module: examples are many)."""
    db = Database.from_url("sqlite://")
    db.upgrade()
    settings = make_settings(tmp_path_factory.mktemp("api"), API_RATE_LIMIT="100000 per minute")
    yield make_app(make_services(settings, db))
    db.dispose()


@pytest.fixture(scope="module")
def logs() -> Iterator[LogRecorder]:
    with recording() as recorder:
        yield recorder


def usable_text(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_TEXT_CHARS:
        return False
    return "\x00" not in value and _encodable(value)


def usable_tone(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and len(value) <= MAX_TONE_CHARS and value.isprintable()


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def accepted(path: str, body: bytes) -> bool:
    """The API's rules (module docstring of `bot.dashboard.api`), written out independently."""
    if len(body) > MAX_BODY_BYTES:
        return False
    try:
        value = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return False
    allowed = {"text", "tone"} if path == "/api/draft" else {"text"}
    if not isinstance(value, dict) or not set(value) <= allowed or "text" not in value:
        return False
    return usable_text(value["text"]) and usable_tone(value.get("tone"))


def call(app: Flask, path: str, body: bytes, content_type: str = "application/json") -> Any:
    return app.test_client().post(path, data=body, content_type=content_type, headers=BEARER)


def assert_answered(response: Any, ok: bool, logs: LogRecorder) -> None:
    if ok:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    else:
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
        error = response.get_json()["error"]
        assert error["code"] and error["message"]
    assert not logs.tracebacks()


@given(path=PATHS, body=BODIES)
def test_any_body_gets_an_answer_or_a_clear_4xx(
    api: Flask, logs: LogRecorder, path: str, body: bytes
) -> None:
    logs.clear()
    assert_answered(call(api, path, body), accepted(path, body), logs)


@given(
    path=PATHS,
    fields=st.dictionaries(st.sampled_from(["text", "tone", "extra", ""]), FIELD, max_size=3),
)
def test_any_object_gets_an_answer_or_a_clear_4xx(
    api: Flask, logs: LogRecorder, path: str, fields: dict[str, Any]
) -> None:
    body = json.dumps(fields).encode()
    logs.clear()
    assert_answered(call(api, path, body), accepted(path, body), logs)


@given(path=PATHS, content_type=st.sampled_from(["text/plain", "", "application/x-www-form"]))
def test_a_body_that_is_not_declared_json_gets_415(
    api: Flask, path: str, content_type: str
) -> None:
    response = call(api, path, b'{"text": "hi"}', content_type)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


@given(value=FIELD)
def test_validate_text_returns_clean_text_or_a_4xx(value: Any) -> None:
    try:
        text = validate_text(value)
    except ApiError as exc:
        assert exc.status in (400, 413) and exc.message
        assert not usable_text(value)
        return
    assert text == value.strip() and usable_text(text)


@given(value=FIELD)
def test_validate_tone_returns_a_short_tone_or_a_4xx(value: Any) -> None:
    try:
        tone = validate_tone(value)
    except ApiError as exc:
        assert exc.status == 400 and exc.message
        assert not usable_tone(value)
        return
    assert tone is None or (len(tone) <= MAX_TONE_CHARS and tone == tone.strip() and tone)

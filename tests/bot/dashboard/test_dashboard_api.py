"""The JSON API: authentication, CSRF header, input validation and answers."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from bot.dashboard.api import MAX_BODY_BYTES, MAX_TEXT_CHARS
from bot.services import Services
from storage.database import Database
from tests.bot.dashboard.fakes import (
    PASSWORD,
    FakeDrafter,
    make_app,
    make_services,
    make_settings,
    signed_in_client,
)
from tests.bot.dashboard.server import serve_in_thread
from tests.fixtures.slack import post

BEARER = {"Authorization": f"Bearer {PASSWORD}"}


def api_client(app: Flask) -> tuple[Any, dict[str, str]]:
    client = signed_in_client(app)
    token = client.get("/api/csrf").get_json()["csrf_token"]
    return client, {"X-CSRF-Token": token}


def test_classify_with_session_and_csrf_header(app: Flask) -> None:
    client, headers = api_client(app)
    response = client.post("/api/classify", json={"text": "I want a refund"}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["label"] == "negative"
    assert body["model_version"] == "clf-test-1"
    assert set(body["scores"]) == {"negative", "neutral", "positive"}


def test_signed_in_request_without_csrf_header_is_refused(app: Flask) -> None:
    client, _ = api_client(app)
    response = client.post("/api/classify", json={"text": "hello"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/api/classify", json={"text": "hi"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403


def test_anonymous_request_is_refused_and_bearer_is_accepted(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/api/classify", json={"text": "hello"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    bad = client.post("/api/classify", json={"text": "hi"}, headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401
    good = client.post("/api/classify", json={"text": "thank you!"}, headers=BEARER)
    assert good.status_code == 200 and good.get_json()["label"] == "positive"


def test_draft_passes_text_and_tone(app: Flask, services: Services, drafter: FakeDrafter) -> None:
    client = app.test_client()
    body = {"text": "  my order is late  ", "tone": "formal"}
    response = client.post("/api/draft", json=body, headers=BEARER)
    assert response.status_code == 200
    assert response.get_json()["reply"].startswith("Sorry to hear that")
    assert drafter.calls == [("my order is late", "formal")]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'{"text": "hi"}', "text/plain", 415, "unsupported_media_type"),
        (b"{not json", "application/json", 400, "invalid_json"),
        (b'{"text": "caf\xe9"}', "application/json", 400, "invalid_encoding"),
        (b'["text"]', "application/json", 400, "invalid_shape"),
        (b"{}", "application/json", 400, "missing_field"),
        (b'{"text": "hi", "extra": 1}', "application/json", 400, "unknown_field"),
        (b'{"text": 5}', "application/json", 400, "invalid_field"),
        (b'{"text": "   "}', "application/json", 400, "invalid_field"),
        (b'{"text": "a\\u0000b"}', "application/json", 400, "invalid_field"),
        (
            ('{"text": "' + "x" * (MAX_TEXT_CHARS + 1) + '"}').encode(),
            "application/json",
            413,
            "too_long",
        ),
        (b'{"text": "' + b"x" * MAX_BODY_BYTES + b'"}', "application/json", 413, "too_large"),
    ],
)
def test_invalid_input_gets_a_clear_4xx(
    app: Flask, data: bytes, content_type: str, status: int, code: str
) -> None:
    response = app.test_client().post(
        "/api/classify", data=data, content_type=content_type, headers=BEARER
    )
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


HOSTILE_BODIES = {
    "nested-5000-lists": "[" * 5_000 + "]" * 5_000,
    "nested-text": '{"text": ' + "[" * 5_000 + "]" * 5_000 + "}",
    "nested-10000-lists": "[" * 10_000 + "]" * 10_000,  # over MAX_BODY_BYTES: 413
    "5000-digit-number": '{"text": ' + "9" * 5_000 + "}",
    "lone-surrogate": '{"text": "refund \\ud800 now"}',
    "lone-surrogate-tone": '{"text": "hi", "tone": "\\udfff"}',
    "list": "[1, 2]",
    "number": "5",
    "null": "null",
}


@pytest.fixture(scope="module")
def served_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard and its API on a free port (one for the module: nothing here writes)."""
    db = Database.from_url("sqlite://")
    db.upgrade()
    settings = make_settings(tmp_path_factory.mktemp("api"))
    with serve_in_thread(make_app(make_services(settings, db))) as base_url:
        yield base_url
    db.dispose()


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_json_gets_a_4xx_and_no_traceback(
    served_api: str, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    caplog.set_level(logging.INFO)
    headers = {**BEARER, "Content-Type": "application/json"}
    for path in ("/api/classify", "/api/draft"):
        status, answer = post(served_api + path, body, headers)

        assert 400 <= status < 500, (path, status, answer[:200])
        assert json.loads(answer)["error"]["message"]
    records = [record for record in caplog.records if record.name != "werkzeug"]
    assert len(records) <= 2, [record.getMessage() for record in records]  # one per request
    assert not [record for record in records if record.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text


def test_invalid_tone_is_refused(app: Flask) -> None:
    response = app.test_client().post(
        "/api/draft", json={"text": "hi", "tone": "x" * 41}, headers=BEARER
    )
    assert response.status_code == 400


def test_no_model_and_no_drafter_give_503(app: Flask, services: Services) -> None:
    services.drafter = None
    client = app.test_client()
    assert client.post("/api/draft", json={"text": "hi"}, headers=BEARER).status_code == 503
    services.classifier.swap(None)
    response = client.post("/api/classify", json={"text": "hi"}, headers=BEARER)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "model_unavailable"


def test_a_celery_mode_replica_says_its_models_run_on_the_workers(
    app: Flask, services: Services
) -> None:
    services.settings = dataclasses.replace(
        services.settings, jobs=services.settings.jobs.model_copy(update={"executor": "celery"})
    )
    services.classifier.swap(None)
    response = app.test_client().post("/api/classify", json={"text": "hi"}, headers=BEARER)
    assert response.status_code == 503
    assert "models run on the workers" in response.get_json()["error"]["message"]


def test_unknown_api_routes_and_methods_answer_json(app: Flask) -> None:
    client = app.test_client()
    missing = client.post("/api/nothing", json={}, headers=BEARER)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.get("/api/classify", headers=BEARER)
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]
    assert client.get("/no-such-page").mimetype == "text/html"

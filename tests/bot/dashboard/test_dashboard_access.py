"""Access that holds across workers and restarts: lockouts, revocable sessions, API tokens, limits.

Each test names what it protects; each failed on the in-memory throttle and the cookie-only
sessions this replaced.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from bot.dashboard import auth
from bot.web import create_web_app
from storage import repositories as repo
from storage.database import Database
from tests.bot.cli.helpers import CliRunner
from tests.bot.dashboard.fakes import (
    PASSWORD,
    csrf_of,
    make_app,
    make_services,
    make_settings,
    signed_in_client,
)

ATTACKER = {"REMOTE_ADDR": "198.51.100.23"}
ADMIN = {"REMOTE_ADDR": "192.0.2.10"}
COOKIE = "triagebot_session"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def classify(client: Any, token: str, environ: dict[str, str] | None = None) -> Any:
    environ = environ or {}
    return client.post(
        "/api/classify", json={"text": "thanks"}, headers=bearer(token), environ_base=environ
    )


def login(client: Any, password: str, environ: dict[str, str] | None = None) -> Any:
    environ = environ or {}
    token = csrf_of(client.get("/login", environ_base=environ).get_data(as_text=True))
    data = {"csrf_token": token, "password": password}
    return client.post("/login", data=data, environ_base=environ)


def cookie_of(client: Any) -> str:
    found = client.get_cookie(COOKIE)
    assert found is not None
    return str(found.value)


def with_cookie(app: Flask, value: str) -> Any:
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def test_wrong_bearer_guesses_are_throttled_and_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    caplog.set_level(logging.WARNING, logger="bot.dashboard.auth")
    codes = [classify(client, f"guess-{n}", ATTACKER).status_code for n in range(25)]

    assert codes == [401] * auth.MAX_FAILURES + [429] * (25 - auth.MAX_FAILURES)
    right = classify(client, PASSWORD, ATTACKER)  # the 26th, right, guess gets nothing either
    assert right.status_code == 429
    assert right.get_json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(right.headers["Retry-After"]) <= auth.FAILURE_WINDOW_S
    wrong_lines = [r for r in caplog.records if "wrong API bearer token" in r.getMessage()]
    assert len(wrong_lines) == auth.MAX_FAILURES
    assert all("198.51.100.23" in r.getMessage() for r in wrong_lines)
    assert not any("guess-" in r.getMessage() or PASSWORD in r.getMessage() for r in caplog.records)
    # Per client: the admin's script on another address still gets in.
    assert classify(client, PASSWORD, ADMIN).status_code == 200


def test_login_lockout_is_per_client_and_spares_other_addresses(app: Flask) -> None:
    client = app.test_client()
    codes = [login(client, "x", ATTACKER).status_code for _ in range(auth.MAX_FAILURES + 1)]
    assert codes == [401] * auth.MAX_FAILURES + [429]
    locked = login(client, PASSWORD, ATTACKER)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert login(app.test_client(), PASSWORD, ADMIN).status_code == 302


def test_lockout_is_shared_by_two_app_instances_on_one_database(
    tmp_path: Path, sqlite_db: Database
) -> None:
    settings = make_settings(tmp_path)
    first, second = (create_web_app(settings, make_services(settings, sqlite_db)) for _ in "ab")
    half = auth.MAX_FAILURES // 2
    for app in (first, second):  # two gunicorn workers, or two replicas
        assert [login(app.test_client(), "x", ATTACKER).status_code for _ in range(half)] == [
            401
        ] * half
    assert login(first.test_client(), PASSWORD, ATTACKER).status_code == 429
    assert classify(second.test_client(), PASSWORD, ATTACKER).status_code == 429
    restarted = create_web_app(settings, make_services(settings, sqlite_db))
    assert login(restarted.test_client(), PASSWORD, ATTACKER).status_code == 429
    assert repo.count_auth_failures(sqlite_db, client=ATTACKER["REMOTE_ADDR"]) == 2 * half


def test_lockout_ends_when_the_oldest_counted_failure_leaves_the_window(
    sqlite_db: Database,
) -> None:
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    window = timedelta(minutes=10)
    for minute in range(3):
        repo.record_auth_failure(
            sqlite_db, client="c", kind="login", keep=window, now=start + timedelta(minutes=minute)
        )
    at = start + timedelta(minutes=5)
    assert repo.lockout_until(sqlite_db, client="c", limit=4, window=window, now=at) is None
    assert repo.lockout_until(sqlite_db, client="c", limit=3, window=window, now=at) == (
        start + window
    )
    assert repo.lockout_until(sqlite_db, client="c", limit=2, window=window, now=at) == (
        start + timedelta(minutes=1) + window
    )
    later = start + window + timedelta(seconds=1)
    assert repo.lockout_until(sqlite_db, client="c", limit=3, window=window, now=later) is None


def test_cookie_after_logout_is_refused(app: Flask) -> None:
    client = signed_in_client(app)
    stolen = cookie_of(client)
    token = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    replayed = with_cookie(app, stolen)
    assert replayed.get("/").status_code == 302
    assert replayed.get("/api/csrf").status_code == 401


def test_cookie_after_the_password_changed_is_refused(tmp_path: Path, sqlite_db: Database) -> None:
    before = make_app(make_services(make_settings(tmp_path), sqlite_db))
    old = cookie_of(signed_in_client(before))
    assert with_cookie(before, old).get("/").status_code == 200

    changed = make_settings(tmp_path, password="a brand new password")
    after = make_app(make_services(changed, sqlite_db))  # same SESSION_SECRET, same database
    assert with_cookie(after, old).get("/").status_code == 302
    assert login(after.test_client(), "a brand new password").status_code == 302


def test_session_older_than_the_absolute_age_is_refused_even_if_used_constantly(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in_client(app)
    client.get("/")  # the first page adds the CSRF token to the cookie
    assert "Set-Cookie" not in client.get("/").headers  # using it does not renew the cookie
    signed_in_at = datetime.now(UTC)
    elapsed = [timedelta(0)]
    monkeypatch.setattr(auth, "utcnow", lambda: signed_in_at + elapsed[0])
    for half_hours in range(1, 24):  # every 30 minutes for 11.5 hours
        elapsed[0] = timedelta(minutes=30 * half_hours)
        assert client.get("/").status_code == 200, f"refused after {half_hours / 2} h"
    elapsed[0] = timedelta(hours=12, minutes=1)
    assert client.get("/").status_code == 302


def test_api_token_create_use_and_revoke(
    tmp_path: Path,
    sqlite_db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli = CliRunner(
        monkeypatch, capsys, DATABASE_URL=str(sqlite_db.engine.url), DATA_DIR=str(tmp_path)
    )
    unscoped = cli("api-token", "create", "ci-nightly")  # whose data? one of the two is required
    assert unscoped.code == 2 and "--team" in unscoped.err
    created = cli("api-token", "create", "ci-nightly", "--all-workspaces")
    assert created.code == 0, created.err
    token = created.out.strip()
    assert token.startswith(auth.API_TOKEN_PREFIX) and len(token) > 40
    assert "shown only this once" in created.err
    assert cli("api-token", "create", "ci-nightly", "--team", "T1").code == 1  # names are unique

    app = make_app(make_services(make_settings(tmp_path), sqlite_db))
    used = classify(app.test_client(), token)
    assert used.status_code == 200 and used.get_json()["label"] == "positive"
    listed = cli("api-token", "list")
    assert "ci-nightly\tevery workspace" in listed.out and "never" not in listed.out
    assert token not in listed.out
    with sqlite_db.session() as session:
        stored = session.execute(text("SELECT token_digest FROM api_tokens")).scalars().all()
    assert stored == [auth.secret_digest(token)]  # only the digest is kept

    assert cli("api-token", "revoke", "ci-nightly").code == 0
    revoked = classify(app.test_client(), token)
    assert revoked.status_code == 401
    assert cli("api-token", "revoke", "ci-nightly").error_lines == [
        "triagebot api-token: no API token named 'ci-nightly'"
    ]


def test_csrf_is_still_refused_without_the_token(app: Flask) -> None:
    client = signed_in_client(app)
    assert client.post("/api/classify", json={"text": "hi"}).status_code == 403
    other = signed_in_client(app).get("/api/csrf").get_json()["csrf_token"]
    foreign = client.post("/api/classify", json={"text": "hi"}, headers={"X-CSRF-Token": other})
    assert foreign.status_code == 403 and foreign.get_json()["error"]["code"] == "csrf_failed"
    assert client.post("/try", data={"text": "hi"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    own = client.get("/api/csrf").get_json()["csrf_token"]
    ok = client.post("/api/classify", json={"text": "hi"}, headers={"X-CSRF-Token": own})
    assert ok.status_code == 200


def test_signed_in_api_callers_are_rate_limited_per_client(
    tmp_path: Path, sqlite_db: Database
) -> None:
    settings = make_settings(tmp_path, API_RATE_LIMIT="3 per minute")
    app = make_app(make_services(settings, sqlite_db))
    client = signed_in_client(app)
    headers = {"X-CSRF-Token": client.get("/api/csrf").get_json()["csrf_token"]}
    codes = [
        client.post("/api/classify", json={"text": "hi"}, headers=headers).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]  # /api/csrf counted too: one budget for all of /api/*
    limited = client.post("/api/classify", json={"text": "hi"}, headers=headers)
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert classify(app.test_client(), PASSWORD, ADMIN).status_code == 200  # another client
    assert client.get("/").status_code == 200  # pages are not limited

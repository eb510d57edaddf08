"""Sign-in, CSRF, session cookie flags, the closed default and the loopback opt-in of the dashboard."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from bot.dashboard import auth
from storage.database import Database
from tests.bot.dashboard.fakes import (
    PASSWORD,
    csrf_of,
    make_app,
    make_services,
    make_settings,
    signed_in_client,
)


def test_dashboard_redirects_to_login_until_signed_in(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert signed_in_client(app).get("/").status_code == 200


def test_wrong_password_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "password": "guess"})
    assert response.status_code == 401
    assert "Wrong password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_lax_and_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    plain = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = app.test_client().get("/login", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in secure


def test_sign_in_rotates_the_csrf_token_and_sign_out_needs_it(app: Flask) -> None:
    client = app.test_client()
    before = csrf_of(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": before, "password": PASSWORD})
    after = csrf_of(client.get("/").get_data(as_text=True))
    assert after != before
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302
    assert client.get("/").status_code == 302


def test_repeated_wrong_passwords_are_throttled(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    codes = [
        client.post("/login", data={"csrf_token": token, "password": "x"}).status_code
        for _ in range(auth.MAX_FAILURES + 1)
    ]
    assert codes[: auth.MAX_FAILURES] == [401] * auth.MAX_FAILURES
    assert codes[-1] == 429
    right = client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    assert right.status_code == 429


def test_without_password_or_opt_in_the_dashboard_and_api_are_closed_to_loopback_too(
    tmp_path: Path, sqlite_db: Database
) -> None:
    # A plain TCP forwarder on the host (ssh -L, socat) delivers remote clients from 127.0.0.1
    # to `localhost` without proxy headers: exactly what a local client looks like.
    app = make_app(make_services(make_settings(tmp_path, password=None), sqlite_db))
    client = app.test_client()
    for response in (
        client.get("/"),
        client.post("/try", data={"text": "hi"}),
        client.get("/dashboard/plots/roc.png"),
    ):
        assert response.status_code == 503
        assert "DASHBOARD_PASSWORD" in response.get_data(as_text=True)
        assert "DASHBOARD_OPEN_ON_LOOPBACK=true" in response.get_data(as_text=True)
    for response in (
        client.get("/api/csrf"),
        client.post("/api/classify", json={"text": "hi"}),
        client.post("/api/draft", json={"text": "hi"}),
    ):
        assert response.status_code == 503
        error = response.get_json()["error"]
        assert error["code"] == "dashboard_closed"
        assert "DASHBOARD_OPEN_ON_LOOPBACK=true" in error["message"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_without_password_the_loopback_opt_in_serves_loopback_clients_only(
    tmp_path: Path, sqlite_db: Database
) -> None:
    settings = make_settings(tmp_path, password=None, DASHBOARD_OPEN_ON_LOOPBACK="true")
    app = make_app(make_services(settings, sqlite_db))
    local = app.test_client().get("/")
    assert local.status_code == 200
    assert "loopback" in local.get_data(as_text=True)
    remote = app.test_client().get("/", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert remote.status_code == 403
    assert "DASHBOARD_PASSWORD" in remote.get_data(as_text=True)
    # A page that resolved its own name to 127.0.0.1 (DNS rebinding) is refused too.
    rebound = app.test_client().get("/", base_url="http://evil.example:3000")
    assert rebound.status_code == 403
    # A reverse proxy on this host makes every client look local: refuse what it forwards.
    proxied = app.test_client().get("/", headers={"X-Forwarded-For": "198.51.100.4"})
    assert proxied.status_code == 403
    assert app.test_client().get("/login").status_code == 302


def test_session_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, SESSION_SECRET="")
    first = auth.session_secret(settings)
    assert len(first) >= 32
    assert auth.session_secret(settings) == first
    assert (tmp_path / auth.SECRET_FILE).stat().st_mode & 0o077 == 0
    assert auth.session_secret(make_settings(tmp_path, SESSION_SECRET="given")) == "given"


def test_password_comparison() -> None:
    settings = make_settings(Path("/nonexistent"))
    assert auth.password_matches(PASSWORD, settings)
    assert not auth.password_matches(PASSWORD + " ", settings)
    assert not auth.password_matches("", settings)
    assert not auth.password_matches("", make_settings(Path("/nonexistent"), password=None))

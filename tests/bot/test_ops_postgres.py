"""`/readyz` of `triagebot serve` on PostgreSQL behind a loopback proxy the test owns.

Stopping the proxy takes the database away from the server (the shared PostgreSQL server keeps
running); starting it again on the same port brings it back, and the server recovers by itself.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.bot.dashboard.fakes import PASSWORD
from tests.bot.dashboard.proxy import TcpProxy
from tests.bot.dashboard.server import serve_env, triagebot_serve

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def readyz(base_url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{base_url}/readyz", timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_status(base_url: str, status: int, timeout: float = 45.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        code, body = readyz(base_url)
        if code == status:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz stayed {code} {body}, expected {status}")
        time.sleep(0.3)


@pytest.fixture
def proxied_database(postgres_server: Any) -> Iterator[tuple[str, TcpProxy]]:
    """A fresh migrated PostgreSQL database, reached through a TcpProxy: (proxied URL, proxy)."""
    direct = postgres_server.create_migrated("triagebot_ops")
    target = make_url(direct)
    proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432)).start()
    proxied = target.set(host="127.0.0.1", port=proxy.port)
    try:
        yield proxied.render_as_string(hide_password=False), proxy
    finally:
        proxy.stop()
        postgres_server.drop(direct)


def test_readyz_follows_the_database(
    proxied_database: tuple[str, TcpProxy], tiny_classifier_dir: Path, tmp_path: Path
) -> None:
    url, proxy = proxied_database
    env = serve_env(
        tmp_path,
        database_url=url,
        classifier_dir=Path(tiny_classifier_dir),
        generator_dir=None,
        password=PASSWORD,
    )
    with triagebot_serve(env, tmp_path) as base_url:
        ready = wait_for_status(base_url, 200)
        assert ready["checks"]["database"] == "ok" and ready["checks"]["migrations"] == "ok"

        proxy.stop()
        gone = wait_for_status(base_url, 503)
        assert gone["checks"]["database"] == "fail"
        assert "database" in gone["reason"]
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=10) as alive:
            assert alive.status == 200  # the process itself is fine

        proxy.start()  # same port as before
        back = wait_for_status(base_url, 200)
        assert back["status"] == "ready"

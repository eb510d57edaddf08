"""Start the real server for end-to-end tests: `triagebot serve` in a subprocess on a free port."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from tests.fixtures.fake_slack import serve_process, triagebot_command

BOOT_TIMEOUT_S = 90.0


def healthy(base_url: str) -> bool:
    """True once `GET /healthz` answers 200."""
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_for_generator(base_url: str, timeout: float = BOOT_TIMEOUT_S) -> dict[str, Any]:
    """`/readyz` once it reports a loaded generator, or after `timeout` whatever it says then.

    The generator loads in the background after the server answers; callers assert on the result.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as response:
                ready: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # 503 while not ready: the body still says why
            ready = json.loads(exc.read())
        if ready["checks"]["generator"].startswith("ok") or time.monotonic() > deadline:
            return ready
        time.sleep(0.5)


@contextlib.contextmanager
def triagebot_serve(env: Mapping[str, str], workdir: Path) -> Iterator[str]:
    """Run `triagebot serve` with `env` on a free port; yield its base URL; stop it afterwards."""
    with serve_process(
        triagebot_command(), dict(env), workdir, timeout=BOOT_TIMEOUT_S, ready=healthy
    ) as base_url:
        yield base_url


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve a Flask app from a thread of this process (for tests of the blueprint alone)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not healthy(base_url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{base_url}/healthz did not answer 200 in {BOOT_TIMEOUT_S} s")
            time.sleep(0.1)
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=5)


def serve_env(
    workdir: Path,
    *,
    database_url: str,
    classifier_dir: Path,
    generator_dir: Path | None,
    password: str,
) -> dict[str, str]:
    """Environment for `triagebot serve` in tests: offline Slack, one small worker, no scheduler."""
    env = {
        "DATA_DIR": str(workdir / "data"),
        "DATABASE_URL": database_url,
        "CLASSIFIER_PATH": str(classifier_dir),
        "DASHBOARD_PASSWORD": password,
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",  # nothing listens: never leaves the host
        "SCHEDULER_ENABLED": "false",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "4",
        "TORCH_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    if generator_dir is not None:
        env["GENERATOR_PATH"] = str(generator_dir)
    else:
        env["TRIAGE_DRAFTS_ENABLED"] = "false"
    return env

"""Start the real server for end-to-end tests: `triagebot serve` in a subprocess on a free port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

BOOT_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base_url: str, process: subprocess.Popen[bytes] | None, log: Path | None) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text()[-3000:] if log else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise RuntimeError(f"server did not answer /healthz within {BOOT_TIMEOUT_S} s")


@contextlib.contextmanager
def triagebot_serve(env: Mapping[str, str], workdir: Path) -> Iterator[str]:
    """Run `triagebot serve` with `env` on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    log = workdir / "serve.log"
    full_env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)}
    command = [str(Path(sys.executable).parent / "triagebot"), "serve", "--port", str(port)]
    with open(log, "wb") as output:
        # cwd=workdir: the repository's own .env is not read.
        process = subprocess.Popen(
            command, cwd=workdir, env=full_env, stdout=output, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve a Flask app from a thread of this process (for tests of the blueprint alone)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_port}"
        wait_until_up(base_url, None, None)
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

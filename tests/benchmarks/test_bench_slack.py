"""`triagebot bench slack` end to end, briefly: every event acked and tagged exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_short_run_reports_every_event_acked_and_tagged_once(
    tiny_classifier_dir: Path, tmp_path: Path
) -> None:
    report = tmp_path / "bench_slack.json"
    triagebot = str(Path(sys.executable).parent / "triagebot")
    args = ["--rate", "10", "--seconds", "2", "--no-baseline", "--report", str(report)]
    result = subprocess.run(
        [triagebot, "bench", "slack", "--model", str(tiny_classifier_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = json.loads(report.read_text())["runs"].values()
    assert run["sent"] == 20 and run["acked"] == 20 and run["timeouts"] == 0
    assert (run["tagged_once"], run["tagged_twice_or_more"], run["untagged"]) == (20, 0, 0)
    assert run["predictions_stored"] == 20
    assert "| acknowledged (200) | 20/20 |" in result.stdout

"""`triagebot bench jobs` end to end, briefly: the throughput scenario stores and tags every event."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_short_throughput_run_reports_every_event_stored_and_tagged_once(
    tiny_classifier_dir: Path, tmp_path: Path
) -> None:
    triagebot = str(Path(sys.executable).parent / "triagebot")
    args = ["--scenario", "throughput", "--rate", "10", "--seconds", "1", "--channels", "4"]
    args += ["--teams", "2", "--no-baseline", "--report-dir", str(tmp_path)]
    result = subprocess.run(
        [triagebot, "bench", "jobs", "--model", str(tiny_classifier_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "bench_jobs_throughput.json").read_text())
    assert report["command"].startswith("triagebot bench jobs")
    assert report["machine"]["cpus"] and report["commit"]
    (run,) = report["runs"].values()
    assert (run["sent"], run["acked"], run["stored"]) == (10, 10, 10)
    assert run["tags"]["once"] == 10
    assert (run["tags"]["twice_or_more"], run["tags"]["missing"]) == (0, 0)
    assert any(m["libtorch_mapped"] for m in run["memory"])  # inline serve loads the model
    table = (tmp_path / "bench_jobs_throughput.md").read_text()
    assert "| predictions stored | 10/10 |" in table
    assert "| target | result |" in table

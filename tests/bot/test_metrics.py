"""The Prometheus helpers used by listeners, the API, the ack timer and the retrain wrapper.

That production code records them is tested through real HTTP: acks in `test_serve.py`, retrain
runs in `listeners/test_retrain_metrics.py`.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot import metrics


def sample(name: str, **labels: str) -> float:
    value = metrics.REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_counters_and_histograms_move() -> None:
    before_req = sample("triagebot_requests_total", kind="command")
    before_obs = sample("triagebot_classification_seconds_count", label="neutral")
    before_lab = sample("triagebot_labels_total", label="neutral")
    metrics.count_request("command")
    metrics.observe_classification("neutral", 0.004)
    assert sample("triagebot_requests_total", kind="command") == before_req + 1
    assert sample("triagebot_classification_seconds_count", label="neutral") == before_obs + 1
    assert sample("triagebot_labels_total", label="neutral") == before_lab + 1


def test_acks_feedback_retrain_and_errors() -> None:
    before_late = sample("triagebot_acks_total", kind="event", in_time="no")
    metrics.count_ack("event", 4.0)
    metrics.count_ack("event")
    assert sample("triagebot_acks_total", kind="event", in_time="no") == before_late + 1
    assert sample("triagebot_acks_total", kind="event", in_time="unknown") >= 1
    before_fb = sample("triagebot_feedback_total", source="modal")
    metrics.count_feedback("modal")
    assert sample("triagebot_feedback_total", source="modal") == before_fb + 1
    metrics.count_retrain("promoted")
    assert sample("triagebot_retrain_runs_total", outcome="promoted") >= 1
    metrics.observe_draft(1.5)
    assert sample("triagebot_draft_seconds_count") >= 1


def test_wrapped_retrain_counts_each_outcome_and_a_crash_as_failed() -> None:
    def retrain(trigger: str, *, outcome: str) -> SimpleNamespace:
        if outcome == "crash":
            raise RuntimeError("disk full")
        return SimpleNamespace(outcome=outcome)

    counted = metrics.count_retrain_runs(retrain)
    before = {o: sample("triagebot_retrain_runs_total", outcome=o) for o in ("rejected", "failed")}
    assert counted("admin", outcome="rejected").outcome == "rejected"
    with pytest.raises(RuntimeError, match="disk full"):
        counted("admin", outcome="crash")
    assert sample("triagebot_retrain_runs_total", outcome="rejected") == before["rejected"] + 1
    assert sample("triagebot_retrain_runs_total", outcome="failed") == before["failed"] + 1


def test_drift_gauges_follow_the_latest_report() -> None:
    metrics.set_drift({"label_psi": 0.3, "note": "text", "flag": True}, fired=["label_psi"])
    assert sample("triagebot_drift_value", metric="label_psi") == 0.3
    assert sample("triagebot_drift_fired", metric="label_psi") == 1.0
    assert metrics.REGISTRY.get_sample_value("triagebot_drift_value", {"metric": "note"}) is None
    metrics.set_drift({"label_psi": 0.1})
    assert sample("triagebot_drift_fired", metric="label_psi") == 0.0


def test_model_version_gauge_keeps_one_version_per_kind() -> None:
    metrics.set_model_version("generator", "g1")
    metrics.set_model_version("generator", "g2")
    assert sample("triagebot_model_info", kind="generator", version="g2") == 1.0
    assert (
        metrics.REGISTRY.get_sample_value(
            "triagebot_model_info", {"kind": "generator", "version": "g1"}
        )
        is None
    )
    metrics.set_model_version("generator", None)
    assert b'kind="generator"' not in metrics.render()

"""Job payloads survive JSON unchanged; anything else is refused by name."""

from __future__ import annotations

import json

import pytest

from bot.jobs.types import (
    BadJob,
    ClassifyJob,
    DraftJob,
    Job,
    RetrainJob,
    TriageJob,
    job_from_payload,
    job_payload,
)

JOBS: list[Job] = [
    TriageJob(team_id="T1", channel_id="C1", ts="1.2", user_id="U1", text="it broke", mode="alert"),
    ClassifyJob(text="hi", team_id="T1", channel_id=None, response_url="https://x/r"),
    DraftJob(mode="shortcut", text="help", team_id="T1", channel_id="C1", view_id="V1"),
    RetrainJob(trigger="admin", requested_by="U1", slot="2026-11-29T03:00:00+00:00"),
]


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.kind)
def test_a_job_round_trips_through_json(job: Job) -> None:
    wire = json.loads(json.dumps(job_payload(job)))
    assert job_from_payload(job.kind, wire) == job


def test_jobs_go_to_their_own_queues() -> None:
    assert [job.queue for job in JOBS] == ["triage", "triage", "drafts", "training"]


def test_every_job_that_answers_a_person_has_its_own_id() -> None:
    a = ClassifyJob(text="x", team_id=None, channel_id=None, response_url="u")
    b = ClassifyJob(text="x", team_id=None, channel_id=None, response_url="u")
    assert a.id != b.id


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("explode", {}, "unknown job kind 'explode'"),
        ("classify", {"text": "x"}, "classify job: "),
        ("classify", {"text": "x", "evil": "1"}, "unexpected fields \\['evil'\\]"),
        (
            "classify",
            {"text": 5, "team_id": None, "channel_id": None, "response_url": "u"},
            "text must be a string",
        ),
    ],
)
def test_a_bad_payload_is_refused_with_the_reason(
    kind: str, payload: dict[str, object], message: str
) -> None:
    with pytest.raises(BadJob, match=message):
        job_from_payload(kind, payload)

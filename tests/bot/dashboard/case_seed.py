"""Cases of two workspaces, made through the storage repositories the way the bot makes them.

Workspace A and B both have a case in channel `C0SHARED` (a Slack Connect channel has one id in
both). Everything of B is named with `B` (customer `U0CUSTB`, assignee `U0AGENTB`, channel
`C0ONLYB`), so a leak into A's pages shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from models.types import LABELS
from storage import repositories as repo
from storage.database import Database
from storage.records import CaseRecord
from storage.workspaces import ALL_WORKSPACES

A, B = "T0CASESA", "T0CASESB"
ADMIN_A, ADMIN_B = "U0ADMINA", "U0ADMINB"  # admins of A and B who sign in with Slack
SHARED = "C0SHARED"
ESCALATION = "C0ESCALATE"
VERSION = "clf-cases-1"


@dataclass(frozen=True)
class Seeded:
    """The ids a test asserts on."""

    a_resolved: int  # acknowledged after 10 min, resolved after 2 h, assigned to U0AGENTA
    a_open: int  # customer U0CUSTA's second case, in C0SUPPORTA
    a_external: int  # by U0EXT1 of the external organisation E0PARTNER, acknowledged after 3 min
    b_assigned: int  # assigned (so acknowledged) after 30 h
    b_resolved: int  # resolved after 2 days, never acknowledged


def message(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    ts: str,
    label: str = "negative",
    customer_team: str | None = None,
) -> CaseRecord | None:
    """Record one classified message; a negative one raises an alert and so opens a case."""
    scores = dict.fromkeys(LABELS, 0.05)
    scores[label] = 0.9
    alert = None
    if label == "negative":
        alert = repo.AlertWrite(
            escalation_channel=ESCALATION, confidence=0.9, text="", customer_team=customer_team
        )
    repo.record_prediction(
        db,
        team_id=team_id,
        channel_id=channel_id,
        message_ts=ts,
        user_id=user_id,
        label=label,
        scores=scores,
        model_version=VERSION,
        latency_ms=4.0,
        alert=alert,
    )
    return repo.case_of_message(db, team_id=team_id, channel_id=channel_id, message_ts=ts)


def opened(db: Database, **where: str) -> CaseRecord:
    case = message(db, **where)
    assert case is not None and case.state == "open"
    return case


def by(agent: str, case: CaseRecord, **delta: float) -> dict[str, Any]:
    """The arguments of a change to `case` by `agent`, `delta` after the case opened."""
    now = case.created_at + timedelta(**delta)
    return {"team_id": case.team_id, "case_id": case.id, "user_id": agent, "now": now}


def seed_cases(db: Database) -> Seeded:
    """Register the classifier version and open, acknowledge, assign and resolve cases (once
    per database)."""
    repo.register_model_version(db, kind="classifier", version=VERSION, path="/nowhere")
    a1 = opened(db, team_id=A, channel_id=SHARED, user_id="U0CUSTA", ts="1.000001")
    repo.acknowledge_case(db, **by("U0AGENTA", a1, minutes=10))
    repo.assign_case(db, **by("U0AGENTA", a1, minutes=11), assignee_id="U0AGENTA")
    repo.resolve_case(db, **by("U0AGENTA", a1, hours=2))
    a2 = opened(db, team_id=A, channel_id="C0SUPPORTA", user_id="U0CUSTA", ts="1.000002")
    message(
        db, team_id=A, channel_id="C0SUPPORTA", user_id="U0CUSTA", ts="1.000003", label="neutral"
    )
    a3 = opened(
        db,
        team_id=A,
        channel_id=SHARED,
        user_id="U0EXT1",
        ts="1.000004",
        customer_team="E0PARTNER",
    )
    repo.acknowledge_case(db, **by("U0AGENTA2", a3, minutes=3))
    b1 = opened(db, team_id=B, channel_id=SHARED, user_id="U0CUSTB", ts="1.000001")
    repo.assign_case(db, **by("U0AGENTB", b1, hours=30), assignee_id="U0AGENTB")
    b2 = opened(db, team_id=B, channel_id="C0ONLYB", user_id="U0CUSTB", ts="1.000002")
    repo.resolve_case(db, **by("U0AGENTB", b2, days=2))
    assert len(repo.list_cases(db, team_id=ALL_WORKSPACES)) == 5
    return Seeded(a1.id, a2.id, a3.id, b1.id, b2.id)

"""The cases and customers API over real HTTP, and the pure parts of the cases page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask

from bot.dashboard import cases as case_data
from bot.dashboard.auth import API_TOKEN_PREFIX, secret_digest
from bot.dashboard.charts import bars_svg
from bot.dashboard.customers import weekly_counts
from storage import repositories as repo
from storage.database import Database
from tests.bot.dashboard.case_seed import A, Seeded, seed_cases
from tests.bot.dashboard.fakes import PASSWORD
from tests.bot.dashboard.server import serve_in_thread

TOKEN_A = API_TOKEN_PREFIX + "workspace-a-cases-script-0123456789"


@pytest.fixture
def served(two_workspaces: Flask, sqlite_db: Database) -> Iterator[tuple[str, Seeded]]:
    """The dashboard on a free port with both workspaces' cases and an API token of A."""
    seeded = seed_cases(sqlite_db)
    repo.create_api_token(sqlite_db, name="a-cases", token_digest=secret_digest(TOKEN_A), team_id=A)
    with serve_in_thread(two_workspaces) as base_url:
        yield base_url, seeded


def get(base_url: str, path: str, token: str | None = PASSWORD, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{base_url}{path}", params=params, headers=headers, timeout=30)


def case_ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.text
    return {case["id"] for case in response.json()["cases"]}


def test_a_workspace_token_reads_only_its_cases_and_customers(
    served: tuple[str, Seeded],
) -> None:
    base_url, seeded = served
    assert case_ids(get(base_url, "/api/cases", TOKEN_A)) == {
        seeded.a_resolved,
        seeded.a_open,
        seeded.a_external,
    }
    customers = get(base_url, "/api/customers", TOKEN_A).json()["customers"]
    assert {(c["customer_id"], c["customer_team"]) for c in customers} == {
        ("U0CUSTA", None),
        ("U0EXT1", "E0PARTNER"),
    }
    assert get(base_url, "/api/customers/U0CUSTB", TOKEN_A).status_code == 404
    everyone = get(base_url, "/api/cases")  # the password: every workspace
    assert len(case_ids(everyone)) == 5


def test_cases_are_filtered_by_channel_assignee_and_state(served: tuple[str, Seeded]) -> None:
    base_url, seeded = served
    shared = get(base_url, "/api/cases", channel="C0SHARED")
    assert case_ids(shared) == {seeded.a_resolved, seeded.a_external, seeded.b_assigned}
    assert case_ids(get(base_url, "/api/cases", channel="C0SHARED", state="resolved")) == {
        seeded.a_resolved
    }
    assert case_ids(get(base_url, "/api/cases", assignee="U0AGENTA")) == {seeded.a_resolved}
    assert case_ids(get(base_url, "/api/cases", TOKEN_A, assignee="U0AGENTB")) == set()
    assert case_ids(get(base_url, "/api/cases", state="open")) == {seeded.a_open}
    case = get(base_url, "/api/cases", assignee="U0AGENTA").json()["cases"][0]
    opened = datetime.fromisoformat(case["created_at"])
    assert datetime.fromisoformat(case["resolved_at"]) - opened == timedelta(hours=2)
    assert case["state"] == "resolved" and case["acknowledged_by"] == "U0AGENTA"


def test_empty_filters_are_ignored_and_malformed_ones_are_400(served: tuple[str, Seeded]) -> None:
    base_url, _ = served
    assert len(case_ids(get(base_url, "/api/cases", channel="", assignee=" ", state=""))) == 5
    assert len(case_ids(get(base_url, "/api/cases", colour="blue"))) == 5  # unknown: ignored
    for params in (
        {"state": "closed"},
        {"channel": "<script>"},
        {"assignee": "U" * 65},
        {"channel": "C1\x00"},
    ):
        refused = get(base_url, "/api/cases", **params)
        assert refused.status_code == 400, params
        assert refused.json()["error"]["code"] == "invalid_filter"
    odd = get(base_url, "/api/customers/U0CUSTA", org="not an id")
    assert odd.status_code == 400 and odd.json()["error"]["code"] == "invalid_filter"
    assert get(base_url, "/api/customers/%3Cb%3E").status_code == 400
    assert get(base_url, "/api/customers/%20").status_code == 400


def test_a_customer_history_counts_negative_messages_and_lists_cases(
    served: tuple[str, Seeded],
) -> None:
    base_url, seeded = served
    customer = get(base_url, "/api/customers/U0CUSTA", TOKEN_A).json()
    assert customer["negative_messages"] == {"7d": 2, "30d": 2, "90d": 2}  # not the neutral one
    assert [case["id"] for case in customer["cases"]] == [seeded.a_open, seeded.a_resolved]
    partner = get(base_url, "/api/customers/U0EXT1", TOKEN_A, org="E0PARTNER").json()
    assert [case["id"] for case in partner["cases"]] == [seeded.a_external]


def test_cases_and_customers_need_credentials(served: tuple[str, Seeded]) -> None:
    base_url, _ = served
    anonymous = get(base_url, "/api/cases", token=None)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    assert get(base_url, "/api/customers", token="wrong").status_code == 401
    for page in ("/cases", "/customers", "/customers/U0CUSTA"):  # pages send to sign-in
        response = requests.get(f"{base_url}{page}", allow_redirects=False, timeout=30)
        assert response.status_code == 302 and response.headers["Location"].endswith("/login")


# ---------------------------------------------------------------- the page's arithmetic
def test_distribution_buckets_and_median() -> None:
    minutes = [3, 10, 30 * 60, 48 * 60]
    result = case_data.distribution([timedelta(minutes=m) for m in minutes])
    assert dict(result.buckets) == {
        "<5m": 1,
        "5-15m": 1,
        "15-30m": 0,
        "30-60m": 0,
        "1-4h": 0,
        "4-24h": 0,
        ">1d": 2,
    }
    assert result.median == "15.1 h" and result.measured == 4  # (10 min + 30 h) / 2
    empty = case_data.distribution([])
    assert empty.median == "-" and sum(count for _, count in empty.buckets) == 0


def test_filters_from_a_query_string() -> None:
    parsed = case_data.CaseFilters.from_args({"channel": " C1 ", "state": "Open", "x": "y"})
    assert parsed == case_data.CaseFilters(channel_id="C1", state="open")
    assert parsed.as_args() == {"channel": "C1", "state": "open"}
    with pytest.raises(case_data.FilterError, match="'assignee'"):
        case_data.CaseFilters.from_args({"assignee": "U 1"})


def test_weekly_counts_cover_the_history_window() -> None:
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # a Thursday
    weeks = weekly_counts(
        [now, now - timedelta(days=1), now - timedelta(days=20), now - timedelta(days=400)],
        now=now,
    )
    assert len(weeks) == 13 and weeks[-1] == ("12-07", 2) and weeks[-4] == ("11-16", 1)
    assert sum(count for _, count in weeks) == 3


def test_bar_chart_escapes_its_labels() -> None:
    svg = str(bars_svg([("<5m", 2), ("5-15m", 0)], title="Time & tide", empty="none"))
    assert svg.count("<rect") == 1 and "&lt;5m" in svg and "Time &amp; tide" in svg
    assert "none" in str(bars_svg([("<5m", 0)], title="t", empty="none"))

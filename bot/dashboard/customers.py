"""What the customers pages show: who wrote upset messages, and one customer's history.

A customer is one Slack user, or with `customer_team` everyone of that external organisation
in a Slack Connect channel (see `storage.repositories.customer_history`). The customer page
counts their negative messages over HISTORY_DAYS windows and lists all their cases.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.dashboard.cases import CaseRow, case_row
from storage import repositories as repo
from storage.database import Database
from storage.records import CaseRecord, CustomerSummary
from storage.workspaces import Workspace

logger = logging.getLogger(__name__)

CUSTOMER_DAYS = 30
CUSTOMER_LIMIT = 50
HISTORY_DAYS = (7, 30, 90)  # the customer page's windows, shortest first


@dataclass
class CustomerView:
    """Everything on one customer's page: negative messages per window, cases per week."""

    customer_id: str
    customer_team: str | None
    negative_messages: list[tuple[int, int]]  # (days, count) for each of HISTORY_DAYS
    cases: list[CaseRecord]  # all of them, newest first
    weekly_cases: list[tuple[str, int]]

    @property
    def rows(self) -> list[CaseRow]:
        return [case_row(case) for case in self.cases]


def customer_view(
    db: Database,
    *,
    scope: Workspace,
    customer_id: str,
    customer_team: str | None = None,
    now: datetime | None = None,
) -> CustomerView | None:
    """One customer's negative messages and cases as `scope` may see them; None when `scope`
    holds no case of theirs and no negative message in the longest window."""
    now = now or datetime.now(UTC)
    counts: list[tuple[int, int]] = []
    cases: list[CaseRecord] = []
    for days in HISTORY_DAYS:
        history = repo.customer_history(
            db,
            team_id=scope,
            customer_id=customer_id,
            customer_team=customer_team,
            since=now - timedelta(days=days),
        )
        counts.append((days, history.negative_messages))
        cases = history.cases  # every case, whatever the window
    if not cases and not any(count for _, count in counts):
        return None
    return CustomerView(
        customer_id=customer_id,
        customer_team=customer_team,
        negative_messages=counts,
        cases=cases,
        weekly_cases=weekly_counts([case.created_at for case in cases], now=now),
    )


def weekly_counts(moments: Sequence[datetime], *, now: datetime) -> list[tuple[str, int]]:
    """How many of `moments` fall in each week (Monday first) of the longest history window."""
    this_week = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    weeks = max(HISTORY_DAYS) // 7 + 1
    starts: list[date] = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    counts = dict.fromkeys(starts, 0)
    for moment in moments:
        day = moment.astimezone(UTC).date()
        start = day - timedelta(days=day.weekday())
        if start in counts:
            counts[start] += 1
    return [(start.strftime("%m-%d"), count) for start, count in counts.items()]


def list_customers(
    db: Database, *, scope: Workspace, now: datetime | None = None
) -> list[CustomerSummary]:
    """The customers `scope` may see with a case opened in the last CUSTOMER_DAYS days."""
    since = (now or datetime.now(UTC)) - timedelta(days=CUSTOMER_DAYS)
    return repo.list_customers(db, team_id=scope, since=since, limit=CUSTOMER_LIMIT)

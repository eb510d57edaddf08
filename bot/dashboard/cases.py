"""What the cases page shows: storage's cases as plain rows, and how long they took.

Filters come from the query string (`CaseFilters.from_args`): an empty filter is ignored, a
malformed one raises `FilterError`, which the pages and the API answer with 400. Every read
passes the viewer's scope (`viewer_scope()`), so a workspace admin sees their workspace only.

Time to acknowledge runs from a case's opening to its acknowledgement (an assignment
acknowledges an open case), time to resolve from opening to resolution; as in the daily case
summary, a case is in a distribution once it has that time (one resolved without an
acknowledgement, say by an agent's reply, is in the second only).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from storage import repositories as repo
from storage.database import Database
from storage.orm.cases import CASE_STATES
from storage.records import CaseRecord
from storage.workspaces import AllWorkspaces, Workspace

logger = logging.getLogger(__name__)

STATES = CASE_STATES  # open, acknowledged, resolved
CASE_LIMIT = 200
# Upper bounds of the distributions' buckets; the last bucket has none.
BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("<5m", timedelta(minutes=5)),
    ("5-15m", timedelta(minutes=15)),
    ("15-30m", timedelta(minutes=30)),
    ("30-60m", timedelta(hours=1)),
    ("1-4h", timedelta(hours=4)),
    ("4-24h", timedelta(days=1)),
    (">1d", None),
)
SLACK_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class FilterError(ValueError):
    """A query-string value the dashboard refuses; the message says which one and why."""


def slack_id(name: str, value: str | None) -> str | None:
    """`value` stripped, None when empty; raises FilterError unless it looks like a Slack id."""
    text = (value or "").strip()
    if not text:
        return None
    if not SLACK_ID.fullmatch(text):
        raise FilterError(f"'{name}' must be a Slack id such as C0123ABCD (letters and digits)")
    return text


def required_slack_id(name: str, value: str | None) -> str:
    """Like `slack_id`, but an empty value is refused too."""
    text = slack_id(name, value)
    if text is None:
        raise FilterError(f"'{name}' is required")
    return text


@dataclass(frozen=True)
class CaseFilters:
    """Which cases to list: each filter None means "any"."""

    channel_id: str | None = None
    assignee_id: str | None = None
    state: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CaseFilters:
        """Read `channel`, `assignee` and `state` from a query string; other keys are ignored."""
        state = (args.get("state") or "").strip().lower() or None
        if state is not None and state not in STATES:
            raise FilterError(f"'state' must be one of {', '.join(STATES)}")
        return cls(
            channel_id=slack_id("channel", args.get("channel")),
            assignee_id=slack_id("assignee", args.get("assignee")),
            state=state,
        )

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links that keep them)."""
        values = {"channel": self.channel_id, "assignee": self.assignee_id, "state": self.state}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class CaseRow:
    """One case as the tables show it (times as UTC text, durations in words)."""

    id: int
    team_id: str
    state: str
    channel_id: str
    customer_id: str
    customer_team: str | None
    assignee_id: str | None
    created: str
    acknowledged: str
    resolved: str
    to_acknowledge: str
    to_resolve: str
    followups: int


@dataclass(frozen=True)
class Distribution:
    """How long cases took for one step: bucket counts, the median and how many were measured."""

    buckets: list[tuple[str, int]]
    median: str
    measured: int


@dataclass
class CasesView:
    """Everything on the cases page."""

    scope: str
    filters: CaseFilters
    every_workspace: bool = False  # an operator's view: the table names each case's workspace
    rows: list[CaseRow] = field(default_factory=list)
    to_acknowledge: Distribution | None = None
    to_resolve: Distribution | None = None
    limit: int = CASE_LIMIT


def scope_label(scope: Workspace) -> str:
    """Whose data a page shows, in words."""
    return "every workspace" if isinstance(scope, AllWorkspaces) else f"workspace {scope}"


def load_cases(db: Database, *, scope: Workspace, filters: CaseFilters) -> list[CaseRecord]:
    """The newest CASE_LIMIT cases `scope` may see that match `filters`."""
    return repo.list_cases(
        db,
        team_id=scope,
        channel_id=filters.channel_id,
        assignee_id=filters.assignee_id,
        state=filters.state,
        limit=CASE_LIMIT,
    )


def cases_view(db: Database, *, scope: Workspace, filters: CaseFilters) -> CasesView:
    """The cases page: the matching cases and the distributions of their times."""
    cases = load_cases(db, scope=scope, filters=filters)
    return CasesView(
        scope=scope_label(scope),
        filters=filters,
        every_workspace=isinstance(scope, AllWorkspaces),
        rows=[case_row(case) for case in cases],
        to_acknowledge=distribution([d for d in map(time_to_acknowledge, cases) if d]),
        to_resolve=distribution([d for d in map(time_to_resolve, cases) if d]),
    )


def time_to_acknowledge(case: CaseRecord) -> timedelta | None:
    """Opening to acknowledgement; None until acknowledged."""
    done = case.acknowledged_at
    return None if done is None else max(done - case.created_at, timedelta(0))


def time_to_resolve(case: CaseRecord) -> timedelta | None:
    """Opening to resolution; None until resolved."""
    done = case.resolved_at
    return None if done is None else max(done - case.created_at, timedelta(0))


def distribution(durations: Sequence[timedelta]) -> Distribution:
    """Bucket counts (BUCKETS) and the median of `durations`."""
    counts = dict.fromkeys((label for label, _ in BUCKETS), 0)
    for duration in durations:
        counts[bucket_of(duration)] += 1
    return Distribution(list(counts.items()), humanize(median(durations)), len(durations))


def median(durations: Sequence[timedelta]) -> timedelta | None:
    """The middle duration (the mean of the middle two for an even count); None when empty."""
    ordered = sorted(durations)
    middle = len(ordered) // 2
    if not ordered:
        return None
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def bucket_of(duration: timedelta) -> str:
    for label, bound in BUCKETS:
        if bound is None or duration < bound:
            return label
    raise AssertionError("the last bucket has no bound")


def humanize(duration: timedelta | None) -> str:
    """`duration` as "42 s", "17 min", "3.5 h" or "2.0 d"; "-" for None."""
    if duration is None:
        return "-"
    seconds = duration.total_seconds()
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def case_row(case: CaseRecord) -> CaseRow:
    acknowledged = time_to_acknowledge(case)
    resolved = time_to_resolve(case)
    return CaseRow(
        id=case.id,
        team_id=case.team_id,
        state=case.state,
        channel_id=case.channel_id,
        customer_id=case.customer_id,
        customer_team=case.customer_team,
        assignee_id=case.assignee_id,
        created=when(case.created_at),
        acknowledged=when(case.acknowledged_at),
        resolved=when(case.resolved_at),
        to_acknowledge="" if acknowledged is None else humanize(acknowledged),
        to_resolve="" if resolved is None else humanize(resolved),
        followups=case.followups,
    )


def as_json(record: Any) -> dict[str, Any]:
    """A record dataclass as a JSON object: times in ISO 8601, everything else as it is."""
    return {item.name: _json_value(getattr(record, item.name)) for item in fields(record)}


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value

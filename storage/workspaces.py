"""Whose data a read may see: one workspace, or every workspace (said out loud).

Every repository function that reads workspace data (predictions, feedback, approved replies,
channel settings, alerts, undelivered Slack writes, the admin log) takes a required `team_id`:
either one workspace's id or `ALL_WORKSPACES`. There is no default and `None` is refused, so a
caller that forgets to scope a read fails at once instead of quietly reading every tenant.
`ALL_WORKSPACES` is for what serves the whole instance: training the shared model, drift checks,
instance metrics and instance operators.

Example:
    >>> query = scoped(select(PredictionRow), PredictionRow.team_id, "T1")  # doctest: +SKIP
    >>> query = scoped(select(PredictionRow), PredictionRow.team_id, ALL_WORKSPACES)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from storage import validation as check
from storage.errors import InvalidInput


class AllWorkspaces:
    """The scope of instance-wide reads; use `ALL_WORKSPACES`."""

    def __repr__(self) -> str:
        return "ALL_WORKSPACES"


ALL_WORKSPACES: Final = AllWorkspaces()

Workspace: TypeAlias = str | AllWorkspaces
S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


def checked_scope(team_id: Workspace) -> Workspace:
    """`team_id` itself when it is a valid workspace id or `ALL_WORKSPACES`.

    Raises:
        InvalidInput: `None`, an empty or over-long id, or anything else.
    """
    if isinstance(team_id, AllWorkspaces):
        return team_id
    if team_id is None:
        raise InvalidInput("team_id is required: a workspace id, or ALL_WORKSPACES")
    return check.ident("team_id", team_id)


def scoped(query: S, column: InstrumentedAttribute[Any], team_id: Workspace) -> S:
    """`query` confined to rows whose `column` is `team_id` (unchanged for `ALL_WORKSPACES`)."""
    scope = checked_scope(team_id)
    if isinstance(scope, AllWorkspaces):
        return query
    return query.where(column == scope)

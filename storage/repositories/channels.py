"""Channel settings: opt-in, mode (tag / alert / suggest), privacy mode, escalation channel, and
how the channel's cases are handled (`CaseSettings`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.orm import ChannelSettings
from storage.records import ChannelSettingsRecord
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

_KEEP = object()  # "leave this field as it is" in update_channel_settings
MAX_TARGET_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class CaseSettings:
    """How a channel's cases are handled.

    Args:
        response_target_minutes: a case nobody acknowledged within it is raised again (None:
            never).
        auto_resolve_on_reply: an agent's reply in the customer's thread resolves the case.
        oncall_group: the user group (subteam id) a follow-up mentions (None: the admins).
    """

    response_target_minutes: int | None = None
    auto_resolve_on_reply: bool = False
    oncall_group: str | None = None

    def checked(self) -> CaseSettings:
        minutes = self.response_target_minutes
        if minutes is not None and (
            not isinstance(minutes, int) or not 1 <= minutes <= MAX_TARGET_MINUTES
        ):
            raise InvalidInput(
                f"response_target_minutes must be 1..{MAX_TARGET_MINUTES}, got {minutes!r}"
            )
        check.optional_ident("oncall_group", self.oncall_group)
        return self


def _record(row: ChannelSettings) -> ChannelSettingsRecord:
    return ChannelSettingsRecord(
        team_id=row.team_id,
        channel_id=row.channel_id,
        enabled=row.enabled,
        mode=row.mode,
        privacy_mode=row.privacy_mode,
        escalation_channel=row.escalation_channel,
        set_by=row.set_by,
        updated_at=row.updated_at,
        response_target_minutes=row.response_target_minutes,
        auto_resolve_on_reply=bool(row.auto_resolve_on_reply),
        oncall_group=row.oncall_group,
    )


def get_channel_settings(
    db: Database, *, team_id: str, channel_id: str
) -> ChannelSettingsRecord | None:
    """A channel's settings, or None for a channel nobody configured (off, ids only)."""
    key = (check.ident("team_id", team_id), check.ident("channel_id", channel_id))
    with db.session() as session:
        row = session.get(ChannelSettings, key)
        return None if row is None else _record(row)


def require_channel_settings(
    db: Database, *, team_id: str, channel_id: str
) -> ChannelSettingsRecord:
    """Like `get_channel_settings`, but an unconfigured channel raises `NotFound`."""
    found = get_channel_settings(db, team_id=team_id, channel_id=channel_id)
    if found is None:
        raise NotFound(f"channel {channel_id} of team {team_id} is not configured")
    return found


def set_channel_settings(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    enabled: bool,
    mode: str = "tag",
    privacy_mode: str = "ids_only",
    escalation_channel: str | None = None,
    set_by: str,
    cases: CaseSettings | None = None,
) -> ChannelSettingsRecord:
    """Create or replace a channel's settings; `cases` None keeps its case settings as they are
    (the defaults for a new channel).

    Raises:
        InvalidInput: bad mode / privacy mode, bad ids, bad case settings.
    """
    check.ident("team_id", team_id)
    check.ident("channel_id", channel_id)
    if cases is not None:
        cases.checked()
    with db.transaction() as session:
        row = session.get(ChannelSettings, (team_id, channel_id))
        if row is None:
            row = ChannelSettings(team_id=team_id, channel_id=channel_id)
            row.auto_resolve_on_reply = False
            session.add(row)
        _apply(row, enabled, mode, privacy_mode, escalation_channel, set_by)
        if cases is not None:
            row.response_target_minutes = cases.response_target_minutes
            row.auto_resolve_on_reply = bool(cases.auto_resolve_on_reply)
            row.oncall_group = cases.oncall_group
        session.flush()
        return _record(row)


def update_channel_settings(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    set_by: str,
    enabled: bool | None = None,
    mode: str | None = None,
    privacy_mode: str | None = None,
    escalation_channel: str | object | None = _KEEP,
) -> ChannelSettingsRecord:
    """Change some settings of a configured channel (None / unset fields stay as they are).

    Raises:
        NotFound: the channel was never configured. InvalidInput: bad values.
    """
    with db.transaction() as session:
        row = session.get(ChannelSettings, (team_id, channel_id))
        if row is None:
            raise NotFound(f"channel {channel_id} of team {team_id} is not configured")
        escalation = row.escalation_channel if escalation_channel is _KEEP else escalation_channel
        _apply(
            row,
            row.enabled if enabled is None else enabled,
            mode or row.mode,
            privacy_mode or row.privacy_mode,
            escalation if isinstance(escalation, str) else None,
            set_by,
        )
        session.flush()
        return _record(row)


def _apply(
    row: ChannelSettings,
    enabled: bool,
    mode: str,
    privacy_mode: str,
    escalation_channel: str | None,
    set_by: str,
) -> None:
    row.enabled = bool(enabled)
    row.mode = check.choice("mode", mode, check.CHANNEL_MODES)
    row.privacy_mode = check.choice("privacy_mode", privacy_mode, check.PRIVACY_MODES)
    row.escalation_channel = check.optional_ident("escalation_channel", escalation_channel or None)
    row.set_by = check.ident("set_by", set_by)
    row.updated_at = utcnow()


def list_channel_settings(db: Database, *, team_id: Workspace) -> list[ChannelSettingsRecord]:
    """Every configured channel of `team_id` (a workspace or `ALL_WORKSPACES`), by team then
    channel."""
    query = scoped(select(ChannelSettings), ChannelSettings.team_id, team_id)
    query = query.order_by(ChannelSettings.team_id, ChannelSettings.channel_id)
    with db.session() as session:
        return [_record(row) for row in session.scalars(query)]

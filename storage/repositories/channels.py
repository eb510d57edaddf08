"""Channel settings: opt-in, mode (tag / alert / suggest), privacy mode, escalation channel."""

from __future__ import annotations

import logging

from sqlalchemy import select

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import NotFound
from storage.orm import ChannelSettings
from storage.records import ChannelSettingsRecord
from storage.workspaces import Workspace, scoped

logger = logging.getLogger(__name__)

_KEEP = object()  # "leave this field as it is" in update_channel_settings


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
) -> ChannelSettingsRecord:
    """Create or replace a channel's settings.

    Raises:
        InvalidInput: bad mode / privacy mode, bad ids.
    """
    check.ident("team_id", team_id)
    check.ident("channel_id", channel_id)
    with db.transaction() as session:
        row = session.get(ChannelSettings, (team_id, channel_id))
        if row is None:
            row = ChannelSettings(team_id=team_id, channel_id=channel_id)
            session.add(row)
        _apply(row, enabled, mode, privacy_mode, escalation_channel, set_by)
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

"""The App Home tab: what the bot does for everyone, model and channel controls for admins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.blocks.common import Block, actions, button, escape_mrkdwn, header, section
from storage.records import (
    ChannelSettingsRecord,
    DriftReportRecord,
    ModelVersionRecord,
    OutboxRecord,
)

HOME_VERSION_LIMIT = 8
HOME_UNDELIVERED_LIMIT = 5


@dataclass(frozen=True)
class HomeData:
    """What the home tab shows; admin fields stay empty for other users."""

    watched: list[tuple[str, str]]  # (channel id, mode)
    is_admin: bool = False
    manages_models: bool = False  # an operator: may retrain and roll back (see permissions)
    versions: list[ModelVersionRecord] = field(default_factory=list)
    label_mix: dict[str, int] = field(default_factory=dict)
    feedback_week: int = 0
    feedback_total: int = 0
    drift: DriftReportRecord | None = None
    channel_settings: list[ChannelSettingsRecord] = field(default_factory=list)
    undelivered: list[OutboxRecord] = field(default_factory=list)  # refused by Slack for good


def build_home_view(data: HomeData) -> dict[str, Any]:
    """The `views.publish` payload of the App Home."""
    blocks: list[Block] = [
        header("triagebot"),
        section(
            "I tag support messages in opted-in channels by sentiment, alert the escalation "
            "channel about upset customers and draft replies. Corrections you make are used "
            "to retrain me."
        ),
        section("*Watched channels*\n" + _watched_lines(data.watched)),
    ]
    if data.is_admin:
        blocks += _admin_blocks(data)
    return {"type": "home", "blocks": blocks[:100]}


def _watched_lines(watched: list[tuple[str, str]]) -> str:
    if not watched:
        return "_none yet: use `/triage channel on` in a channel_"
    return "\n".join(f"• <#{channel}> ({mode})" for channel, mode in watched)


def _admin_blocks(data: HomeData) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}, header("Admin")]
    blocks.append(section("*Model versions*\n" + _version_lines(data.versions)))
    total = sum(data.label_mix.values())
    mix = (
        "  ".join(
            f"{label}: {count} ({count / total:.0%})"
            for label, count in sorted(data.label_mix.items())
        )
        if total
        else "_no messages classified_"
    )
    blocks.append(section(f"*Label mix, last 7 days*\n{mix}"))
    blocks.append(
        section(
            f"*Feedback*\n{data.feedback_week} in the last 7 days, {data.feedback_total} in all"
        )
    )
    blocks.append(section(f"*Drift*\n{_drift_line(data.drift)}"))
    model_buttons = (
        [
            button("Retrain now", "home_retrain", style="primary"),
            button("Roll back classifier", "home_rollback", "classifier", style="danger"),
        ]
        if data.manages_models
        else []
    )
    blocks.append(
        actions(
            *model_buttons,
            button("Channel settings", "home_channel_settings"),
            block_id="home_admin",
        )
    )
    if data.channel_settings:
        lines = "\n".join(
            f"• <#{s.channel_id}>: {'on' if s.enabled else 'off'}, {s.mode}, {s.privacy_mode}"
            + (f", alerts to <#{s.escalation_channel}>" if s.escalation_channel else "")
            for s in data.channel_settings[:40]
        )
        blocks.append(section(f"*Channel settings*\n{lines}"))
    blocks.append(section(f"*Undelivered Slack messages*\n{_undelivered_lines(data.undelivered)}"))
    return blocks


def _undelivered_lines(rows: list[OutboxRecord]) -> str:
    """Writes Slack refused for good: what, where, why (the fix is usually an invitation)."""
    if not rows:
        return "_none_"
    lines = [
        f"• `{row.method}`"
        + (f" to <#{row.channel_id}>" if row.channel_id else "")
        + f": `{escape_mrkdwn(row.last_error or 'unknown')}` ({row.created_at:%Y-%m-%d %H:%M})"
        for row in rows[:HOME_UNDELIVERED_LIMIT]
    ]
    return "\n".join(lines)


def _version_lines(versions: list[Any]) -> str:
    if not versions:
        return "_no model versions registered_"
    lines = []
    for record in versions[:HOME_VERSION_LIMIT]:
        metrics = record.metrics or {}
        shown = ", ".join(
            f"{name} {metrics[name]:.3f}"
            for name in ("macro_f1", "accuracy")
            if isinstance(metrics.get(name), int | float)
        )
        marker = ":large_green_circle:" if record.status == "active" else ":white_circle:"
        lines.append(f"{marker} `{record.version}` {record.kind}, {record.status}. {shown}")
    return "\n".join(lines)


def _drift_line(report: DriftReportRecord | None) -> str:
    if report is None:
        return "_no drift check yet_"
    stamp = f" (checked {report.created_at:%Y-%m-%d %H:%M})"
    if report.fired:
        return f":warning: drift signals: {', '.join(report.fired)}{stamp}"
    return f":white_check_mark: no drift signal{stamp}"

"""Charts drawn on the server as inline SVG: no JavaScript, scales with the page, readable offline.

`label_mix_svg` stacks the predicted labels per day; `bars_svg` draws one series of labelled
bars (the cases page's time-to-acknowledge and time-to-resolve distributions, a customer's
cases per week); `learning_svg` draws the correction rate over the corrections the correction
memory holds, with the promotions of the classifier.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

from bot.dashboard.learning import LearningPeriod
from models.types import LABELS

logger = logging.getLogger(__name__)

COLOURS = {"negative": "#d64545", "neutral": "#8a94a6", "positive": "#2f9e61"}
RATE_COLOUR, MEMORY_COLOUR, PROMOTION_COLOUR = "#b7791f", "#c9d6f2", "#2f9e61"
WIDTH, HEIGHT = 900, 240
BARS_WIDTH, BARS_HEIGHT = 480, 200  # fits half a laptop screen with legible labels
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 36, 26, 10
PLOT_H = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP  # the full-width charts' plot height
BOTTOM = MARGIN_TOP + PLOT_H


def label_mix_svg(days: Sequence[tuple[date, dict[str, int]]]) -> Markup:
    """Stacked bars of predicted labels per day, oldest on the left, with a legend.

    Args:
        days: (day, {label: count}) in date order, one entry per day (zeros included).

    Returns:
        An `<svg>` element, safe to embed in a template.
    """
    plot_w = WIDTH - MARGIN_LEFT - 4
    plot_h = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    peak = max((sum(counts.values()) for _, counts in days), default=0)
    scale = plot_h / peak if peak else 0.0
    slot = plot_w / max(len(days), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Predicted labels per day, last {len(days)} days">',
        _axis(peak, plot_h, WIDTH),
    ]
    for index, (day, counts) in enumerate(days):
        x = MARGIN_LEFT + index * slot + slot * 0.1
        y: float = MARGIN_TOP + plot_h
        for label in LABELS:
            height = counts.get(label, 0) * scale
            if height <= 0:
                continue
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[label]}"><title>{day.isoformat()} {label}: '
                f"{counts[label]}</title></rect>"
            )
        if (len(days) - 1 - index) % 7 == 0:
            parts.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'class="tick">{escape(day.strftime("%m-%d"))}</text>'
            )
    if not peak:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="empty">'
            "no messages classified yet</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(peak: int, plot_h: float, width: int) -> str:
    bottom = MARGIN_TOP + plot_h
    lines = [
        f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{width - 4}" y2="{bottom}" class="axis"/>',
        f'<text x="{MARGIN_LEFT - 4}" y="{bottom}" text-anchor="end" class="tick">0</text>',
    ]
    if peak:
        lines.append(
            f'<text x="{MARGIN_LEFT - 4}" y="{MARGIN_TOP + 8}" text-anchor="end" '
            f'class="tick">{peak}</text>'
        )
        lines.append(
            f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{width - 4}" y2="{MARGIN_TOP}" '
            'class="grid"/>'
        )
    return "".join(lines)


def legend() -> Markup:
    """The colour legend shared by the label charts."""
    items = "".join(
        f'<span class="key"><i class="swatch-{label}"></i>{label}</span>' for label in LABELS
    )
    return Markup(f'<div class="legend">{items}</div>')


def bars_svg(
    bars: Sequence[tuple[str, int]],
    *,
    title: str,
    empty: str,
    colour: str = "#2b59c3",
    label_every: int = 1,
) -> Markup:
    """One bar per (label, count), in the order given, each label under its bar.

    Args:
        bars: (label, count) pairs, e.g. the buckets of a distribution.
        title: what the chart shows, for screen readers and the bars' tooltips.
        empty: the sentence drawn instead when every count is zero.
        colour: the bars' fill.
        label_every: label every n-th bar, counting back from the last (crowded weekly bars).

    Returns:
        An `<svg>` element, safe to embed in a template.

    Example:
        >>> str(bars_svg([("<5m", 2)], title="Time to acknowledge", empty="none")).count("<rect")
        1
    """
    plot_w = BARS_WIDTH - MARGIN_LEFT - 4
    plot_h = BARS_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    peak = max((count for _, count in bars), default=0)
    scale = plot_h / peak if peak else 0.0
    slot = plot_w / max(len(bars), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {BARS_WIDTH} {BARS_HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        _axis(peak, plot_h, BARS_WIDTH),
    ]
    for index, (label, count) in enumerate(bars):
        x = MARGIN_LEFT + index * slot + slot * 0.15
        height = count * scale
        if height > 0:
            y = MARGIN_TOP + plot_h - height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
                f'fill="{escape(colour)}"><title>{escape(title)}, {escape(label)}: {count}'
                "</title></rect>"
            )
        if (len(bars) - 1 - index) % label_every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{BARS_HEIGHT - 8}" text-anchor="middle" '
                f'class="tick">{escape(label)}</text>'
            )
    if not peak:
        parts.append(
            f'<text x="{BARS_WIDTH / 2}" y="{BARS_HEIGHT / 2}" text-anchor="middle" '
            f'class="empty">{escape(empty)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def learning_svg(periods: Sequence[LearningPeriod], *, by: str) -> Markup:
    """The correction rate per period (a line, left axis, broken where nothing was reviewed)
    over the corrections the memory holds at each period's end (bars, right axis); a dashed
    line marks each period a classifier version was promoted in.

    Args:
        periods: consecutive weeks or days, oldest first.
        by: "week" or "day", for the labels.

    Returns:
        An `<svg>` element, safe to embed in a template.
    """
    rates = [p.correction_rate for p in periods]
    peak_rate = max([0.1, *(math.ceil(r * 10) / 10 for r in rates if r is not None)])
    peak_memory = max((p.in_memory for p in periods), default=0)
    slot = (WIDTH - 2 * MARGIN_LEFT) / max(len(periods), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Correction rate and corrections in the memory per {by}">',
        *_learning_axes(peak_rate, peak_memory),
    ]
    line: list[str] = []
    dots: list[str] = []  # drawn last, over the line
    for index, (period, rate) in enumerate(zip(periods, rates, strict=True)):
        centre = MARGIN_LEFT + (index + 0.5) * slot
        when = f"week of {period.start.isoformat()}" if by == "week" else period.start.isoformat()
        memory = PLOT_H * period.in_memory / (peak_memory or 1)
        parts.extend(_learning_period(period, when, centre, slot, memory))
        if rate is None:  # nothing reviewed: a gap in the line, not a zero
            parts.append(_polyline(line))
            line = []
        else:
            y = BOTTOM - PLOT_H * rate / peak_rate
            line.append(f"{centre:.1f},{y:.1f}")
            dots.append(
                f'<circle cx="{centre:.1f}" cy="{y:.1f}" r="3.5" fill="{RATE_COLOUR}" '
                f'class="rate"><title>{escape(when)}: correction rate {rate:.0%} '
                f"({period.corrections} of {period.reviewed} reviewed)</title></circle>"
            )
        if (len(periods) - 1 - index) % (1 if by == "week" else 7) == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'class="tick">{period.start.strftime("%m-%d")}</text>'
            )
    parts += [_polyline(line), *dots]
    if not peak_memory and all(rate is None for rate in rates):
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="empty">'
            "no feedback yet</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _learning_axes(peak_rate: float, peak_memory: int) -> list[str]:
    """The baseline, the top grid line, the rate's scale on the left, the memory's on the right."""
    right = WIDTH - MARGIN_LEFT
    parts = [
        f'<line x1="{MARGIN_LEFT}" y1="{BOTTOM}" x2="{right}" y2="{BOTTOM}" class="axis"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{right}" y2="{MARGIN_TOP}" class="grid"/>',
        f'<text x="{MARGIN_LEFT - 4}" y="{BOTTOM}" text-anchor="end" class="tick">0%</text>',
        f'<text x="{MARGIN_LEFT - 4}" y="{MARGIN_TOP + 8}" text-anchor="end" class="tick">'
        f"{peak_rate:.0%}</text>",
    ]
    if peak_memory:
        parts.append(f'<text x="{right + 4}" y="{BOTTOM}" class="tick">0</text>')
        parts.append(
            f'<text x="{right + 4}" y="{MARGIN_TOP + 8}" class="tick">{peak_memory}</text>'
        )
    return parts


def _learning_period(
    period: LearningPeriod, when: str, centre: float, slot: float, memory: float
) -> list[str]:
    """One period's memory bar and its promotions' dashed lines."""
    parts = []
    if memory > 0:
        parts.append(
            f'<rect x="{centre - slot * 0.35:.1f}" y="{BOTTOM - memory:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{memory:.1f}" fill="{MEMORY_COLOUR}" '
            f'class="memory"><title>{escape(when)}: {period.in_memory} corrections in the '
            "memory</title></rect>"
        )
    for version in period.promoted:
        parts.append(
            f'<line x1="{centre - slot / 2:.1f}" y1="{MARGIN_TOP}" x2="{centre - slot / 2:.1f}" '
            f'y2="{BOTTOM}" stroke="{PROMOTION_COLOUR}" stroke-width="2" stroke-dasharray="4 3" '
            f'class="promotion"><title>{escape(when)}: promoted {escape(version)}</title></line>'
        )
    return parts


def _polyline(points: list[str]) -> str:
    """The rate's line through `points` (nothing for fewer than two)."""
    if len(points) < 2:
        return ""
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{RATE_COLOUR}" '
        'stroke-width="2"/>'
    )

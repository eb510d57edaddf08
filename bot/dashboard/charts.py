"""Charts drawn on the server as inline SVG: no JavaScript, scales with the page, readable offline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

from models.types import LABELS

logger = logging.getLogger(__name__)

COLOURS = {"negative": "#d64545", "neutral": "#8a94a6", "positive": "#2f9e61"}
WIDTH, HEIGHT = 900, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 36, 26, 10


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
        _axis(peak, plot_h),
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


def _axis(peak: int, plot_h: float) -> str:
    bottom = MARGIN_TOP + plot_h
    lines = [
        f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{WIDTH - 4}" y2="{bottom}" class="axis"/>',
        f'<text x="{MARGIN_LEFT - 4}" y="{bottom}" text-anchor="end" class="tick">0</text>',
    ]
    if peak:
        lines.append(
            f'<text x="{MARGIN_LEFT - 4}" y="{MARGIN_TOP + 8}" text-anchor="end" '
            f'class="tick">{peak}</text>'
        )
        lines.append(
            f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{WIDTH - 4}" y2="{MARGIN_TOP}" '
            'class="grid"/>'
        )
    return "".join(lines)


def legend() -> Markup:
    """The colour legend shared by the label charts."""
    items = "".join(
        f'<span class="key"><i class="swatch-{label}"></i>{label}</span>' for label in LABELS
    )
    return Markup(f'<div class="legend">{items}</div>')

"""The drift simulation's markdown table and PNG plot (matplotlib, Agg backend)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from training.drift.types import SimulationResult

logger = logging.getLogger(__name__)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_table(result: SimulationResult) -> str:
    """Markdown: one row per day, then macro-F1 before/after and the retrain's gate numbers."""
    lines = [
        "| day | traffic | model | msgs | labelled | label PSI | mean conf | corrections "
        "| unseen tokens | fired | daily job |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for d in result.days:
        lines.append(
            f"| {d.day} | {d.source} | {d.model_version} | {d.messages} | {d.feedback} "
            f"| {_fmt(d.label_psi)} | {_fmt(d.mean_confidence)} | {_fmt(d.correction_rate)} "
            f"| {_fmt(d.unseen_token_share)} | {', '.join(d.fired) or '-'} | {d.action or '-'} |"
        )
    lines += [
        "",
        f"Macro-F1 on {result.shifted_eval_size} held-out drug reviews (never replayed): "
        f"{result.base_version} {result.shifted_f1_before:.3f} -> {result.final_version} "
        f"{result.shifted_f1_after:.3f} ({result.shifted_f1_after - result.shifted_f1_before:+.3f})",
    ]
    lines += _retrain_lines(result.retrain)
    return "\n".join(lines)


def _retrain_lines(retrain: dict[str, Any]) -> list[str]:
    if not retrain:
        return ["No retrain was triggered."]
    lines = [
        f"Retrain on day {retrain['day']}: {retrain['outcome']} ({retrain['reason']})",
        f"Data: {retrain.get('data_counts', {})}",
    ]
    metrics = retrain.get("metrics") or {}
    for name in ("candidate", "active"):
        part = metrics.get(name) or {}
        scores = ", ".join(
            f"{k} macro-F1 {v['macro_f1']:.3f} (n={v['n']})" for k, v in part.items() if v
        )
        if scores:
            lines.append(f"{name}: {scores}")
    return lines


def save_plot(result: SimulationResult, path: Path) -> Path:
    """Drift metrics per day with thresholds and the retrain day; macro-F1 before/after."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = [d.day for d in result.days]
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2.2, 1]}
    )
    series = (
        ("label PSI", [d.label_psi for d in result.days], "drift_psi_threshold", "C0"),
        (
            "correction rate",
            [d.correction_rate for d in result.days],
            "drift_correction_rate_threshold",
            "C1",
        ),
        (
            "unseen-token share",
            [d.unseen_token_share for d in result.days],
            "drift_unseen_token_threshold",
            "C2",
        ),
        ("mean confidence", [d.mean_confidence for d in result.days], None, "C3"),
    )
    for label, values, threshold, colour in series:
        left.plot(
            days,
            [v if v is not None else float("nan") for v in values],
            "o-",
            label=label,
            color=colour,
        )
        if threshold and threshold in result.thresholds:
            left.axhline(result.thresholds[threshold], color=colour, ls=":", lw=1)
    if result.retrain:
        left.axvline(result.retrain["day"] + 0.5, color="grey", ls="--", lw=1)
        left.text(
            result.retrain["day"] + 0.55,
            0.95,
            f"retrain: {result.retrain['outcome']}",
            transform=left.get_xaxis_transform(),
            fontsize=8,
            va="top",
        )
    left.set_xlabel("day (0 = in-domain base test data, then drug reviews)")
    left.set_title("Drift metrics per day (dotted: thresholds)")
    left.set_xticks(days)
    left.legend(fontsize=8, loc="center right")
    bars = right.bar(
        ["before", "after"],
        [result.shifted_f1_before, result.shifted_f1_after],
        color=["#999999", "#2a7"],
    )
    right.bar_label(bars, fmt="%.3f")
    right.set_ylim(0, 1)
    right.set_title(f"Macro-F1, {result.shifted_eval_size} held-out reviews")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    logger.info("plot saved to %s", path)
    return path

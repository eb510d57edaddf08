"""The learning curve: one point per number of corrections and seed, a table and a plot; a
memory of the shift's own corrections helps on texts it holds and leaves other texts alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.drift.learning_curve import Shift, format_curve, learning_curve, plot_curve

POOL = [(f"the dosage number {i} gave me a rash", "negative") for i in range(12)]
BASE = [("what a lovely flight", "positive"), ("the gate changed", "neutral")] * 3


def test_points_table_and_plot(tiny_predictor: Any, tmp_path: Path) -> None:
    shift = Shift("dosage", POOL, POOL[:6])  # held-out rows that the pool holds verbatim
    result = learning_curve(tiny_predictor, shift, BASE, sizes=[3, 12], seeds=2)
    assert [p.corrections for p in result.points] == [3, 12]
    assert all(len(p.shifted) == 2 and len(p.base) == 2 for p in result.points)
    assert result.points[-1].shifted == [1.0, 1.0]  # every held-out text is a stored correction
    table = format_curve(result)
    assert "| 12 |" in table and "2 seeds" in table
    png = plot_curve([result], tmp_path / "curve.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

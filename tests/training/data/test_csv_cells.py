"""Spreadsheet-safe CSV cells: formulas come out as text, and the reader gets the exact text back."""

from __future__ import annotations

import csv
import io

import pytest

from training.data.csv_cells import neutralise_cell, restore_cell, write_csv

STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("start", STARTS)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(start: str) -> None:
    assert neutralise_cell(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "",
        "'quoted by the customer",
        "a = b",
        "'",
        "'=x",
        "''+x",
        *(f"{start}x" for start in STARTS),
        *(f"'{start}" for start in STARTS),
    ],
)
def test_restoring_a_neutralised_cell_gives_the_text_back(text: str) -> None:
    cell = neutralise_cell(text)
    assert cell[:1] not in STARTS
    assert restore_cell(cell) == text


def test_text_that_is_no_formula_is_written_as_it_is() -> None:
    for text in ("plain", "'quoted by the customer", " =leading space", "1 = 1"):
        assert neutralise_cell(text) == text
        assert restore_cell(text) == text


def test_write_csv_keeps_carriage_returns_inside_a_text() -> None:
    stream = io.StringIO(newline="")
    rows: list[dict[str, str | None]] = [
        {"text": "line one\rline two", "note": None},
        {"text": "=1+1", "note": "-"},
    ]

    assert write_csv(stream, ("text", "note"), rows) == 2

    read = list(csv.DictReader(io.StringIO(stream.getvalue(), newline="")))
    assert [(row["text"], row["note"]) for row in read] == [
        ("line one\rline two", ""),
        ("'=1+1", "'-"),
    ]

"""Spreadsheet-safe CSV: every CSV file the project writes goes through `write_csv`.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets, and feedback text is typed by any Slack user (CSV injection,
OWASP). Such a cell is written with a single quote in front, the OWASP recommendation: the
spreadsheet shows it as text. A cell that already begins with quotes before one of those
characters gets one more quote, so `restore_cell` (applied by the CSV reader of
`training.data.label_files`) gives back exactly the text that was exported. Records end in
CRLF (RFC 4180), so a carriage return inside a text is quoted and read back as part of it.

Example:
    >>> neutralise_cell("=HYPERLINK(\\"https://evil\\")")
    '\\'=HYPERLINK("https://evil")'
    >>> restore_cell(neutralise_cell("-1 star"))
    '-1 star'
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = "=+-@\t\r"
_FORMULA = re.compile(f"^'*[{re.escape(FORMULA_STARTS)}]")
_NEUTRALISED = re.compile(f"^'+[{re.escape(FORMULA_STARTS)}]")


def neutralise_cell(value: str) -> str:
    """`value` with a `'` in front when a spreadsheet would read it as a formula."""
    return "'" + value if _FORMULA.match(value) else value


def restore_cell(value: str) -> str:
    """The text `neutralise_cell` was given: one leading `'` removed where it added one."""
    return value[1:] if _NEUTRALISED.match(value) else value


def write_csv(stream: IO[str], fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write a header and `rows` (None as an empty cell, text neutralised); return the row count."""
    writer = csv.DictWriter(stream, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({name: _cell(value) for name, value in row.items()})
        count += 1
    return count


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return neutralise_cell(value) if isinstance(value, str) else value

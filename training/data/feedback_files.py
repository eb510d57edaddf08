"""Feedback as files: `triagebot feedback export` writes CSV/JSONL, `feedback import` reads it.

An import file is read by `training.data.label_files.read_labelled_file`, the reader of
`train --data`, so a file training accepts imports too. CSV cells a spreadsheet would run as a
formula (`=`, `+`, `-`, `@`, tab, CR first) are written with a `'` in front
(`training.data.csv_cells.write_csv`); the reader takes it off again, so export then import keeps
the text. Every row is checked before anything is stored; `storage.repositories.import_feedback`
then stores them in one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from storage.records import FeedbackRecord
from storage.repositories import LabelledText
from training.data.csv_cells import write_csv
from training.data.label_files import FORMATS, read_labelled_file
from training.errors import DataError

logger = logging.getLogger(__name__)

__all__ = ["EXPORT_FIELDS", "FORMATS", "read_feedback_file", "write_feedback"]

EXPORT_FIELDS = (
    "text",
    "label",
    "source",
    "predicted_label",
    "note",
    "user_id",
    "team_id",
    "channel_id",
    "message_ts",
    "created_at",
    "updated_at",
)


def _row(record: FeedbackRecord) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(record, name) for name in EXPORT_FIELDS}
    values["created_at"] = record.created_at.isoformat()
    values["updated_at"] = record.updated_at.isoformat()
    return values


def write_feedback(records: Iterable[FeedbackRecord], stream: IO[str], *, fmt: str) -> int:
    """Write feedback to `stream` as `csv` (header row) or `jsonl`; return the row count."""
    if fmt not in FORMATS:
        raise DataError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return write_csv(stream, EXPORT_FIELDS, (_row(record) for record in records))
    count = 0
    for record in records:
        stream.write(json.dumps(_row(record), ensure_ascii=False) + "\n")
        count += 1
    return count


def read_feedback_file(path: Path, *, fmt: str | None = None) -> list[LabelledText]:
    """Read and check every `text,label[,note]` row of a file to import.

    Args:
        path: a CSV or JSON(L) file (rules: `training.data.label_files`).
        fmt: "csv" or "jsonl" instead of the format from the file name.

    Raises:
        DataError: the file cannot be read, a row is bad ("FILE line N: why"), or it has no rows.
    """
    rows = read_labelled_file(path, fmt=fmt)
    if not rows:
        raise DataError(f"{path}: no rows to import")
    return [LabelledText(text=row.text, label=row.label, note=row.note) for row in rows]

"""Labelled data files: write feedback as CSV/JSONL, read `text,label` rows for an import.

Reading validates every row before anything is imported; a bad row raises `InvalidInput`
naming the file and line.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from storage import validation as check
from storage.errors import InvalidInput
from storage.records import FeedbackRecord
from storage.repositories.feedback import LabelledText

logger = logging.getLogger(__name__)

FORMATS = ("csv", "jsonl")
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
    check.choice("format", fmt, FORMATS)
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: "" if v is None else v for k, v in _row(record).items()})
            count += 1
    else:
        for record in records:
            stream.write(json.dumps(_row(record), ensure_ascii=False) + "\n")
            count += 1
    return count


def detect_format(path: Path) -> str:
    """ "csv" or "jsonl" from the file name (`.csv`, `.jsonl`, `.ndjson`, `.json`)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise InvalidInput(f"{path}: cannot tell the format from the name; pass --format csv|jsonl")


def read_labelled(path: Path, *, fmt: str | None = None) -> list[LabelledText]:
    """Read and validate every `text,label` row of a CSV (with header) or JSONL file.

    Raises:
        InvalidInput: the file cannot be read, or a row is bad ("FILE line N: why").
    """
    fmt = check.choice("format", fmt, FORMATS) if fmt else detect_format(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(_csv_rows(stream) if fmt == "csv" else _jsonl_rows(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"{path}: cannot read: {exc}") from exc
    items: list[LabelledText] = []
    for line, row in rows:
        try:
            items.append(_item(row))
        except InvalidInput as exc:
            raise InvalidInput(f"{path} line {line}: {exc}") from exc
    if not items:
        raise InvalidInput(f"{path}: no rows to import")
    return items


def _csv_rows(stream: IO[str]) -> Iterable[tuple[int, Any]]:
    reader = csv.DictReader(stream)
    missing = {"text", "label"} - set(reader.fieldnames or ())
    if missing:
        raise InvalidInput(f"line 1: the header lacks {', '.join(sorted(missing))}")
    for row in reader:
        yield reader.line_num, row


def _jsonl_rows(stream: IO[str]) -> Iterable[tuple[int, Any]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {number}: not JSON: {exc.msg}") from exc


def _item(row: Any) -> LabelledText:
    if not isinstance(row, dict):
        raise InvalidInput("expected an object with text and label")
    text, label, note = row.get("text"), row.get("label"), row.get("note")
    if not isinstance(text, str) or not isinstance(label, str):
        raise InvalidInput("text and label must both be given as strings")
    return LabelledText(
        text=check.text_field("text", text, max_len=check.TEXT_LEN),
        label=check.label(label.strip().lower()),
        note=check.optional_text("note", note if isinstance(note, str) else None,
                                 max_len=check.NOTE_LEN),
    )  # fmt: skip

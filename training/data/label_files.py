"""The one reader of `text,label` files, for `train --data`, `evaluate --data` and `feedback import`.

Every caller applies the same rules, so a file one command accepts the others accept too:

- Format from the name: `.csv` is CSV with a header row, `.jsonl`/`.ndjson` one JSON object per
  line, `.json` a JSON array of objects or JSON lines; any other name needs `fmt`.
- UTF-8 (a byte-order mark is fine); a file that is not UTF-8 is read as Mac Roman (the encoding
  of the shipped tweets), with a warning.
- Columns `text` and `label` (`sentiment` is taken for a missing `label`); optional `weight`
  (training) and `note` (import); other columns are ignored.
- A CSV cell that `feedback export` neutralised for spreadsheets (`'=...`, `'-...`: see
  `training.data.csv_cells`) is read back without the added quote.
- Every row needs a non-empty text and a known label: a name from `LABELS` in any case or an
  alias (`neg`/`neu`/`pos`, `0`/`1`/`2`). Text and note hold no NUL and no lone surrogate (JSON
  allows `"\\u0000"` and `"\\ud800"`); a weight is a finite number. A bad row, like JSON that
  cannot be read (a 5,000-digit number, deep nesting), raises `DataError` naming the file and
  line, before anything is trained on or stored.

Example:
    >>> rows = read_labelled_file(Path("tickets.csv"))
    >>> rows[0].label
    'negative'
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models.types import LABELS
from training.data.csv_cells import restore_cell
from training.data.types import LabelledRow
from training.errors import DataError

logger = logging.getLogger(__name__)

FORMATS = ("csv", "jsonl")
LABEL_ALIASES = {
    "neg": "negative",
    "pos": "positive",
    "neu": "neutral",
    "0": "negative",
    "1": "neutral",
    "2": "positive",
}
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


def map_label(value: Any) -> str | None:
    """A label name from `LABELS`, or None when the value is not a known label."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    name = str(value).strip().lower()
    name = LABEL_ALIASES.get(name, name)
    return name if name in LABELS else None


def detect_format(path: Path, fmt: str | None = None) -> str:
    """`fmt` when given ("csv" or "jsonl"), else the format the file name says."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise DataError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        return fmt
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise DataError(
            f"{path}: cannot tell the format from the name; use .csv, .jsonl or .json "
            "(or pass the format)"
        )
    return found


def read_labelled_file(path: Path | str, *, fmt: str | None = None) -> list[LabelledRow]:
    """Read and check every row of a labelled CSV or JSON(L) file (rules: module docstring).

    Args:
        path: the file.
        fmt: "csv" or "jsonl" instead of the format from the file name.

    Returns:
        The rows in file order; empty when the file has a header (or nothing) but no rows.

    Raises:
        DataError: the file is missing or unreadable, or a row is bad ("FILE line N: why").
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {path} does not exist")
    fmt = detect_format(path, fmt)
    content = _decode(path)
    rows: list[LabelledRow] = []
    for where, raw in _csv_rows(path, content) if fmt == "csv" else _json_rows(path, content):
        try:
            rows.append(_row(raw))
        except DataError as exc:
            raise DataError(f"{path} {where}: {exc}") from exc
    logger.info("read %d labelled rows from %s", len(rows), path)
    return rows


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        logger.warning("%s is not UTF-8; reading it as Mac Roman", path)
        return data.decode("mac_roman")


def _csv_rows(path: Path, content: str) -> Iterator[tuple[str, Any]]:
    """(where, row) per CSV record; `where` is the line the record ends on."""
    reader = csv.DictReader(io.StringIO(content, newline=""))
    try:
        columns = list(reader.fieldnames or ())
        missing = [name for name in ("label", "text") if name not in columns]
        if "sentiment" in columns and "label" in missing:
            missing.remove("label")
        if missing:
            raise DataError(
                f"{path} line 1: the header lacks column(s) {', '.join(missing)}; "
                f"it has {', '.join(columns) or 'none'}"
            )
        for row in reader:
            yield f"line {reader.line_num}", _restored(row)
    except csv.Error as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc


def _restored(row: dict[str, Any]) -> dict[str, Any]:
    """The row with the quotes `neutralise_cell` added taken off (extra cells are lists)."""
    return {k: restore_cell(v) if isinstance(v, str) else v for k, v in row.items()}


def _json_rows(path: Path, content: str) -> Iterator[tuple[str, Any]]:
    """(where, item) per object of a JSON array ("item N") or of JSON lines ("line N")."""
    if content.lstrip().startswith("["):
        for number, item in enumerate(_loads(path, content), start=1):
            yield f"item {number}", item
        return
    for number, line in enumerate(content.splitlines(), start=1):
        if line.strip():
            yield f"line {number}", _loads(path, line, line=number)


def _loads(path: Path, text: str, *, line: int | None = None) -> Any:
    """`json.loads`, with every way it refuses hostile text raised as a `DataError`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} line {line or exc.lineno}: not JSON: {exc.msg}") from exc
    except ValueError as exc:  # json refuses integers of more than 4,300 digits
        where = f"{path} line {line}" if line else str(path)
        raise DataError(f"{where}: not JSON: a number has too many digits") from exc
    except RecursionError as exc:
        where = f"{path} line {line}" if line else str(path)
        raise DataError(f"{where}: not JSON: nested too deeply") from exc


def _row(raw: Any) -> LabelledRow:
    if not isinstance(raw, dict):
        raise DataError("expected an object with text and label")
    text = raw.get("text")
    label = raw.get("label" if "label" in raw else "sentiment")
    if not isinstance(text, str):
        raise DataError("text is missing" if text is None else "text must be a string")
    if not text.strip():
        raise DataError("text must not be empty")
    if not _plain(text):
        raise DataError("text must not contain NUL characters or lone surrogates")
    if label is None or label == "":
        raise DataError("label is missing")
    name = map_label(label)
    if name is None:
        raise DataError(
            f"unknown label {label!r:.80}; use {', '.join(LABELS)} (or neg/neu/pos, 0/1/2)"
        )
    note = raw.get("note")
    if isinstance(note, str) and not _plain(note):
        raise DataError("note must not contain NUL characters or lone surrogates")
    return LabelledRow(
        text, name, _weight(raw.get("weight")), note if isinstance(note, str) and note else None
    )


def _plain(value: str) -> bool:
    """False for text JSON allows but a tokenizer or a database refuses: NUL, lone surrogates."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _weight(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        weight = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float
        raise DataError(f"weight {value!r:.80} is not a number") from None
    if not math.isfinite(weight):
        raise DataError(f"weight {value!r:.80} is not a finite number")
    return weight

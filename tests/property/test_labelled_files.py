"""Labelled files from outside: `feedback import FILE`, `train --data FILE`, `--pairs FILE`.

Parsers covered:

- `training/data/label_files.py:read_labelled_file` (CSV, JSON lines, JSON arrays; the reader of
  `train --data`, `evaluate --data` and `feedback import`), through
  `training/data/feedback_files.py:read_feedback_file` and `bot/cli/db_commands.py:handle_import`
  into `storage/repositories/feedback.py:import_feedback`.
- `training/generator/pairs.py:load_pairs` (`--pairs`: CSV or JSONL of message,reply).

Properties: any file (bytes of any kind, rows of any shape, 5,000-digit numbers, deep nesting,
NUL, lone surrogates, huge weights) is either read into rows that hold what the rules promise
or refused with a `DataError` naming the file; `feedback import` stores every row of a file or
none (after a refused file the database is row for row what it was) and the command ends with
exit code 1 and one line, never a traceback.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import main
from storage.database import Database
from storage.errors import InvalidInput
from storage.repositories import import_feedback
from tests.property.strategies import HOSTILE_TEXT, JSON_TEXTS, JSON_VALUES, SCALARS
from tests.storage.helpers import snapshot
from training.data.csv_cells import write_csv
from training.data.feedback_files import read_feedback_file
from training.data.label_files import read_labelled_file
from training.data.types import LabelledRow
from training.errors import DataError
from training.generator.pairs import load_pairs

GOOD_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1).filter(
    str.strip
)
LABEL = st.one_of(
    st.sampled_from(["negative", "NEUTRAL", " positive ", "neg", "pos", "neu", "0", "1", "2", 2]),
    SCALARS,
)
GOOD_ROW = st.fixed_dictionaries({"text": GOOD_TEXT, "label": st.sampled_from(["neg", "pos"])})
ANY_ROW = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(HOSTILE_TEXT, JSON_VALUES),
        "label": LABEL,
        "sentiment": LABEL,
        "weight": st.one_of(SCALARS, st.sampled_from(["1e999", "nan", "-inf", "0.5", "x"])),
        "note": HOSTILE_TEXT,
    },
)
ROWS = st.lists(st.one_of(GOOD_ROW, GOOD_ROW, ANY_ROW), max_size=6)


def json_lines(rows: list[Any], extra: list[str]) -> str:
    return "\n".join([json.dumps(row) for row in rows] + extra)


def json_array(rows: list[Any]) -> str:
    return json.dumps(rows)


def csv_text(rows: list[dict[str, Any]], header: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([str(row.get(name, "")) for name in header])
    return out.getvalue()


CSV_HEADER = st.lists(st.sampled_from(["text", "label", "sentiment", "weight", "note", "x"]))
# (suffix, bytes): every shape a file can take under each name the reader knows.
FILES = st.one_of(
    st.tuples(
        st.sampled_from([".jsonl", ".ndjson", ".json"]),
        st.builds(json_lines, ROWS, st.lists(JSON_TEXTS, max_size=2)).map(
            lambda text: text.encode("utf-8", "surrogatepass")
        ),
    ),
    st.tuples(st.just(".json"), st.builds(json_array, ROWS).map(str.encode)),
    st.tuples(
        st.just(".csv"),
        st.builds(csv_text, ROWS, CSV_HEADER).map(
            lambda text: text.encode("utf-8", "surrogatepass")
        ),
    ),
    st.tuples(st.sampled_from([".csv", ".jsonl", ".json", ".txt"]), st.binary(max_size=300)),
    st.tuples(
        st.sampled_from([".jsonl", ".json"]),
        st.sampled_from(
            [
                b"[" * 5000 + b"]" * 5000,
                b'{"text": "a", "label": "neg", "weight": 1' + b"0" * 400 + b"}",
                b'{"text": "a", "label": 1' + b"0" * 5000 + b"}",
                b'[{"text": "a", "label": "neg"}, ' + b"[" * 5000 + b"]" * 5000 + b"]",
                b'{"text": "a\\ud800", "label": "neg"}',
                b'{"text": "a\\u0000", "label": "neg"}',
                b'{"text": "a", "label": "neg", "note": "\\udfff"}',
                b'{"text": "a", "label": "neg", "weight": NaN}',
            ]
        ),
    ),
)
PAIR_ROW = st.dictionaries(
    st.sampled_from(["message", "reply", "instruction", "response", "intent"]), JSON_VALUES
)
PAIR_FILES = st.one_of(
    st.tuples(
        st.sampled_from([".jsonl", ".json"]),
        st.builds(json_lines, st.lists(st.one_of(PAIR_ROW, JSON_VALUES)), st.lists(JSON_TEXTS)),
    ).map(lambda pair: (pair[0], pair[1].encode("utf-8", "surrogatepass"))),
    st.tuples(st.sampled_from([".csv", ".jsonl"]), st.binary(max_size=300)),
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


def write(workdir: Path, suffix: str, data: bytes) -> Path:
    path = workdir / f"data{suffix}"
    path.write_bytes(data)
    return path


def plain(text: str) -> bool:
    """No NUL, no lone surrogate: what the reader promises of text and notes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def assert_row(row: LabelledRow) -> None:
    assert isinstance(row.text, str) and row.text.strip() and plain(row.text)
    assert row.label in ("negative", "neutral", "positive")
    assert row.weight is None or (isinstance(row.weight, float) and math.isfinite(row.weight))
    assert row.note is None or (isinstance(row.note, str) and row.note and plain(row.note))


@given(file=FILES)
def test_a_labelled_file_is_read_into_valid_rows_or_refused_by_name(
    workdir: Path, file: tuple[str, bytes]
) -> None:
    path = write(workdir, *file)
    try:
        rows = read_labelled_file(path)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    for row in rows:
        assert_row(row)


@pytest.fixture(scope="module")
def import_db(workdir: Path) -> Iterator[Database]:
    db = Database.from_url(f"sqlite:///{workdir / 'import.db'}")
    db.upgrade()
    yield db
    db.dispose()


@given(file=FILES)
def test_an_import_stores_every_row_or_nothing(
    workdir: Path, import_db: Database, file: tuple[str, bytes]
) -> None:
    path = write(workdir, *file)
    before = snapshot(import_db)
    try:
        rows = read_feedback_file(path)
        stored = import_feedback(import_db, rows=rows, user_id="U0IMPORT")
    except (DataError, InvalidInput):
        assert snapshot(import_db) == before
        return
    assert stored == len(rows) > 0


@pytest.fixture(scope="module")
def cli_db(workdir: Path) -> Iterator[Database]:
    """A migrated SQLite file that `triagebot` (run in this process) finds through its env."""
    url = f"sqlite:///{workdir / 'cli.db'}"
    db = Database.from_url(url)
    db.upgrade()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", url)
        env.setenv("DATA_DIR", str(workdir / "var"))
        yield db
    db.dispose()


@given(file=FILES)
def test_feedback_import_refuses_a_bad_file_in_one_line_and_writes_nothing(
    workdir: Path, cli_db: Database, file: tuple[str, bytes]
) -> None:
    path = write(workdir, *file)
    before = snapshot(cli_db)
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(["--env-file", "/nonexistent", "feedback", "import", str(path)])
    if code == 0:
        assert out.getvalue().startswith("imported ")
        return
    assert code == 1
    lines = [line for line in err.getvalue().splitlines() if line.startswith("triagebot")]
    assert len(lines) == 1 and "Traceback" not in err.getvalue()
    assert snapshot(cli_db) == before


@given(file=PAIR_FILES)
def test_a_pairs_file_is_read_into_pairs_or_refused(workdir: Path, file: tuple[str, bytes]) -> None:
    path = write(workdir, *file)
    try:
        pairs = load_pairs(path)
    except DataError:
        return
    assert pairs and all(pair.message.strip() and pair.reply.strip() for pair in pairs)


@given(text=st.one_of(GOOD_TEXT, st.text(st.characters(codec="utf-8"))))
def test_an_exported_text_reads_back_as_itself(workdir: Path, text: str) -> None:
    """What `feedback export` writes (a CSV cell neutralised for spreadsheets) imports unchanged."""
    out = io.StringIO()
    write_csv(out, ("text", "label"), [{"text": text, "label": "negative"}])
    path = write(workdir, ".csv", out.getvalue().encode())
    try:
        rows = read_labelled_file(path)
    except DataError:
        assert not text.strip() or not plain(text)
        return
    assert [(row.text, row.label) for row in rows] == [(text, "negative")]

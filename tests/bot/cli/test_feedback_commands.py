"""`triagebot feedback export|import`: CSV and JSONL round trips; a bad file writes nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from storage.database import Database
from storage.orm import FeedbackRow
from storage.repositories import list_feedback, record_feedback, set_channel_settings
from storage.workspaces import ALL_WORKSPACES
from tests.bot.cli.helpers import CliRunner
from tests.storage.helpers import snapshot
from training.data.labelled import load_labelled

TYPED = [
    ("refund took 3 weeks, unacceptable", "negative", "typed in the modal"),
    ('He said "fine", then, nothing\nat all', "neutral", None),
    ("Ünïcödé works 👍", "positive", None),
]


def _seed(db: Database) -> None:
    for number, (text, label, note) in enumerate(TYPED):
        record_feedback(
            db,
            team_id=None,
            label=label,
            source="modal",
            user_id=f"U{number}",
            text=text,
            note=note,
        )
    set_channel_settings(
        db, team_id="T1", channel_id="C1", enabled=True, privacy_mode="store_text", set_by="UA"
    )
    record_feedback(
        db,
        label="negative",
        source="button",
        user_id="U1",
        team_id="T1",
        channel_id="C1",
        message_ts="1.1",
        text="stored message text",
    )
    record_feedback(
        db,
        label="neutral",
        source="button",
        user_id="U1",
        team_id="T1",
        channel_id="C2",
        message_ts="1.2",
        text="ids only: not stored",
    )


def _parse(text: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _triples(rows: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    return {(row["text"], row["label"], row["note"] or None) for row in rows}


def _clear_feedback(db: Database) -> None:
    with db.transaction() as session:
        session.execute(delete(FeedbackRow))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_then_import_round_trips(
    cli: CliRunner, db: Database, tmp_path: Path, fmt: str
) -> None:
    _seed(db)
    target = tmp_path / f"feedback.{fmt}"

    exported = cli("feedback", "export", "--format", fmt, "--output", str(target))

    assert exported.code == 0, exported.err
    rows = _parse(target.read_text(encoding="utf-8"), fmt)
    expected = {*TYPED, ("stored message text", "negative", None)}
    assert _triples(rows) == expected  # rows without text (ids only) are left out by default
    assert {row["source"] for row in rows} == {"modal", "button"}

    _clear_feedback(db)
    imported = cli("feedback", "import", str(target))

    assert imported.code == 0, imported.err
    assert imported.out.strip() == f"imported 4 labelled rows from {target}"
    assert {
        (f.text, f.label, f.note) for f in list_feedback(db, team_id=ALL_WORKSPACES)
    } == expected
    again = cli("feedback", "import", str(target))  # the same file twice: no duplicates
    assert again.code == 0 and len(list_feedback(db, team_id=ALL_WORKSPACES)) == 4


def test_export_to_stdout_and_all_rows(cli: CliRunner, db: Database) -> None:
    _seed(db)
    plain = cli("feedback", "export")  # jsonl on stdout by default
    assert plain.code == 0 and len(_parse(plain.out, "jsonl")) == 4

    everything = cli("feedback", "export", "--all", "--format", "csv")
    rows = _parse(everything.out, "csv")
    assert len(rows) == 5
    ids_only = [row for row in rows if row["channel_id"] == "C2"]
    assert [(r["text"], r["label"], r["message_ts"]) for r in ids_only] == [("", "neutral", "1.2")]


# Text any Slack user can type that a spreadsheet would run as a formula, and text that already
# starts with the quote the export adds.
FORMULAS = [
    '=HYPERLINK("https://evil.example/refund","refund")',
    "+1 555 0100, call me",
    "-2 stars, awful",
    "@SUM(A1:A9)",
    "\tcmd|' /C calc'!A0",
    "\r=1+1",
    "'=already quoted",
    "''-two quotes",
]


def test_csv_export_neutralises_formulas_typed_in_slack(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    for text in [*FORMULAS, "plain words"]:
        record_feedback(
            db, team_id=None, label="negative", source="modal", user_id="U1", text=text, note=text
        )
    target = tmp_path / "feedback.csv"

    exported = cli("feedback", "export", "--format", "csv", "--output", str(target))

    assert exported.code == 0, exported.err
    rows = _parse(target.read_bytes().decode("utf-8"), "csv")  # keeps the "\r" as written
    cells = [row[name] for row in rows for name in ("text", "note")]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert {row["text"] for row in rows} == {"'" + text for text in FORMULAS} | {"plain words"}

    # Import takes the added quote off: every text and note comes back exactly as typed.
    _clear_feedback(db)
    imported = cli("feedback", "import", str(target))

    assert imported.code == 0, imported.err
    assert {(f.text, f.note) for f in list_feedback(db, team_id=ALL_WORKSPACES)} == {
        (text, text) for text in [*FORMULAS, "plain words"]
    }


BAD_FILES = [
    ("bad.csv", "text,label\nfine,positive\nalso fine,neutral\nbroken,furious\n", "line 4"),
    ("bad.csv", "message,sentiment\nhello,positive\n", "the header lacks column(s) text"),
    ("bad.jsonl", '{"text": "ok", "label": "neutral"}\n{"text": "no label"}\n', "line 2"),
    ("bad.jsonl", '{"text": "ok", "label": "neutral"}\nnot json\n', "line 2: not JSON"),
    ("bad.jsonl", '{"text": "", "label": "neutral"}\n', "text must not be empty"),
    ("empty.csv", "text,label\n", "no rows to import"),
    ("bad.txt", "text,label\nhi,positive\n", "cannot tell the format"),
]


@pytest.mark.parametrize(("name", "content", "why"), BAD_FILES)
def test_a_bad_import_file_gives_one_line_and_writes_nothing(
    cli: CliRunner, db: Database, tmp_path: Path, name: str, content: str, why: str
) -> None:
    _seed(db)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    before = snapshot(db)

    result = cli("feedback", "import", str(path))

    assert result.code == 1
    assert len(result.error_lines) == 1, result.err
    assert result.error_lines[0].startswith("triagebot feedback: ")
    assert why in result.error_lines[0]
    assert snapshot(db) == before


def test_importing_a_missing_file_is_one_line(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("feedback", "import", str(tmp_path / "nope.csv"))
    assert result.code == 1
    assert result.error_lines == [f"triagebot feedback: {tmp_path / 'nope.csv'}: no such file"]


def test_a_file_train_accepts_imports_too(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    """One reader for both: `train --data` and `feedback import` accept the same files."""
    tweets = tmp_path / "tweets.csv"  # Mac Roman, `sentiment` column, aliases and numbers
    tweets.write_bytes(
        "text,sentiment,weight\ncafé was cold,NEG,2\nopen till 9?,1,\nlove the app,pos,\n".encode(
            "mac_roman"
        )
    )
    array = tmp_path / "rows.json"  # a JSON array with numeric labels
    array.write_text(
        json.dumps(
            [
                {"text": "refund please", "label": 0},
                {"text": "ok", "label": 1},
                {"text": "great", "label": 2},
            ]
        )
    )
    for path in (tweets, array):
        data = load_labelled(path, val_size=1 / 3, test_size=1 / 3)  # what `train --data` reads
        assert sum(len(split) for split in data.values()) == 3

        _clear_feedback(db)
        imported = cli("feedback", "import", str(path))

        assert imported.code == 0, imported.err
        assert imported.out.strip() == f"imported 3 labelled rows from {path}"
    assert {(f.text, f.label) for f in list_feedback(db, team_id=ALL_WORKSPACES)} == {
        ("refund please", "negative"),
        ("ok", "neutral"),
        ("great", "positive"),
    }

"""The one `text,label` file reader: formats, encodings, columns, label aliases, bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.data.label_files import map_label, read_labelled_file
from training.data.types import LabelledRow
from training.errors import DataError


def test_csv_with_bom_sentiment_column_aliases_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(
        "\ufefftext,sentiment,channel\n"
        'where is my order,NEU,C1\n"broken, again",neg,C2\nlove it,2,C3\n',
        encoding="utf-8",
    )
    assert read_labelled_file(path) == [
        LabelledRow("where is my order", "neutral"),
        LabelledRow("broken, again", "negative"),
        LabelledRow("love it", "positive"),
    ]


def test_weight_and_note_columns(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("text,label,weight,note\nslow,negative,2.5,typed\nfine,neutral,,\n")
    assert read_labelled_file(path) == [
        LabelledRow("slow", "negative", 2.5, "typed"),
        LabelledRow("fine", "neutral", None, None),
    ]


def test_mac_roman_fallback(tmp_path: Path) -> None:
    path = tmp_path / "tweets.csv"
    path.write_bytes("text,label\ncafé,positive\n".encode("mac_roman"))
    assert read_labelled_file(path) == [LabelledRow("café", "positive")]


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.ndjson", "rows.json"])
def test_json_lines(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"text": "ok", "label": 1}\n\n{"text": "bad", "label": "Negative"}\n')
    assert [(r.text, r.label) for r in read_labelled_file(path)] == [
        ("ok", "neutral"),
        ("bad", "negative"),
    ]


def test_a_json_array(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"text": "ok", "label": "pos"}, {"text": "no", "label": "neg"}]))
    assert [r.label for r in read_labelled_file(path)] == ["positive", "negative"]


def test_an_explicit_format_overrides_the_name(tmp_path: Path) -> None:
    path = tmp_path / "rows.txt"
    path.write_text("text,label\nhi,positive\n")
    with pytest.raises(DataError, match="cannot tell the format"):
        read_labelled_file(path)
    assert read_labelled_file(path, fmt="csv") == [LabelledRow("hi", "positive")]


def test_a_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("text,label\n")
    assert read_labelled_file(path) == []


BAD = [
    (
        "a.csv",
        "text,label\nfine,positive\nbroken,furious\n",
        "a.csv line 3: unknown label 'furious'",
    ),
    ("a.csv", "message,score\nhi,1\n", "a.csv line 1: the header lacks column(s) label, text"),
    ("a.csv", "text,label\n  ,positive\n", "a.csv line 2: text must not be empty"),
    ("a.csv", "text,label\nhi,\n", "a.csv line 2: label is missing"),
    (
        "a.csv",
        "text,label,weight\nhi,neutral,heavy\n",
        "a.csv line 2: weight 'heavy' is not a number",
    ),
    (
        "a.jsonl",
        '{"text": "ok", "label": "neutral"}\n{"text": 3, "label": "neutral"}\n',
        "a.jsonl line 2: text must be a string",
    ),
    ("a.jsonl", '{"text": "ok", "label": "neutral"}\nnot json\n', "a.jsonl line 2: not JSON"),
    ("a.jsonl", '["text", "label"]\n', "a.jsonl item 1: expected an object"),
]


@pytest.mark.parametrize(("name", "content", "why"), BAD)
def test_a_bad_file_names_the_file_and_line(
    tmp_path: Path, name: str, content: str, why: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError) as raised:
        read_labelled_file(path)
    assert why in str(raised.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_labelled_file(tmp_path / "nope.csv")


def test_map_label() -> None:
    assert [map_label(v) for v in ("POS", " neu ", 0, "2", "angry", None, float("nan"))] == [
        "positive",
        "neutral",
        "negative",
        "positive",
        None,
        None,
        None,
    ]

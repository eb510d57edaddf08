"""`triagebot models list|promote|rollback`: JSON listing, activation, one-line errors."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from storage.database import Database
from storage.repositories import (
    activate_model_version,
    get_active_model_version,
    register_model_version,
    set_model_status,
)
from tests.bot.cli.helpers import CliRunner
from training.drift.retrain_curve import RECIPES

METRICS = {"base": {"macro_f1": 0.71, "n": 150}, "feedback": {"macro_f1": 0.64, "n": 12}}


def _register(db: Database, tmp_path: Path, *versions: str, kind: str = "classifier") -> None:
    for version in versions:
        path = tmp_path / "models" / version
        path.mkdir(parents=True)
        register_model_version(
            db,
            kind=kind,
            version=version,
            path=str(path),
            metrics=METRICS,
            data_snapshot={"feedback_train": 40},
        )


def _active(db: Database, kind: str = "classifier") -> str | None:
    found = get_active_model_version(db, kind=kind)
    return None if found is None else found.version


def test_list_json_is_an_array_of_versions(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    _register(db, tmp_path, "clf-a", "clf-b", "clf-c")
    _register(db, tmp_path, "gen-a", kind="generator")
    activate_model_version(db, kind="classifier", version="clf-a")
    activate_model_version(db, kind="classifier", version="clf-b")
    set_model_status(db, version="clf-c", status="rejected")

    result = cli("models", "list", "--json")

    assert result.code == 0, result.err
    listed = json.loads(result.out)
    assert isinstance(listed, list) and len(listed) == 4
    for item in listed:
        assert {"version", "kind", "status", "created_at", "metrics"} <= set(item)
        assert datetime.fromisoformat(item["created_at"]).tzinfo is not None
    by_version = {item["version"]: item for item in listed}
    assert {v: (i["kind"], i["status"]) for v, i in by_version.items()} == {
        "clf-a": ("classifier", "retired"),
        "clf-b": ("classifier", "active"),
        "clf-c": ("classifier", "rejected"),
        "gen-a": ("generator", "candidate"),
    }
    assert by_version["clf-b"]["metrics"] == METRICS
    created = [datetime.fromisoformat(item["created_at"]) for item in listed]
    assert created == sorted(created, reverse=True)  # newest first

    only = json.loads(cli("models", "list", "--json", "--kind", "generator").out)
    assert [item["version"] for item in only] == ["gen-a"]


def test_list_json_with_no_versions_is_an_empty_array(cli: CliRunner) -> None:
    result = cli("models", "list", "--json")
    assert result.code == 0 and json.loads(result.out) == []


def test_list_as_a_table(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    _register(db, tmp_path, "clf-a")
    result = cli("models", "list")
    assert result.code == 0
    header, row = result.out.strip().splitlines()
    assert header.split()[:4] == ["version", "kind", "status", "created"]
    assert row.split()[:3] == ["clf-a", "classifier", "candidate"] and "0.7100" in row


def test_promote_and_rollback(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    _register(db, tmp_path, "clf-a", "clf-b")

    first = cli("models", "promote", "clf-a")
    assert first.code == 0, first.err
    assert first.out.startswith("classifier clf-a is active")
    assert cli("models", "promote", "clf-b").code == 0
    assert _active(db) == "clf-b"

    back = cli("models", "rollback")
    assert back.code == 0, back.err
    assert back.out.strip() == "rolled back: classifier clf-a is active again"
    assert _active(db) == "clf-a"


def test_promote_an_unknown_version_is_one_line(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    _register(db, tmp_path, "clf-a")
    activate_model_version(db, kind="classifier", version="clf-a")

    result = cli("models", "promote", "clf-nope")

    assert result.code != 0
    assert result.error_lines == ["triagebot models: model version 'clf-nope' is not registered"]
    assert result.out == "" and _active(db) == "clf-a"


def test_promote_a_version_whose_files_are_gone(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    register_model_version(db, kind="classifier", version="clf-gone", path=str(tmp_path / "gone"))
    result = cli("models", "promote", "clf-gone")
    assert result.code == 1
    assert result.error_lines == [
        f"triagebot models: clf-gone: its files at {tmp_path / 'gone'} are gone"
    ]
    assert _active(db) is None


def test_rollback_without_an_earlier_version_is_one_line(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    assert cli("models", "rollback").error_lines == [
        "triagebot models: no classifier version is active"
    ]
    _register(db, tmp_path, "clf-a")
    activate_model_version(db, kind="classifier", version="clf-a")
    result = cli("models", "rollback")
    assert result.code == 1
    assert result.error_lines == ["triagebot models: no earlier classifier version to roll back to"]
    assert _active(db) == "clf-a"


def test_learning_curve_refuses_bad_sizes_and_a_missing_model_in_one_line(cli: CliRunner) -> None:
    assert cli("learning-curve", "--sizes", "25,lots").error_lines == [
        "triagebot learning-curve: --sizes must be numbers joined with commas: '25,lots'"
    ]
    assert cli("learning-curve", "--seeds", "0").code == 1
    assert cli("learning-curve", "--retrain", "default,fastest").error_lines == [
        "triagebot learning-curve: unknown retrain recipe 'fastest': use one of default, wave1, "
        f"epochs3-last, {', '.join(list(RECIPES)[2:])}"
    ]
    no_model = cli("learning-curve")
    assert no_model.code == 1
    assert no_model.error_lines == [
        "triagebot learning-curve: no active classifier: run `triagebot train` or pass --model DIR"
    ]

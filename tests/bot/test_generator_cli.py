"""`triagebot draft`, `train generator` and `evaluate drafts` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from models.types import LABELS


@pytest.fixture
def cli_env(monkeypatch, tmp_path, tiny_lm_dir):
    """A fresh data directory (no database tables, no classifier) and the tiny LM as generator."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GENERATOR_PATH", str(tiny_lm_dir))
    monkeypatch.setenv("GENERATOR_PRECISION", "fp32")
    monkeypatch.delenv("CLASSIFIER_PATH", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def run(argv, capsys):
    code = main(["--env-file", "/nonexistent", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_draft_json(cli_env, capsys) -> None:
    code, out, _ = run(["draft", "I was charged twice and nobody answers!", "--json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"reply", "model", "sentiment", "latency_ms"}
    assert payload["reply"].strip() and payload["model"] == "tiny-lm:fp32"
    assert payload["sentiment"] == "negative"  # no classifier here: the keyword guess
    assert payload["latency_ms"] > 0


def test_draft_plain_prints_only_the_reply(cli_env, capsys) -> None:
    code, out, _ = run(["draft", "Gracias, todo perfecto 🙂"], capsys)
    assert code == 0 and out.strip()
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_draft_uses_the_classifier_when_one_is_set(
    cli_env, monkeypatch, tiny_classifier_dir, capsys
) -> None:
    monkeypatch.setenv("CLASSIFIER_PATH", str(tiny_classifier_dir))
    monkeypatch.setenv("CLASSIFIER_PRECISION", "fp32")
    code, out, _ = run(["draft", "thanks, great service", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["sentiment"] in LABELS


def test_train_then_evaluate(cli_env, tiny_pairs_csv, capsys) -> None:
    model_dir = cli_env / "gen"
    code, out, _ = run(
        [
            "train",
            "generator",
            "--pairs",
            str(tiny_pairs_csv),
            "--arch",
            "lstm",
            "--epochs",
            "2",
            "--batch-size",
            "8",
            "--d-model",
            "32",
            "--layers",
            "1",
            "--vocab-size",
            "200",
            "--max-tgt-tokens",
            "24",
            "--output-dir",
            str(model_dir),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0 and "validation loss" in out
    assert (model_dir / "loss.png").is_file() and (model_dir / "seq2seq_config.json").is_file()
    report = cli_env / "report.json"
    code, out, _ = run(
        [
            "evaluate",
            "drafts",
            "--pairs",
            str(tiny_pairs_csv),
            "--generators",
            "lm",
            "lm+retrieval",
            str(model_dir),
            "--embedder",
            "hashing",
            "--limit",
            "3",
            "--max-new-tokens",
            "8",
            "--samples",
            "1",
            "--json",
            str(report),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0
    assert "| lm+retrieval |" in out and "| gen |" in out and "BLEU" in out
    assert out.count("**Customer:**") == 1
    payload = json.loads(report.read_text())
    assert payload["test_pairs"] == 3 and payload["sentiment"] == "keywords"
    assert [g["name"] for g in payload["generators"]] == ["lm", "lm+retrieval", "gen"]
    assert all(
        set(g["scores"]) == {"bleu", "rouge1", "rouge2", "rougeL"} for g in payload["generators"]
    )


def tiny_train_args(pairs: Path) -> list[str]:
    """`train generator` on the tiny pairs with a model small enough for a test."""
    tiny = ["--epochs", "1", "--d-model", "16", "--layers", "1", "--vocab-size", "150", "--quiet"]
    return ["train", "generator", "--pairs", str(pairs), *tiny]


def test_train_generator_defaults_to_a_dir_under_data_dir(cli_env, tiny_pairs_csv, capsys) -> None:
    code, _, _ = run(
        tiny_train_args(tiny_pairs_csv),
        capsys,
    )
    assert code == 0
    made = list((cli_env / "data" / "models").glob("gen-transformer-*"))
    assert len(made) == 1 and (made[0] / "model.safetensors").is_file()


@pytest.mark.parametrize("command", [["evaluate", "drafts"], ["train", "generator"]])
@pytest.mark.parametrize("problem", ["missing", "columns"])
def test_bad_pairs_file_is_one_line(cli_env, capsys, command, problem) -> None:
    path = cli_env / "pairs.csv"
    if problem == "columns":
        path.write_text("text,label\nhello,positive\n")
    code, out, err = run([*command, "--pairs", str(path)], capsys)
    assert code == 1 and not out
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert ("does not exist" if problem == "missing" else "need a message column") in err


def test_unknown_generator_is_one_line(cli_env, tiny_pairs_csv, capsys) -> None:
    code, _, err = run(
        ["evaluate", "drafts", "--pairs", str(tiny_pairs_csv), "--generators", "nope"], capsys
    )
    assert code == 1 and "neither lm" in err and "Traceback" not in err


def test_generator_path_that_is_not_a_model(cli_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GENERATOR_PATH", str(cli_env))
    code, _, err = run(["draft", "hello"], capsys)
    assert code == 1 and "cannot load the generator" in err and "Traceback" not in err


def test_train_generator_with_the_teams_approved_replies(cli_env, tiny_pairs_csv, capsys) -> None:
    from storage.database import Database
    from storage.repositories import record_approved_reply, set_channel_settings

    db = Database.from_url(f"sqlite:///{cli_env / 'data' / 'triagebot.db'}")
    db.upgrade()
    set_channel_settings(
        db, team_id="T1", channel_id="C1", enabled=True, privacy_mode="store_text", set_by="U1"
    )
    record_approved_reply(
        db,
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        message_text="my parcel is late",
        reply_text="Sorry! It ships with tracking today.",
    )
    counts = {}
    for extra in ([], ["--with-approved"]):
        out_dir = cli_env / f"gen{len(extra)}"
        code, _, _ = run(
            [
                *tiny_train_args(tiny_pairs_csv),
                "--output-dir",
                str(out_dir),
                *extra,
            ],
            capsys,
        )
        assert code == 0
        counts[len(extra)] = json.loads((out_dir / "metrics.json").read_text())["train_pairs"]
    assert counts[1] == counts[0] + 3  # the one approved pair, three times

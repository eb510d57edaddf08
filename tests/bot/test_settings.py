"""Settings: typed, validated at start, every variable documented in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _aliases() -> set[str]:
    settings = load_settings(None)
    names: set[str] = set()
    for layer in (
        settings.models,
        settings.storage,
        settings.training,
        settings.slack,
        settings.server,
    ):
        for field in type(layer).model_fields.values():
            assert field.alias, f"{type(layer).__name__} field without an env alias"
            names.add(field.alias)
    return names


def test_env_example_documents_every_variable() -> None:
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    missing = _aliases() - documented
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_readme_configuration_reference_names_every_variable() -> None:
    listed = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(), re.M))
    assert _aliases() <= listed, f"README's configuration tables lack {sorted(_aliases() - listed)}"


def test_secrets_are_hidden_in_repr() -> None:
    settings = load_settings(None, slack={"SLACK_BOT_TOKEN": "xoxb-very-secret"})
    assert "very-secret" not in repr(settings.slack)
    assert settings.slack.bot_token is not None
    assert settings.slack.bot_token.get_secret_value() == "xoxb-very-secret"


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_ALERT_THRESHOLD", "2.5")
    with pytest.raises(SettingsError, match="TRIAGE_ALERT_THRESHOLD"):
        load_settings(None)


def test_default_storage_is_an_embedded_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None, storage={"DATA_DIR": tmp_path})
    assert settings.storage.url == f"sqlite:///{(tmp_path / 'triagebot.db').as_posix()}"


def test_lists_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_ADMIN_USER_IDS", "U1, U2,,")
    assert load_settings(None).slack.admin_ids == frozenset({"U1", "U2"})


def test_dotenv_file_is_read_once_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TRAIN_SEED=7\nDRAFT_TONE=calm\nTRIAGE_ALERT_THRESHOLD=0.9\n")
    monkeypatch.setenv("TRAIN_SEED", "21")
    settings = load_settings(env_file)
    assert settings.training.seed == 21
    assert settings.models.draft_tone == "calm"
    assert settings.slack.alert_threshold == 0.9


def test_one_data_dir_for_every_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "from-env"))
    settings = load_settings(None)
    assert settings.models.data_dir == settings.storage.data_dir == tmp_path / "from-env"
    overridden = load_settings(None, storage={"DATA_DIR": tmp_path / "x"})
    assert overridden.models.data_dir == overridden.storage.data_dir == tmp_path / "x"

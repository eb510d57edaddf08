"""Settings of the bot layer and the one place that loads all settings.

`load_settings()` reads the environment and `.env` once, at start-up, and turns validation
errors into a `SettingsError` whose message names the variable at fault.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from limits import parse_many
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.settings import ModelSettings
from storage.settings import StorageSettings
from training.settings import CoreSettings, TrainingSettings

logger = logging.getLogger(__name__)


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


class SlackSettings(BaseSettings):
    """Slack credentials, endpoints and triage behaviour."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    api_base_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_BASE_URL")
    sentiment_command: str = Field(default="/sentiment", alias="SLACK_SENTIMENT_COMMAND")
    draft_command: str = Field(default="/draft", alias="SLACK_DRAFT_COMMAND")
    triage_command: str = Field(default="/triage", alias="SLACK_TRIAGE_COMMAND")
    admin_user_ids: str = Field(default="", alias="TRIAGE_ADMIN_USER_IDS")
    operator_user_ids: str = Field(default="", alias="TRIAGE_OPERATOR_USER_IDS")
    auto_channels: str = Field(default="", alias="TRIAGE_AUTO_CHANNELS")
    escalation_channel: str = Field(default="", alias="TRIAGE_ESCALATION_CHANNEL")
    alert_threshold: float = Field(default=0.7, ge=0, le=1, alias="TRIAGE_ALERT_THRESHOLD")
    emoji_negative: str = Field(default="rage", alias="TRIAGE_EMOJI_NEGATIVE")
    emoji_neutral: str = Field(default="speech_balloon", alias="TRIAGE_EMOJI_NEUTRAL")
    emoji_positive: str = Field(default="tada", alias="TRIAGE_EMOJI_POSITIVE")
    listener_threads: int = Field(default=8, ge=1, le=64, alias="SLACK_LISTENER_THREADS")
    drafts_enabled: bool = Field(default=True, alias="TRIAGE_DRAFTS_ENABLED")
    case_summary_cron: str = Field(default="0 9 * * *", alias="CASE_SUMMARY_CRON")
    case_followup_seconds: int = Field(default=60, ge=5, le=3_600, alias="CASE_FOLLOWUP_SECONDS")

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(x.strip() for x in self.admin_user_ids.split(",") if x.strip())

    @property
    def admin_targets(self) -> list[str]:
        """Where admin notices go: a DM to each of `TRIAGE_ADMIN_USER_IDS`, else the escalation
        channel (none when neither is set)."""
        if self.admin_ids:
            return sorted(self.admin_ids)
        return [self.escalation_channel] if self.escalation_channel else []

    @property
    def operator_ids(self) -> frozenset[str]:
        return frozenset(x.strip() for x in self.operator_user_ids.split(",") if x.strip())

    @property
    def multi_workspace(self) -> bool:
        """Installed through OAuth (client id and secret set): many workspaces share the
        instance and its models."""
        return bool(self.client_id and self.client_secret)

    @property
    def auto_channel_ids(self) -> frozenset[str]:
        return frozenset(x.strip() for x in self.auto_channels.split(",") if x.strip())

    @property
    def emoji(self) -> dict[str, str]:
        return {
            "negative": self.emoji_negative,
            "neutral": self.emoji_neutral,
            "positive": self.emoji_positive,
        }


class ServerSettings(BaseSettings):
    """The HTTP server and the dashboard."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", alias="HOST")
    port: int = Field(default=3000, ge=0, le=65535, alias="PORT")
    workers: int = Field(default=1, ge=1, le=64, alias="WEB_WORKERS")
    threads: int = Field(default=8, ge=1, le=256, alias="WEB_THREADS")
    dashboard_password: SecretStr | None = Field(default=None, alias="DASHBOARD_PASSWORD")
    dashboard_open_on_loopback: bool = Field(default=False, alias="DASHBOARD_OPEN_ON_LOOPBACK")
    session_secret: SecretStr | None = Field(default=None, alias="SESSION_SECRET")
    session_hours: float = Field(default=12.0, gt=0, le=720, alias="DASHBOARD_SESSION_HOURS")
    max_auth_failures: int = Field(default=10, ge=1, le=10_000, alias="DASHBOARD_MAX_FAILURES")
    auth_failure_window_seconds: int = Field(
        default=600, ge=1, le=86_400, alias="DASHBOARD_FAILURE_WINDOW_SECONDS"
    )
    api_rate_limit: str = Field(default="120 per minute", alias="API_RATE_LIMIT")
    rate_limit_storage_url: str = Field(default="memory://", alias="RATE_LIMIT_STORAGE_URL")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    @field_validator("api_rate_limit")
    @classmethod
    def _parses_as_rate_limit(cls, value: str) -> str:
        """Refuse at start what Flask-Limiter would refuse on the first request."""
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit like '120 per minute': {exc}") from exc
        return value


class JobSettings(BaseSettings):
    """Where jobs run (`inline` threads or `celery` workers), their bounds and the Slack outbox."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    executor: Literal["inline", "celery"] = Field(default="inline", alias="TRIAGE_EXECUTOR")
    broker_url: str = Field(default="redis://127.0.0.1:6379/0", alias="TRIAGE_BROKER_URL")
    visibility_timeout: int = Field(
        default=300, ge=5, le=86_400, alias="TRIAGE_BROKER_VISIBILITY_TIMEOUT"
    )
    queue_namespace: str = Field(default="", alias="TRIAGE_QUEUE_NAMESPACE")
    queue_size: int = Field(default=2_000, ge=1, le=1_000_000, alias="TRIAGE_QUEUE_SIZE")
    triage_threads: int = Field(default=32, ge=1, le=256, alias="TRIAGE_TRIAGE_THREADS")
    draft_threads: int = Field(default=1, ge=1, le=16, alias="TRIAGE_DRAFT_THREADS")
    batch_size: int = Field(default=32, ge=1, le=512, alias="TRIAGE_BATCH_SIZE")
    batch_wait_ms: float = Field(default=5.0, ge=0, le=1_000, alias="TRIAGE_BATCH_WAIT_MS")
    digest_after: int = Field(default=3, ge=0, le=1_000, alias="TRIAGE_DIGEST_AFTER")
    digest_window_seconds: float = Field(
        default=60.0, ge=0, le=86_400, alias="TRIAGE_DIGEST_WINDOW_SECONDS"
    )
    outbox_expiry_seconds: float = Field(
        default=3_600.0, ge=60, le=604_800, alias="TRIAGE_OUTBOX_EXPIRY_SECONDS"
    )
    outbox_sweep_seconds: float = Field(
        default=30.0, ge=0.1, le=3_600, alias="TRIAGE_OUTBOX_SWEEP_SECONDS"
    )
    outbox_threads: int = Field(default=4, ge=1, le=64, alias="TRIAGE_OUTBOX_THREADS")


@dataclass(frozen=True)
class Settings(CoreSettings):
    """All settings, one object per layer: the core layers' plus Slack, the server and jobs."""

    slack: SlackSettings
    server: ServerSettings
    jobs: JobSettings = field(default_factory=JobSettings)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        name = ".".join(str(x) for x in item.get("loc", ())) or "?"
        parts.append(f"{name}: {item.get('msg')} (got {item.get('input')!r})")
    return "; ".join(parts)


def _environment(env_file: Path | str | None) -> dict[str, str]:
    """The dotenv file's values under the process environment, which wins (pydantic's order)."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return {key.upper(): value for key, value in values.items()}


def _aliases(cls: type[BaseSettings]) -> set[str]:
    return {field.alias for field in cls.model_fields.values() if field.alias}


def load_settings(env_file: Path | str | None = ".env", **overrides: Any) -> Settings:
    """Read every layer's settings from the environment (and `env_file`), once.

    The layer classes read no file themselves: this is the one place that reads `.env`, and
    `DATA_DIR` is resolved here once and handed to the layers that keep files under it.

    Args:
        env_file: dotenv file to read, or None for the environment only.
        overrides: per-layer overrides, e.g. `storage={"DATABASE_URL": "sqlite://"}` (tests).

    Raises:
        SettingsError: naming the variable that is missing or invalid.
    """
    classes: dict[str, type[BaseSettings]] = {
        "models": ModelSettings,
        "storage": StorageSettings,
        "training": TrainingSettings,
        "slack": SlackSettings,
        "server": ServerSettings,
        "jobs": JobSettings,
    }
    environment = _environment(env_file)
    for layer_overrides in overrides.values():
        if "DATA_DIR" in layer_overrides:
            environment["DATA_DIR"] = str(layer_overrides["DATA_DIR"])
    built: dict[str, Any] = {}
    for layer, cls in classes.items():
        aliases = _aliases(cls)
        values = {k: v for k, v in environment.items() if k in aliases}
        values.update(overrides.get(layer, {}))
        try:
            # Validated from the one merged mapping: the class reads no source of its own here.
            built[layer] = cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError(f"invalid setting {_describe(exc)}") from exc
    return Settings(**built)

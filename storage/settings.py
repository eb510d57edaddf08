"""Settings of the storage layer: which database and how long message text is kept."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseSettings):
    """Database location and retention.

    `DATABASE_URL` empty means an embedded SQLite file under `DATA_DIR`.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("var"), alias="DATA_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    retention_days: int = Field(default=90, ge=1, le=3650, alias="TEXT_RETENTION_DAYS")
    database_echo: bool = Field(default=False, alias="DATABASE_ECHO")
    busy_timeout_ms: int = Field(default=15_000, ge=0, le=600_000, alias="SQLITE_BUSY_TIMEOUT_MS")

    @property
    def url(self) -> str:
        """The SQLAlchemy URL actually used."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'triagebot.db').as_posix()}"

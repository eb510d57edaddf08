"""Model versions and the training runs that produce them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.orm.base import Base
from storage.validation import ID_LEN, LOG_LEN, NAME_LEN, NOTE_LEN, PATH_LEN

logger = logging.getLogger(__name__)


class ModelVersion(Base):
    """A trained model artifact; at most one `active` row per kind (partial unique index)."""

    __tablename__ = "model_versions"
    __table_args__ = (
        Index(
            "uq_model_versions_one_active",
            "kind",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    version: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    path: Mapped[str] = mapped_column(String(PATH_LEN))
    parent_version: Mapped[str | None] = mapped_column(
        String(NAME_LEN), ForeignKey("model_versions.version")
    )
    status: Mapped[str] = mapped_column(String(16))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrainingRun(Base):
    """One retraining attempt; `outcome` is None while it runs."""

    __tablename__ = "training_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trigger: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str | None] = mapped_column(String(ID_LEN))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(NOTE_LEN), default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    candidate_version: Mapped[str | None] = mapped_column(String(NAME_LEN))
    log_excerpt: Mapped[str] = mapped_column(String(LOG_LEN), default="")

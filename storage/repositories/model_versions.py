"""Model versions: register, activate (one active per kind), roll back, list."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage import validation as check
from storage.columns import utcnow
from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.orm import ModelVersion
from storage.records import ModelVersionRecord

logger = logging.getLogger(__name__)

_ACTIVATE_ATTEMPTS = 3  # a concurrent activation of the same kind loses on the unique index


def _record(row: ModelVersion) -> ModelVersionRecord:
    return ModelVersionRecord(
        version=row.version,
        kind=row.kind,
        path=row.path,
        parent_version=row.parent_version,
        status=row.status,
        metrics=dict(row.metrics),
        data_snapshot=dict(row.data_snapshot),
        created_at=row.created_at,
        activated_at=row.activated_at,
        retired_at=row.retired_at,
    )


def _require(session: Session, version: str) -> ModelVersion:
    row = session.get(ModelVersion, version)
    if row is None:
        raise NotFound(f"model version {version!r} is not registered")
    return row


def register_model_version(
    db: Database,
    *,
    kind: str,
    version: str,
    path: str,
    parent_version: str | None = None,
    data_snapshot: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    status: str = "candidate",
) -> ModelVersionRecord:
    """Register a trained artifact. `status="active"` also activates it (retiring the old one).

    Raises:
        InvalidInput: bad kind/status, over-long fields, or the version already exists.
        NotFound: `parent_version` is not registered.
    """
    check.choice("kind", kind, check.KINDS)
    check.text_field("version", version, max_len=check.NAME_LEN)
    check.text_field("path", path, max_len=check.PATH_LEN)
    check.choice("status", status, check.MODEL_STATUSES)
    snapshot = check.json_object("data_snapshot", data_snapshot)
    metric_values = check.json_object("metrics", metrics)
    with db.transaction() as session:
        if session.get(ModelVersion, version) is not None:
            raise InvalidInput(f"model version {version!r} is already registered")
        if parent_version is not None:
            _require(session, parent_version)
        row = ModelVersion(
            version=version,
            kind=kind,
            path=path,
            parent_version=parent_version,
            status="candidate" if status == "active" else status,
            metrics=metric_values,
            data_snapshot=snapshot,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        if status == "active":
            _activate(session, row)
        return _record(row)


def _lock_kind(session: Session, kind: str) -> None:
    """Serialise activations of one kind until commit.

    PostgreSQL: a transaction-scoped advisory lock (one lock, so no deadlocks); SQLite's
    BEGIN IMMEDIATE already lets one writer in at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"model_versions:{kind}"}
        )


def _activate(session: Session, row: ModelVersion) -> None:
    """Retire the kind's active version (if another), then activate `row`; flushes in order."""
    _lock_kind(session, row.kind)
    session.refresh(row)  # the status may have changed while we waited for the lock
    if row.status == "active":
        return
    now = utcnow()
    current = session.scalars(
        select(ModelVersion).where(ModelVersion.kind == row.kind, ModelVersion.status == "active")
    ).one_or_none()
    if current is not None:
        current.status = "retired"
        current.retired_at = now
        session.flush()  # the index allows one active row: retire before activating
    row.status = "active"
    row.activated_at = now
    row.retired_at = None
    session.flush()


def activate_model_version(db: Database, *, kind: str, version: str) -> ModelVersionRecord:
    """Make `version` the active one of `kind`, retiring the current active version.

    Raises:
        NotFound: the version is not registered.
        InvalidInput: the version is of another kind.
    """
    check.choice("kind", kind, check.KINDS)
    for attempt in range(1, _ACTIVATE_ATTEMPTS + 1):
        try:
            with db.transaction() as session:
                row = _require(session, version)
                if row.kind != kind:
                    raise InvalidInput(f"model version {version!r} is a {row.kind}, not a {kind}")
                _activate(session, row)
                logger.info("activated %s %s", kind, version)
                return _record(row)
        except InvalidInput as exc:
            if "conflicts with stored data" not in str(exc) or attempt == _ACTIVATE_ATTEMPTS:
                raise
            logger.info("concurrent activation of %s, retrying", kind)
    raise AssertionError("unreachable")  # pragma: no cover


def get_active_model_version(db: Database, *, kind: str) -> ModelVersionRecord | None:
    """The active version of `kind`, or None when none is active."""
    check.choice("kind", kind, check.KINDS)
    with db.session() as session:
        row = session.scalars(
            select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "active")
        ).one_or_none()
        return None if row is None else _record(row)


def get_model_version(db: Database, *, version: str) -> ModelVersionRecord:
    """One version. Raises `NotFound` when it is not registered."""
    with db.session() as session:
        return _record(_require(session, version))


def list_model_versions(db: Database, *, kind: str | None = None) -> list[ModelVersionRecord]:
    """Every version (of `kind`), newest first."""
    query = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.version)
    if kind is not None:
        check.choice("kind", kind, check.KINDS)
        query = query.where(ModelVersion.kind == kind)
    with db.session() as session:
        return [_record(row) for row in session.scalars(query)]


def set_model_status(db: Database, *, version: str, status: str) -> ModelVersionRecord:
    """Set a version's status; "active" goes through `activate_model_version`."""
    check.choice("status", status, check.MODEL_STATUSES)
    if status == "active":
        return activate_model_version(
            db, kind=get_model_version(db, version=version).kind, version=version
        )
    with db.transaction() as session:
        row = _require(session, version)
        if row.status == "active":
            row.retired_at = utcnow()
        row.status = status
        session.flush()
        return _record(row)


def rollback_model(db: Database, *, kind: str) -> ModelVersionRecord:
    """Reactivate the most recently active earlier version; the current one becomes rejected.

    Raises:
        NotFound: no version of `kind` is active, or none was active before it.
    """
    check.choice("kind", kind, check.KINDS)
    with db.transaction() as session:
        _lock_kind(session, kind)
        current = session.scalars(
            select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "active")
        ).one_or_none()
        if current is None:
            raise NotFound(f"no {kind} version is active")
        previous = session.scalars(
            select(ModelVersion)
            .where(
                ModelVersion.kind == kind,
                ModelVersion.status == "retired",
                ModelVersion.activated_at.is_not(None),
            )
            .order_by(ModelVersion.activated_at.desc())
            .limit(1)
        ).one_or_none()
        if previous is None:
            raise NotFound(f"no earlier {kind} version to roll back to")
        current.status = "rejected"
        current.retired_at = utcnow()
        session.flush()
        _activate(session, previous)
        logger.info("rolled back %s from %s to %s", kind, current.version, previous.version)
        return _record(previous)

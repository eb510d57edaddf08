"""Model versions: one active per kind (enforced by the database), activation, rollback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.database import Database
from storage.errors import InvalidInput, NotFound
from storage.repositories import (
    activate_model_version,
    get_active_model_version,
    get_model_version,
    list_model_versions,
    register_model_version,
    rollback_model,
    set_model_status,
)


def _register(db: Database, *versions: str, kind: str = "classifier") -> None:
    for version in versions:
        register_model_version(
            db,
            kind=kind,
            version=version,
            path=f"/m/{version}",
            metrics={"macro_f1": 0.5},
            data_snapshot={"rows": 10},
        )


def test_register_and_activate(db: Database) -> None:
    _register(db, "a", "b")
    assert get_active_model_version(db, kind="classifier") is None
    active = activate_model_version(db, kind="classifier", version="a")
    assert active.status == "active" and active.activated_at is not None
    activate_model_version(db, kind="classifier", version="b")
    assert get_model_version(db, version="a").status == "retired"
    current = get_active_model_version(db, kind="classifier")
    assert current is not None and current.version == "b"
    assert current.metrics == {"macro_f1": 0.5} and current.data_snapshot == {"rows": 10}


def test_one_active_per_kind_not_across_kinds(db: Database) -> None:
    _register(db, "c1")
    _register(db, "g1", kind="generator")
    activate_model_version(db, kind="classifier", version="c1")
    activate_model_version(db, kind="generator", version="g1")
    statuses = {m.version: m.status for m in list_model_versions(db)}
    assert statuses == {"c1": "active", "g1": "active"}
    assert [m.version for m in list_model_versions(db, kind="generator")] == ["g1"]


def test_concurrent_activations_leave_exactly_one_active(db: Database) -> None:
    versions = [f"v{i}" for i in range(6)]
    _register(db, *versions)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda v: activate_model_version(db, kind="classifier", version=v), versions))
    active = [m for m in list_model_versions(db, kind="classifier") if m.status == "active"]
    assert len(active) == 1


def test_rollback_walks_back_through_history(db: Database) -> None:
    _register(db, "a", "b", "c")
    for version in ("a", "b", "c"):
        activate_model_version(db, kind="classifier", version=version)
    assert rollback_model(db, kind="classifier").version == "b"
    assert get_model_version(db, version="c").status == "rejected"
    assert rollback_model(db, kind="classifier").version == "a"
    with pytest.raises(NotFound, match="earlier"):
        rollback_model(db, kind="classifier")
    current = get_active_model_version(db, kind="classifier")
    assert current is not None and current.version == "a"


def test_rollback_without_active(db: Database) -> None:
    with pytest.raises(NotFound, match="no classifier version is active"):
        rollback_model(db, kind="classifier")


def test_set_status(db: Database) -> None:
    _register(db, "a", "b")
    set_model_status(db, version="a", status="active")
    assert set_model_status(db, version="b", status="rejected").status == "rejected"
    assert set_model_status(db, version="a", status="retired").retired_at is not None
    assert get_active_model_version(db, kind="classifier") is None
    with pytest.raises(InvalidInput):
        set_model_status(db, version="a", status="deleted")


def test_register_as_active_retires_the_old_one(db: Database) -> None:
    register_model_version(db, kind="classifier", version="a", path="/a", status="active")
    register_model_version(
        db, kind="classifier", version="b", path="/b", parent_version="a", status="active"
    )
    assert get_model_version(db, version="a").status == "retired"
    assert get_model_version(db, version="b").parent_version == "a"

"""Hot swap: a serving holder follows the active version; a version that fails to load is reported."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.serving.hot_swap import ModelWatcher
from models.holder import ModelHolder
from models.predictor import SentimentPredictor
from models.settings import ModelSettings
from storage.database import Database
from storage.repositories import activate_model_version, register_model_version

SETTINGS = ModelSettings(CLASSIFIER_PRECISION="fp32")
TEXTS = ["my order never arrived", "thanks, great help", "where is it ?"]


def _load(path: Path) -> Any:
    return SentimentPredictor.load(path, SETTINGS)


def _copy(source: Path, root: Path, version: str) -> Path:
    target = root / version
    shutil.copytree(source, target)
    return target


def _add(db: Database, path: Path) -> str:
    register_model_version(db, kind="classifier", version=path.name, path=str(path))
    return path.name


class Served:
    """A holder serving version `first`, watched for changes of the active version."""

    def __init__(self, db: Database, first: Path) -> None:
        activate_model_version(db, kind="classifier", version=_add(db, first))
        self.holder: ModelHolder[Any] = ModelHolder(_load(first))
        self.errors: list[str] = []
        self.watcher = ModelWatcher(self.holder, db, loader=_load, on_error=self.errors.append)

    @property
    def version(self) -> str:
        return str(self.holder.get().version)


@pytest.fixture
def models(tiny_classifier_dir: Path, tmp_path: Path) -> Iterator[dict[str, Path]]:
    yield {name: _copy(tiny_classifier_dir, tmp_path, name) for name in ("clf-a", "clf-b", "clf-c")}


def test_the_holder_swaps_to_a_new_active_version(db: Database, models: dict[str, Path]) -> None:
    served = Served(db, models["clf-a"])
    assert served.watcher.check_now() is False  # nothing changed

    activate_model_version(db, kind="classifier", version=_add(db, models["clf-b"]))

    assert served.watcher.check_now() is True
    assert served.version == "clf-b" and served.watcher.version == "clf-b"
    assert [p.model_version for p in served.holder.get().predict(TEXTS)] == ["clf-b"] * 3
    assert served.errors == []


def test_the_watcher_thread_notices_a_promotion(db: Database, models: dict[str, Path]) -> None:
    served = Served(db, models["clf-a"])
    served.watcher.start(interval=3600)  # only a wake (SIGHUP) or the next hour would check
    try:
        activate_model_version(db, kind="classifier", version=_add(db, models["clf-b"]))
        served.watcher.wake()
        deadline = time.monotonic() + 60
        while served.version != "clf-b" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        served.watcher.stop()
    assert served.version == "clf-b"


def test_requests_during_swaps_are_all_answered(db: Database, models: dict[str, Path]) -> None:
    served = Served(db, models["clf-a"])
    _add(db, models["clf-b"])
    answered: list[str] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                answered.extend(p.model_version for p in served.holder.get().predict(TEXTS[:1]))
            except BaseException as exc:  # any failure is a dropped request
                failures.append(exc)

    threads = [threading.Thread(target=serve) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for version in ("clf-b", "clf-a", "clf-b"):
            activate_model_version(db, kind="classifier", version=version)
            assert served.watcher.check_now() is True
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert failures == []
    assert answered and set(answered) <= {"clf-a", "clf-b"}
    assert served.version == "clf-b"


def test_a_version_that_fails_to_load_is_reported_and_the_old_one_keeps_serving(
    db: Database, models: dict[str, Path]
) -> None:
    served = Served(db, models["clf-a"])
    broken = models["clf-b"]
    (broken / "model.safetensors").write_bytes(b"not a safetensors file at all")
    activate_model_version(db, kind="classifier", version=_add(db, broken))

    assert served.watcher.check_now() is False

    assert served.version == "clf-a"
    assert [p.model_version for p in served.holder.get().predict(TEXTS)] == ["clf-a"] * 3
    assert len(served.errors) == 1
    assert served.errors[0].startswith("classifier clf-b failed to load (")
    assert served.errors[0].endswith("still serving clf-a")
    assert served.watcher.check_now() is False and len(served.errors) == 1  # reported once

    activate_model_version(db, kind="classifier", version=_add(db, models["clf-c"]))
    assert served.watcher.check_now() is True and served.version == "clf-c"

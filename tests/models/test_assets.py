"""The pinned assets: found without importing, verified by hash, converted atomically."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from models import assets
from models.assets import AssetError, AssetFile, locate


@pytest.fixture()
def fake_asset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AssetFile, Path]:
    """A tiny installed 'asset package' whose __init__ would explode if imported."""
    package = tmp_path / "site" / "fake_asset_pkg"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "raise RuntimeError('asset packages must not be imported')\n"
    )
    payload = b"weights " * 1000
    (package / "data" / "weights.bin").write_bytes(payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = AssetFile(
        "fake_asset_pkg", "data/weights.bin", hashlib.sha256(payload).hexdigest(), "fake weights"
    )
    return spec, package / "data" / "weights.bin"


def test_locate_finds_and_verifies_without_importing(fake_asset: tuple[AssetFile, Path]) -> None:
    spec, path = fake_asset
    assert locate(spec) == path
    assert "fake_asset_pkg" not in sys.modules


def test_truncated_file_is_reported_by_name(fake_asset: tuple[AssetFile, Path]) -> None:
    spec, path = fake_asset
    locate(spec)  # verified once, stamp written
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(AssetError, match=r"fake weights .*corrupt.*make assets"):
        locate(spec)


def test_hash_mismatch_is_reported(fake_asset: tuple[AssetFile, Path]) -> None:
    spec, _ = fake_asset
    wrong = AssetFile(spec.package, spec.relative_path, "0" * 64, spec.purpose)
    with pytest.raises(AssetError, match="corrupt"):
        locate(wrong)


def test_missing_file_and_missing_package(fake_asset: tuple[AssetFile, Path]) -> None:
    spec, path = fake_asset
    path.unlink()
    with pytest.raises(AssetError, match="missing"):
        locate(spec)
    with pytest.raises(AssetError, match="not installed"):
        locate(AssetFile("no_such_asset_pkg_xyz", "x", "0" * 64, "nothing"))


def test_failed_conversion_leaves_nothing_half_written(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF" + b"\x00" * 64)
    target = tmp_path / "cache" / "converted"
    with pytest.raises(Exception):  # noqa: B017 - whatever the GGUF reader raises
        assets.convert_gguf(bogus, target)
    assert not target.exists()
    assert list((tmp_path / "cache").iterdir()) == []


@pytest.mark.assets
def test_real_assets_are_ready_and_second_run_is_a_no_op(tmp_path: Path) -> None:
    """`triagebot assets` converts once; here the conversion is already in the data dir."""
    cache = Path("var") / "cache"
    found = assets.prepare_assets(cache)
    assert Path(found["SmolLM2-135M-Instruct safetensors"]).joinpath("config.json").is_file()
    lines: list[str] = []
    assets.prepare_assets(cache, progress=lines.append)
    assert not any("converting" in line for line in lines)
    assert (assets.minilm_dir() / "config.json").is_file()

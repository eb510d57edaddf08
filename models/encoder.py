"""Loading the BERT-family encoder and choosing an inference precision (fp32, bf16, int8).

bf16 pays off only where the CPU has native bf16 matrix instructions (avx512_bf16 / AMX); elsewhere
it emulates and is slower than fp32, so `resolve_precision("auto")` falls back to fp32 there.
int8 is dynamic quantisation of the Linear layers only: the LSTM stays fp32 (int8 makes it slower).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from models.errors import ModelConfigError, ModelLoadError

logger = logging.getLogger(__name__)

Resolved = Literal["fp32", "bf16", "int8"]


def encoder_source(path_or_id: str | Path | None) -> str:
    """The encoder to load: a local directory, a hub id, or (empty) the pinned MiniLM asset."""
    if path_or_id is None or str(path_or_id).strip() == "":
        from models.assets import minilm_dir

        return str(minilm_dir())
    return str(path_or_id)


def load_encoder(path_or_id: str | Path | None = None) -> tuple[nn.Module, Any]:
    """Load a pretrained encoder and its tokenizer.

    Args:
        path_or_id: a directory with config/weights/tokenizer, a hub id, or None/"" for MiniLM.

    Returns:
        (encoder, tokenizer): a transformers `AutoModel` in eval mode and its fast tokenizer.

    Raises:
        ModelLoadError: when the encoder cannot be found or read.
    """
    from transformers import AutoModel, AutoTokenizer

    source = encoder_source(path_or_id)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        encoder = AutoModel.from_pretrained(source, attn_implementation="sdpa")
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load encoder {source!r}: {exc}") from exc
    encoder.eval()
    return encoder, tokenizer


@functools.cache
def cpu_supports_bf16() -> bool:
    """True when the CPU has native bf16 matrix instructions (avx512_bf16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        flags = ""
    if flags:
        return "avx512_bf16" in flags or "amx_bf16" in flags
    try:  # no /proc/cpuinfo (not Linux): ask oneDNN
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def bf16_available(device: torch.device) -> bool:
    """Whether bf16 autocast is worthwhile on `device`."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return cpu_supports_bf16()


def resolve_precision(requested: str, device: torch.device | None = None) -> Resolved:
    """Turn a precision setting into the one actually used.

    "auto" means bf16 where native, else fp32 (int8 is only used when asked: see the benchmark
    in docs/classifier.md). An explicit "bf16" on a CPU without bf16 falls back to fp32 with a
    warning rather than running a slow emulation.
    """
    device = device or torch.device("cpu")
    if requested not in ("auto", "fp32", "bf16", "int8"):
        raise ModelConfigError(f"unknown precision {requested!r}: use auto, fp32, bf16 or int8")
    if requested == "int8" and device.type != "cpu":
        logger.warning("int8 dynamic quantisation is CPU-only; using fp32 on %s", device)
        return "fp32"
    if requested in ("auto", "bf16"):
        if bf16_available(device):
            return "bf16"
        if requested == "bf16":
            logger.warning("bf16 requested but %s has no native bf16: using fp32", device)
        return "fp32"
    return "int8" if requested == "int8" else "fp32"


def autocast(
    precision: str, device: torch.device | None = None
) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast for `precision == "bf16"`, a no-op context otherwise."""
    device = device or torch.device("cpu")
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def quantize_int8(module: nn.Module, *, only: str = "encoder") -> nn.Module:
    """Dynamically quantise the Linear layers under `module.<only>` to int8 (in place, CPU)."""
    from torch.ao.quantization import quantize_dynamic

    target = getattr(module, only)
    setattr(module, only, quantize_dynamic(target, {nn.Linear}, dtype=torch.qint8))
    return module


def pick_device(requested: str = "auto") -> torch.device:
    """ "auto" uses a GPU when one is present, else the CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run a block with `count` intra-op threads (None: leave as is)."""
    if not count:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)

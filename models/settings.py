"""Settings of the model layer: where weights live and how inference runs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Precision = Literal["auto", "fp32", "bf16", "int8"]


class ModelSettings(BaseSettings):
    """Model paths and inference knobs.

    Every path accepts a local directory or, on a machine with hub access, a Hugging Face id.
    Empty means "the pinned offline asset" (see `models.assets`).
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("var"), alias="DATA_DIR")
    encoder_path: str = Field(default="", alias="ENCODER_PATH")
    generator_path: str = Field(default="", alias="GENERATOR_PATH")
    classifier_path: str = Field(default="", alias="CLASSIFIER_PATH")
    torch_threads: int = Field(default=2, ge=1, le=256, alias="TORCH_THREADS")
    classifier_precision: Precision = Field(default="auto", alias="CLASSIFIER_PRECISION")
    generator_precision: Precision = Field(default="auto", alias="GENERATOR_PRECISION")
    classifier_max_tokens: int = Field(default=128, ge=8, le=512, alias="CLASSIFIER_MAX_TOKENS")
    classifier_batch_size: int = Field(default=32, ge=1, le=1024, alias="CLASSIFIER_BATCH_SIZE")
    correction_memory: bool = Field(default=True, alias="CORRECTION_MEMORY")
    correction_memory_size: int = Field(
        default=5000, ge=1, le=100_000, alias="CORRECTION_MEMORY_SIZE"
    )
    draft_max_new_tokens: int = Field(default=80, ge=8, le=512, alias="DRAFT_MAX_NEW_TOKENS")
    draft_examples_k: int = Field(default=3, ge=0, le=10, alias="DRAFT_EXAMPLES_K")
    # Batch-1 decoding is fastest on one intra-op thread (see models/generator.py).
    generator_threads: int = Field(default=1, ge=1, le=64, alias="GENERATOR_THREADS")
    draft_tone: str = Field(default="", alias="DRAFT_TONE")

    @property
    def cache_dir(self) -> Path:
        """Converted weights and other derived files."""
        return self.data_dir / "cache"

    @property
    def models_dir(self) -> Path:
        """Trained model versions (one directory each)."""
        return self.data_dir / "models"

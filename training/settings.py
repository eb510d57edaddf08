"""Settings of the training layer: default hyperparameters, the retraining schedule, drift thresholds."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.settings import ModelSettings
from storage.settings import StorageSettings
from training.data.corpora import TRAINING_MIX


class TrainingSettings(BaseSettings):
    """Training, retraining, drift and scheduling."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    seed: int = Field(default=13, alias="TRAIN_SEED")
    train_max_minutes: float = Field(default=15.0, gt=0, alias="TRAIN_MAX_MINUTES")
    retrain_cron: str = Field(default="0 3 * * 1", alias="RETRAIN_CRON")
    drift_check_cron: str = Field(default="30 2 * * *", alias="DRIFT_CHECK_CRON")
    purge_cron: str = Field(default="0 4 * * *", alias="PURGE_CRON")
    scheduler_enabled: bool = Field(default=True, alias="SCHEDULER_ENABLED")
    retrain_min_feedback: int = Field(default=20, ge=0, alias="RETRAIN_MIN_FEEDBACK")
    promotion_margin: float = Field(default=0.01, ge=0, le=1, alias="PROMOTION_MARGIN")
    retrain_lease_seconds: int = Field(default=3600, ge=2, alias="RETRAIN_LEASE_SECONDS")
    drift_window_days: int = Field(default=7, ge=1, alias="DRIFT_WINDOW_DAYS")
    drift_psi_threshold: float = Field(default=0.2, ge=0, alias="DRIFT_PSI_THRESHOLD")
    drift_correction_rate_threshold: float = Field(
        default=0.15, ge=0, le=1, alias="DRIFT_CORRECTION_RATE_THRESHOLD"
    )
    drift_unseen_token_threshold: float = Field(
        default=0.25, ge=0, le=1, alias="DRIFT_UNSEEN_TOKEN_THRESHOLD"
    )
    drift_confidence_drop_threshold: float = Field(
        default=0.1, ge=0, le=1, alias="DRIFT_CONFIDENCE_DROP_THRESHOLD"
    )
    model_reload_seconds: int = Field(default=30, ge=1, alias="MODEL_RELOAD_SECONDS")
    # Retraining: a short fine-tune from the active classifier, much cheaper than `train`.
    retrain_base_data: str = Field(default=TRAINING_MIX, alias="RETRAIN_BASE_DATA")
    retrain_base_sample: int = Field(default=600, ge=0, alias="RETRAIN_BASE_SAMPLE")
    retrain_max_steps: int = Field(default=150, ge=1, alias="RETRAIN_MAX_STEPS")
    retrain_max_minutes: float = Field(default=5.0, gt=0, alias="RETRAIN_MAX_MINUTES")
    retrain_batch_size: int = Field(default=32, ge=1, le=1024, alias="RETRAIN_BATCH_SIZE")
    retrain_learning_rate: float = Field(default=5e-5, gt=0, alias="RETRAIN_LEARNING_RATE")
    retrain_head_learning_rate: float = Field(
        default=3e-4, gt=0, alias="RETRAIN_HEAD_LEARNING_RATE"
    )
    retrain_epochs: float = Field(default=3.0, gt=0, le=20, alias="RETRAIN_EPOCHS")
    retrain_freeze_layers: int = Field(default=0, ge=-1, alias="RETRAIN_FREEZE_LAYERS")
    retrain_keep: str = Field(default="last", pattern="^(best|last)$", alias="RETRAIN_KEEP")
    retrain_distill: bool = Field(default=True, alias="RETRAIN_DISTILL")
    retrain_max_tokens: int = Field(default=64, ge=8, le=512, alias="RETRAIN_MAX_TOKENS")
    retrain_eval_sample: int = Field(default=1000, ge=10, alias="RETRAIN_EVAL_SAMPLE")
    retrain_holdout_percent: int = Field(default=20, ge=1, le=90, alias="RETRAIN_HOLDOUT_PERCENT")
    retrain_recent_days: int = Field(default=30, ge=1, alias="RETRAIN_RECENT_DAYS")
    retrain_min_holdout: int = Field(default=5, ge=1, alias="RETRAIN_MIN_HOLDOUT")
    retrain_min_gain: float = Field(default=0.0, ge=0, le=1, alias="RETRAIN_MIN_GAIN")
    feedback_weight: float = Field(default=3.0, gt=0, alias="FEEDBACK_WEIGHT")
    feedback_half_life_days: float = Field(default=30.0, gt=0, alias="FEEDBACK_HALF_LIFE_DAYS")
    scheduler_timezone: str = Field(default="UTC", alias="SCHEDULER_TIMEZONE")
    scheduler_misfire_grace_seconds: int = Field(
        default=3600, ge=1, alias="SCHEDULER_MISFIRE_GRACE_SECONDS"
    )
    drift_min_predictions: int = Field(default=50, ge=1, alias="DRIFT_MIN_PREDICTIONS")


@dataclass(frozen=True)
class CoreSettings:
    """The settings of every layer below the bot: what training, retraining and drift read.

    The bot's `Settings` extends it with Slack and the HTTP server, so a training function typed
    `settings: CoreSettings` accepts the bot's settings without knowing the bot.
    """

    models: ModelSettings
    storage: StorageSettings
    training: TrainingSettings

"""Deployment settings, read from the environment the template gives each function."""

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field, field_validator

from autotuner.domain.contracts import TuningDefaults
from autotuner.domain.pricing import Architecture
from autotuner.domain.run import TunerPricing
from autotuner.domain.sweep import DEFAULT_POWER_VALUES, MAX_MEMORY_MB, validate_memory_sizes
from autotuner.workflow.plan import PlanSettings
from autotuner.workflow.retune import RetuneSettings

DEFAULT_VISUALIZATION_URL = "https://lambda-power-tuning.show/"


class Settings(BaseModel):
    power_values: list[int] = Field(default_factory=lambda: list(DEFAULT_POWER_VALUES))
    max_memory_mb: int = Field(default=MAX_MEMORY_MB, ge=128, le=MAX_MEMORY_MB)
    target_function_arn_pattern: str = "*"
    results_topic_arn: str | None = None
    visualization_url: str = DEFAULT_VISUALIZATION_URL
    tuner_memory_mb: int = 256
    tuner_architecture: Architecture = Architecture.ARM64
    throttle_base_delay_ms: float = Field(default=200, ge=0)
    max_run_seconds: int | None = Field(default=None, ge=60)
    profiles_table: str | None = None
    tuner_state_machine_arn: str | None = None
    retune_alarm_prefix: str = ""
    retune_alarm_tag: str = ""
    retune_cooldown_hours: float = Field(default=6, ge=0)
    fleet_tag: str = "autotuner:tune"
    fleet_concurrency: int = Field(default=2, ge=1, le=100)
    warm_tag: str = "autotuner:warm"
    warm_targets: str = ""

    @field_validator("power_values", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            sizes, problems = validate_memory_sizes([v.strip() for v in value.split(",") if v.strip()])
            if problems:
                raise ValueError("POWER_VALUES: " + "; ".join(problems))
            return sizes
        return value

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        names = {
            "power_values": "POWER_VALUES",
            "max_memory_mb": "MAX_MEMORY_MB",
            "target_function_arn_pattern": "TARGET_FUNCTION_ARN_PATTERN",
            "results_topic_arn": "RESULTS_TOPIC_ARN",
            "visualization_url": "VISUALIZATION_URL",
            "tuner_memory_mb": "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "tuner_architecture": "TUNER_ARCHITECTURE",
            "throttle_base_delay_ms": "THROTTLE_BASE_DELAY_MS",
            "max_run_seconds": "MAX_RUN_SECONDS",
            "profiles_table": "PROFILES_TABLE",
            "tuner_state_machine_arn": "TUNER_STATE_MACHINE_ARN",
            "retune_alarm_prefix": "RETUNE_ALARM_PREFIX",
            "retune_alarm_tag": "RETUNE_ALARM_TAG",
            "retune_cooldown_hours": "RETUNE_COOLDOWN_HOURS",
            "fleet_tag": "FLEET_TAG",
            "fleet_concurrency": "FLEET_CONCURRENCY",
            "warm_tag": "WARM_TAG",
            "warm_targets": "WARM_TARGETS",
        }
        return cls.model_validate({field: environ[var] for field, var in names.items() if environ.get(var) is not None})

    def plan_settings(self) -> PlanSettings:
        return PlanSettings(
            defaults=TuningDefaults(power_values=self.power_values, max_memory_mb=self.max_memory_mb),
            target_arn_pattern=self.target_function_arn_pattern,
            tuner=TunerPricing(memory_mb=self.tuner_memory_mb, architecture=self.tuner_architecture),
            max_run_seconds=self.max_run_seconds,
        )

    def retune_settings(self) -> RetuneSettings:
        return RetuneSettings(
            alarm_name_prefix=self.retune_alarm_prefix,
            alarm_tag_key=self.retune_alarm_tag,
            cooldown_s=self.retune_cooldown_hours * 3600,
            target_arn_pattern=self.target_function_arn_pattern,
            defaults=TuningDefaults(power_values=self.power_values, max_memory_mb=self.max_memory_mb),
        )

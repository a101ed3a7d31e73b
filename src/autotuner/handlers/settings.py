"""Deployment settings, read from the environment the template gives each function.

Kept free of workflow imports: every handler reads these at its cold start, and each workflow step builds its own
settings from them (see the plan and alarm handlers).
"""

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field, field_validator

from autotuner.domain.contracts import TuningDefaults
from autotuner.domain.pricing import Architecture
from autotuner.domain.sweep import DEFAULT_POWER_VALUES, MAX_MEMORY_MB, validate_memory_sizes

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
    runs_table: str | None = None
    tuner_state_machine_arn: str | None = None
    retune_alarm_prefix: str = ""
    retune_alarm_tag: str = ""
    retune_cooldown_hours: float = Field(default=6, ge=0)
    fleet_tag: str = "autotuner:tune"
    fleet_concurrency: int = Field(default=2, ge=1, le=100)
    warm_tag: str = "autotuner:warm"
    warm_targets: str = ""
    stack_name: str = Field(default="", description="the deploying stack: its own functions are never tuned")

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
            "runs_table": "RUNS_TABLE",
            "tuner_state_machine_arn": "TUNER_STATE_MACHINE_ARN",
            "retune_alarm_prefix": "RETUNE_ALARM_PREFIX",
            "retune_alarm_tag": "RETUNE_ALARM_TAG",
            "retune_cooldown_hours": "RETUNE_COOLDOWN_HOURS",
            "fleet_tag": "FLEET_TAG",
            "fleet_concurrency": "FLEET_CONCURRENCY",
            "warm_tag": "WARM_TAG",
            "warm_targets": "WARM_TARGETS",
            "stack_name": "STACK_NAME",
        }
        return cls.model_validate({field: environ[var] for field, var in names.items() if environ.get(var) is not None})

    @property
    def defaults(self) -> TuningDefaults:
        return TuningDefaults(power_values=self.power_values, max_memory_mb=self.max_memory_mb)

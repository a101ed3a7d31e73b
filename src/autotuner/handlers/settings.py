"""Deployment settings: one model per function, its fields named (as aliases) by the variables template.yaml sets.

Read once per cold start, on the first invocation rather than at import: the emulator imports every handler into
one process and sets a function's environment just before calling it, and tests and `sam build` checks import
handlers with no environment at all. A misconfigured deployment still fails at once and loudly: its very first
invocation raises MisconfiguredFunctionError naming each missing or invalid variable.

Kept free of workflow imports: each workflow step builds its own settings from these (see the plan handler).
"""

import os
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autotuner.domain.errors import problems_without_values
from autotuner.domain.inputs.memory_sizes import MAX_MEMORY_MB, validate_memory_sizes

if TYPE_CHECKING:
    from autotuner.domain.inputs.tuning_input import TuningDefaults


class MisconfiguredFunctionError(Exception):
    """The function's environment lacks a variable the template sets, or holds one it cannot read."""


# One entry per settings model. In Lambda the process-wide default serves every invocation; the emulator gives each
# handler call a fresh one (forget_settings), so calls sharing its process never read each other's settings.
_READ: ContextVar[dict[type["FunctionSettings"], "FunctionSettings"]] = ContextVar("settings_read", default={})  # noqa: B039


class FunctionSettings(BaseModel):
    """The base of every function's settings; subclasses declare fields with the variable's name as alias."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Self:
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as error:
            problems = problems_without_values(error, whole="environment")
            raise MisconfiguredFunctionError(f"{cls.__name__}: {problems}") from None

    @classmethod
    def current(cls) -> Self:
        """This function's settings, read from the environment on the first call of its execution environment."""
        cache = _READ.get()
        read = cache.get(cls)
        if not isinstance(read, cls):
            read = cache[cls] = cls.from_environment()
        return read


def forget_settings() -> None:
    """A fresh execution environment for the current call (and the threads it starts): the emulator's doing."""
    _READ.set({})


# ---- the pieces functions share (each a field or two, combined by inheritance) ----------------------------------


class RunsTableSetting(FunctionSettings):
    runs_table: str = Field(validation_alias="RUNS_TABLE", min_length=1)


class MeasurementsTableSetting(FunctionSettings):
    measurements_table: str = Field(validation_alias="MEASUREMENTS_TABLE", min_length=1)


class ProfilesTableSetting(FunctionSettings):
    profiles_table: str = Field(validation_alias="PROFILES_TABLE", min_length=1)


class ResultsTopicSetting(FunctionSettings):
    results_topic_arn: str = Field(validation_alias="RESULTS_TOPIC_ARN", min_length=1)


class TunerStateMachineSetting(FunctionSettings):
    tuner_state_machine_arn: str = Field(validation_alias="TUNER_STATE_MACHINE_ARN", min_length=1)


class ThrottleSetting(FunctionSettings):
    """How long the first retry of a throttled invocation waits."""

    throttle_base_delay_ms: float = Field(validation_alias="THROTTLE_BASE_DELAY_MS", ge=0)


class RetuneCooldownSetting(FunctionSettings):
    retune_cooldown_hours: float = Field(validation_alias="RETUNE_COOLDOWN_HOURS", ge=0)

    @property
    def cooldown_s(self) -> float:
        return self.retune_cooldown_hours * 3600


class StackIdSetting(FunctionSettings):
    """The deploying stack's id: its functions (tagged with it by CloudFormation) are never tuned or invoked."""

    stack_id: str = Field(validation_alias="STACK_ID", pattern=r"^arn:aws[a-zA-Z-]*:cloudformation:[^:]+:\d{12}:stack/")


class TargetScopeSettings(StackIdSetting):
    """Which functions may be tuned: those the pattern matches, never the deploying stack's own."""

    target_function_arn_pattern: str = Field(validation_alias="TARGET_FUNCTION_ARN_PATTERN")


class TargetAccountSettings(FunctionSettings):
    """Targets in other accounts: reached through the role of this name there (empty: this account only), in the
    accounts named and no other."""

    tuner_account: str = Field(validation_alias="TUNER_ACCOUNT_ID", pattern=r"^\d{12}$")
    target_account_role_name: str = Field(default="", validation_alias="TARGET_ACCOUNT_ROLE_NAME")
    target_account_ids: list[str] = Field(default_factory=list, validation_alias="TARGET_ACCOUNT_IDS")

    @field_validator("target_account_ids", mode="before")
    @classmethod
    def _comma_separated_accounts(cls, value: object) -> object:
        if isinstance(value, str):
            accounts = [v.strip() for v in value.split(",") if v.strip()]
            if any(not (a.isdigit() and len(a) == 12) for a in accounts):
                raise ValueError("each account id is 12 digits")
            return accounts
        return value


class TargetAccountExternalIdSetting(FunctionSettings):
    """The external id every AssumeRole of a target account's role presents (that role requires it)."""

    target_account_external_id: str = Field(default="", validation_alias="TARGET_ACCOUNT_EXTERNAL_ID")


class CodeStagingBucketSetting(FunctionSettings):
    """The bucket a package above Lambda's direct-upload limit goes through when it is uploaded again for another
    architecture (empty: such packages are not switched)."""

    code_staging_bucket: str = Field(default="", validation_alias="CODE_STAGING_BUCKET")


class TuningDefaultsSettings(FunctionSettings):
    power_values: list[int] = Field(validation_alias="POWER_VALUES")
    max_memory_mb: int = Field(validation_alias="MAX_MEMORY_MB", ge=128, le=MAX_MEMORY_MB)

    @field_validator("power_values", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            sizes, problems = validate_memory_sizes([v.strip() for v in value.split(",") if v.strip()])
            if problems:
                raise ValueError("; ".join(problems))
            return sizes
        return value

    @property
    def defaults(self) -> "TuningDefaults":
        # Imported here: the tuning input's models are the planning handlers' (which import them anyway), not
        # every function's that reads its settings from this module.
        from autotuner.domain.inputs.tuning_input import TuningDefaults

        return TuningDefaults(power_values=self.power_values, max_memory_mb=self.max_memory_mb)

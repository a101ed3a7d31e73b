from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.inputs.ceilings import RunCeilings
from autotuner.domain.run.documents import TunerPricing
from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics, observed
from autotuner.handlers.settings import (
    CodeStagingBucketSetting,
    ProfilesTableSetting,
    RunsTableSetting,
    TargetAccountSettings,
    TargetScopeSettings,
    TuningDefaultsSettings,
)
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run


class PlanFunctionSettings(
    TuningDefaultsSettings,
    TargetScopeSettings,
    TargetAccountSettings,
    RunsTableSetting,
    ProfilesTableSetting,
    CodeStagingBucketSetting,
):
    tuner_architecture: Architecture = Field(validation_alias="TUNER_ARCHITECTURE")
    max_run_seconds: int = Field(validation_alias="MAX_RUN_SECONDS", ge=60)
    # The operator's ceilings on every run (stack parameters), which no input can raise.
    max_run_budget_usd: float = Field(validation_alias="MAX_RUN_BUDGET_USD", gt=0)
    max_run_invocations: int = Field(validation_alias="MAX_RUN_INVOCATIONS", ge=1)
    allow_auto_apply: bool = Field(validation_alias="ALLOW_AUTO_APPLY")
    allow_architecture_switch: bool = Field(validation_alias="ALLOW_ARCHITECTURE_SWITCH")
    measure_reserved_concurrency: int = Field(validation_alias="MEASURE_RESERVED_CONCURRENCY", ge=0)
    # The template sets this for Measure only: Plan's few trial invocations keep the usual first wait.
    throttle_base_delay_ms: float = Field(default=200, validation_alias="THROTTLE_BASE_DELAY_MS", ge=0)


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PlanFunctionSettings.current()
    document = plan_run(
        PlanRequest.model_validate(event),
        PlanSettings(
            defaults=settings.defaults,
            target_arn_pattern=settings.target_function_arn_pattern,
            stack_id=settings.stack_id,
            # Plan's own memory, as Lambda's context gives it: what the run's estimate prices the tuner's steps at.
            tuner=TunerPricing(memory_mb=context.memory_limit_in_mb, architecture=settings.tuner_architecture),
            max_run_seconds=settings.max_run_seconds,
            tuner_account=settings.tuner_account,
            target_account_role_name=settings.target_account_role_name,
            target_account_ids=settings.target_account_ids,
            ceilings=RunCeilings(
                max_budget_usd=settings.max_run_budget_usd,
                max_invocations=settings.max_run_invocations,
                allow_auto_apply=settings.allow_auto_apply,
                allow_architecture_switch=settings.allow_architecture_switch,
                measure_reserved_concurrency=settings.measure_reserved_concurrency,
            ),
            code_staging_bucket=settings.code_staging_bucket,
        ),
        function_for=wiring.function_control,
        invoker_for=lambda region, through: wiring.invoker(region, settings.throttle_base_delay_ms, through),
        payloads=wiring.payload_source(),
        records=wiring.run_records(settings.runs_table),
        registry=wiring.profiles(settings.profiles_table),
        durations=wiring.duration_history(),
        logs=wiring.production_logs(),
    )
    planned = document.round.invocations if document.round else 0
    metrics.add_metric(name="PlannedInvocations", unit="Count", value=planned)
    return document.state()

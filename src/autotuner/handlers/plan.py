from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.domain.run import TunerPricing
from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics, observed
from autotuner.handlers.settings import Settings
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ()
    document = plan_run(
        PlanRequest.model_validate(event),
        PlanSettings(
            defaults=settings.defaults,
            target_arn_pattern=settings.target_function_arn_pattern,
            stack_name=settings.stack_name,
            tuner=TunerPricing(memory_mb=settings.tuner_memory_mb, architecture=settings.tuner_architecture),
            max_run_seconds=settings.max_run_seconds,
        ),
        function_for=wiring.function_control,
        invoker_for=lambda region: wiring.invoker(region, settings),
        payloads=wiring.payload_source(),
        records=wiring.run_records(settings),
        registry=wiring.profiles(settings),
        durations=wiring.duration_history(),
    )
    planned = document.round.invocations if document.round else 0
    metrics.add_metric(name="PlannedInvocations", unit="Count", value=planned)
    return document.state()

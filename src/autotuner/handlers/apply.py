from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.domain.costs.pricing import gb_seconds
from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics, observed
from autotuner.handlers.settings import RunsTableSetting
from autotuner.workflow.apply import ApplyRequest, apply_choice


class ApplyFunctionSettings(RunsTableSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = ApplyFunctionSettings.current()
    request = ApplyRequest.model_validate(event)
    control = wiring.function_control(request.plan.function, request.plan.target_role)
    applied = apply_choice(
        request, control, wiring.change_guard(settings.runs_table, request.plan.execution_id, control)
    )
    applied.gb_seconds = gb_seconds(applied.elapsed_ms, context.memory_limit_in_mb)
    metrics.add_metric(name="ConfigurationsApplied", unit="Count", value=1)
    return applied.model_dump(mode="json")

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.domain.costs.pricing import gb_seconds
from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics, observed
from autotuner.handlers.settings import RunsTableSetting
from autotuner.workflow.prepare import PrepareRequest, prepare_round


class PrepareFunctionSettings(RunsTableSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PrepareFunctionSettings.current()
    request = PrepareRequest.model_validate(event)
    control = wiring.function_control(request.plan.function, request.plan.target_role)
    guard = wiring.change_guard(settings.runs_table, request.plan.execution_id, control)
    prepared = prepare_round(request, control, guard)
    prepared.gb_seconds = gb_seconds(prepared.elapsed_ms, context.memory_limit_in_mb)
    metrics.add_metric(name="AliasesPrepared", unit="Count", value=len(prepared.aliases))
    return prepared.model_dump(mode="json")

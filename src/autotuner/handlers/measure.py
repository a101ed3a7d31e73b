from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.domain.costs.pricing import gb_seconds
from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics, observed
from autotuner.handlers.settings import MeasurementsTableSetting, ThrottleSetting
from autotuner.workflow.measure import MeasureRequest, measure_and_store


class MeasureFunctionSettings(ThrottleSetting, MeasurementsTableSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MeasureFunctionSettings.current()
    request = MeasureRequest.model_validate(event)
    spec = request.measure
    invoker = wiring.invoker(spec.function.region, settings.throttle_base_delay_ms, spec.target_role)
    store = wiring.measurements(settings.measurements_table)
    measured = measure_and_store(request, invoker, wiring.run_payload_source(spec.execution_id), store)
    measured.gb_seconds = gb_seconds(measured.elapsed_ms, context.memory_limit_in_mb)
    metrics.add_metric(name="TargetInvocations", unit="Count", value=sum(b.attempted for b in measured.batches))
    metrics.add_metric(name="TargetThrottles", unit="Count", value=invoker.throttles)
    return measured.model_dump(mode="json")

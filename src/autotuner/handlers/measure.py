from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics, observed
from autotuner.handlers.settings import ThrottleSetting
from autotuner.workflow.measure import MeasureRequest, measure_batch


class MeasureFunctionSettings(ThrottleSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MeasureFunctionSettings.current()
    request = MeasureRequest.model_validate(event)
    invoker = wiring.invoker(request.plan.region, settings.throttle_base_delay_ms)
    measurement = measure_batch(request, invoker, wiring.payload_source())
    metrics.add_metric(name="TargetInvocations", unit="Count", value=measurement.attempted)
    metrics.add_metric(name="TargetThrottles", unit="Count", value=invoker.throttles)
    return measurement.model_dump(mode="json")

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import Settings
from autotuner.workflow.notify import FailureRequest, NotifyRequest, describe_failure, finish


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ()
    request = NotifyRequest.model_validate(event)
    output = finish(
        request,
        wiring.notifier(settings),
        visualization_base_url=settings.visualization_url,
        registry=wiring.profiles(settings),
    )
    if output.savings is not None:
        metrics.add_metric(name="SavingsPercent", unit="Percent", value=output.savings.savings_percent)
    return output.model_dump(mode="json")


@observed
def failure_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ()
    request = FailureRequest.model_validate(event)
    record = wiring.run_records(settings).read(request.execution_id)
    failure = describe_failure(request, record, wiring.notifier(settings))
    logger.error("tuning failed", extra={"error": failure.error, "reason": failure.message})
    metrics.add_metric(name="FailedRuns", unit="Count", value=1)
    return failure.model_dump(mode="json")

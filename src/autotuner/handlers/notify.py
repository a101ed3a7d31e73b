from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import ProfilesTableSetting, ResultsTopicSetting, RunsTableSetting
from autotuner.workflow.notify import FailureRequest, NotifyRequest, describe_failure, finish


class NotifyFunctionSettings(ResultsTopicSetting, ProfilesTableSetting):
    visualization_url: str = Field(validation_alias="VISUALIZATION_URL")


class ReportFailureFunctionSettings(ResultsTopicSetting, RunsTableSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = NotifyFunctionSettings.current()
    request = NotifyRequest.model_validate(event)
    output = finish(
        request,
        wiring.notifier(settings.results_topic_arn),
        visualization_base_url=settings.visualization_url,
        memory_mb=context.memory_limit_in_mb,
        registry=wiring.profiles(settings.profiles_table),
        invocation_counts=wiring.invocation_counts(),
        traffic=wiring.traffic_history(),
    )
    if output.savings is not None:
        metrics.add_metric(name="SavingsPercent", unit="Percent", value=output.savings.savings_percent)
    return output.model_dump(mode="json")


@observed
def failure_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = ReportFailureFunctionSettings.current()
    request = FailureRequest.model_validate(event)
    record = wiring.run_records(settings.runs_table).read(request.execution_id)
    failure = describe_failure(request, record, wiring.notifier(settings.results_topic_arn))
    logger.error("tuning failed", extra={"error": failure.error, "reason": failure.message})
    metrics.add_metric(name="FailedRuns", unit="Count", value=1)
    return failure.model_dump(mode="json")

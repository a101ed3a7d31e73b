from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from autotuner.domain.automation.canary import Verdict
from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import RunsTableSetting
from autotuner.workflow.canary import CanaryCheckRequest, check_canary


class CheckCanaryFunctionSettings(RunsTableSetting):
    retune_alarm_prefix: str = Field(validation_alias="RETUNE_ALARM_PREFIX")
    retune_alarm_tag: str = Field(validation_alias="RETUNE_ALARM_TAG")


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = CheckCanaryFunctionSettings.current()
    request = CanaryCheckRequest.model_validate(event)
    control = wiring.function_control(request.plan.function)
    check = check_canary(
        request,
        wiring.alarms(settings.retune_alarm_prefix, settings.retune_alarm_tag),
        control,
        wiring.change_guard(settings.runs_table, request.execution_id, control),
        wiring.run_records(settings.runs_table),
    )
    if check.verdict is not Verdict.WATCHING:
        logger.info("canary decided", extra={"verdict": check.verdict.value, "reason": check.reason})
        metrics.add_metric(name="CanaryPromoted" if check.verdict is Verdict.PROMOTED else "CanaryRolledBack",
                           unit="Count", value=1)  # fmt: skip
    return check.model_dump(mode="json")

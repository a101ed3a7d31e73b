"""Keeps chosen functions warm on a schedule (disabled by default)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from autotuner.domain.automation.warming import WarmResult, parse_target_list
from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import StackIdSetting
from autotuner.workflow.warm import warm, warm_targets


class WarmerFunctionSettings(StackIdSetting):
    warm_tag: str = Field(validation_alias="WARM_TAG")
    warm_targets: str = Field(validation_alias="WARM_TARGETS")  # checked entry by entry: a bad one is skipped


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = WarmerFunctionSettings.current()
    result = WarmResult()
    listed, problems = parse_target_list(settings.warm_targets)
    result.skipped.update(problems)
    directory = wiring.function_directory(settings.stack_id)
    targets = warm_targets(settings.warm_tag, listed, directory, result)
    warm(targets, directory, wiring.warming_invoker(), result)
    for function, reason in result.skipped.items():
        logger.info("not warmed", extra={"function": function, "reason": reason})
    for function, error in result.failed.items():
        logger.warning("warming failed", extra={"function": function, "error": error})
    metrics.add_metric(name="Warmed", unit="Count", value=len(result.warmed))
    metrics.add_metric(name="WarmSkipped", unit="Count", value=len(result.skipped))
    metrics.add_metric(name="WarmFailed", unit="Count", value=len(result.failed))
    return result.model_dump(mode="json")

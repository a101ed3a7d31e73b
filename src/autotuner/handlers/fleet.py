"""The scheduled fleet tuning's two steps: list the tagged functions, then claim each one's run."""

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import ProfilesTableSetting, RetuneCooldownSetting, StackIdSetting
from autotuner.workflow.fleet import FleetClaimRequest, FleetListRequest, claim_for_fleet


class FleetListFunctionSettings(StackIdSetting):
    fleet_tag: str = Field(validation_alias="FLEET_TAG")
    fleet_concurrency: int = Field(validation_alias="FLEET_CONCURRENCY", ge=1, le=100)


class FleetClaimFunctionSettings(RetuneCooldownSetting, ProfilesTableSetting):
    pass


@observed
def list_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = FleetListFunctionSettings.current()
    request = FleetListRequest.model_validate(event)
    functions = sorted(wiring.function_directory(settings.stack_id).tagged(settings.fleet_tag))
    metrics.add_metric(name="FleetFunctions", unit="Count", value=len(functions))
    return {
        "functions": [{"functionArn": arn} for arn in functions],
        "maxConcurrency": settings.fleet_concurrency,
        "startedAt": request.started_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


@observed
def claim_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = FleetClaimFunctionSettings.current()
    request = FleetClaimRequest.model_validate(event)
    claim = claim_for_fleet(
        request.member,
        profiles=wiring.profiles(settings.profiles_table),
        cooldown_s=settings.cooldown_s,
        started_at=request.started_at,
    )
    if not claim.start:
        logger.warning("not tuning", extra={"function": claim.function_arn, "reason": claim.reason})
        metrics.add_metric(name="FleetSkipped", unit="Count", value=1)
    return claim.model_dump(mode="json", by_alias=True)

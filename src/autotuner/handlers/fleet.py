"""The scheduled fleet tuning's two steps: list the tagged functions, then claim each one's run."""

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.adapters.discovery import FunctionDirectory
from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import Settings
from autotuner.workflow.fleet import FleetClaimRequest, FleetListRequest, claim_for_fleet


@observed
def list_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = FleetListRequest.model_validate(event)
    settings = Settings.from_environ()
    functions = sorted(FunctionDirectory().tagged(settings.fleet_tag))
    metrics.add_metric(name="FleetFunctions", unit="Count", value=len(functions))
    return {
        "functions": [{"functionArn": arn} for arn in functions],
        "maxConcurrency": settings.fleet_concurrency,
        "startedAt": request.started_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


@observed
def claim_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = FleetClaimRequest.model_validate(event)
    settings = Settings.from_environ()
    store = wiring.profiles(settings)
    if store is None:
        raise ValueError("PROFILES_TABLE is not set")
    claim = claim_for_fleet(
        request.member, profiles=store, cooldown_s=settings.retune_cooldown_hours * 3600, started_at=request.started_at
    )
    if not claim.start:
        logger.warning("not tuning", extra={"function": claim.function_arn, "reason": claim.reason})
        metrics.add_metric(name="FleetSkipped", unit="Count", value=1)
    return claim.model_dump(mode="json", by_alias=True)

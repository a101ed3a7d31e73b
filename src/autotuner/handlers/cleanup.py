from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.handlers import wiring
from autotuner.handlers.observability import metrics, observed
from autotuner.handlers.settings import Settings
from autotuner.workflow.cleanup import CleanupRequest, clean_up


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Runs on success (with plan and applied) and on every failure path (with whatever the run got to)."""
    request = CleanupRequest.model_validate(event)
    control = wiring.function_control(request.plan.function_arn) if request.plan else None
    report = clean_up(request, control, wiring.profiles(Settings.from_environ()))
    metrics.add_metric(name="VersionsDeleted", unit="Count", value=len(report.deleted_versions))
    return report.model_dump(mode="json")

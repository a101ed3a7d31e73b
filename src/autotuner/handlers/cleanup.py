from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import ProfilesTableSetting, RunsTableSetting
from autotuner.workflow.cleanup import (
    EXECUTION_STATUS_CHANGE,
    CleanupRequest,
    ExecutionStatusChange,
    clean_up_run,
    janitor_execution,
)


class CleanupFunctionSettings(RunsTableSetting, ProfilesTableSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The workflow's clean-up (success and failure paths), and the janitor of executions that ended outside the
    workflow (stopped, timed out), which EventBridge delivers here. Both work from the run record alone."""
    settings = CleanupFunctionSettings.current()
    if isinstance(event, dict) and event.get("detail-type") == EXECUTION_STATUS_CHANGE:
        change = ExecutionStatusChange.model_validate(EventBridgeModel.model_validate(event).detail)
        execution_id = janitor_execution(change)
        if execution_id is None:
            return {"skipped": f"the execution is {change.status}; its own workflow cleans up"}
        metrics.add_metric(name="JanitorRuns", unit="Count", value=1)
    else:
        execution_id = CleanupRequest.model_validate(event).execution_id
    report = clean_up_run(
        execution_id,
        wiring.run_records(settings.runs_table),
        wiring.function_control,
        wiring.profiles(settings.profiles_table),
    )
    logger.info("cleaned up", extra={"execution": execution_id, "skipped": report.skipped})
    metrics.add_metric(name="VersionsDeleted", unit="Count", value=len(report.deleted_versions))
    return report.model_dump(mode="json")

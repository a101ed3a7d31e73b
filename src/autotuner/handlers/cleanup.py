from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.domain.costs.pricing import gb_seconds
from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import ProfilesTableSetting, RunsTableSetting
from autotuner.workflow.cleanup import (
    EXECUTION_STATUS_CHANGE,
    CleanupRequest,
    ExecutionStatusChange,
    SweepFailedError,
    clean_up_run,
    janitor_execution,
    sweep_ended_runs,
)


class CleanupFunctionSettings(RunsTableSetting, ProfilesTableSetting):
    pass


SWEEP_SOURCE = "autotuner.sweep"  # the hourly schedule's input (template.yaml)


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The workflow's clean-up (success and failure paths), the janitor of executions that ended outside the
    workflow (stopped, timed out), which EventBridge delivers here, and the hourly sweep of runs the janitor could
    not clean up. All work from the run record alone."""
    settings = CleanupFunctionSettings.current()
    if isinstance(event, dict) and event.get("source") == SWEEP_SOURCE:
        return sweep(settings)
    if isinstance(event, dict) and event.get("detail-type") == EXECUTION_STATUS_CHANGE:
        change = execution_status_change(event)
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
    report.gb_seconds = gb_seconds(report.elapsed_ms, context.memory_limit_in_mb)
    logger.info("cleaned up", extra={"execution": execution_id, "skipped": report.skipped})
    metrics.add_metric(name="VersionsDeleted", unit="Count", value=len(report.deleted_versions))
    return report.model_dump(mode="json")


def execution_status_change(event: dict[str, Any]) -> ExecutionStatusChange:
    # Imported for the janitor's events only: Powertools' models package builds every event model it has.
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    return ExecutionStatusChange.model_validate(EventBridgeModel.model_validate(event).detail)


def sweep(settings: CleanupFunctionSettings) -> dict[str, Any]:
    records = wiring.run_records(settings.runs_table)
    report = sweep_ended_runs(
        records, wiring.execution_status, records, wiring.function_control, wiring.profiles(settings.profiles_table)
    )
    logger.info("swept", extra=report.model_dump(mode="json"))
    metrics.add_metric(name="SweepCleanedRuns", unit="Count", value=len(report.cleaned))
    if report.failed:
        metrics.add_metric(name="SweepFailedRuns", unit="Count", value=len(report.failed))
        raise SweepFailedError(f"{len(report.failed)} ended runs could not be cleaned up: {report.failed}")
    return report.model_dump(mode="json")

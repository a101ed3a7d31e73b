"""Every adapter the handlers use, built here from their settings (one place, so each handler stays a few lines).

Each builder imports its adapter when called: a handler's import (its Lambda's cold start) then carries only the
adapters it uses, not every adapter and the domain modules behind them (the alarm subscriber's, the clean-up's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.handlers.settings import CodeStagingBucketSetting, TargetAccountExternalIdSetting

if TYPE_CHECKING:
    from autotuner.adapters.alarms import CloudWatchAlarms
    from autotuner.adapters.discovery import FunctionDirectory
    from autotuner.adapters.executions import Executions
    from autotuner.adapters.function_logs import CloudWatchFunctionLogs
    from autotuner.adapters.lambda_functions import LambdaInvoker
    from autotuner.adapters.measurements import MeasurementTable
    from autotuner.adapters.metrics import CloudWatchDurations, CloudWatchInvocations, CloudWatchTraffic
    from autotuner.adapters.notifications import TopicNotifier
    from autotuner.adapters.payloads import S3PayloadSource
    from autotuner.adapters.production_logs import CloudWatchProductionLogs
    from autotuner.adapters.profiles import ProfileStore
    from autotuner.adapters.run_records import RunRecords
    from autotuner.domain.inputs.scope import AssumedRole
    from autotuner.workflow.guard import ChangeGuard
    from autotuner.workflow.ports import FunctionControl, Invoker

WARMING_THROTTLE_ATTEMPTS = 3  # a warm-up that keeps being throttled is retried on the next schedule


def function_control(arn: FunctionRef | str, through: AssumedRole | None = None) -> FunctionControl:
    """The target's control plane; ``through``: the role in the target's account the calls go through."""
    from autotuner.adapters.lambda_functions import LambdaFunction

    function = parse_function_arn(arn) if isinstance(arn, str) else arn
    staging = CodeStagingBucketSetting.current().code_staging_bucket
    return LambdaFunction(function, through=through, external_id=_external_id(through), staging_bucket=staging)


def invoker(region: str, throttle_base_delay_ms: float, through: AssumedRole | None = None) -> Invoker:
    from autotuner.adapters.lambda_functions import LambdaInvoker

    return LambdaInvoker(
        region, through=through, external_id=_external_id(through), base_delay_s=throttle_base_delay_ms / 1000
    )


def _external_id(through: AssumedRole | None) -> str:
    """The deployment's external id, read only when a role is assumed (from the environment, never from a run's
    documents, which would show it to whoever may read the executions)."""
    return TargetAccountExternalIdSetting.current().target_account_external_id if through is not None else ""


def warming_invoker() -> LambdaInvoker:
    """Invokes in the warmer's own region, which is where its targets live."""
    from autotuner.adapters.lambda_functions import LambdaInvoker

    return LambdaInvoker(region=None, throttle_attempts=WARMING_THROTTLE_ATTEMPTS)


def function_directory(stack_id: str) -> FunctionDirectory:
    """Functions found by tag, the stack's own (``stack_id``) left out."""
    from autotuner.adapters.discovery import FunctionDirectory

    return FunctionDirectory(own_stack_id=stack_id)


def execution_status(execution_arn: str) -> str | None:
    from autotuner.adapters.executions import execution_status as read_execution_status

    return read_execution_status(execution_arn)


def function_tags(function_arn: str) -> dict[str, str] | None:
    from autotuner.adapters.discovery import read_function_tags

    return read_function_tags(function_arn)


def notifier(results_topic_arn: str) -> TopicNotifier:
    from autotuner.adapters.notifications import TopicNotifier

    return TopicNotifier(results_topic_arn)


def payload_source() -> S3PayloadSource:
    from autotuner.adapters.payloads import S3PayloadSource

    return S3PayloadSource()


_RUN_PAYLOADS: dict[str, S3PayloadSource] = {}


def run_payload_source(execution_id: str) -> S3PayloadSource:
    """A source that reads each S3 payload of one run once per warm Lambda: a run's Measure tasks reuse it, and a
    different run reads its payload afresh (the object may have changed between runs)."""
    from autotuner.adapters.payloads import S3PayloadSource

    if execution_id not in _RUN_PAYLOADS:
        _RUN_PAYLOADS.clear()
        _RUN_PAYLOADS[execution_id] = S3PayloadSource(remember=True)
    return _RUN_PAYLOADS[execution_id]


def duration_history() -> CloudWatchDurations:
    from autotuner.adapters.metrics import CloudWatchDurations

    return CloudWatchDurations()


def invocation_counts() -> CloudWatchInvocations:
    from autotuner.adapters.metrics import CloudWatchInvocations

    return CloudWatchInvocations()


def traffic_history() -> CloudWatchTraffic:
    from autotuner.adapters.metrics import CloudWatchTraffic

    return CloudWatchTraffic()


def run_records(runs_table: str) -> RunRecords:
    from autotuner.adapters.run_records import RunRecords

    return RunRecords(runs_table)


def change_guard(runs_table: str, execution_id: str, control: FunctionControl) -> ChangeGuard:
    """The guard of a step that changes the target; its undo is a clean-up from the run record."""
    from autotuner.workflow.cleanup import clean_up_run
    from autotuner.workflow.guard import ChangeGuard

    records = run_records(runs_table)
    return ChangeGuard(
        records,
        execution_id,
        undo=lambda: clean_up_run(execution_id, records, lambda _arn, _through: control, None, again=True),
    )


def measurements(measurements_table: str) -> MeasurementTable:
    from autotuner.adapters.measurements import MeasurementTable

    return MeasurementTable(measurements_table)


def profiles(profiles_table: str) -> ProfileStore:
    from autotuner.adapters.profiles import ProfileStore

    return ProfileStore(profiles_table)


def tuner_executions(state_machine_arn: str) -> Executions:
    from autotuner.adapters.executions import Executions

    return Executions(state_machine_arn)


def alarms(name_prefix: str, tag_key: str) -> CloudWatchAlarms:
    """The alarms the stack watches (the re-tuning prefix or tag) and the metrics of versions behind an alias."""
    from autotuner.adapters.alarms import CloudWatchAlarms

    return CloudWatchAlarms(name_prefix=name_prefix, tag_key=tag_key)


def function_logs() -> CloudWatchFunctionLogs:
    from autotuner.adapters.function_logs import CloudWatchFunctionLogs

    return CloudWatchFunctionLogs()


def production_logs() -> CloudWatchProductionLogs:
    from autotuner.adapters.production_logs import CloudWatchProductionLogs

    return CloudWatchProductionLogs()

"""Adapters for the handlers, built from the settings (one place, so each handler stays a few lines)."""

from autotuner.adapters.executions import Executions
from autotuner.adapters.lambda_functions import LambdaFunction, LambdaInvoker
from autotuner.adapters.metrics import CloudWatchDurations
from autotuner.adapters.notifications import TopicNotifier
from autotuner.adapters.payloads import S3PayloadSource
from autotuner.adapters.profiles import ProfileStore
from autotuner.adapters.run_records import RunRecords
from autotuner.domain.arn import FunctionArn, parse_function_arn
from autotuner.handlers.settings import Settings
from autotuner.workflow.cleanup import clean_up_run
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import FunctionControl, Invoker


def function_control(arn: FunctionArn | str) -> FunctionControl:
    return LambdaFunction(parse_function_arn(arn) if isinstance(arn, str) else arn)


def invoker(region: str, settings: Settings) -> Invoker:
    return LambdaInvoker(region, base_delay_s=settings.throttle_base_delay_ms / 1000)


def notifier(settings: Settings) -> TopicNotifier | None:
    return TopicNotifier(settings.results_topic_arn) if settings.results_topic_arn else None


def payload_source() -> S3PayloadSource:
    return S3PayloadSource()


def duration_history() -> CloudWatchDurations:
    return CloudWatchDurations()


def run_records(settings: Settings) -> RunRecords:
    if not settings.runs_table:
        raise ValueError("RUNS_TABLE is not set: every run records what it changes before changing it")
    return RunRecords(settings.runs_table)


def change_guard(settings: Settings, execution_id: str, control: FunctionControl) -> ChangeGuard:
    """The guard of a step that changes the target; its undo is a clean-up from the run record."""
    records = run_records(settings)
    return ChangeGuard(
        records, execution_id, undo=lambda: clean_up_run(execution_id, records, lambda _: control, None, again=True)
    )


def profiles(settings: Settings) -> ProfileStore | None:
    """The profiles table; without one (a bare deployment of the tuner) runs are neither locked nor remembered."""
    return ProfileStore(settings.profiles_table) if settings.profiles_table else None


def tuner_executions(settings: Settings) -> Executions:
    if not settings.tuner_state_machine_arn:
        raise ValueError("TUNER_STATE_MACHINE_ARN is not set")
    return Executions(settings.tuner_state_machine_arn)

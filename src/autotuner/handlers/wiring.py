"""Adapters for the handlers, built from the settings (one place, so each handler stays a few lines)."""

from autotuner.adapters.executions import Executions
from autotuner.adapters.lambda_functions import LambdaFunction, LambdaInvoker
from autotuner.adapters.notifications import TopicNotifier
from autotuner.adapters.payloads import S3PayloadSource
from autotuner.adapters.profiles import ProfileStore
from autotuner.domain.arn import FunctionArn, parse_function_arn
from autotuner.handlers.settings import Settings
from autotuner.workflow.ports import FunctionControl, Invoker


def function_control(arn: FunctionArn | str) -> FunctionControl:
    return LambdaFunction(parse_function_arn(arn) if isinstance(arn, str) else arn)


def invoker(region: str, settings: Settings) -> Invoker:
    return LambdaInvoker(region, base_delay_s=settings.throttle_base_delay_ms / 1000)


def notifier(settings: Settings) -> TopicNotifier | None:
    return TopicNotifier(settings.results_topic_arn) if settings.results_topic_arn else None


def payload_source() -> S3PayloadSource:
    return S3PayloadSource()


def profiles(settings: Settings) -> ProfileStore | None:
    """The profiles table; without one (a bare deployment of the tuner) runs are neither locked nor remembered."""
    return ProfileStore(settings.profiles_table) if settings.profiles_table else None


def tuner_executions(settings: Settings) -> Executions:
    if not settings.tuner_state_machine_arn:
        raise ValueError("TUNER_STATE_MACHINE_ARN is not set")
    return Executions(settings.tuner_state_machine_arn)

"""Test helpers around the local emulator: running a tuning, reading the target's state, injecting faults."""

import contextvars
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from unittest import mock

import boto3
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from autotuner_local.authorization import CURRENT_PRINCIPAL
from autotuner_local.events import deliver_status_change
from autotuner_local.naming import LOGICAL_ID_TAG
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class MakeTarget(Protocol):
    """The make_target fixture: creates an emulated target function and returns its ARN."""

    def __call__(self, name: str = ..., workload: str = ..., **options: Any) -> str: ...


@dataclass
class Execution:
    arn: str
    status: str
    output: dict[str, Any]
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]

    def states_entered(self) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e]


def logical_id(function: LambdaFunction) -> str | None:
    """The logical id of one of a stack's functions (CloudFormation tags it), as moto holds the function."""
    return (function.tags or {}).get(LOGICAL_ID_TAG)


def raise_alarm(event: dict[str, Any], *, tags: dict[str, str] | None = None) -> dict[str, Any]:
    """Create in CloudWatch the alarm a real-format alarm event (events/) reports, in the state it reports, as the
    alarm subscriber reads it back; the event is returned, for delivery."""
    from autotuner.handlers.alarm import read_alarm_changes  # noqa: PLC0415 - a handler module

    cloudwatch = boto3.client("cloudwatch")
    (change,), _ = read_alarm_changes(event)
    shape: dict[str, Any]
    if len(change.metrics) == 1:
        [metric] = change.metrics
        statistic = change.statistic or "Average"
        shape = {"MetricName": metric.name, "Namespace": metric.namespace, "Period": 60,
                 "Dimensions": [{"Name": k, "Value": v} for k, v in metric.dimensions.items()],
                 "ExtendedStatistic" if statistic.startswith("p") else "Statistic": statistic}  # fmt: skip
    else:  # metric math over the metrics, as the events' error-rate alarms are
        queries = [{"Id": f"m{i}", "ReturnData": False, "MetricStat": {"Period": 60, "Stat": "Sum", "Metric": {
                    "Namespace": m.namespace, "MetricName": m.name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in m.dimensions.items()]}}}
                   for i, m in enumerate(change.metrics)]  # fmt: skip
        shape = {"Metrics": [*queries, {"Id": "rate", "Expression": "m0 / m1 * 100", "ReturnData": True}]}
    cloudwatch.put_metric_alarm(
        AlarmName=change.alarm_name, EvaluationPeriods=1, Threshold=change.threshold or 1.0,
        ComparisonOperator="GreaterThanThreshold", Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        **shape,
    )  # fmt: skip
    state: Literal["ALARM", "INSUFFICIENT_DATA", "OK"] = "ALARM" if change.state == "ALARM" else "OK"
    cloudwatch.set_alarm_state(AlarmName=change.alarm_name, StateValue=state, StateReason=change.reason)
    return event


def run_tuning(stack: LocalStack, tuning_input: object, name: str = "run-1", timeout_s: float = 120) -> Execution:
    sfn = boto3.client("stepfunctions", region_name=stack.region)
    arn = sfn.start_execution(stateMachineArn=stack.state_machine_arn, name=name, input=json.dumps(tuning_input))[
        "executionArn"
    ]
    wait_until_ended(arn, timeout_s)
    described = sfn.describe_execution(executionArn=arn)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return Execution(
        arn=arn,
        status=described["status"],
        output=json.loads(described.get("output") or "{}"),
        error=described.get("error"),
        cause=described.get("cause"),
        history=[dict(event) for event in history],
    )


def wait_until_ended(execution_arn: str, timeout_s: float = 120) -> None:
    """Until the execution has ended, as moto's own record of it says: asking DescribeExecution every few
    milliseconds took a tenth of the suite's CPU, from the threads that run the execution."""
    region, account = execution_arn.split(":")[3:5]
    execution = stepfunctions_backend(account, region).describe_execution(execution_arn)
    deadline = time.monotonic() + timeout_s
    while execution.status == "RUNNING":
        assert time.monotonic() < deadline, f"execution {execution_arn} still running after {timeout_s} s"
        time.sleep(0.005)


def results_queue(stack: LocalStack) -> str:
    """An SQS queue subscribed to the results topic, to read what the run published."""
    sqs = boto3.client("sqs")
    url: str = sqs.create_queue(QueueName="results")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=stack.topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def notifications(url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def as_operator[T](call: Callable[[], T]) -> T:
    """Run ``call`` as the person at the console, not as the tuner Lambda whose handler is running (hooks run
    inside handlers, whose calls the emulator checks against the Lambda's own role)."""
    return contextvars.Context().run(call)


def execution_arn(stack: LocalStack, name: str) -> str:
    """The ARN Step Functions gives the tuner's execution ``name``."""
    return stack.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


@contextmanager
def janitor_during(stack: LocalStack, execution: str, step: str, operation: str) -> Iterator[list[str]]:
    """The race a stop makes: when ``step`` (a logical id, e.g. PrepareFunction) first calls moto's Lambda
    ``operation``, the execution is stopped and the janitor runs to completion; only then is the call served, as a
    change that lands after the janitor listed the function. Yields the names of the steps it interrupted."""
    original = getattr(LambdaBackend, operation)
    interrupted: list[str] = []

    def after_the_janitor(backend: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        principal = CURRENT_PRINCIPAL.get()
        if principal is not None and principal.logical_id == step and not interrupted:
            interrupted.append(step)
            arn = execution_arn(stack, execution)
            as_operator(lambda: boto3.client("stepfunctions").stop_execution(executionArn=arn))
            # AWS reports a stopped execution ABORTED at once; moto only once the running task returns.
            (cleaned,) = as_operator(lambda: deliver_status_change(stack, arn, status="ABORTED"))
            assert cleaned["complete"], cleaned
        return original(backend, *args, **kwargs)

    with mock.patch.object(LambdaBackend, operation, after_the_janitor):
        yield interrupted


def running_execution(stack: LocalStack) -> str:
    sfn = boto3.client("stepfunctions")
    (running,) = sfn.list_executions(stateMachineArn=stack.state_machine_arn, statusFilter="RUNNING")["executions"]
    return str(running["executionArn"])


def wait_for(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def settled(runtime: InProcessRuntime) -> bool:
    """No handler still finishing: the runtime served nothing new for a while."""
    before = len(runtime.invocations)
    time.sleep(0.3)
    return len(runtime.invocations) == before


def stopped_while_preparing(stack: LocalStack, runtime: InProcessRuntime, tuning: dict[str, Any]) -> str:
    """A run stopped by hand as its Prepare Lambda starts, which goes on publishing after the stop, as a Lambda
    does in AWS; returns the execution's ARN once everything settled (no janitor has run)."""
    sfn = boto3.client("stepfunctions")
    stopped: list[str] = []

    def stop_while_preparing(function: LambdaFunction, _payload: Any) -> None:
        if logical_id(function) == "PrepareFunction" and not stopped:
            stopped.append(as_operator(lambda: running_execution(stack)))
            as_operator(lambda: sfn.stop_execution(executionArn=stopped[0], error="Operator", cause="by hand"))

    runtime.hooks.append(stop_while_preparing)
    sfn.start_execution(stateMachineArn=stack.state_machine_arn, name="stopped", input=json.dumps(tuning))
    wait_for(lambda: bool(stopped) and sfn.describe_execution(executionArn=stopped[0])["status"] == "ABORTED")
    runtime.hooks.remove(stop_while_preparing)
    wait_for(lambda: settled(runtime))
    return stopped[0]


@contextmanager
def apply_fails_after_moving_the_alias() -> Iterator[None]:
    """Apply moves the alias, then every attempt botocore makes (eight) to put $LATEST back fails: the run fails
    with the alias moved and before its run record holds the applied choice."""
    original_update_alias = LambdaBackend.update_alias
    original_update = LambdaBackend.update_function_configuration
    moved: list[bool] = []
    failures: list[int] = []

    def alias_moved(backend: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        moved.append(True)
        return original_update_alias(backend, *args, **kwargs)

    def fails_once_the_alias_moved(backend: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        if moved and len(failures) < 8:
            failures.append(1)
            error = LambdaClientError("ServiceException", "internal error")
            error.code = 500
            raise error
        return original_update(backend, *args, **kwargs)

    with (
        mock.patch.object(LambdaBackend, "update_alias", alias_moved),
        mock.patch.object(LambdaBackend, "update_function_configuration", fails_once_the_alias_moved),
    ):
        yield


@dataclass(frozen=True)
class TargetState:
    memory_mb: int
    description: str
    aliases: dict[str, str]
    versions: list[str]


def target_state(name: str, client: "LambdaClient | None" = None) -> TargetState:
    """The function as it is now (``client``: one acting in its account, when that is not the tuner's)."""
    client = client or boto3.client("lambda")
    configuration = client.get_function_configuration(FunctionName=name)
    return TargetState(
        memory_mb=configuration["MemorySize"],
        description=configuration.get("Description", ""),
        aliases={a["Name"]: a["FunctionVersion"] for a in client.list_aliases(FunctionName=name)["Aliases"]},
        versions=[v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]],
    )


def conflict(message: str = "The operation cannot be performed at this time. An update is in progress") -> Exception:
    error = LambdaClientError("ResourceConflictException", message)
    error.code = 409
    return error


@contextmanager
def failing(operation: str, error: Callable[[], Exception], *, times: int, after: int = 0) -> Iterator[list[int]]:
    """Make moto's Lambda ``operation`` raise ``error()`` ``times`` times, after ``after`` successful calls."""
    original = getattr(LambdaBackend, operation)
    calls = [0]

    def wrapper(self: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if after < calls[0] <= after + times:
            raise error()
        return original(self, *args, **kwargs)

    with mock.patch.object(LambdaBackend, operation, wrapper):
        yield calls

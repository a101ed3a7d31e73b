"""Test helpers around the local emulator: running a tuning, reading the target's state, injecting faults."""

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from unittest import mock

import boto3
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend

from autotuner.local.stack import LocalStack


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


def run_tuning(
    stack: LocalStack, tuning_input: dict[str, Any], name: str = "run-1", timeout_s: float = 120
) -> Execution:
    sfn = boto3.client("stepfunctions", region_name=stack.region)
    arn = sfn.start_execution(stateMachineArn=stack.state_machine_arn, name=name, input=json.dumps(tuning_input))[
        "executionArn"
    ]
    deadline = time.monotonic() + timeout_s
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"execution {name} still running after {timeout_s} s"
        time.sleep(0.02)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return Execution(
        arn=arn,
        status=described["status"],
        output=json.loads(described.get("output") or "{}"),
        error=described.get("error"),
        cause=described.get("cause"),
        history=[dict(event) for event in history],
    )


@dataclass(frozen=True)
class TargetState:
    memory_mb: int
    description: str
    aliases: dict[str, str]
    versions: list[str]


def target_state(name: str) -> TargetState:
    client = boto3.client("lambda")
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

"""Starting and reading tuning runs (Step Functions executions)."""

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from autotuner.adapters.clients import stepfunctions_client
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AccessDeniedError, AwsError, describe, error_code, is_code
from autotuner.domain.inputs.arn import parse_arn

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class ExecutionAlreadyStartedError(AwsError):
    """An execution with this name exists: Step Functions names are unique per state machine for 90 days."""


class Execution(BaseModel):
    arn: str
    name: str
    status: str
    started: datetime
    stopped: datetime | None = None
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None


class HistoryEvent(BaseModel):
    id: int
    type: str
    state: str | None = None
    output: dict[str, Any] | None = None


class Executions:
    def __init__(self, state_machine_arn: str, client: "SFNClient | None" = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._client = client or stepfunctions_client(parse_arn(state_machine_arn, service="states").region)

    def start(self, tuning_input: dict[str, Any], name: str) -> str:
        try:
            response = self._client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(tuning_input)
            )
        except ClientError as error:
            if is_code(error, "ExecutionAlreadyExists"):
                raise ExecutionAlreadyStartedError(f"a run named {name} already exists") from error
            raise _translate(error, "starting a tuning run") from error
        return response["executionArn"]

    def describe(self, execution_arn: str) -> Execution:
        try:
            raw = self._client.describe_execution(executionArn=execution_arn)
        except ClientError as error:
            raise _translate(error, f"reading {execution_arn}") from error
        return described_execution(dict(raw))

    def history(self, execution_arn: str) -> list[HistoryEvent]:
        events: list[HistoryEvent] = []
        paginator = self._client.get_paginator("get_execution_history")
        try:
            for page in paginator.paginate(executionArn=execution_arn, includeExecutionData=True):
                events += [_event(e) for e in page["events"]]
        except ClientError as error:
            raise _translate(error, f"reading the history of {execution_arn}") from error
        return events

    def recent(self, limit: int = 100) -> list[Execution]:
        """The latest executions, newest first (without their input and output)."""
        try:
            raw = self._client.list_executions(stateMachineArn=self.state_machine_arn, maxResults=min(limit, 1000))
        except ClientError as error:
            raise _translate(error, "listing tuning runs") from error
        return [
            Execution(arn=e["executionArn"], name=e["name"], status=e["status"], started=e["startDate"],
                      stopped=e.get("stopDate"))
            for e in raw["executions"]
        ]  # fmt: skip


def described_execution(raw: dict[str, Any]) -> Execution:
    """DescribeExecution's answer (boto3's, or the AWS CLI's JSON of it: dates as text) as an Execution."""
    return Execution(
        arn=raw["executionArn"],
        name=raw.get("name") or str(raw["executionArn"]).rsplit(":", 1)[-1],
        status=raw["status"],
        started=raw["startDate"],
        stopped=raw.get("stopDate"),
        input=_json(raw.get("input")),
        output=_json(raw.get("output")),
        error=raw.get("error"),
        cause=raw.get("cause"),
    )


def execution_status(execution_arn: str, client: "SFNClient | None" = None) -> str | None:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; None for an execution Step Functions does not know."""
    api = client or stepfunctions_client(parse_arn(execution_arn, service="states").region)
    try:
        return str(api.describe_execution(executionArn=execution_arn)["status"])
    except ClientError as error:
        if is_code(error, "ExecutionDoesNotExist"):
            return None
        raise _translate(error, f"reading {execution_arn}") from error


def _event(raw: Any) -> HistoryEvent:
    details: dict[str, Any] = next((value for key, value in raw.items() if key.endswith("EventDetails")), {})
    return HistoryEvent(
        id=int(raw["id"]), type=raw["type"], state=details.get("name"), output=_json(details.get("output"))
    )


def _json(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


# What to do about the Step Functions errors a person causes (each printed beside its code).
_HINTS = {
    "ExecutionDoesNotExist": "no such run in this account and region; check the ARN and the region "
    "(`autotuner history FUNCTION` lists the runs)",
    "StateMachineDoesNotExist": "the stack's state machine is gone; redeploy the stack, or check the stack name "
    "and the region",
    "InvalidArn": "copy the ARN that `autotuner tune` printed or `autotuner history FUNCTION` lists",
    "ExecutionAlreadyExists": "a run of this name exists; start it again in a second",
    "ExecutionLimitExceeded": "too many runs are open in this account and region; wait for some to end",
}


def _translate(error: ClientError, what: str) -> Exception:
    if is_code(error, *ACCESS_DENIED_CODES):
        return AccessDeniedError(f"{what}: access denied ({describe(error)})")
    hint = _HINTS.get(error_code(error))
    return AwsError(f"{what}: {describe(error)}" + (f"; {hint}" if hint else ""))

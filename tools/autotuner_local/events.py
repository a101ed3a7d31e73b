"""EventBridge delivery that moto does not do: Step Functions' "Execution Status Change" events, sent to the
targets of the stack's rules whose pattern matches, as EventBridge does in AWS. The janitor (the clean-up of
stopped and timed-out runs) is such a target; tests and the demo call this after an execution ends."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from autotuner_local.stack import LOCAL_ACCOUNT, LocalStack

STATUS_CHANGE = "Step Functions Execution Status Change"


def deliver_status_change(stack: LocalStack, execution_arn: str, status: str | None = None) -> list[dict[str, Any]]:
    """Send the execution's current status as a status-change event to every matching rule's target; the
    targets' responses, in rule order (none when no rule matches, e.g. for a RUNNING execution). ``status``:
    what AWS reports when the emulator cannot yet (moto keeps a stopped execution RUNNING until its in-flight
    task returns; AWS reports it ABORTED at once)."""
    event = status_change_event(stack.region, execution_arn)
    if status is not None:
        event["detail"]["status"] = status
    events = boto3.client("events", region_name=stack.region)
    responses: list[dict[str, Any]] = []
    for rule, target in sorted(stack.rule_targets.items()):
        pattern = json.loads(events.describe_rule(Name=rule).get("EventPattern") or "null")
        if pattern is None or not target.startswith("arn:aws:lambda:") or not matches(pattern, event):
            continue
        answer = boto3.client("lambda", region_name=stack.region).invoke(
            FunctionName=target, Payload=json.dumps(event).encode()
        )
        responses.append(json.loads(answer["Payload"].read() or b"null"))
    return responses


def status_change_event(region: str, execution_arn: str) -> dict[str, Any]:
    """The event Step Functions sends to EventBridge, in its documented shape."""
    execution = boto3.client("stepfunctions", region_name=region).describe_execution(executionArn=execution_arn)
    stopped = execution.get("stopDate")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": STATUS_CHANGE,
        "source": "aws.states",
        "account": LOCAL_ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [execution_arn],
        "detail": {
            "executionArn": execution_arn,
            "stateMachineArn": execution["stateMachineArn"],
            "name": execution["name"],
            "status": execution["status"],
            "startDate": int(execution["startDate"].timestamp() * 1000),
            "stopDate": int(stopped.timestamp() * 1000) if stopped else None,
            "input": execution.get("input"),
            "output": execution.get("output"),
        },
    }


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge's matching for the pattern forms the template uses: nested fields, lists of allowed values,
    and {"prefix": ...}."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(key in event and matches(p, event[key]) for key, p in pattern.items())
    if isinstance(pattern, list):
        return any(_matches_value(allowed, event) for allowed in pattern)
    return bool(pattern == event)


def _matches_value(allowed: Any, value: Any) -> bool:
    if isinstance(allowed, dict) and "prefix" in allowed:
        return isinstance(value, str) and value.startswith(allowed["prefix"])
    if isinstance(value, list):
        return allowed in value
    return bool(allowed == value)

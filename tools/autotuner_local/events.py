"""EventBridge delivery that moto does not do: Step Functions' "Execution Status Change" events and scheduled
events, sent to the targets of the stack's rules, as EventBridge and Lambda do in AWS. The janitor (the clean-up of
stopped and timed-out runs) and the hourly sweep are such targets; tests and the demo call this when AWS would.

Delivery is emulated in its two stages, each with its own retries and dead-letter queue:

1. EventBridge hands the event to Lambda as an asynchronous invocation. If Lambda refuses it (throttled, the
   function missing...), EventBridge tries again, up to the rule target's RetryPolicy, then sends the event to the
   target's DeadLetterConfig queue, with the attributes EventBridge sets (RULE_ARN, TARGET_ARN, ERROR_CODE, ...).
2. Once accepted, Lambda runs the function; a function error is retried up to the function's EventInvokeConfig
   (MaximumRetryAttempts), then Lambda sends its invocation record to the OnFailure destination, with the
   function's own role (which must allow sqs:SendMessage there; without it the record is dropped, as in AWS).

Retries happen at once here (AWS waits between them), and the age limits (MaximumEventAgeInSeconds) never expire.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from autotuner_local.iam import Decision, Request, decide
from autotuner_local.runtime import read_role
from autotuner_local.stack import LOCAL_ACCOUNT, Delivery, LocalStack

STATUS_CHANGE = "Step Functions Execution Status Change"
SCHEDULED = "Scheduled Event"
ONE_CALL = Config(retries={"total_max_attempts": 1})  # EventBridge and Lambda are the retriers here, not botocore


def deliver_status_change(stack: LocalStack, execution_arn: str, status: str | None = None) -> list[dict[str, Any]]:
    """Send the execution's current status as a status-change event to every matching rule's target; what the
    target answered on its last attempt, in rule order (none when no rule matches, e.g. for a RUNNING execution).
    ``status``: what AWS reports when the emulator cannot yet (moto keeps a stopped execution RUNNING until its
    in-flight task returns; AWS reports it ABORTED at once)."""
    event = status_change_event(stack.region, execution_arn)
    if status is not None:
        event["detail"]["status"] = status
    events = boto3.client("events", region_name=stack.region)
    responses: list[dict[str, Any]] = []
    for rule, target in sorted(stack.rule_targets.items()):
        pattern = json.loads(events.describe_rule(Name=rule).get("EventPattern") or "null")
        if pattern is None or not target.startswith("arn:aws:lambda:") or not matches(pattern, event):
            continue
        responses.append(deliver(stack, rule, event))
    return responses


def run_schedule(stack: LocalStack, event_key: str) -> dict[str, Any]:
    """What the schedule ``event_key`` ("Resource.Event", e.g. "CleanupFunction.Sweep") sends when it fires: its
    constant Input, or a Scheduled Event; delivered as EventBridge delivers it. Refused for a DISABLED schedule."""
    rule = stack.rules[event_key]
    described = boto3.client("events", region_name=stack.region).describe_rule(Name=rule)
    if described["State"] != "ENABLED":
        raise ValueError(f"the schedule {event_key} is {described['State']}: it fires nothing")
    event: dict[str, Any] = (
        json.loads(stack.rule_inputs[rule])
        if rule in stack.rule_inputs
        else {"detail-type": SCHEDULED, "source": "aws.events", "resources": [described["Arn"]], "detail": {}}
    )
    return deliver(stack, rule, event)


def deliver(stack: LocalStack, rule: str, event: dict[str, Any]) -> dict[str, Any]:
    """One event to the rule's Lambda target, through both stages; the function's last answer ({} when the event
    never reached it)."""
    target = stack.rule_targets[rule]
    delivery = stack.rule_delivery.get(rule, Delivery(retries=185))
    refused: ClientError | None = None
    for _attempt in range(1 + delivery.retries):
        try:
            return _invoke_asynchronously(stack, target, event)
        except ClientError as error:  # Lambda did not accept the event: EventBridge tries again
            refused = error
    if refused is not None and delivery.dead_letter_arn:
        _send_to_queue(stack, delivery.dead_letter_arn, json.dumps(event), _undelivered_attributes(
            stack, rule, target, refused, delivery.retries))  # fmt: skip
    return {}


def _invoke_asynchronously(stack: LocalStack, function_arn: str, event: dict[str, Any]) -> dict[str, Any]:
    """Lambda's asynchronous invocation once it accepted the event: the function is run, and run again after a
    function error up to its EventInvokeConfig; then the invocation record goes to the failure destination. The
    first attempt's refusal (a ClientError) is EventBridge's to retry."""
    delivery = stack.async_delivery.get(function_arn, Delivery(retries=2))
    client = boto3.client("lambda", region_name=stack.region, config=ONE_CALL)
    request_id = str(uuid.uuid4())
    answer: dict[str, Any] = {}
    attempts = 1 + delivery.retries
    for attempt in range(attempts):
        try:
            response = client.invoke(FunctionName=function_arn, Payload=json.dumps(event).encode())
        except ClientError as error:
            if attempt == 0:
                raise
            answer = {"errorType": error.response["Error"]["Code"], "errorMessage": str(error)}
            continue
        answer = json.loads(response["Payload"].read() or b"null") or {}
        if "FunctionError" not in response:
            return answer
    if delivery.dead_letter_arn and _role_may_send(function_arn, delivery.dead_letter_arn, stack.region):
        record = _invocation_record(function_arn, request_id, event, answer, attempts)
        _send_to_queue(stack, delivery.dead_letter_arn, json.dumps(record), {})
    return answer


def _invocation_record(
    function_arn: str, request_id: str, event: dict[str, Any], answer: dict[str, Any], attempts: int
) -> dict[str, Any]:
    """What Lambda sends to an asynchronous invocation's OnFailure destination, in its documented shape."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": answer,
    }


def _undelivered_attributes(
    stack: LocalStack, rule: str, target: str, error: ClientError, retries: int
) -> dict[str, dict[str, str]]:
    """The message attributes EventBridge puts on an event it sends to a target's dead-letter queue."""
    values = {
        "RULE_ARN": f"arn:aws:events:{stack.region}:{LOCAL_ACCOUNT}:rule/{rule}",
        "TARGET_ARN": target,
        "ERROR_CODE": str(error.response["Error"]["Code"]),
        "ERROR_MESSAGE": str(error.response["Error"].get("Message", "")),
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttemptsExhausted",
        "RETRY_ATTEMPTS": str(retries),
    }
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


def _role_may_send(function_arn: str, queue_arn: str, region: str) -> bool:
    """Lambda sends to a failure destination with the function's execution role."""
    role_arn = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=function_arn)["Role"]
    role = read_role(str(role_arn))
    request = Request("sqs:SendMessage", queue_arn)
    return role is not None and decide(role.documents, request) is Decision.ALLOWED


def _send_to_queue(stack: LocalStack, queue_arn: str, body: str, attributes: dict[str, dict[str, str]]) -> None:
    sqs = boto3.client("sqs", region_name=stack.region)
    url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)  # type: ignore[arg-type]


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

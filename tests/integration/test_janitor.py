"""The janitor cannot lose an event: an execution-ended event it fails on for its whole retry window, or that
EventBridge cannot hand to it, lands in its dead-letter queue (whose alarm tells the operator), and the hourly
sweep cleans the run up from its record all the same. Delivery is emulated as EventBridge and Lambda do it (see
local.events): EventBridge's retries and target dead-letter queue, then Lambda's asynchronous retries and failure
destination."""

import json
from typing import Any

import boto3
import pytest
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction

from autotuner.adapters.run_records import RunRecords
from autotuner_local.events import deliver_status_change, run_schedule
from autotuner_local.runtime import InProcessRuntime, ThrottledError
from autotuner_local.stack import Delivery, LocalStack, deploy
from tests.emulator import MakeTarget, failing, logical_id, stopped_while_preparing, target_state

pytestmark = pytest.mark.slow

ORIGINAL = "production build 42"


def dead_letters(stack: LocalStack) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=stack.queues["JanitorDeadLetterQueue"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return [{"body": json.loads(m["Body"]), "attributes": m.get("MessageAttributes", {})} for m in messages]


def left_behind(stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime) -> str:
    """A run stopped mid-Prepare whose janitor has not run: its aliases and versions are still on the function."""
    arn = make_target("resize", memory_mb=1024, description=ORIGINAL)
    stopped = stopped_while_preparing(stack, runtime, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512]})
    assert target_state("resize").aliases, "the stopped run left its aliases"
    return stopped


def cleanup_invocations(runtime: InProcessRuntime, stack: LocalStack) -> int:
    return len(runtime.targets_invoked(stack.functions["CleanupFunction"].split(":")[-1]))


def assert_clean(stack: LocalStack, execution: str) -> None:
    state = target_state("resize")
    assert (state.memory_mb, state.description, state.aliases, state.versions) == (1024, ORIGINAL, {}, ["$LATEST"])
    records = RunRecords(stack.tables["RunsTable"])
    record = records.read(execution)
    assert record is not None
    assert record.cleanup is not None
    assert record.cleanup.complete
    assert records.pending_cleanups() == []


def test_a_janitor_failing_for_its_whole_retry_window_is_dead_lettered_and_the_sweep_still_ends_clean(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    stopped = left_behind(stack, make_target, runtime)
    assert RunRecords(stack.tables["RunsTable"]).pending_cleanups() == [stopped]
    before = cleanup_invocations(runtime, stack)

    down = LambdaClientError("ServiceException", "Lambda is having a bad day")
    with failing("list_aliases", lambda: down, times=10_000):  # every attempt the janitor makes fails
        (answer,) = deliver_status_change(stack, stopped, status="ABORTED")

    assert answer["errorType"] == "AwsError", answer
    assert cleanup_invocations(runtime, stack) - before == 3, "the first attempt and Lambda's two retries"
    (letter,) = dead_letters(stack)
    record = letter["body"]
    assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == (
        "RetriesExhausted", 3)  # fmt: skip
    assert record["requestPayload"]["detail"]["executionArn"] == stopped
    assert target_state("resize").aliases, "still left behind: nothing could be cleaned"

    swept = run_schedule(stack, "CleanupFunction.Sweep")  # within the hour, once Lambda answers again

    assert swept == {"cleaned": [stopped], "running": [], "failed": {}}
    assert_clean(stack, stopped)


def test_an_event_eventbridge_cannot_hand_to_the_janitor_is_dead_lettered_and_the_sweep_still_ends_clean(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    stopped = left_behind(stack, make_target, runtime)
    refused: list[int] = []

    def throttle_the_janitor(function: LambdaFunction, _payload: Any) -> None:
        if logical_id(function) == "CleanupFunction":
            refused.append(1)
            raise ThrottledError

    runtime.hooks.append(throttle_the_janitor)
    (answer,) = deliver_status_change(stack, stopped, status="ABORTED")
    runtime.hooks.remove(throttle_the_janitor)

    assert answer == {}, "the event never reached the janitor"
    assert len(refused) == 11, "the first attempt and the rule target's 10 retries"
    (letter,) = dead_letters(stack)
    assert letter["body"]["detail"]["executionArn"] == stopped, "the event itself, as EventBridge keeps it"
    attributes = {name: value["StringValue"] for name, value in letter["attributes"].items()}
    assert attributes["ERROR_CODE"] == "TooManyRequestsException"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttemptsExhausted"
    assert attributes["RULE_ARN"].endswith(stack.rules["CleanupFunction.ExecutionEnded"])

    assert run_schedule(stack, "CleanupFunction.Sweep")["cleaned"] == [stopped]
    assert_clean(stack, stopped)


def test_a_sweep_that_cannot_clean_a_run_fails_so_that_it_is_retried_and_dead_lettered(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    stopped = left_behind(stack, make_target, runtime)

    down = LambdaClientError("ServiceException", "Lambda is having a bad day")
    with failing("list_aliases", lambda: down, times=10_000):
        answer = run_schedule(stack, "CleanupFunction.Sweep")

    assert answer["errorType"] == "SweepFailedError"
    assert stopped in answer["errorMessage"]
    (letter,) = dead_letters(stack)
    assert letter["body"]["requestPayload"] == {"source": "autotuner.sweep"}
    assert RunRecords(stack.tables["RunsTable"]).pending_cleanups() == [stopped], "left for the next sweep"


def test_the_dead_letter_queue_is_wired_to_both_stages_and_watched_by_an_alarm_that_tells_the_operator(
    stack: LocalStack,
) -> None:
    queue_url = stack.queues["JanitorDeadLetterQueue"]
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    queue_arn = attributes["QueueArn"]
    assert attributes["MessageRetentionPeriod"] == "1209600", "14 days, SQS's longest"
    janitor = stack.rules["CleanupFunction.ExecutionEnded"]
    assert stack.rule_delivery[janitor] == Delivery(retries=10, dead_letter_arn=queue_arn)
    assert stack.rule_delivery[stack.rules["CleanupFunction.Sweep"]] == Delivery(retries=10, dead_letter_arn=queue_arn)
    assert stack.async_delivery[stack.functions["CleanupFunction"]] == Delivery(retries=2, dead_letter_arn=queue_arn)
    (alarm,) = boto3.client("cloudwatch").describe_alarms(AlarmNames=[stack.alarms["JanitorDeadLetterAlarm"]])[
        "MetricAlarms"
    ]
    depth = [{"Name": "QueueName", "Value": queue_arn.split(":")[-1]}]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", depth)  # fmt: skip
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0.0)
    assert alarm["AlarmActions"] == [stack.outputs["OperationsTopicArn"]]
    schedule = boto3.client("events").describe_rule(Name=stack.rules["CleanupFunction.Sweep"])
    assert (schedule["ScheduleExpression"], schedule["State"]) == ("rate(1 hour)", "ENABLED")


def test_the_sweep_can_be_switched_off(runtime: InProcessRuntime) -> None:
    stack = deploy(parameters={"JanitorSweep": "DISABLED"})
    assert boto3.client("events").describe_rule(Name=stack.rules["CleanupFunction.Sweep"])["State"] == "DISABLED"
    with pytest.raises(ValueError, match=r"the schedule CleanupFunction\.Sweep is DISABLED"):
        run_schedule(stack, "CleanupFunction.Sweep")

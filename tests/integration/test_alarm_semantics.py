"""Re-tuning that knows why the alarm fired: the alarm's own metric and threshold decide the run's constraints, or
why no run starts. Real-format events (events/) through the deployed subscriber, runs through the real state
machine, against moto."""

import copy
import json
import time
from typing import Any

import boto3
import pytest

from autotuner.adapters.profiles import ProfileStore
from autotuner_local.stack import LocalStack
from tests.conftest import load_event
from tests.emulator import MakeTarget, raise_alarm
from tests.integration.test_retune_and_warmer import ORDERS, executions, invoke, wait_for_runs

pytestmark = pytest.mark.slow

PROFILE = {"num": 5, "powerValues": [128, 256, 512, 1024, 2048], "strategy": "cost"}


def store_profile(stack: LocalStack, profile: dict[str, Any]) -> None:
    ProfileStore(stack.tables["ProfilesTable"]).set_user_profile(ORDERS, profile)


def write_logs(*messages: str) -> None:
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/orders")
    logs.create_log_stream(logGroupName="/aws/lambda/orders", logStreamName="2026/11/27/[$LATEST]abc")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/lambda/orders",
        logStreamName="2026/11/27/[$LATEST]abc",
        logEvents=[{"timestamp": now, "message": message} for message in messages],
    )


def report(status: str = "", memory: int = 1024, used: int = 300) -> str:
    tail = f"\tStatus: {status}" if status else ""
    return (
        f"REPORT RequestId: 8f5a Duration: 120.00 ms\tBilled Duration: 120 ms\tMemory Size: {memory} MB\t"
        f"Max Memory Used: {used} MB{tail}"
    )


def test_a_duration_alarm_produces_a_run_whose_constraint_keeps_p95_under_its_threshold(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    make_target("orders", "cpu-single-thread", memory_mb=1024)
    store_profile(stack, PROFILE)
    event = raise_alarm(load_event("alarm-state-change.json"))  # p95 Duration above 800 ms

    result = invoke(stack, "AlarmSubscriberFunction", event)

    assert len(result["started"]) == 1, result
    (run,) = wait_for_runs(stack)
    assert run["status"] == "SUCCEEDED", run.get("cause")
    output, given = json.loads(run["output"]), json.loads(run["input"])
    assert given["constraints"] == {"maxP95DurationMs": 640.0}  # 800 ms x the default margin 0.8
    trigger = output["trigger"]
    assert (trigger["metric"], trigger["statistic"], trigger["threshold"]) == ("Duration", "p95", 800.0)
    assert trigger["constraint"] == "maxP95DurationMs 640 (the alarm's p95 threshold 800 ms x 0.8)"
    chosen = next(c for c in output["candidates"] if c["memoryMb"] == output["power"])
    assert chosen["durationMs"]["p95"] <= trigger["threshold"] * 0.8
    too_slow = [c["memoryMb"] for c in output["candidates"] if c["durationMs"] and c["durationMs"]["p95"] > 640]
    assert too_slow, "the workload should have sizes the constraint rules out, or this test proves nothing"
    assert output["power"] not in too_slow


def test_a_message_that_lies_about_the_function_and_the_threshold_is_read_from_cloudwatch(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """CloudWatch's alarm watches orders' p95 Duration at 800 ms; a message about it, published by whoever may
    publish to the topic, says 100 s on billing. The run is orders' run, constrained by CloudWatch's threshold."""
    make_target("orders", "cpu-single-thread", memory_mb=1024)
    make_target("billing", "io-bound")
    store_profile(stack, PROFILE)
    ProfileStore(stack.tables["ProfilesTable"]).set_user_profile(ORDERS.replace("orders", "billing"), PROFILE)
    event = raise_alarm(load_event("alarm-via-sns.json"))
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message["Trigger"]["Threshold"] = 100_000.0
    message["Trigger"]["Dimensions"] = [{"name": "FunctionName", "value": "billing"}]
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)

    result = invoke(stack, "AlarmSubscriberFunction", event)

    assert len(result["started"]) == 1, result
    (started,) = executions(stack)
    given = json.loads(boto3.client("stepfunctions").describe_execution(executionArn=started["executionArn"])["input"])
    assert given["lambdaARN"] == ORDERS
    assert given["constraints"] == {"maxP95DurationMs": 640.0}
    assert given["trigger"]["threshold"] == 800.0
    wait_for_runs(stack)  # the run ends inside this test


def test_an_errors_alarm_without_time_outs_or_oom_is_skipped_with_its_reason(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    make_target("orders", "io-bound")
    store_profile(stack, PROFILE)
    write_logs(report(), report("error"), "ERROR Invoke Error KeyError: 'id'")

    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-state-change-metric-math.json")))

    assert result["started"] == []
    (skipped,) = result["skipped"]
    assert skipped["code"] == "ErrorsNotMemory"
    assert "0 time-outs and 0 out-of-memory endings in 2 recent REPORT lines" in skipped["reason"]
    assert executions(stack) == []


def test_an_errors_alarm_with_time_outs_in_the_logs_re_tunes_with_memory_headroom(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    make_target("orders", "io-bound")
    store_profile(stack, PROFILE | {"constraints": {"minMemoryHeadroom": 0.1}})
    write_logs(report(), report("timeout"), report("error", memory=128, used=128))

    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-via-sns-metric-math.json")))

    assert len(result["started"]) == 1, result
    (run,) = wait_for_runs(stack)
    given = json.loads(run["input"])
    assert given["constraints"] == {"minMemoryHeadroom": 0.2}  # the stricter of the profile's and the alarm's
    assert given["trigger"]["metric"] == "Errors"
    assert "1 time-outs and 1 out-of-memory endings in 3 recent REPORT lines" in given["trigger"]["constraint"]


def test_a_throttles_alarm_changes_no_memory_and_says_why(stack: LocalStack, make_target: MakeTarget) -> None:
    make_target("orders", "io-bound")
    store_profile(stack, PROFILE)
    event = copy.deepcopy(load_event("alarm-state-change.json"))
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["name"] = "Throttles"

    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(event))

    assert result["started"] == []
    assert [(s["code"], s["reason"][:20]) for s in result["skipped"]] == [("Throttles", "watches Throttles: c")]
    assert executions(stack) == []


def test_an_alarm_on_an_aliased_function_re_tunes_through_a_canary_by_default(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    make_target("orders", "io-bound")
    store_profile(stack, PROFILE | {"autoOptimize": True})
    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-state-change-alias.json")))
    assert len(result["started"]) == 1, result
    (started,) = executions(stack)
    given = json.loads(boto3.client("stepfunctions").describe_execution(executionArn=started["executionArn"])["input"])
    assert (given["lambdaARN"], given["canary"]) == (f"{ORDERS}:live", {})
    # The run must end inside this test: left going, it acted on the next test's "orders" (which has a live alias)
    # and routed a second version there.
    (ended,) = wait_for_runs(stack)
    assert ended["status"] != "RUNNING"

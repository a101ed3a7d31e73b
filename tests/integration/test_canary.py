"""Canary apply through the real state machine: the new version takes a share of the alias's traffic while the
workflow watches the stack's alarms and both versions' metrics; then it is promoted, or the alias is rolled back
exactly as the run record holds it. Tests put metric data and set alarm states while the window is open (the
emulator scales the Wait between checks as it scales Retry waits)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.awslambda.models import LambdaFunction

from autotuner_local.events import deliver_status_change
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack
from tests.emulator import (
    MakeTarget,
    as_operator,
    execution_arn,
    logical_id,
    notifications,
    results_queue,
    run_tuning,
    target_state,
)

pytestmark = pytest.mark.slow

ALARM = "autotuner-orders-errors"


def canary_input(arn: str, *, duration_s: int, every_s: int = 60) -> dict[str, Any]:
    return {
        "lambdaARN": arn, "num": 5, "powerValues": [256, 512], "autoOptimize": True, "autoOptimizeAlias": "live",
        "canary": {"weight": 0.1, "durationSeconds": duration_s, "checkEverySeconds": every_s},
    }  # fmt: skip


def live_alias(name: str = "orders") -> dict[str, Any]:
    """The alias as Lambda describes it, less the request's metadata."""
    alias: dict[str, Any] = dict(boto3.client("lambda").get_alias(FunctionName=name, Name="live"))
    alias.pop("ResponseMetadata")
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {})
    alias["RoutingConfig"] = {"AdditionalVersionWeights": weights}  # absent and empty mean the same to Lambda
    return alias


@pytest.fixture
def orders(make_target: MakeTarget) -> str:
    arn = make_target("orders", "io-bound", memory_mb=1024, description="orders service")
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="orders")["Version"]
    client.create_alias(FunctionName="orders", Name="live", FunctionVersion=version, Description="production")
    return arn


def on_check(runtime: InProcessRuntime, number: int, action: Any) -> list[int]:
    """Run ``action`` (as the operator) just before the ``number``-th canary check."""
    seen: list[int] = []

    def hook(function: LambdaFunction, _payload: Any) -> None:
        if logical_id(function) == "CheckCanaryFunction":
            seen.append(1)
            if len(seen) == number:
                as_operator(action)

    runtime.hooks.append(hook)
    return seen


def put_version_metrics(version: str, *, invocations: int, errors: int, durations: list[float]) -> None:
    dimensions: list[Any] = [
        {"Name": "FunctionName", "Value": "orders"},
        {"Name": "Resource", "Value": "orders:live"},
        {"Name": "ExecutedVersion", "Value": version},
    ]
    now = datetime.now(UTC)
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {"MetricName": "Invocations", "Dimensions": dimensions, "Value": invocations, "Timestamp": now},
            {"MetricName": "Errors", "Dimensions": dimensions, "Value": errors, "Timestamp": now},
            {"MetricName": "Duration", "Dimensions": dimensions, "Values": durations, "Timestamp": now},
        ],
    )


def canary_version() -> tuple[str, str]:
    """(old, new) versions while the canary is routed."""
    alias = live_alias()
    ((new, _weight),) = alias["RoutingConfig"]["AdditionalVersionWeights"].items()
    return alias["FunctionVersion"], new


def errors_alarm() -> None:
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=ALARM, MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "FunctionName", "Value": "orders"}],
    )  # fmt: skip


def test_a_quiet_canary_is_promoted_with_the_figures_that_decided_it(
    stack: LocalStack, orders: str, runtime: InProcessRuntime
) -> None:
    errors_alarm()  # watched, and quiet throughout
    queue = results_queue(stack)

    def traffic() -> None:
        old, new = canary_version()
        put_version_metrics(old, invocations=900, errors=1, durations=[100.0] * 90 + [150.0] * 10)
        put_version_metrics(new, invocations=100, errors=0, durations=[90.0] * 95 + [120.0] * 5)

    on_check(runtime, 1, traffic)
    run = run_tuning(stack, canary_input(orders, duration_s=180))

    assert run.status == "SUCCEEDED", run.cause
    canary = run.output["canary"]
    assert (canary["verdict"], canary["checks"]) == ("promoted", 3), canary["reason"]
    assert run.states_entered().count("WaitForCanary") == 3
    charged = run.output["stateMachine"]["executionCost"]
    assert charged == pytest.approx(len(run.states_entered()) * 0.000025), "every state the run entered, no more"
    new_version = run.output["applied"]["version"]
    assert (canary["new"]["version"], canary["new"]["invocations"], canary["new"]["errors"]) == (new_version, 100, 0)
    assert canary["new"]["p95DurationMs"] == 90.0
    assert (canary["old"]["invocations"], canary["old"]["p95DurationMs"]) == (900, 150.0)
    assert "quiet for all 3 checks" in canary["reason"]
    assert run.output["outcome"] == "applied"
    alias = live_alias()
    assert (alias["FunctionVersion"], alias["RoutingConfig"]["AdditionalVersionWeights"]) == (new_version, {})
    assert (canary["aliasVersion"], canary["aliasRouting"]) == (new_version, {})
    (message,) = notifications(queue)
    assert "Canary: promoted after 3 checks" in json.loads(json.dumps(message))["Message"]


def test_an_alarm_firing_mid_window_rolls_the_alias_back_exactly(
    stack: LocalStack, orders: str, runtime: InProcessRuntime
) -> None:
    errors_alarm()
    before = live_alias()
    queue = results_queue(stack)
    set_alarm = on_check(
        runtime, 2, lambda: boto3.client("cloudwatch").set_alarm_state(
            AlarmName=ALARM, StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [9.0] > 5.0")
    )  # fmt: skip

    run = run_tuning(stack, canary_input(orders, duration_s=3600))

    assert run.status == "SUCCEEDED", run.cause
    assert len(set_alarm) == 2  # rolled back at the check after the alarm fired, long before the window's end
    canary = run.output["canary"]
    assert (canary["verdict"], canary["checks"], canary["alarmsInAlarm"]) == ("rolled-back", 2, [ALARM])
    assert run.output["outcome"] == "rolled-back"
    assert run.output["applied"] is None
    assert live_alias() == before  # byte for byte: version, routing, description, ARN
    state = target_state("orders")
    assert state.versions == ["$LATEST", before["FunctionVersion"]]  # the canary's version was deleted
    assert state.memory_mb == 1024
    (message,) = notifications(queue)
    assert "canary rolled back" in message["Subject"]
    assert f"alarm {ALARM} in ALARM" in message["Message"]
    assert message["MessageAttributes"]["outcome"]["Value"] == "rolled-back"


def test_the_new_versions_errors_exceeding_the_old_ones_roll_it_back(
    stack: LocalStack, orders: str, runtime: InProcessRuntime
) -> None:
    before = live_alias()

    def worse_errors() -> None:
        old, new = canary_version()
        put_version_metrics(old, invocations=900, errors=9, durations=[100.0] * 100)
        put_version_metrics(new, invocations=100, errors=10, durations=[100.0] * 100)

    on_check(runtime, 2, worse_errors)
    run = run_tuning(stack, canary_input(orders, duration_s=3600))

    assert run.status == "SUCCEEDED", run.cause
    canary = run.output["canary"]
    assert (canary["verdict"], canary["checks"]) == ("rolled-back", 2)
    assert (canary["new"]["errorRate"], canary["old"]["errorRate"]) == (0.1, 0.01)
    assert "error rate 10.0% exceeds the old version's 1.0%" in canary["reason"]
    assert live_alias() == before


def test_a_canary_stopped_mid_window_is_rolled_back_by_the_janitor(
    stack: LocalStack, orders: str, runtime: InProcessRuntime
) -> None:
    before = live_alias()
    routed: list[dict[str, Any]] = []

    def stop_and_clean_up() -> None:
        routed.append(live_alias())
        arn = execution_arn(stack, "run-1")
        boto3.client("stepfunctions").stop_execution(executionArn=arn)
        (cleaned,) = deliver_status_change(stack, arn, status="ABORTED")
        assert cleaned["complete"], cleaned

    on_check(runtime, 1, stop_and_clean_up)
    run = run_tuning(stack, canary_input(orders, duration_s=3600))

    assert run.status == "ABORTED"
    assert routed[0]["RoutingConfig"]["AdditionalVersionWeights"]  # the canary was routed when it was stopped
    assert live_alias() == before
    assert target_state("orders").versions == ["$LATEST", before["FunctionVersion"]]


@pytest.mark.parametrize(
    ("alias_setup", "expected"),
    [("latest", "points to $LATEST"), ("routed", "already routes traffic")],
)
def test_a_canary_on_an_alias_that_cannot_carry_one_is_refused_before_anything_changes(
    stack: LocalStack, make_target: MakeTarget, alias_setup: str, expected: str
) -> None:
    arn = make_target("orders", "io-bound", memory_mb=1024)
    client = boto3.client("lambda")
    if alias_setup == "latest":
        client.create_alias(FunctionName="orders", Name="live", FunctionVersion="$LATEST")
    else:
        first = client.publish_version(FunctionName="orders")["Version"]
        client.update_function_configuration(FunctionName="orders", Description="v2")
        second = client.publish_version(FunctionName="orders")["Version"]
        client.create_alias(FunctionName="orders", Name="live", FunctionVersion=first,
                            RoutingConfig={"AdditionalVersionWeights": {second: 0.5}})  # fmt: skip
    before = target_state("orders")

    run = run_tuning(stack, canary_input(arn, duration_s=60))

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert f"canary: alias 'live' {expected}" in (run.cause or "")
    assert target_state("orders") == before


def test_calls_through_a_routed_alias_publish_the_metrics_a_canary_reads_by_version(
    orders: str, runtime: InProcessRuntime
) -> None:
    """What Lambda publishes and moto does not: without it, every canary here would see no calls at all."""
    client = boto3.client("lambda")
    old = live_alias()["FunctionVersion"]
    client.update_function_configuration(FunctionName="orders", Description="release 10")
    new = client.publish_version(FunctionName="orders")["Version"]
    assert new != old
    client.invoke(FunctionName="orders:live", Payload=b"{}")  # the alias routes nothing yet: nothing to publish
    client.update_alias(FunctionName="orders", Name="live", RoutingConfig={"AdditionalVersionWeights": {new: 0.5}})
    for call in range(10):
        payload = {"fail": "boom"} if call == 0 else {}
        client.invoke(FunctionName="orders:live", Payload=json.dumps(payload).encode())
    client.invoke(FunctionName="orders", Payload=b"{}")  # not through the alias: no Resource to publish under

    def total(metric: str, version: str) -> float:
        named = {"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": version}
        dimensions: list[Any] = [{"Name": name, "Value": value} for name, value in named.items()]
        points = boto3.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric, Dimensions=dimensions, Statistics=["Sum"], Period=3600,
            StartTime=datetime.now(UTC) - timedelta(minutes=5), EndTime=datetime.now(UTC) + timedelta(minutes=5),
        )["Datapoints"]  # fmt: skip
        return sum(p["Sum"] for p in points)

    served = {v: total("Invocations", v) for v in (old, new)}
    assert sum(served.values()) == 10, served
    assert all(served.values()), f"both versions served some of the calls: {served}"
    assert total("Errors", old) + total("Errors", new) == 1
    assert total("Duration", new) > 0

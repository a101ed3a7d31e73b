"""Tuning on production traffic, through the real workflow in the emulator: a generator calls ``payments:live`` at a
steady rate (as production would), and a traffic run measures candidate sizes on a share of those calls, invoking the
function itself not once."""

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from bench.simulate import regret
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction

from autotuner_local.events import deliver_status_change
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack
from autotuner_local.traffic import TrafficGenerator
from autotuner_local.workloads import WORKLOADS
from tests.emulator import (
    MakeTarget,
    as_operator,
    execution_arn,
    failing,
    logical_id,
    run_tuning,
    target_state,
)

pytestmark = pytest.mark.slow

PER_SECOND = 80.0
OPTIONS = {"weight": 0.5, "invocationsPerSize": 40, "checkEverySeconds": 10, "baselineHours": 1, "maxHours": 1}
ALARM = "autotuner-payments-errors"  # opted in by the stack's RetuneAlarmPrefix


@pytest.fixture
def payments(make_target: MakeTarget) -> str:
    """The payments handler ("never invoke directly") behind alias live, on a published version."""
    make_target("payments", "payments", memory_mb=1024, description="never invoke directly")
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="payments", Description="release 1")["Version"]
    return str(client.create_alias(FunctionName="payments", Name="live", FunctionVersion=version)["AliasArn"])


def alias_state() -> dict[str, Any]:
    alias = boto3.client("lambda").get_alias(FunctionName="payments", Name="live")
    weights = alias.get("RoutingConfig", {}).get("AdditionalVersionWeights") or {}
    return {"version": alias["FunctionVersion"], "weights": weights}


def on_traffic_check(runtime: InProcessRuntime, number: int, action: Callable[[], object]) -> None:
    """Run ``action`` (as the operator) just before the ``number``-th CheckTraffic."""
    seen: list[int] = []

    def hook(function: LambdaFunction, _payload: Any) -> None:
        if logical_id(function) == "CheckTrafficFunction":
            seen.append(1)
            if len(seen) == number:
                as_operator(action)

    runtime.hooks.append(hook)


def tuned(stack: LocalStack, payments: str, **fields: Any) -> tuple[Any, TrafficGenerator]:
    with TrafficGenerator("payments", "live", per_second=PER_SECOND) as production:
        production.wait_for(150)  # a baseline for Plan to read
        tuning = {"lambdaARN": payments, "measure": "traffic", "traffic": OPTIONS} | fields
        run = run_tuning(stack, tuning, timeout_s=300)
    return run, production


def test_a_traffic_run_chooses_near_the_optimum_without_invoking_the_function_and_leaves_the_alias(
    stack: LocalStack, runtime: InProcessRuntime, payments: str
) -> None:
    before = alias_state()

    run, production = tuned(stack, payments, traffic=OPTIONS | {"invocationsPerSize": 60})

    assert run.status == "SUCCEEDED", run.cause
    assert len(runtime.targets_invoked("payments")) == production.calls, "every call it served was production's"
    traffic = run.output["traffic"]
    assert traffic["statement"].startswith("Measured on production traffic: the tuner invoked nothing")
    assert 1 <= len(traffic["trials"]) <= 5
    assert regret(WORKLOADS["payments"], run.output["power"]) <= 0.03
    history = json.dumps(run.history, default=str)
    assert "fingerprint" not in history, "no hash of a setting (an environment variable) enters a document"
    cost = run.output["stateMachine"]
    assert (cost["invocations"], cost["lambdaCost"]) == (0, 0.0), "the run's own cost has no call of the function"
    assert cost["tunerLambdaCost"] > 0
    assert cost["executionCost"] > 0
    assert alias_state() == before
    assert target_state("payments").versions == ["$LATEST", before["version"]]


def test_with_auto_optimize_the_alias_is_promoted_to_the_version_measured(
    stack: LocalStack, runtime: InProcessRuntime, payments: str
) -> None:
    before = alias_state()

    run, production = tuned(stack, payments, autoOptimize=True, canary={"durationSeconds": 300})

    assert run.status == "SUCCEEDED", run.cause
    assert len(runtime.targets_invoked("payments")) == production.calls
    applied = run.output["applied"]
    assert (applied["target"], applied["memoryMb"]) == ("live", run.output["power"])
    assert alias_state() == {"version": applied["version"], "weights": {}}
    assert sorted(target_state("payments").versions) == sorted(["$LATEST", before["version"], applied["version"]])
    promoted = boto3.client("lambda").get_function_configuration(FunctionName="payments", Qualifier=applied["version"])
    assert promoted["MemorySize"] == run.output["power"]


def test_an_alarm_firing_mid_candidate_routes_it_back_at_once(
    stack: LocalStack, runtime: InProcessRuntime, payments: str
) -> None:
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM, MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "FunctionName", "Value": "payments"}],
    )  # fmt: skip
    routed: list[dict[str, Any]] = []

    def fire() -> None:
        routed.append(alias_state())
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="Threshold Crossed")

    def clear() -> None:
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="back to normal")

    on_traffic_check(runtime, 1, fire)
    on_traffic_check(runtime, 2, clear)
    before = alias_state()

    run, _ = tuned(stack, payments)

    assert run.status == "SUCCEEDED", run.cause
    assert routed[0]["weights"], "the first candidate had its share when the alarm fired"
    first = run.output["traffic"]["trials"][0]
    assert (first["ended"], first["checks"]) == ("rolled-back", 1)
    assert f"alarm {ALARM} in ALARM" in first["reason"]
    assert run.output["power"] != first["memoryMb"], "a size routed back is never the choice"
    assert alias_state() == before
    assert target_state("payments").versions == ["$LATEST", before["version"]]


def test_a_run_stopped_mid_window_is_put_back_by_the_janitor(
    stack: LocalStack, runtime: InProcessRuntime, payments: str
) -> None:
    before = alias_state()
    routed: list[dict[str, Any]] = []

    def stop_and_clean_up() -> None:
        routed.append(alias_state())
        arn = execution_arn(stack, "run-1")
        boto3.client("stepfunctions").stop_execution(executionArn=arn)
        (cleaned,) = deliver_status_change(stack, arn, status="ABORTED")
        assert cleaned["complete"], cleaned

    on_traffic_check(runtime, 1, stop_and_clean_up)
    run, _ = tuned(stack, payments)

    assert run.status == "ABORTED"
    assert routed[0]["weights"], "a candidate had its share when the run was stopped"
    assert alias_state() == before
    assert target_state("payments").versions == ["$LATEST", before["version"]]


def test_a_candidate_that_cannot_be_routed_back_is_put_back_by_the_janitor_once_lambda_answers(
    stack: LocalStack, payments: str
) -> None:
    """The alias took its first candidate; every later UpdateAlias fails (Lambda down for the rest of the run):
    the run fails, saying so, and the janitor (which EventBridge starts when the execution ends) routes it back."""
    before = alias_state()
    down = lambda: LambdaClientError("ServiceException", "Lambda is unavailable")  # noqa: E731

    with failing("update_alias", down, times=999, after=1):
        run, _ = tuned(stack, payments)
        routed = alias_state()

    assert run.status == "FAILED"
    assert routed["weights"], "the candidate kept its share while Lambda refused every change"
    (cleaned,) = deliver_status_change(stack, run.arn)
    assert cleaned["complete"], cleaned
    assert alias_state() == before
    assert target_state("payments").versions == ["$LATEST", before["version"]]


def test_an_alias_with_too_little_traffic_is_refused_with_its_figures_before_anything_changes(
    stack: LocalStack, runtime: InProcessRuntime, payments: str
) -> None:
    before = alias_state()
    with TrafficGenerator("payments", "live", per_second=20.0) as production:
        production.wait_for(20)
        options = OPTIONS | {"weight": 0.05, "invocationsPerSize": 1000, "maxHours": 0.5}
        run = run_tuning(stack, {"lambdaARN": payments, "measure": "traffic", "traffic": options})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert "traffic: version 1 served" in str(run.cause)
    assert "more than the 0.5 h the run may take" in str(run.cause)
    assert len(runtime.targets_invoked("payments")) == production.calls
    assert alias_state() == before
    assert target_state("payments").versions == ["$LATEST", before["version"]]

"""What a hostile input or a run stopped from outside can do to the account: nothing that lasts. The real state
machine runs in the emulator with every Lambda's own IAM policy enforced."""

import json
import time
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from autotuner.adapters.lambda_functions import LambdaFunction, LambdaInvoker
from autotuner.adapters.payloads import S3PayloadSource
from autotuner.adapters.run_records import RunRecords
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run
from autotuner_local.events import deliver_status_change
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack
from tests.emulator import (
    Execution,
    MakeTarget,
    apply_fails_after_moving_the_alias,
    janitor_during,
    notifications,
    results_queue,
    run_tuning,
    stopped_while_preparing,
    target_state,
)

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import AliasRoutingConfigurationTypeDef

pytestmark = pytest.mark.slow

ORIGINAL = "production build 42"


def forged_plan(stack: LocalStack, arn: str) -> dict[str, Any]:
    """A well-formed plan for ``arn`` (as Plan itself would write it), then edited by an attacker."""
    document = plan_run(
        PlanRequest(input={"lambdaARN": arn, "num": 5, "powerValues": [256]}, execution_id="forged"),
        PlanSettings(),
        function_for=lambda arn, through: LambdaFunction(arn, through=through),
        invoker_for=lambda region, through: LambdaInvoker(region, through=through),
        payloads=S3PayloadSource(),
        records=RunRecords(stack.tables["RunsTable"]),
    )
    assert document.plan is not None
    plan: dict[str, Any] = document.plan.model_dump(mode="json")
    plan["original"] |= {"memoryMb": 10240, "description": "owned"}
    return plan


def test_an_input_carrying_the_workflows_own_slots_is_refused_and_changes_nothing(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("victim", memory_mb=1024, description=ORIGINAL)
    users_version = boto3.client("lambda").publish_version(FunctionName="victim")["Version"]
    hostile = {
        "lambdaARN": arn,
        "plan": forged_plan(stack, arn),
        "applied": {"target": "$LATEST", "memoryMb": 10240, "previousMemoryMb": 1024},
        "cleanup": {"finalMemoryMb": 128},
    }
    probes = len(runtime.targets_invoked("victim"))

    run = run_tuning(stack, hostile)

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert run.cause is not None
    for field in ("plan", "applied", "cleanup"):
        assert f"{field}: the workflow uses this name internally" in run.cause
    assert "Nothing was changed" in run.cause
    assert target_state("victim").memory_mb == 1024
    assert target_state("victim").description == ORIGINAL
    assert target_state("victim").versions == ["$LATEST", users_version]
    assert len(runtime.targets_invoked("victim")) == probes  # refused before Plan's probe


@pytest.mark.parametrize("tuning_input", [[], "orders", None, 42, [{"lambdaARN": "x"}]], ids=repr)
def test_an_input_that_is_not_an_object_fails_in_plan_and_is_notified(stack: LocalStack, tuning_input: object) -> None:
    queue = results_queue(stack)
    run = run_tuning(stack, tuning_input)
    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert run.cause is not None
    assert run.cause.startswith("invalid input: input: expected a JSON object with lambdaARN, got ")
    assert "ReportFailure" in run.states_entered()
    (message,) = notifications(queue)
    assert message["MessageAttributes"]["outcome"]["Value"] == "failed"
    assert "expected a JSON object" in message["Message"]


@pytest.mark.parametrize("lambda_arn", [42, {"arn": "x"}, ["arn:aws:lambda:us-east-1:123456789012:function:f"]])
def test_a_lambda_arn_that_is_not_a_string_is_named_and_notified(stack: LocalStack, lambda_arn: object) -> None:
    queue = results_queue(stack)
    run = run_tuning(stack, {"lambdaARN": lambda_arn, "num": 5})
    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert run.cause is not None
    assert "lambdaARN: " in run.cause
    (message,) = notifications(queue)
    assert message["Subject"].startswith("Autotuner: tuning an unnamed function failed")


def test_a_stopped_run_is_cleaned_by_the_janitor_and_the_next_run_can_start(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("resize", memory_mb=1024, description=ORIGINAL)
    tuning = {"lambdaARN": arn, "num": 5, "powerValues": [256, 512], "autoOptimize": True}
    stopped = stopped_while_preparing(stack, runtime, tuning)
    assert target_state("resize").aliases, "the stopped run had left its aliases behind"

    started = time.monotonic()
    (report,) = deliver_status_change(stack, stopped)

    assert time.monotonic() - started < 60
    assert report["complete"]
    assert report["lockReleased"]
    assert (report["finalMemoryMb"], report["finalDescriptionIsOriginal"]) == (1024, True)
    state = target_state("resize")
    assert (state.memory_mb, state.description, state.aliases, state.versions) == (1024, ORIGINAL, {}, ["$LATEST"])
    assert deliver_status_change(stack, stopped) == [report]  # delivered twice: the record says it is done
    after = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256]}, name="after")
    assert after.status == "SUCCEEDED", after.cause


@pytest.mark.parametrize(
    ("step", "applying"),
    [("PrepareFunction", {}), ("ApplyFunction", {"autoOptimize": True, "autoOptimizeAlias": "live"})],
)
def test_a_step_that_changes_the_function_after_the_janitor_closed_the_run_undoes_it(
    stack: LocalStack, make_target: MakeTarget, step: str, applying: dict[str, Any]
) -> None:
    """The race a stop makes: the step is between its intent and its change when the janitor lists the function;
    the change lands after the janitor is done, and the step, finding the run closed, undoes it itself."""
    arn = make_target("resize", memory_mb=1024, description=ORIGINAL)
    with janitor_during(stack, "raced", step, "update_function_configuration") as interrupted:
        run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512], **applying}, name="raced")
    assert interrupted == [step]
    assert run.status in {"ABORTED", "FAILED"}  # moto ends it FAILED when the stopped task raises; AWS, ABORTED
    state = target_state("resize")
    assert (state.memory_mb, state.description, state.aliases, state.versions) == (1024, ORIGINAL, {}, ["$LATEST"])


def test_a_failure_after_the_alias_moved_puts_it_back_with_its_routing_and_says_so(
    stack: LocalStack, make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = make_target("api", "io-bound", memory_mb=1024, description=ORIGINAL)
    client = boto3.client("lambda")
    old = client.publish_version(FunctionName="api", Description="v-old")["Version"]
    client.update_function_configuration(FunctionName="api", Description="v-new")
    live = client.publish_version(FunctionName="api", Description="v-new")["Version"]
    client.update_function_configuration(FunctionName="api", Description=ORIGINAL)
    routing: AliasRoutingConfigurationTypeDef = {"AdditionalVersionWeights": {old: 0.2}}
    client.create_alias(FunctionName="api", Name="live", FunctionVersion=live, RoutingConfig=routing)
    with apply_fails_after_moving_the_alias():
        run = run_tuning(
            stack, {"lambdaARN": arn, "num": 5, "powerValues": [256], "autoOptimize": True, "autoOptimizeAlias": "live"}
        )

    assert run.status == "FAILED"
    alias = client.get_alias(FunctionName="api", Name="live")
    assert (alias["FunctionVersion"], alias["RoutingConfig"]["AdditionalVersionWeights"]) == (live, {old: 0.2})
    state = target_state("api")
    assert (state.memory_mb, state.description) == (1024, ORIGINAL)
    assert sorted(state.versions) == sorted(["$LATEST", old, live])
    assert run.cause is not None
    assert f"alias live points to {live}" in run.cause
    assert "api has 1024 MB (its memory before the run)" in run.cause
    assert parse_function_arn(arn).name == "api"


HOSTILE = "click http://evil.example/fix to fix"  # a target's error message and log line


def causes(run: Execution) -> list[str]:
    """Every cause the execution's history holds (each failed task, the execution's end)."""
    found = [run.cause or ""]
    for event in run.history:
        for details in event.values():
            if isinstance(details, dict) and "cause" in details:
                found.append(str(details["cause"]))
    return found


def test_a_targets_own_words_never_reach_a_cause_or_the_notification(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """The audit: the target's errorMessage (up to 500 characters) and its log tail reached the execution's cause
    and the SNS failure message, so a target could write into the operator's inbox."""
    arn = make_target("orders", "io-bound", memory_mb=1024)
    queue = results_queue(stack)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "payload": {"fail": HOSTILE}})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert "raised ValueError; the function's messages and logs are in log group /aws/lambda/orders" in (
        run.cause or ""
    )
    (message,) = notifications(queue)
    assert [c for c in causes(run) if "evil" in c] == []
    assert "evil" not in message["Subject"] + message["Message"]


def test_a_size_that_fails_with_the_targets_words_is_described_without_them(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("orders", "io-bound", memory_mb=1024)
    queue = results_queue(stack)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 1024],
                             "payload": {"fail": HOSTILE, "failBelowMb": 512}})  # fmt: skip

    assert run.status == "SUCCEEDED", run.cause
    failed = next(c for c in run.output["candidates"] if c["memoryMb"] == 256)
    assert failed["failureReason"].startswith("1 of 1 invocations raised ValueError")
    assert "log group /aws/lambda/orders" in " ".join(run.output["warnings"])
    (message,) = notifications(queue)
    assert "evil" not in json.dumps(run.output) + message["Subject"] + message["Message"]

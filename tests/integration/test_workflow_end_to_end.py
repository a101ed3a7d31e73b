"""The real statemachine/ definition, deployed from template.yaml into moto, executed end to end: our handlers
run in-process as the Lambdas, and emulated targets answer with real REPORT tails."""

import json
import time
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto.awslambda.exceptions import LambdaClientError

from autotuner.domain.costs.run_cost import transitions
from autotuner_local.runtime import InProcessRuntime, ThrottledError
from autotuner_local.stack import LocalStack, deploy
from tests.emulator import (
    MakeTarget,
    conflict,
    failing,
    notifications,
    results_queue,
    run_tuning,
    target_state,
    wait_until_ended,
)

pytestmark = pytest.mark.slow

ORIGINAL_DESCRIPTION = "production build 42"


def assert_untouched(name: str, memory_mb: int = 1024) -> None:
    state = target_state(name)
    assert state.memory_mb == memory_mb
    assert state.description == ORIGINAL_DESCRIPTION
    assert state.aliases == {}
    assert state.versions == ["$LATEST"]


def test_a_sweep_applies_the_choice_cleans_up_and_notifies(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("resize", "cpu-single-thread", memory_mb=1024, description=ORIGINAL_DESCRIPTION)
    queue = results_queue(stack)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 10, "powerValues": [128, 512, 1769, 3008], "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "applied"
    assert output["power"] in {128, 512, 1024, 1769}  # flat cost up to one vCPU, then rising
    assert output["power"] != 3008
    assert {c["memoryMb"] for c in output["candidates"]} == {128, 512, 1024, 1769, 3008}  # the current size too
    assert output["stateMachine"]["visualization"].startswith("https://lambda-power-tuning.show/#")
    assert output["stateMachine"]["invocations"] == 5 * 10 + 1  # the sweep plus the payload check in Plan
    assert output["stateMachine"]["totalCost"] > output["stateMachine"]["lambdaCost"] > 0
    assert output["decision"]["reason"]
    assert output["savings"]["currentMemoryMb"] == 1024
    assert output["search"]["curve"] is None  # only the adaptive search fits a cost curve
    assert not [w for w in output["warnings"] if "read back" in w], "clean-up read back what was applied"

    state = target_state("resize")
    assert state.memory_mb == output["power"]
    assert state.description == ORIGINAL_DESCRIPTION
    assert state.aliases == {}
    assert state.versions == ["$LATEST"]

    (message,) = notifications(queue)
    assert message["Subject"].startswith("Autotuner: resize set to")
    verdict = message["Message"].splitlines()[0]  # the line to act on first, as the output carries it
    assert verdict == output["verdict"]
    assert verdict.startswith(f"Applied {output['power']} MB to $LATEST (was 1024 MB) · ")
    assert message["MessageAttributes"]["outcome"]["Value"] == "applied"
    assert message["MessageAttributes"]["function"]["Value"] == "resize"
    assert "Why: " in message["Message"]
    assert '"power":' in message["Message"]


@pytest.mark.parametrize(
    ("fields", "tasks"),
    [({}, 1), ({"maxConcurrency": 2}, 2), ({"parallelInvocation": True}, 3)],
    ids=["three-batches-in-one-task", "two-at-a-time", "parallel-a-batch-a-task"],
)
def test_transitions_charged_match_the_executed_state_machine(
    stack: LocalStack, make_target: MakeTarget, fields: dict[str, object], tasks: int
) -> None:
    """256, 512 and the current 1024 MB, five invocations each: three batches, measured by ``tasks`` tasks."""
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512], **fields})
    assert run.status == "SUCCEEDED", run.cause
    entered = run.states_entered()
    single = int(tasks == 1)  # one task: MeasureOneTask, after PrepareForOneTask; more: the Measure Map
    assert (entered.count("MeasureOneTask"), entered.count("PrepareForOneTask")) == (single, single)
    assert (entered.count("Measure"), entered.count("MeasureBatches")) == (1 - single, tasks * (1 - single))
    assert len(entered) == transitions(rounds=1, tasks=tasks, applied=False, single_task_rounds=single)
    assert run.output["stateMachine"]["executionCost"] == pytest.approx(len(run.states_entered()) * 0.000025)


def test_without_auto_optimize_nothing_is_changed(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512, 1769]})
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["outcome"] == "recommended"
    assert_untouched("resize")


def test_applying_to_an_alias_publishes_a_version_and_leaves_latest_alone(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("api", "io-bound", memory_mb=1024, description=ORIGINAL_DESCRIPTION)
    run = run_tuning(
        stack,
        {"lambdaARN": arn, "num": 5, "powerValues": [256, 512], "autoOptimize": True, "autoOptimizeAlias": "live"},
    )
    assert run.status == "SUCCEEDED", run.cause
    applied = run.output["applied"]
    assert applied["target"] == "live"
    state = target_state("api")
    assert state.memory_mb == 1024
    assert state.description == ORIGINAL_DESCRIPTION
    assert state.aliases == {"live": applied["version"]}
    assert state.versions == ["$LATEST", applied["version"]]
    version = boto3.client("lambda").get_function_configuration(FunctionName="api", Qualifier=applied["version"])
    assert version["MemorySize"] == run.output["power"] == 256  # I/O-bound: the smallest that does not run out


def test_a_qualified_alias_arn_is_tuned_as_the_function_and_applied_to_that_alias(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("api", "io-bound", memory_mb=1024, description=ORIGINAL_DESCRIPTION)
    client = boto3.client("lambda")
    v1 = client.publish_version(FunctionName="api")["Version"]
    client.create_alias(FunctionName="api", Name="prod", FunctionVersion=v1)

    run = run_tuning(stack, {"lambdaARN": f"{arn}:prod", "num": 5, "powerValues": [256, 1024], "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    state = target_state("api")
    new_version = run.output["applied"]["version"]
    assert state.aliases == {"prod": new_version}
    assert sorted(state.versions) == sorted(["$LATEST", v1, new_version])  # the user's own version is kept
    assert state.memory_mb == 1024


def test_sizes_that_run_out_of_memory_are_failed_candidates_not_a_failed_run(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("model", "memory-floor", memory_mb=1024, description=ORIGINAL_DESCRIPTION)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512, 1024, 2048]})
    assert run.status == "SUCCEEDED", run.cause
    excluded = {e["memoryMb"]: e["reason"] for e in run.output["decision"]["excluded"]}
    assert set(excluded) == {256, 512}
    assert excluded[256].startswith("failed: 1 of 1 invocations ran out of memory")
    assert run.output["power"] in {1024, 2048}
    assert_untouched("model")


def test_json_logs_cold_starts_and_weighted_payloads(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("orders", "cpu-single-thread", log_format="JSON", description=ORIGINAL_DESCRIPTION)
    payload = [{"payload": {"work": 1}, "weight": 3}, {"payload": {"work": 4}, "weight": 1}]
    run = run_tuning(
        stack, {"lambdaARN": arn, "num": 5, "powerValues": [512, 1769], "onlyColdStarts": True, "payload": payload}
    )
    assert run.status == "SUCCEEDED", run.cause
    measured = [i for i in runtime.targets_invoked("orders") if i.version != "$LATEST"]
    assert len(measured) == 3 * 5
    assert all(i.cold for i in measured)
    candidates = {c["memoryMb"]: c for c in run.output["candidates"]}
    assert candidates[512]["coldStarts"] == 5
    assert_untouched("orders")


def test_parallel_invocations_and_a_dry_run(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    run = run_tuning(
        stack,
        {"lambdaARN": arn, "num": 8, "powerValues": [512, 1024], "parallelInvocation": True, "dryRun": True,
         "autoOptimize": True},
    )  # fmt: skip
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["outcome"] == "dry-run"
    assert run.output["stateMachine"]["invocations"] == 2 + 1  # dry run: one per size (+ the payload check)
    assert_untouched("resize")


@pytest.mark.parametrize(
    ("tuning_input", "error", "cause"),
    [
        ({"lambdaARN": "arn:aws:lambda:us-east-1:1234:function:resize", "num": 10}, "InvalidInputError",
         "lambdaARN: 'arn:aws:lambda:us-east-1:1234:function:resize' is not a Lambda function ARN"),
        ({"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:nope", "num": 10}, "TargetNotFoundError",
         "function nope in us-east-1: not found"),
        ({"lambdaARN": "{arn}", "num": 10, "powerValues": [64, 20480]}, "InvalidInputError",
         "powerValues[0]: 64 MB is outside 128-10240 MB; powerValues[1]: 20480 MB is outside 128-10240 MB"),
        ({"lambdaARN": "{arn}", "num": 2}, "InvalidInputError", "num: must be at least 5 (got 2)"),
        ({"lambdaARN": "{arn}", "num": 5, "payload": {"fail": "missing field 'id'"}}, "InvalidInputError",
         "payload: the function at its current configuration raised ValueError; the function's messages and logs "
         "are in log group /aws/lambda/resize, request "),
        ({"lambdaARN": "{arn}", "num": 40, "powerValues": "ALL", "budgetUsd": 0.0001}, "BudgetExceededError",
         "budgetUsd: the run is estimated at up to"),
    ],
    ids=["bad-arn", "missing-function", "memory-out-of-range", "num-too-small", "payload-rejected", "over-budget"],
)  # fmt: skip
def test_bad_input_fails_in_plan_with_the_field_named_and_nothing_touched(
    stack: LocalStack, make_target: MakeTarget, tuning_input: dict[str, Any], error: str, cause: str
) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    queue = results_queue(stack)
    tuning_input = {k: (v.format(arn=arn) if isinstance(v, str) else v) for k, v in tuning_input.items()}

    run = run_tuning(stack, tuning_input)

    assert run.status == "FAILED"
    assert run.error == error
    assert cause in (run.cause or "")
    assert "Traceback" not in (run.cause or "")
    assert not {"Prepare", "PrepareForOneTask"} & set(run.states_entered())
    assert_untouched("resize")
    (message,) = notifications(queue)
    assert message["Subject"].startswith("Autotuner: tuning")
    assert message["MessageAttributes"]["outcome"]["Value"] == "failed"


def test_a_throttle_storm_fails_the_run_and_cleans_up(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)

    def throttle_aliases(function: Any, payload: Any) -> None:
        if function.function_name == "resize" and function.version != "$LATEST":
            raise ThrottledError()

    runtime.hooks.append(throttle_aliases)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512, 1024]})

    assert run.status == "FAILED"
    assert run.error == "TargetThrottledError"
    assert "still throttled after 8 attempts" in (run.cause or "")
    assert "Clean-up removed 2 aliases and 2 versions" in (run.cause or "")
    assert_untouched("resize")


def test_transient_throttling_is_retried_and_the_run_succeeds(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    throttled = [0]

    def throttle_every_third(function: Any, payload: Any) -> None:
        if function.function_name == "resize" and function.version != "$LATEST":
            throttled[0] += 1
            if throttled[0] % 3 == 0:
                raise ThrottledError()

    runtime.hooks.append(throttle_every_third)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 6, "powerValues": [512]})
    assert run.status == "SUCCEEDED", run.cause
    assert {c["memoryMb"]: c["invocations"] for c in run.output["candidates"]} == {512: 6, 1024: 6}


def test_an_api_error_while_publishing_fails_the_run_and_restores_everything(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    with failing("publish_version", lambda: LambdaClientError("ServiceException", "internal error"), times=99, after=1):
        run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512, 2048]})

    assert run.status == "FAILED"
    assert "internal error" in (run.cause or "")
    assert_untouched("resize")


def test_update_conflicts_are_waited_out(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    with failing("update_function_configuration", conflict, times=2) as calls:
        run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256], "autoOptimize": True})
    assert run.status == "SUCCEEDED", run.cause
    assert calls[0] > 2
    assert target_state("resize").aliases == {}


def test_a_target_that_times_out_at_every_size_leaves_no_choice_and_no_change(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("slow", "cpu-multi-thread", timeout_s=3, memory_mb=10240, description=ORIGINAL_DESCRIPTION)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [128, 256], "autoOptimize": True,
                             "includeCurrent": False})  # fmt: skip
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["outcome"] == "no-candidate"
    assert run.output["power"] is None
    assert "timed out" in run.output["decision"]["reason"]
    assert_untouched("slow", memory_mb=10240)


def test_a_second_run_of_the_same_function_waits_its_turn(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)
    sfn = boto3.client("stepfunctions")
    tuning = json.dumps({"lambdaARN": arn, "num": 5, "powerValues": [256, 512]})
    started = [sfn.start_execution(stateMachineArn=stack.state_machine_arn, name=f"r{i}", input=tuning) for i in (1, 2)]
    statuses = []
    for execution in started:
        wait_until_ended(execution["executionArn"])
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        statuses.append((described["status"], described.get("error"), described.get("cause", "")))
    assert sorted(s[0] for s in statuses) == ["FAILED", "SUCCEEDED"]
    ((_, error, cause),) = [s for s in statuses if s[0] == "FAILED"]
    assert error == "RunInProgressError"
    assert "another tuning run of resize is in progress" in cause
    assert cause.endswith("Nothing was changed (the run record holds no change to the function).")
    assert_untouched("resize")
    third = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256]}, name="r3")
    assert third.status == "SUCCEEDED", third.cause  # the lock was released with the first run


@pytest.mark.parametrize("workload", ["memory-floor", "cpu-single-thread"])
def test_an_adaptive_search_loops_through_rounds_and_leaves_nothing_behind(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime, workload: str
) -> None:
    arn = make_target("model", workload, memory_mb=2048, description=ORIGINAL_DESCRIPTION)

    run = run_tuning(stack, {"lambdaARN": arn, "search": "adaptive", "maxInvocations": 36, "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    search = run.output["search"]
    assert search["mode"] == "adaptive"
    assert search["rounds"] >= 2
    entered = run.states_entered()
    prepares = entered.count("Prepare") + entered.count("PrepareForOneTask")
    planned = later_rounds(run)
    assert len(planned) == search["rounds"] - 1
    assert prepares == 1 + sum(bool(r["prepare"] or r["retire"]) for r in planned), "only rounds that change aliases"
    # no round measures more than maxConcurrency batches: each is one task, measured with no Map around it
    assert entered.count("MeasureOneTask") == search["rounds"]
    assert entered.count("Measure") == entered.count("MeasureBatches") == entered.count("Prepare") == 0
    assert len(entered) == transitions(
        search["rounds"], search["rounds"], applied="Apply" in entered, prepares=prepares,
        single_task_rounds=search["rounds"],
    )  # fmt: skip
    assert run.output["stateMachine"]["executionCost"] == pytest.approx(len(entered) * 0.000025)
    assert search["invocations"] <= 36
    assert search["log"][0].startswith("Coarse pass:")
    if workload == "memory-floor":
        assert run.output["power"] >= 768, json.dumps(
            [(c["memoryMb"], c["invocations"], c["failureReason"]) for c in run.output["candidates"]]
        )  # never below the floor
    assert_carries_its_cost_curve(run.output)
    state = target_state("model")
    assert state.memory_mb == run.output["power"]
    assert (state.aliases, state.versions, state.description) == ({}, ["$LATEST"], ORIGINAL_DESCRIPTION)
    retired: set[str] = set()
    for event in run.history:  # no batch ever measures an alias an earlier Prepare retired
        if "lambdaFunctionSucceededEventDetails" in event:
            retired |= set(json.loads(event["lambdaFunctionSucceededEventDetails"]["output"]).get("retired") or [])
        if "lambdaFunctionScheduledEventDetails" in event:
            batches = json.loads(event["lambdaFunctionScheduledEventDetails"]["input"]).get("batches") or []
            assert not {batch["alias"] for batch in batches} & retired


def later_rounds(run: Any) -> list[dict[str, Any]]:
    """The rounds after the first, as each Analyze that went on planned them."""
    documents = [
        json.loads(e["stateExitedEventDetails"]["output"])
        for e in run.history
        if e.get("stateExitedEventDetails", {}).get("name") == "Analyze"
    ]
    return [d["round"] for d in documents if not d["analysis"]["complete"]]


def assert_carries_its_cost_curve(output: dict[str, Any]) -> None:
    """The output of an adaptive run with the cost strategy carries the curve its last round fitted: over the
    sizes that worked (none that failed inside its range; from a size that worked, or from the smallest size the
    memory margin allows above one), at every size measured there and at its optimum."""
    curve = output["search"]["curve"]
    assert curve is not None, "an adaptive run with the cost strategy fits a cost curve"
    low, high = curve["lowestMb"], curve["highestMb"]
    worked = {c["memoryMb"] for c in output["candidates"] if c["failureReason"] is None}
    failed = {c["memoryMb"] for c in output["candidates"]} - worked
    assert low in worked or low > min(worked)
    assert not [m for m in failed if low <= m <= high]
    assert len(curve["fittedSizes"]) >= 4
    assert set(curve["fittedSizes"]) <= worked
    sizes = [p["memoryMb"] for p in curve["points"]]
    assert sizes == sorted(set(sizes))
    assert (sizes[0], sizes[-1]) == (low, high)
    assert {m for m in worked if low <= m <= high} | {curve["optimumMb"]} <= set(sizes)
    assert all(p["low"] <= p["cost"] <= p["high"] for p in curve["points"])
    if curve["fits"] and output["power"] == curve["optimumMb"]:
        assert output["decision"]["reason"].startswith(f"The cost curve fitted to {len(curve['fittedSizes'])}")
    elif not curve["fits"]:
        assert "the cost curve does not fit the measured sizes" in output["decision"]["reason"]
    assert len(json.dumps(curve)) < 12_000  # of the 256 KB an execution's output may take


def test_a_run_past_its_time_limit_stops_measuring_and_cleans_up(
    runtime: InProcessRuntime, make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = deploy(parameters={"ExecutionTimeoutSeconds": "600"})
    arn = make_target("resize", description=ORIGINAL_DESCRIPTION)

    real_time = time.time
    late_clock = SimpleNamespace(time=lambda: real_time() + 3600, monotonic=time.monotonic)  # an hour on
    monkeypatch.setattr("autotuner.workflow.measure.time", late_clock)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512]})

    assert run.status == "FAILED"
    assert run.error == "RunTimedOutError"
    assert "passed its time limit (the stack's ExecutionTimeoutSeconds)" in (run.cause or "")
    assert "Clean-up removed 3 aliases and 3 versions" in (run.cause or "")
    assert_untouched("resize")


def test_max_slowdown_keeps_auto_apply_from_buying_a_saving_with_speed(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """A CPU-bound function costs about the same from 128 MB to one vCPU, so the cheapest size is many times
    slower than the current 1,769 MB: with maxSlowdown 1.5 the run recommends it, says why, and changes nothing."""
    arn = make_target("slowdown", "cpu-single-thread", memory_mb=1769, description=ORIGINAL_DESCRIPTION)
    tuning = {"lambdaARN": arn, "num": 10, "powerValues": [128, 256], "autoOptimize": True}

    run = run_tuning(stack, tuning | {"constraints": {"maxSlowdown": 1.5}})

    assert run.status == "SUCCEEDED", run.cause
    output = run.output
    assert output["outcome"] == "recommended"
    assert output["applied"] is None
    refusal = output["decision"]["applyRefusal"]
    assert refusal.startswith(f"{output['power']} MB's p95 of ")
    assert "the current 1769 MB's" in refusal
    assert "beyond maxSlowdown 1.5" in refusal
    assert [p["memoryMb"] for p in output["decision"]["frontier"]][-1] == 1769  # the fastest is on the frontier
    assert output["decision"]["fasterOption"]["timeSavedMs"] > 0
    assert_untouched("slowdown", memory_mb=1769)

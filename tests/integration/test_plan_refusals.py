"""Plan refuses before it invokes anything: targets and processors out of the deployment's reach (the stack's own
functions among them), and runs over budget, bounded by the target's recent durations or else its timeout."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from autotuner.adapters.lambda_functions import LambdaFunction, LambdaInvoker
from autotuner.adapters.metrics import CloudWatchDurations
from autotuner.adapters.payloads import S3PayloadSource
from autotuner.adapters.profiles import ProfileStore
from autotuner.adapters.run_records import RunRecords
from autotuner.domain.errors import BudgetExceededError, InvalidInputError
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.inputs.scope import AssumedRole
from autotuner.domain.run.documents import RunDocument
from autotuner.workflow import plan as plan_step
from autotuner.workflow.invocation import ProcessorFailedError
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack, deploy
from tests.conftest import load_event
from tests.emulator import MakeTarget, notifications, raise_alarm, results_queue, run_tuning, target_state

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tuner:run-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/lambda-autotuner/5b6c7d8e"
HERE = "arn:aws:lambda:us-east-1:123456789012:function:*"  # what an empty TargetFunctionArnPattern resolves to
SETTINGS = PlanSettings(target_arn_pattern=HERE, stack_id=STACK_ID)
OWN_TAGS = {"aws:cloudformation:stack-id": STACK_ID}
SWEEP = {"num": 5, "powerValues": [512, 1024]}  # 10 invocations at two sizes (1,024 MB is the current one)


def functions(arn: FunctionRef, through: AssumedRole | None = None) -> LambdaFunction:
    return LambdaFunction(arn, through=through, sleep=lambda _: None)


def plan(tuning_input: dict[str, Any], settings: PlanSettings = SETTINGS) -> RunDocument:
    return plan_run(
        PlanRequest(input=tuning_input, execution_id=EXECUTION, started_at="2026-11-27T10:00:00+00:00"),
        settings,
        function_for=functions,
        invoker_for=lambda region, through: LambdaInvoker(region, through=through, sleep=lambda _: None),
        payloads=S3PayloadSource(),
        records=RunRecords("runs"),  # every run here is refused before its record is written
        durations=CloudWatchDurations(),
    )


def put_durations(function_name: str, values_ms: list[float], *, age: timedelta = timedelta(minutes=10)) -> None:
    """What Lambda publishes after invocations: the AWS/Lambda Duration metric, by FunctionName."""
    at = datetime.now(UTC).replace(microsecond=0) - age
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Duration",
                "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
                "Timestamp": at,
                "Value": value,
                "Unit": "Milliseconds",
            }
            for value in values_ms
        ],
    )


# ---- the stack's own functions and the processors ----------------------------------------------------------


def test_the_stacks_own_functions_are_refused_as_targets(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    arn = make_target("lambda-autotun-MeasureFunction-Ab12Cd34Ef56", tags=OWN_TAGS)

    with pytest.raises(InvalidInputError, match="lambdaARN: lambda-autotun-MeasureFunction-Ab12Cd34Ef56 is one of"):
        plan({"lambdaARN": arn, **SWEEP})
    assert runtime.invocations == []


ORDERS_ONLY = "arn:aws:lambda:us-east-1:123456789012:function:orders*"


@pytest.mark.parametrize(
    ("pattern", "processors", "problems"),
    [
        (HERE, {"preProcessorARN": "arn:aws:lambda:eu-west-1:123456789012:function:enrich"},
         ["preProcessorARN: arn:aws:lambda:eu-west-1:123456789012:function:enrich is not in the target's account "
          "and region (123456789012, us-east-1)"]),
        (HERE, {"postProcessorARN": "arn:aws:lambda:us-east-1:210987654321:function:enrich"},
         ["postProcessorARN: arn:aws:lambda:us-east-1:210987654321:function:enrich is not in the target's account "
          "and region (123456789012, us-east-1)"]),
        (HERE, {"preProcessorARN": "arn:aws:lambda:us-east-1:123456789012:function:own-PlanFunction-1A2B"},
         ["preProcessorARN: own-PlanFunction-1A2B is one of this tuner's own functions (stack lambda-autotuner); "
          "refused"]),
        (ORDERS_ONLY, {"preProcessorARN": "arn:aws:lambda:us-east-1:123456789012:function:orders-enrich",
                       "postProcessorARN": "arn:aws:lambda:us-east-1:123456789012:function:enrich"},
         ["postProcessorARN: arn:aws:lambda:us-east-1:123456789012:function:enrich is outside the functions this "
          f"deployment may invoke ({ORDERS_ONLY})"]),
    ],
    ids=["other-region", "other-account", "own-function", "outside-the-pattern"],
)  # fmt: skip
def test_processors_out_of_reach_are_refused_by_field_before_anything_is_invoked(
    runtime: InProcessRuntime, make_target: MakeTarget, pattern: str, processors: dict[str, str], problems: list[str]
) -> None:
    arn = make_target("orders")
    for name in ("enrich", "orders-enrich"):
        make_target(name, "io-bound")
    make_target("own-PlanFunction-1A2B", "io-bound", tags=OWN_TAGS)

    with pytest.raises(InvalidInputError) as refused:
        plan({"lambdaARN": arn, **SWEEP, **processors}, SETTINGS.model_copy(update={"target_arn_pattern": pattern}))
    assert refused.value.problems == problems
    assert runtime.invocations == []


def test_a_failing_processor_is_named_but_the_payload_is_not(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("orders", "io-bound")
    make_target("enrich", "memory-floor", memory_mb=128)  # runs out of memory whatever it is given
    secret = {"cardNumber": "4111111111111111"}

    named = r"preProcessorARN: .*enrich raised OutOfMemory; .* log group /aws/lambda/enrich$"
    with pytest.raises(ProcessorFailedError, match=named) as failed:
        plan({"lambdaARN": arn, **SWEEP, "payload": secret, "preProcessorARN": arn.replace("orders", "enrich")})
    assert "4111111111111111" not in str(failed.value)
    assert runtime.targets_invoked("orders") == []


# ---- the budget, before the probe ------------------------------------------------------------------------


def test_a_run_over_budget_by_the_targets_recent_durations_never_invokes_it(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("orders", timeout_s=30)
    put_durations("orders", [850.0, 9_999.2, 1_200.0])
    put_durations("orders", [29_000.0], age=timedelta(days=8))  # older than the window: not counted
    put_durations("billing", [29_000.0])  # another function: not counted

    with pytest.raises(BudgetExceededError) as refused:
        plan({"lambdaARN": arn, **SWEEP, "budgetUsd": 0.002})
    message = str(refused.value)
    assert message.startswith("budgetUsd: the run is estimated at up to $0.00")
    assert "before invoking the function" in message
    assert "each taken at 10000 ms, the Maximum of its Duration metric over the last 7 days" in message
    assert runtime.targets_invoked("orders") == []


def test_without_duration_datapoints_the_timeout_bounds_the_run_and_it_never_invokes_the_target(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("orders", timeout_s=30)

    with pytest.raises(BudgetExceededError, match="each taken at its timeout of 30 s, its Duration metric having no"):
        plan({"lambdaARN": arn, **SWEEP, "budgetUsd": 0.005})
    assert runtime.targets_invoked("orders") == []


def test_a_run_within_the_bound_is_probed_then_checked_on_what_the_probe_measured(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("orders", timeout_s=30)
    put_durations("orders", [1.0])  # the history says 1 ms; the probe measures far longer

    with pytest.raises(BudgetExceededError) as refused:
        plan({"lambdaARN": arn, **SWEEP, "budgetUsd": 0.0004})
    assert "before invoking the function" not in str(refused.value)
    assert len(runtime.targets_invoked("orders")) == 1


def test_cloudwatch_durations_is_the_maximum_of_the_function_alone_within_the_window(aws: None) -> None:
    orders = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:orders")
    put_durations("orders", [120.0, 480.5])
    put_durations("orders", [9_000.0], age=timedelta(days=3))
    put_durations("orders", [29_000.0], age=timedelta(days=8))
    put_durations("billing", [60_000.0])

    durations = CloudWatchDurations()
    assert durations.max_duration_ms(orders, days=7) == 9_000.0
    assert durations.max_duration_ms(orders, days=1) == 480.5
    assert durations.max_duration_ms(orders.model_copy(update={"name": "never-invoked"}), days=7) is None


# ---- through the deployed stack: its environment, permissions and default pattern -------------------------


def test_the_deployed_tuner_refuses_its_own_functions_and_functions_of_other_regions(stack: LocalStack) -> None:
    own = run_tuning(stack, {"lambdaARN": stack.functions["AnalyzeFunction"], **SWEEP}, name="own")
    elsewhere = run_tuning(
        stack, {"lambdaARN": "arn:aws:lambda:eu-west-1:123456789012:function:orders", **SWEEP}, name="elsewhere"
    )

    assert (own.status, own.error) == ("FAILED", "InvalidInputError")
    name = stack.functions["AnalyzeFunction"].split(":")[-1]
    assert f"lambdaARN: {name} is one of this tuner's own functions (stack {stack.name})" in (own.cause or "")
    assert (elsewhere.status, elsewhere.error) == ("FAILED", "InvalidInputError")
    assert f"may tune ({HERE})" in (elsewhere.cause or "")


SERVERLESS_REPO_STACK = "serverlessrepo-lambda-autotuner"  # the stack name of a deployment from the repository
# The audit's attack: a caller who may only start runs tunes the tuner's ReportFailure function, applying 128 MB,
# with a payload that has it publish the caller's words to the results topic at every invocation.
FORGED_FAILURE = {"executionId": "forged", "document": {"error": {"Error": "Urgent", "Cause": "ATTACKER WROTE THIS"}}}
ATTACK = {"num": 15, "powerValues": [128], "autoOptimize": True, "payload": FORGED_FAILURE}


def test_a_tuner_deployed_from_the_serverless_repository_refuses_its_own_functions_by_identity(
    runtime: InProcessRuntime,
) -> None:
    stack = deploy(stack_name=SERVERLESS_REPO_STACK)
    own = stack.functions["ReportFailureFunction"]
    name = own.split(":")[-1]
    assert not name.startswith(f"{SERVERLESS_REPO_STACK}-"), f"CloudFormation shortened the stack's name: {name}"
    queue = results_queue(stack)

    run = run_tuning(stack, {"lambdaARN": own, **ATTACK})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert f"lambdaARN: {name} is one of this tuner's own functions (stack {SERVERLESS_REPO_STACK})" in str(run.cause)
    state = target_state(name)
    assert (state.memory_mb, state.aliases, state.versions) == (256, {}, ["$LATEST"])
    assert len(runtime.targets_invoked(name)) == 1, "only the workflow's own report of the refusal"
    published = notifications(queue)
    assert len(published) == 1, published
    assert "ATTACKER" not in json.dumps(published)


def test_with_plans_own_function_check_bypassed_iam_still_refuses_the_stacks_own_function(
    runtime: InProcessRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = deploy(stack_name=SERVERLESS_REPO_STACK)
    own = stack.functions["ReportFailureFunction"]
    monkeypatch.setattr(plan_step, "own_function_problems", lambda *_: [])  # as if Plan's check were not there

    run = run_tuning(stack, {"lambdaARN": own, **ATTACK})

    assert run.status == "FAILED"
    denied = [a for a in runtime.authorizations if not a.allowed]
    assert [(a.action, a.resource) for a in denied] == [("lambda:InvokeFunction", own)], "the probe: denied"
    assert "with an explicit deny" in str(run.cause)
    state = target_state(own.split(":")[-1])
    assert (state.memory_mb, state.aliases, state.versions) == (256, {}, ["$LATEST"])
    assert len(runtime.targets_invoked(own.split(":")[-1])) == 1, "only the workflow's own report of the failure"


def test_the_deployed_tuner_refuses_a_run_over_budget_without_invoking_the_target(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("orders", timeout_s=30)
    put_durations("orders", [9_999.2])

    run = run_tuning(stack, {"lambdaARN": arn, **SWEEP, "budgetUsd": 0.002})

    assert (run.status, run.error) == ("FAILED", "BudgetExceededError")
    assert "the Maximum of its Duration metric over the last 7 days" in (run.cause or "")
    assert runtime.targets_invoked("orders") == []


# ---- the operator's ceilings, which no input can raise ------------------------------------------------------------


def test_a_run_over_the_deployments_budget_ceiling_is_refused_before_the_target_is_invoked(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    stack = deploy(parameters={"MaxRunBudgetUsd": "0.01"})
    arn = make_target("orders", timeout_s=300)  # no Duration data: each invocation is taken at its timeout

    run = run_tuning(stack, {"lambdaARN": arn, **SWEEP, "budgetUsd": 50})  # the input cannot raise the ceiling

    assert (run.status, run.error) == ("FAILED", "BudgetExceededError")
    assert str(run.cause).startswith("MaxRunBudgetUsd: the run is estimated at up to $")
    assert "above this deployment's ceiling of $0.01 per run" in str(run.cause)
    assert runtime.targets_invoked("orders") == []


def test_the_audits_run_of_a_short_function_at_every_size_a_thousand_times_is_refused_before_it_starts(
    stack: LocalStack, runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("orders", timeout_s=3)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 1000, "powerValues": "ALL"})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    # 46 sizes (1,024 MB, the current one, among them): the audit's 46 x 1,000 invocations and the probe
    assert "MaxRunInvocations: the run would invoke the function up to 46,001 times (46 sizes x 1000" in str(run.cause)
    assert "ceiling of 5,000 invocations per run" in str(run.cause)
    assert runtime.targets_invoked("orders") == []
    assert target_state("orders").versions == ["$LATEST"]


def test_a_deployment_that_never_applies_recommends_and_says_why(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    stack = deploy(parameters={"AllowAutoApply": "false"})
    arn = make_target("orders", memory_mb=1024)

    run = run_tuning(stack, {"lambdaARN": arn, **SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live"})

    assert run.status == "SUCCEEDED", run.cause
    assert "applied" not in run.output or not run.output["applied"]
    assert any(w.startswith("autoOptimize: this deployment never applies") for w in run.output["warnings"])
    state = target_state("orders")
    assert (state.memory_mb, state.aliases, state.versions) == (1024, {}, ["$LATEST"])


def test_measure_has_its_reserved_concurrency_and_a_parallel_run_asking_for_more_is_held_to_it(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    measure = stack.functions["MeasureFunction"]
    reserved = boto3.client("lambda").get_function_concurrency(FunctionName=measure)["ReservedConcurrentExecutions"]
    arn = make_target("orders")

    run = run_tuning(stack, {"lambdaARN": arn, **SWEEP, "parallelInvocation": True, "maxConcurrency": 40})

    assert reserved == 20
    assert run.status == "SUCCEEDED", run.cause
    assert (
        "maxConcurrency: 40 is more than the 20 Measure tasks this deployment runs at once" in run.output["warnings"][0]
    )


def test_an_alarm_on_one_of_the_stacks_own_functions_does_not_re_tune_it(stack: LocalStack) -> None:
    own = stack.functions["MeasureFunction"]
    ProfileStore(stack.tables["ProfilesTable"]).set_user_profile(own, {"num": 5, "powerValues": [256, 512]})
    event = load_event("alarm-state-change.json")
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {
        "FunctionName": own.split(":")[-1]
    }
    raise_alarm(event)

    response = boto3.client("lambda").invoke(
        FunctionName=stack.functions["AlarmSubscriberFunction"], Payload=json.dumps(event).encode()
    )
    result = json.loads(response["Payload"].read())

    assert result["started"] == []
    assert [s["code"] for s in result["skipped"]] == ["OwnFunction"]


def test_a_default_deployment_refuses_another_architecture_by_its_parameter_before_anything_is_invoked(
    stack: LocalStack, runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    arn = make_target("orders", memory_mb=1024)

    run = run_tuning(stack, {"lambdaARN": arn, **SWEEP, "architectures": ["arm64", "x86_64"]})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert "its AllowArchitectureSwitch is false" in str(run.cause)
    assert runtime.targets_invoked("orders") == []
    state = target_state("orders")
    assert (state.memory_mb, state.versions, state.aliases) == (1024, ["$LATEST"], {})

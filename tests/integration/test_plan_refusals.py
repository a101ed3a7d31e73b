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
from autotuner.workflow.invocation import ProcessorFailedError
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack
from tests.conftest import load_event
from tests.emulator import MakeTarget, raise_alarm, run_tuning

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tuner:run-1"
STACK = "lambda-autotuner"
HERE = "arn:aws:lambda:us-east-1:123456789012:function:*"  # what an empty TargetFunctionArnPattern resolves to
SETTINGS = PlanSettings(target_arn_pattern=HERE, stack_name=STACK)
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
    arn = make_target(f"{STACK}-MeasureFunction")

    with pytest.raises(InvalidInputError, match=f"lambdaARN: {STACK}-MeasureFunction is one of this tuner's own"):
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
        (HERE, {"preProcessorARN": f"arn:aws:lambda:us-east-1:123456789012:function:{STACK}-PlanFunction"},
         [f"preProcessorARN: {STACK}-PlanFunction is one of this tuner's own functions (stack {STACK}); refused"]),
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
    for name in ("enrich", "orders-enrich", f"{STACK}-PlanFunction"):
        make_target(name, "io-bound")

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
    assert f"lambdaARN: {stack.name}-AnalyzeFunction is one of this tuner's own functions" in (own.cause or "")
    assert (elsewhere.status, elsewhere.error) == ("FAILED", "InvalidInputError")
    assert f"may tune ({HERE})" in (elsewhere.cause or "")


def test_the_deployed_tuner_refuses_a_run_over_budget_without_invoking_the_target(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("orders", timeout_s=30)
    put_durations("orders", [9_999.2])

    run = run_tuning(stack, {"lambdaARN": arn, **SWEEP, "budgetUsd": 0.002})

    assert (run.status, run.error) == ("FAILED", "BudgetExceededError")
    assert "the Maximum of its Duration metric over the last 7 days" in (run.cause or "")
    assert runtime.targets_invoked("orders") == []


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

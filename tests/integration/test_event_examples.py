"""Every example in events/ does what its name says in the emulator: the tuning inputs through the real state
machine (as `aws stepfunctions start-execution --input file://events/...` sends them), the alarm, SNS, schedule,
status-change and widget events through the deployed function that receives them in AWS. A file added to events/
without an expectation here fails the first test."""

import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from autotuner.adapters.profiles import ProfileStore
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack
from tests.conftest import EVENTS, load_event
from tests.emulator import MakeTarget, as_operator, raise_alarm, run_tuning, target_state
from tests.integration.test_retune_and_warmer import (  # ORDERS: what events/ names
    ORDERS,
    assert_one_alarm_run_with,
    invoke,
    wait_for_runs,
)

pytestmark = pytest.mark.slow

PROFILE: dict[str, Any] = {"num": 5, "powerValues": [256, 512, 1024]}
Example = Callable[[LocalStack, str, InProcessRuntime], None]  # runs one example and checks what it did


def subscriber(expected: str) -> "Example":
    """An alarm example through the alarm subscriber, the alarm existing in CloudWatch as the example reports it:
    ``started`` a run of orders with its profile (to its end), or skipped, not raised, with the code ``expected``
    names."""

    def check(stack: LocalStack, name: str, _runtime: InProcessRuntime) -> None:
        ProfileStore(stack.tables["ProfilesTable"]).set_user_profile(ORDERS, PROFILE)
        event = load_event(name)
        if expected != "Malformed":  # the subscriber acts on the alarm CloudWatch holds, as the event reports it
            raise_alarm(event)
        result = invoke(stack, "AlarmSubscriberFunction", event)
        if expected != "started":
            assert [skipped["code"] for skipped in result["skipped"]] == [expected], result
            assert wait_for_runs(stack) == []
            return
        assert_one_alarm_run_with(stack, result, PROFILE)

    return check


def tuning_input(stack: LocalStack, name: str, _runtime: InProcessRuntime) -> None:
    """The input unchanged, as start-execution sends it: the run succeeds and does what the input asks."""
    given = load_event(name)
    run = run_tuning(stack, given, name=name.removesuffix(".json"))
    assert run.status == "SUCCEEDED", run.cause
    measured = {c["memoryMb"] for c in run.output["candidates"]}
    assert set(given.get("powerValues", [])) <= measured
    assert run.output["outcome"] == ("applied" if given.get("autoOptimize") else "recommended")
    assert {c["invocations"] for c in run.output["candidates"] if not c["failures"]} == {given["num"]}
    if limit := given.get("constraints", {}).get("maxP95DurationMs"):
        chosen = next(c for c in run.output["candidates"] if c["memoryMb"] == run.output["power"])
        assert chosen["durationMs"]["p95"] <= limit
    assert target_state("orders").memory_mb == (run.output["power"] if given.get("autoOptimize") else 1024)


def warmer(stack: LocalStack, name: str, _runtime: InProcessRuntime) -> None:
    result = invoke(stack, "WarmerFunction", load_event(name))
    assert [arn.rsplit(":", 1)[-1] for arn in result["warmed"]] == ["orders"], result


def janitor(stack: LocalStack, name: str, runtime: InProcessRuntime) -> None:
    """A run stopped at its first measurement (as the example says, ABORTED), cleaned up by the janitor from its
    run record when this event reaches it."""
    event = load_event(name)
    arn = event["detail"]["executionArn"]
    assert arn.rsplit(":", 1)[0].replace(":execution:", ":stateMachine:") == stack.state_machine_arn
    sfn = boto3.client("stepfunctions")
    stopped: list[str] = []

    def stop_at_the_first_measurement(function: Any, _payload: Any) -> None:
        """Measure invokes the versions Prepare published (Plan's probe invokes $LATEST)."""
        if function.function_name == "orders" and str(function.version) != "$LATEST" and not stopped:
            stopped.append(str(function.version))
            as_operator(lambda: sfn.stop_execution(executionArn=arn))

    runtime.hooks.append(stop_at_the_first_measurement)
    sfn.start_execution(stateMachineArn=stack.state_machine_arn, name=event["detail"]["name"],
                        input=event["detail"]["input"])  # fmt: skip
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":  # moto: once the task in flight ends
        time.sleep(0.02)
    assert stopped, "the run ended before it measured anything"
    report = invoke(stack, "CleanupFunction", event)
    assert report["complete"], report
    assert report["deletedVersions"], report
    state = target_state("orders")
    assert (state.memory_mb, state.versions, state.aliases) == (1024, ["$LATEST"], {})


def widget(stack: LocalStack, name: str, _runtime: InProcessRuntime) -> None:
    answer = str(invoke(stack, "SavingsWidgetFunction", load_event(name)))
    if load_event(name).get("describe"):
        assert answer.startswith("## Lambda Autotuner: savings\n")
    else:
        assert "No applied runs among the last" in answer


EXAMPLES: dict[str, Example] = {
    "tuning-input.json": tuning_input,
    "tuning-input-minimal.json": tuning_input,
    "alarm-state-change.json": subscriber("started"),
    "alarm-via-sns.json": subscriber("started"),
    "alarm-state-change-alias.json": subscriber("started"),
    # An error-rate alarm re-tunes only when the logs show time-outs or out-of-memory endings; these show none.
    "alarm-state-change-metric-math.json": subscriber("ErrorsNotMemory"),
    "alarm-via-sns-metric-math.json": subscriber("ErrorsNotMemory"),
    "alarm-state-change-ok.json": subscriber("NotInAlarm"),
    "alarm-state-change-not-lambda.json": subscriber("NoFunction"),
    "alarm-via-sns-truncated.json": subscriber("Malformed"),
    "scheduled-event.json": warmer,
    "execution-status-change-aborted.json": janitor,
    "savings-widget.json": widget,
    "savings-widget-describe.json": widget,
}


def test_every_example_has_an_expectation() -> None:
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_does_what_its_name_says(
    stack: LocalStack, runtime: InProcessRuntime, make_target: MakeTarget, name: str
) -> None:
    make_target("orders", "io-bound", timeout_s=30, tags={"autotuner:warm": "2"})  # the events' orders
    if "alias" in name:  # the alarm watches orders:live
        client = boto3.client("lambda")
        client.create_alias(
            FunctionName="orders", Name="live", FunctionVersion=client.publish_version(FunctionName="orders")["Version"]
        )
    EXAMPLES[name](stack, name, runtime)

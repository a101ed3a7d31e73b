"""Alarm-triggered re-tuning, scheduled fleet tuning and the warmer, called with real-format events (from
events/) through the deployed functions, against moto."""

import copy
import json
import threading
from typing import Any

import boto3
import pytest

from autotuner.adapters.discovery import FunctionDirectory
from autotuner.adapters.lambda_functions import LambdaInvoker
from autotuner.adapters.profiles import ProfileStore
from autotuner.domain.automation.warming import WarmResult, WarmTarget, parse_target_list
from autotuner.workflow.warm import warm, warm_targets
from autotuner_local.naming import generated_name
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LocalStack, deploy
from tests.conftest import load_event
from tests.emulator import MakeTarget, raise_alarm, run_tuning, wait_until_ended

PROFILE = {"num": 5, "powerValues": [256, 512, 1024], "strategy": "cost"}
ORDERS = "arn:aws:lambda:us-east-1:123456789012:function:orders"


def invoke(stack: LocalStack, function: str, event: dict[str, Any]) -> dict[str, Any]:
    response = boto3.client("lambda").invoke(FunctionName=stack.functions[function], Payload=json.dumps(event).encode())
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


def executions(stack: LocalStack) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    return [dict(e) for e in sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]]


def profiles(stack: LocalStack) -> ProfileStore:
    return ProfileStore(stack.tables["ProfilesTable"])


def wait_for_runs(stack: LocalStack) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    finished = []
    for execution in executions(stack):
        wait_until_ended(execution["executionArn"])
        finished.append(dict(sfn.describe_execution(executionArn=execution["executionArn"])))
    return finished


def assert_one_alarm_run_with(stack: LocalStack, started: dict[str, Any], profile: dict[str, Any]) -> None:
    """The subscriber started one run, for the orders alarm, with the stored profile's sizes and count."""
    assert len(started["started"]) == 1, started
    (run,) = wait_for_runs(stack)
    assert run["status"] == "SUCCEEDED", run.get("cause")
    output = json.loads(run["output"])
    assert output["trigger"]["source"] == "alarm"
    assert output["trigger"]["alarmName"].startswith("autotuner-orders")
    assert output["trigger"]["reason"].startswith("Threshold Crossed")
    assert {c["memoryMb"] for c in output["candidates"]} == set(profile["powerValues"])
    assert json.loads(run["input"])["num"] == profile["num"]


@pytest.mark.parametrize(
    "event_file", ["alarm-state-change.json", "alarm-via-sns.json"]
)  # fmt: skip  # Duration alarms; the metric-math ones watch Errors (see test_alarm_semantics.py)
def test_an_alarm_re_tunes_its_function_with_its_profile(
    stack: LocalStack, make_target: MakeTarget, event_file: str
) -> None:
    make_target("orders", "io-bound", description="orders service")
    profiles(stack).set_user_profile(ORDERS, PROFILE)

    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event(event_file)))

    assert_one_alarm_run_with(stack, result, PROFILE)


def test_a_one_off_run_leaves_no_profile_and_keeps_none_of_its_input(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    """The audit's attack: anyone who may start one run set what every later automatic run did, and left its
    payload stored for good. A run without saveProfile now stores nothing of its input."""
    arn = make_target("orders", "io-bound")
    secret = {"apiKey": "sk-live-0123456789"}
    run = run_tuning(stack, {"lambdaARN": arn, "num": 6, "powerValues": [512, 768], "payload": secret})
    assert run.status == "SUCCEEDED", run.cause

    stored = profiles(stack).get(ORDERS)
    assert stored is not None
    assert (stored.profile, stored.last_run_execution) == (None, run.arn)
    table = stack.tables["ProfilesTable"]
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"functionArn": {"S": ORDERS}})
    assert "sk-live" not in json.dumps(item["Item"]), "the run's payload is kept nowhere"
    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-state-change.json")))
    assert (result["started"], [s["code"] for s in result["skipped"]]) == ([], ["NoProfile"])


def test_a_run_with_save_profile_stores_its_input_saying_when_and_by_what_and_starts_the_cooldown(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    arn = make_target("orders", "io-bound")
    given = {"num": 6, "powerValues": [512, 768], "payload": {"id": 7}}
    run = run_tuning(stack, {"lambdaARN": arn, **given, "saveProfile": True})
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["profileStored"] is True

    stored = profiles(stack).get(ORDERS)
    assert stored is not None
    assert stored.profile == given  # the input as given, asked for: the payload with it
    assert stored.stored_by == f"input saveProfile of execution {run.arn}"
    assert stored.stored_at is not None
    assert stored.stored_at == stored.last_run_at
    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-state-change.json")))
    assert result["started"] == []
    assert result["skipped"][0]["code"] == "Cooldown"


@pytest.mark.parametrize("event_file", ["alarm-state-change.json", "alarm-via-sns.json"])
def test_a_message_for_an_alarm_that_does_not_exist_starts_nothing(
    stack: LocalStack, make_target: MakeTarget, event_file: str
) -> None:
    """The audit's attack: anyone allowed to publish to the re-tune topic started a run of any function with a
    profile, with a message about an alarm nobody created. The subscriber now reads the alarm from CloudWatch."""
    make_target("orders", "io-bound")
    profiles(stack).set_user_profile(ORDERS, PROFILE)

    result = invoke(stack, "AlarmSubscriberFunction", load_event(event_file))

    assert (result["started"], [s["code"] for s in result["skipped"]]) == ([], ["AlarmNotFound"])
    assert executions(stack) == []
    stored = profiles(stack).get(ORDERS)
    assert stored is not None
    assert stored.auto_claimed_until is None, "nothing claimed: a real alarm may re-tune at once"


@pytest.mark.parametrize(
    ("event_file", "code"),
    [
        ("alarm-state-change-ok.json", "NotInAlarm"),
        ("alarm-state-change-not-lambda.json", "NoFunction"),
        ("alarm-via-sns-truncated.json", "Malformed"),
        ("scheduled-event.json", "NotAnAlarm"),
    ],
)
def test_events_that_cannot_start_a_run_are_skipped_not_raised(
    stack: LocalStack, make_target: MakeTarget, event_file: str, code: str
) -> None:
    make_target("orders", "io-bound")
    profiles(stack).set_user_profile(ORDERS, PROFILE)
    event = load_event(event_file)
    if event_file.startswith("alarm-state-change"):  # an alarm CloudWatch holds, as the event reports it
        raise_alarm(event)
    result = invoke(stack, "AlarmSubscriberFunction", event)
    assert result["started"] == []
    assert [s["code"] for s in result["skipped"]] == [code]
    assert executions(stack) == []


def test_missing_dimensions_a_missing_profile_and_an_unknown_alarm_name(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    make_target("orders", "io-bound")
    event = load_event("alarm-state-change.json")
    no_dimensions = copy.deepcopy(event)
    no_dimensions["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {}
    other_name = copy.deepcopy(event)
    other_name["detail"]["alarmName"] = "orders-latency"
    other_name["resources"] = ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-latency"]

    assert invoke(stack, "AlarmSubscriberFunction", raise_alarm(no_dimensions))["skipped"][0]["code"] == "NoFunction"
    assert invoke(stack, "AlarmSubscriberFunction", raise_alarm(event))["skipped"][0]["code"] == "NoProfile"
    assert invoke(stack, "AlarmSubscriberFunction", raise_alarm(other_name))["skipped"][0]["code"] == "NotOptedIn"
    assert executions(stack) == []


def test_functions_outside_the_allowed_pattern_are_skipped(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    stack = deploy(parameters={"TargetFunctionArnPattern": "arn:aws:lambda:*:*:function:sandbox-*"})
    make_target("orders", "io-bound")
    profiles(stack).set_user_profile(ORDERS, PROFILE)
    result = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-state-change.json")))
    assert result["skipped"][0]["code"] == "OutsidePattern"


def test_alarms_opted_in_by_tag(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    stack = deploy(parameters={"RetuneAlarmPrefix": "", "RetuneAlarmTag": "autotuner:retune"})
    make_target("orders", "io-bound")
    profiles(stack).set_user_profile(ORDERS, PROFILE)
    event = load_event("alarm-state-change.json")
    event["resources"] = ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-latency"]
    event["detail"]["alarmName"] = "orders-latency"
    raise_alarm(event, tags={"autotuner:retune": "true"})
    assert len(invoke(stack, "AlarmSubscriberFunction", event)["started"]) == 1


def test_a_storm_of_alarms_for_one_function_starts_exactly_one_run(stack: LocalStack, make_target: MakeTarget) -> None:
    make_target("orders", "io-bound")
    profiles(stack).set_user_profile(ORDERS, PROFILE)
    events = []
    for i in range(24):  # different alarms, all about orders, all in ALARM, delivered at once
        event = load_event("alarm-state-change.json")
        event["detail"]["alarmName"] = f"autotuner-orders-p95-duration-{i}"
        event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:autotuner-orders-p95-duration-{i}"]
        events.append(raise_alarm(event))
    barrier = threading.Barrier(len(events))
    results: list[dict[str, Any]] = []

    def deliver(event: dict[str, Any]) -> None:
        barrier.wait()
        results.append(invoke(stack, "AlarmSubscriberFunction", event))

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(len(r["started"]) for r in results) == 1
    assert len(executions(stack)) == 1
    assert sum(1 for r in results for s in r["skipped"] if s["code"] == "Cooldown") == len(events) - 1


def test_the_rule_pattern_matches_opted_in_alarms_going_into_alarm_only(stack: LocalStack) -> None:
    events_client, sqs = boto3.client("events"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="matched")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = stack.rules["AlarmSubscriberFunction.AlarmStateChange"]
    # moto delivers to SQS but not to Lambda: an SQS probe stands in for the subscriber to check the pattern.
    assert stack.rule_targets[rule] == stack.functions["AlarmSubscriberFunction"]
    events_client.put_targets(Rule=rule, Targets=[{"Id": "probe", "Arn": queue_arn}])
    not_opted_in = load_event("alarm-state-change.json")
    not_opted_in["detail"]["alarmName"] = "orders-latency"
    candidates = [
        load_event("alarm-state-change.json"),
        load_event("alarm-state-change-metric-math.json"),
        load_event("alarm-state-change-ok.json"),
        not_opted_in,
        load_event("scheduled-event.json"),
    ]
    for event in candidates:
        detail = json.dumps(event["detail"])
        entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": detail}
        events_client.put_events(Entries=[{**entry, "Resources": event["resources"], "EventBusName": "default"}])  # type: ignore[typeddict-item]
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    names = sorted(json.loads(m["Body"])["detail"]["alarmName"] for m in received)
    assert names == ["autotuner-orders-error-rate", "autotuner-orders-p95-duration"]


def test_the_warmer_warms_tagged_and_listed_functions_and_survives_bad_targets(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    stack = deploy(parameters={"WarmTargets": "listed:2,deleted:1"})
    make_target("tagged", "io-bound", tags={"autotuner:warm": "3"})
    make_target("listed", "cpu-single-thread")
    make_target("deleted", "io-bound")
    make_target("badly-tagged", "io-bound", tags={"autotuner:warm": "lots"})
    boto3.client("lambda").delete_function(FunctionName="deleted")

    result = invoke(stack, "WarmerFunction", load_event("scheduled-event.json"))

    assert sorted(f.split(":")[-1] for f in result["warmed"]) == ["listed", "tagged"], result
    assert set(result["failed"]) == {"deleted"}
    assert "'lots' is not a concurrency" in result["skipped"]["badly-tagged"]
    warmups = [i for i in runtime.invocations if i.warmup]
    assert sum(1 for i in warmups if i.function_name == "tagged") == 3
    assert sum(1 for i in warmups if i.function_name == "listed") == 2


def test_the_warmer_and_fleet_tuning_leave_the_stacks_own_functions_alone_however_they_are_tagged_or_listed(
    runtime: InProcessRuntime,
) -> None:
    listed = generated_name("lambda-autotuner", "ReportFailureFunction", region="us-east-1")  # as CloudFormation
    stack = deploy(parameters={"WarmTargets": f"{listed}:1"})
    tagged = stack.functions["NotifyFunction"]
    boto3.client("lambda").tag_resource(Resource=tagged, Tags={"autotuner:warm": "2", "autotuner:tune": "true"})

    warmed = invoke(stack, "WarmerFunction", load_event("scheduled-event.json"))
    fleet = invoke(stack, "FleetListFunction", {})

    assert (warmed["warmed"], list(warmed["failed"])) == ([], [listed])
    assert "with an explicit deny" in warmed["failed"][listed], "listed by name: IAM refuses it"
    assert fleet["functions"] == [], "found by tag: the stack's id tells it is the tuner's own"
    assert runtime.targets_invoked(listed) == runtime.targets_invoked(tagged.split(":")[-1]) == []


def test_the_warmer_steps_aside_for_provisioned_concurrency(runtime: InProcessRuntime, make_target: MakeTarget) -> None:
    make_target("steady", "io-bound")
    make_target("spiky", "io-bound")

    class Directory(FunctionDirectory):
        # moto does not implement ListProvisionedConcurrencyConfigs; this answers it for one function.
        def provisioned_concurrency(self, function: str) -> int | None:
            return 5 if function == "steady" else 0

    targets = [WarmTarget(function="steady", concurrency=2), WarmTarget(function="spiky", concurrency=2)]
    result = warm(targets, Directory(), LambdaInvoker("us-east-1"), WarmResult())
    assert result.warmed == ["spiky"]
    assert result.skipped == {"steady": "has 5 provisioned environments; a warmer would only add cost"}


def test_a_function_and_qualifier_is_one_warm_target_however_it_is_written() -> None:
    class Tagged:
        def tagged(self, key: str) -> dict[str, str]:
            return {ORDERS: "3", ORDERS.replace("orders", "resize"): "lots"}

        def provisioned_concurrency(self, function: str) -> int | None:
            return 0

    listed, problems = parse_target_list(f"{ORDERS}:live:2,123456789012:function:orders:5,api:0")
    result = WarmResult(skipped=problems)
    targets = warm_targets("autotuner:warm", listed, Tagged(), result)
    # the partial ARN is the tagged function (the list wins); the alias is another target, as "orders:live" is
    assert [(t.function, t.concurrency) for t in targets] == [
        ("123456789012:function:orders", 5),
        (f"{ORDERS}:live", 2),
    ]
    assert sorted(result.skipped) == ["api", "resize"]
    assert result.skipped["api"] == "WarmTargets 'api:0': '0' is not a concurrency between 1 and 50"


def test_warmups_never_count_in_a_tuning_run(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("orders", "io-bound", tags={"autotuner:warm": "2"})
    invoke(stack, "WarmerFunction", load_event("scheduled-event.json"))
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512]})
    assert run.status == "SUCCEEDED", run.cause
    assert {c["memoryMb"]: c["invocations"] for c in run.output["candidates"]} == {512: 5, 1024: 5}
    measured = [i for i in runtime.targets_invoked("orders") if i.version != "$LATEST"]
    assert len(measured) == 10
    assert not any(i.warmup for i in measured)


def test_fleet_tuning_runs_every_tagged_function_with_a_profile(stack: LocalStack, make_target: MakeTarget) -> None:
    for name in ("orders", "billing", "unprofiled"):
        make_target(name, "io-bound", tags={"autotuner:tune": "true"})
    make_target("untagged", "io-bound")
    for name in ("orders", "billing", "untagged"):
        profiles(stack).set_user_profile(f"arn:aws:lambda:us-east-1:123456789012:function:{name}", PROFILE)
    sfn = boto3.client("stepfunctions")

    fleet = sfn.start_execution(stateMachineArn=stack.outputs["FleetStateMachineArn"], name="weekly", input="{}")
    wait_until_ended(fleet["executionArn"])
    described = sfn.describe_execution(executionArn=fleet["executionArn"])

    assert described["status"] == "SUCCEEDED", described.get("cause")
    results = json.loads(described["output"])["results"]
    outcomes = {r.get("functionArn", r.get("execution", "")).split(":")[-1]: r["outcome"] for r in results}
    assert sorted(o for o in outcomes.values()) == ["skipped", "tuned", "tuned"]
    runs = wait_for_runs(stack)
    assert sorted(json.loads(r["input"])["lambdaARN"].split(":")[-1] for r in runs) == ["billing", "orders"]
    assert all(json.loads(r["output"])["trigger"]["source"] == "schedule" for r in runs)

"""Each Lambda runs with its own role's policies, as SAM deploys them: a call no statement allows fails as AWS
fails it, in both emulator modes; and every action a role grants is used by some scenario (or said why not)."""

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from unittest import mock

import boto3
from botocore.exceptions import ClientError
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction

from autotuner.adapters.profiles import ProfileStore
from autotuner_local.authorization import resource_tag_keys
from autotuner_local.emulator import local_aws
from autotuner_local.events import run_schedule
from autotuner_local.iam import Decision, Request, action_matches, decide, granted_actions
from autotuner_local.runtime import InProcessRuntime, read_role
from autotuner_local.stack import LocalStack, deploy, placeholder_code
from autotuner_local.targets import create_target
from autotuner_local.traffic import TrafficGenerator
from tests.conftest import load_event
from tests.emulator import (
    MakeTarget,
    apply_fails_after_moving_the_alias,
    failing,
    janitor_during,
    raise_alarm,
    run_tuning,
    stopped_while_preparing,
    wait_until_ended,
)

ACCOUNT = "123456789012"
PROBE_ROLE = "probe-role"


def probe_handler(event: dict[str, Any], _context: Any) -> list[dict[str, Any]]:
    """A handler the runtime runs like ours: it reads functions' configurations from pool threads (as Measure
    and the warmer invoke from theirs) and reports what each call answered."""
    client = boto3.session.Session().client("lambda")

    def read(function: str) -> dict[str, Any]:
        try:
            client.get_function_configuration(FunctionName=function)
        except ClientError as error:
            return {
                "code": error.response["Error"]["Code"],
                "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
                "message": error.response["Error"]["Message"],
            }
        return {"code": None}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(read, event["functions"]))


def create_probe(make_target: MakeTarget) -> None:
    """The probe function, with a role allowed to read the configuration of functions named allowed-*."""
    iam, client = boto3.client("iam"), boto3.client("lambda")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "*"}]}
    role = iam.create_role(RoleName=PROBE_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    statement = {
        "Effect": "Allow",
        "Action": "lambda:GetFunctionConfiguration",
        "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:allowed-*",
    }
    iam.put_role_policy(
        RoleName=PROBE_ROLE,
        PolicyName="read",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    client.create_function(
        FunctionName="probe",
        Runtime="python3.13",
        Role=role,
        Handler=f"{__name__}.probe_handler",
        Code={"ZipFile": placeholder_code()},
    )
    make_target("allowed-one", "io-bound")
    make_target("other", "io-bound")


def run_probe() -> list[dict[str, Any]]:
    event = {"functions": ["allowed-one", "other"]}
    response = boto3.client("lambda").invoke(FunctionName="probe", Payload=json.dumps(event).encode())
    answers: list[dict[str, Any]] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, answers
    return answers


def assert_denied_as_aws_denies(answers: list[dict[str, Any]]) -> None:
    allowed, denied = answers
    assert allowed == {"code": None}
    assert denied == {
        "code": "AccessDeniedException",
        "status": 403,
        "message": f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{PROBE_ROLE}/probe is not authorized to perform: "
        f"lambda:GetFunctionConfiguration on resource: arn:aws:lambda:us-east-1:{ACCOUNT}:function:other "
        "because no identity-based policy allows the lambda:GetFunctionConfiguration action",
    }


def test_a_handler_is_refused_what_its_role_does_not_allow_even_from_its_threads(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    create_probe(make_target)

    assert_denied_as_aws_denies(run_probe())

    decisions = {(a.resource.rsplit(":", 1)[-1], a.allowed) for a in runtime.authorizations_of("probe")}
    assert decisions == {("allowed-one", True), ("other", False)}
    boto3.client("lambda").get_function_configuration(FunctionName="other")  # outside a handler: not checked


def test_the_server_emulator_of_the_demo_enforces_roles_too() -> None:
    with local_aws(quiet=True) as local:

        def make(name: str = "target", workload: str = "io-bound", **_: Any) -> str:
            return create_target(boto3.client("lambda"), boto3.client("iam"), name, workload)

        create_probe(make)
        assert_denied_as_aws_denies(run_probe())
        assert any(not a.allowed for a in local.runtime.authorizations_of("probe"))


def test_the_warmer_cannot_invoke_a_function_outside_the_allowed_pattern(
    runtime: InProcessRuntime, make_target: MakeTarget
) -> None:
    pattern = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:team-?-*"
    stack = deploy(parameters={"TargetFunctionArnPattern": pattern, "WarmTargets": "team-a-api:1,team-ab-api:1"})
    make_target("team-a-api", "io-bound")
    make_target("team-ab-api", "io-bound")  # `?` is one character: not allowed

    response = boto3.client("lambda").invoke(
        FunctionName=stack.functions["WarmerFunction"], Payload=json.dumps(load_event("scheduled-event.json")).encode()
    )
    result = json.loads(response["Payload"].read())

    assert [f.split(":")[-1] for f in result["warmed"]] == ["team-a-api"], result
    assert "AccessDeniedException" in result["failed"]["team-ab-api"]
    assert (
        "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:team-ab-api"
        in (result["failed"]["team-ab-api"])
    )


# What a role could do to a function that would change it or run it: each is denied on the stack's own functions.
INVOKE_OR_CHANGE = (
    "lambda:InvokeFunction",
    "lambda:UpdateFunctionConfiguration",
    "lambda:PublishVersion",
    "lambda:CreateAlias",
    "lambda:UpdateAlias",
    "lambda:DeleteAlias",
    "lambda:DeleteFunction",
)


def test_every_role_that_may_invoke_or_change_functions_is_denied_it_on_the_stacks_own_by_their_tag(
    stack: LocalStack, make_target: MakeTarget
) -> None:
    own = stack.functions["ReportFailureFunction"]
    other = make_target("orders", "io-bound")
    guarded = set()
    for logical_id, arn in stack.functions.items():
        role = boto3.client("lambda").get_function_configuration(FunctionName=arn)["Role"]
        found = read_role(role)
        assert found is not None, role
        documents = found.documents
        for action in INVOKE_OR_CHANGE:
            resource = f"{own}:1" if action == "lambda:DeleteFunction" else own  # versions only, as granted
            on_own = decide(documents, Request(action, resource, resource_tag_keys(action, resource)))
            on_other = decide(documents, Request(action, other if resource == own else f"{other}:1"))
            if on_other is Decision.ALLOWED:  # the role may do it to a target: never to the stack's own
                assert on_own is Decision.EXPLICITLY_DENIED, (logical_id, action)
                guarded.add(logical_id)
            else:
                assert on_own is not Decision.ALLOWED, (logical_id, action)
    assert guarded == {"PlanFunction", "PrepareFunction", "MeasureFunction", "ApplyFunction", "CheckCanaryFunction",
                       "CleanupFunction", "WarmerFunction", "RouteCandidateFunction",
                       "CheckTrafficFunction"}  # fmt: skip


# Granted actions no scenario below can exercise, and why. Anything else a role grants must be used.
NOT_EXERCISED = {
    # Prepare moves one of its size aliases only when it already exists but the run has not recorded it: a
    # retried Prepare after a crash between CreateAlias and its return, which the emulator cannot stage.
    ("PrepareFunction", "lambda:UpdateAlias"),
    # SNS calls KMS for the encrypted results topic on the function's behalf (the statement's kms:ViaService
    # condition says so); the function never calls KMS itself, and moto's SNS does not encrypt.
    ("NotifyFunction", "kms:GenerateDataKey"),
    ("NotifyFunction", "kms:Decrypt"),
    ("ReportFailureFunction", "kms:GenerateDataKey"),
    ("ReportFailureFunction", "kms:Decrypt"),
    # Notify reads the run's end back only when the answer to its write was lost for good; the fault that needs
    # (tests/faults.py's "unanswered") is staged, under these same roles, in tests/integration/test_lost_answers.py.
    ("NotifyFunction", "dynamodb:GetItem"),
    # Clean-up recreates an alias the run found only if someone else deleted it while the run was under way (the
    # record's snapshot is put back exactly); moving an alias back (UpdateAlias) is exercised below.
    ("CleanupFunction", "lambda:CreateAlias"),
    # Lambda itself sends a failed asynchronous invocation of the janitor to its dead-letter queue, with the
    # function's role: the emulator checks the role for it outside any handler (tests/integration/test_janitor.py).
    ("CleanupFunction", "sqs:SendMessage"),
    # CheckCanary undoes its own alias change (a clean-up from the record) only when the janitor closed the record
    # between its intent and its change; the same guard's undo is exercised above through Prepare and Apply.
    *(("CheckCanaryFunction", f"lambda:{action}") for action in (
        "GetFunction", "GetFunctionConfiguration", "UpdateFunctionConfiguration", "ListAliases",
        "ListVersionsByFunction", "CreateAlias", "DeleteAlias", "DeleteFunction", "UpdateFunctionCode")),
    # The same for a traffic run's steps: RouteCandidate and CheckTraffic undo their own change (a clean-up from
    # the record) only when the janitor closed the record between their intent and their change; RouteCandidate
    # deletes a candidate it published only when the function changed under it (tests/unit/workflow covers both).
    *(("CheckTrafficFunction", f"lambda:{action}") for action in (
        "GetFunction", "GetFunctionConfiguration", "UpdateFunctionConfiguration", "ListAliases",
        "ListVersionsByFunction", "CreateAlias", "DeleteAlias", "DeleteFunction")),
    *(("RouteCandidateFunction", f"lambda:{action}") for action in (
        "ListAliases", "CreateAlias", "DeleteAlias", "DeleteFunction")),
    # Alarms opted in by tag: the traffic scenario runs on the name-prefix deployment; the tag path is the
    # alarms adapter CheckCanary exercises on the tagged one.
    ("CheckTrafficFunction", "cloudwatch:ListTagsForResource"),
}  # fmt: skip


def test_every_granted_action_is_exercised_and_nothing_is_denied(
    make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    stack = deploy(parameters={"AllowArchitectureSwitch": "true"})  # the most the stack grants
    tagged = deploy(stack_name="tagged", parameters={"RetuneAlarmPrefix": "", "RetuneAlarmTag": "autotuner:retune"})
    run_every_scenario(stack, tagged, make_target)
    a_run_the_janitor_never_cleaned_swept(stack, make_target, runtime)

    denied = [a for a in runtime.authorizations if not a.allowed]
    assert denied == []
    unexercised = set()
    for logical_id, arn in stack.functions.items():
        names = {s.functions[logical_id].split(":")[-1] for s in (stack, tagged)}
        used = {a.action for name in names for a in runtime.authorizations_of(name)}
        for granted in granted_actions(role_documents(arn)):
            if not any(action_matches(granted, action) for action in used):
                unexercised.add((logical_id, granted))
    assert sorted(unexercised - NOT_EXERCISED) == [], "\n".join(map(str, sorted(unexercised - NOT_EXERCISED)))


def role_documents(function_arn: str) -> list[dict[str, Any]]:
    """The function's role policies as deployed: SAM's translation of the template, read back from IAM."""
    iam = boto3.client("iam")
    role = boto3.client("lambda").get_function_configuration(FunctionName=function_arn)["Role"].rsplit("/", 1)[-1]
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    documents = [iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"] for name in names]
    return [json.loads(d) if isinstance(d, str) else dict(d) for d in documents]


def run_every_scenario(stack: LocalStack, tagged: LocalStack, make_target: MakeTarget) -> None:
    sweep_of_a_target_mid_update(stack, make_target)
    sweeps_applied_to_an_alias(stack, make_target)
    adaptive_search(stack, make_target)
    architectures_measured_applied_and_put_back(stack, make_target)
    failing_runs(stack, make_target)
    two_runs_of_one_function_at_once(stack, make_target)
    alarm_retune_fleet_and_warmer(stack, make_target)
    alarm_opted_in_by_tag(tagged, make_target)
    runs_closed_while_they_change_the_function(stack, make_target)
    an_alias_put_back_after_a_failure(stack, make_target)
    canaries_rolled_back_by_an_alarm(stack, tagged, make_target)
    a_traffic_run_promoting_the_version_it_measured(stack, make_target)
    the_savings_widget(stack)


def a_traffic_run_promoting_the_version_it_measured(stack: LocalStack, make_target: MakeTarget) -> None:
    """Production calls payments:live; the run reads its logs, routes candidates, guards them, promotes one."""
    make_target("payments", "payments", memory_mb=1024)
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="payments")["Version"]
    arn = client.create_alias(FunctionName="payments", Name="live", FunctionVersion=version)["AliasArn"]
    options = {"weight": 0.5, "invocationsPerSize": 20, "checkEverySeconds": 10, "baselineHours": 1, "maxHours": 1}
    with TrafficGenerator("payments", "live", per_second=80.0) as production:
        production.wait_for(100)
        tuning = {"lambdaARN": arn, "measure": "traffic", "traffic": options, "autoOptimize": True,
                  "canary": {"durationSeconds": 300}}  # fmt: skip
        run = run_tuning(stack, tuning, name="traffic", timeout_s=300)
    assert run.status == "SUCCEEDED", run.cause


def a_run_the_janitor_never_cleaned_swept(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    """The hourly sweep lists the runs awaiting clean-up (the table's index), asks whether each one's execution
    ended, and cleans it up (a failing run above whose janitor was never delivered among them)."""
    arn = make_target("unswept", "io-bound", memory_mb=1024)
    stopped = stopped_while_preparing(stack, runtime, {"lambdaARN": arn, "num": 5, "powerValues": [256]})
    assert stopped in run_schedule(stack, "CleanupFunction.Sweep")["cleaned"]


def the_savings_widget(stack: LocalStack) -> None:
    """The dashboard's widget reads the runs above (ListExecutions, DescribeExecution) and the Invocations of the
    functions they applied to (GetMetricData)."""
    event = load_event("savings-widget.json")
    response = boto3.client("lambda").invoke(
        FunctionName=stack.functions["SavingsWidgetFunction"], Payload=json.dumps(event).encode()
    )
    html = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, html
    assert html.startswith("<table>"), html


def runs_closed_while_they_change_the_function(stack: LocalStack, make_target: MakeTarget) -> None:
    """The janitor closes a stopped run while Prepare, then Apply, change the function: each undoes its change."""
    for step in ("PrepareFunction", "ApplyFunction"):
        arn = make_target(f"closed-{step}", "io-bound", memory_mb=1024)
        tuning = {"lambdaARN": arn, "num": 5, "powerValues": [256], "autoOptimize": True, "autoOptimizeAlias": "live"}
        with janitor_during(stack, f"closed-{step}", step, "update_function_configuration") as interrupted:
            run_tuning(stack, tuning, name=f"closed-{step}")
        assert interrupted == [step]


def canaries_rolled_back_by_an_alarm(stack: LocalStack, tagged: LocalStack, make_target: MakeTarget) -> None:
    """An opted-in alarm (by name, then by tag) already in ALARM: the first check reads it and rolls back."""
    client, cloudwatch = boto3.client("lambda"), boto3.client("cloudwatch")
    for deployment, name, alarm in ((stack, "canaried", "autotuner-canaried"), (tagged, "tag-canaried", "latency")):
        arn = make_target(name, "io-bound", memory_mb=1024)
        client.create_alias(FunctionName=name, Name="live", FunctionVersion=client.publish_version(FunctionName=name)[
            "Version"])  # fmt: skip
        cloudwatch.put_metric_alarm(
            AlarmName=alarm, MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "FunctionName", "Value": name}], Tags=[{"Key": "autotuner:retune", "Value": "true"}],
        )  # fmt: skip
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="Threshold Crossed")
        tuning = {"lambdaARN": f"{arn}:live", "num": 5, "powerValues": [256], "autoOptimize": True,
                  "canary": {"durationSeconds": 120}}  # fmt: skip
        run = run_tuning(deployment, tuning, name=f"canary-{name}")
        assert run.output["canary"]["verdict"] == "rolled-back", run.cause


def an_alias_put_back_after_a_failure(stack: LocalStack, make_target: MakeTarget) -> None:
    """Apply moved the alias, then failed: clean-up puts the alias back where the record found it."""
    arn = make_target("moved", "io-bound", memory_mb=1024)
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="moved")["Version"]
    client.create_alias(FunctionName="moved", Name="live", FunctionVersion=version)
    tuning = {"lambdaARN": arn, "num": 5, "powerValues": [256], "autoOptimize": True, "autoOptimizeAlias": "live"}
    with apply_fails_after_moving_the_alias():
        run = run_tuning(stack, tuning, name="moved")
    assert run.status == "FAILED"


def sweep_of_a_target_mid_update(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("resize", "cpu-single-thread", memory_mb=1024)
    with reported_in_progress_once("resize"):
        tuning = {"lambdaARN": arn, "num": 5, "powerValues": [512, 2048], "autoOptimize": True, "budgetUsd": 1.0}
        run = run_tuning(stack, tuning)  # with a budget, Plan reads the target's recent durations first
    assert run.status == "SUCCEEDED", run.cause


def sweeps_applied_to_an_alias(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("api", "io-bound", memory_mb=1024)
    tuning = {"lambdaARN": arn, "num": 5, "powerValues": [256, 512], "autoOptimize": True, "autoOptimizeAlias": "live"}
    for attempt in ("creates", "moves"):  # the alias
        run = run_tuning(stack, tuning, name=f"alias-{attempt}")
        assert run.status == "SUCCEEDED", run.cause


def adaptive_search(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("model", "memory-floor", memory_mb=2048)
    tuning = {"lambdaARN": arn, "search": "adaptive", "maxInvocations": 36, "autoOptimize": True}
    run = run_tuning(stack, tuning, name="adaptive")  # later rounds retire the aliases they no longer need
    assert run.status == "SUCCEEDED", run.cause


def architectures_measured_applied_and_put_back(stack: LocalStack, make_target: MakeTarget) -> None:
    """Plan reads the layer's architectures; Prepare uploads the code for arm64 and back, Apply switches to it;
    Clean-up puts the code back when Prepare could not."""
    layer = boto3.client("lambda").publish_layer_version(
        LayerName="shared", Content={"ZipFile": placeholder_code()}, CompatibleArchitectures=["x86_64", "arm64"]
    )["LayerVersionArn"]
    both = {"num": 5, "powerValues": [512, 1024], "architectures": ["arm64", "x86_64"]}
    arn = make_target("filters", "arch-neutral", memory_mb=1024, layers=[layer])
    tuning = {"lambdaARN": arn, **both, "applyArchitecture": True, "autoOptimize": True}
    run = run_tuning(stack, tuning, name="architectures")
    assert run.status == "SUCCEEDED", run.cause
    assert run.output["applied"]["architecture"] == "arm64"
    arn = make_target("unswitchable", "arch-neutral", memory_mb=1024)
    with failing("update_function_code", lambda: LambdaClientError("ServiceException", "down"), times=99, after=1):
        run = run_tuning(stack, {"lambdaARN": arn, **both}, name="unswitchable")
    assert run.status == "FAILED"


def failing_runs(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("broken", "io-bound")
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "payload": {"fail": "bad input"}}, name="rejected")
    assert run.status == "FAILED"
    arn = make_target("unpublishable", "io-bound", memory_mb=1024)
    with failing("publish_version", lambda: LambdaClientError("ServiceException", "internal error"), times=99, after=1):
        run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512, 2048]}, name="unpublishable")
    assert run.status == "FAILED"
    arn = make_target("unrestorable", "io-bound", memory_mb=1024)  # Prepare cannot put $LATEST back: Cleanup tries
    with failing(
        "update_function_configuration", lambda: LambdaClientError("ServiceException", "down"), times=99, after=1
    ):
        run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512]}, name="unrestorable")
    assert run.status == "FAILED"


def two_runs_of_one_function_at_once(stack: LocalStack, make_target: MakeTarget) -> None:
    arn = make_target("busy", "io-bound")
    sfn = boto3.client("stepfunctions")
    tuning = json.dumps({"lambdaARN": arn, "num": 5, "powerValues": [256, 512]})
    started = [sfn.start_execution(stateMachineArn=stack.state_machine_arn, name=n, input=tuning) for n in ("b1", "b2")]
    for execution in started:
        wait_until_ended(execution["executionArn"])


def alarm_opted_in_by_tag(stack: LocalStack, make_target: MakeTarget) -> None:
    make_target("tagged-orders", "io-bound")
    event = load_event("alarm-state-change.json")
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:tagged-orders-latency"]
    event["detail"]["alarmName"] = "tagged-orders-latency"
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {
        "FunctionName": "tagged-orders"
    }
    invoke(stack, "AlarmSubscriberFunction", raise_alarm(event, tags={"autotuner:retune": "true"}))


def alarm_retune_fleet_and_warmer(stack: LocalStack, make_target: MakeTarget) -> None:
    profile = {"num": 5, "powerValues": [256, 512]}
    make_target("orders", "io-bound", tags={"autotuner:tune": "true", "autotuner:warm": "1"})
    ProfileStore(stack.tables["ProfilesTable"]).set_user_profile(
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders", profile
    )
    started = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-state-change.json")))["started"]
    assert len(started) == 1, started
    errors = invoke(stack, "AlarmSubscriberFunction", raise_alarm(load_event("alarm-state-change-metric-math.json")))
    assert [s["code"] for s in errors["skipped"]] == ["ErrorsNotMemory"], errors
    wait_until_ended(started[0] if isinstance(started[0], str) else started[0]["executionArn"])
    invoke(stack, "WarmerFunction", load_event("scheduled-event.json"))
    sfn = boto3.client("stepfunctions")
    fleet = sfn.start_execution(stateMachineArn=stack.outputs["FleetStateMachineArn"], name="weekly", input="{}")
    wait_until_ended(fleet["executionArn"])


def invoke(stack: LocalStack, function: str, event: dict[str, Any]) -> dict[str, Any]:
    response = boto3.client("lambda").invoke(FunctionName=stack.functions[function], Payload=json.dumps(event).encode())
    body: dict[str, Any] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


@contextmanager
def reported_in_progress_once(function_name: str) -> Iterator[None]:
    """moto applies updates at once; this makes the target report an update in flight the first time its
    configuration is read, as Lambda does right after someone else's update."""
    original = LambdaFunction.get_configuration
    reported = threading.Event()

    def configuration(function: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        answer: dict[str, Any] = original(function, *args, **kwargs)
        if function.function_name == function_name and not reported.is_set():
            reported.set()
            return answer | {"LastUpdateStatus": "InProgress"}
        return answer

    with mock.patch.object(LambdaFunction, "get_configuration", configuration):
        yield

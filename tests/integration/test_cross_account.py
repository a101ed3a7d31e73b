"""A target in another account of the organisation, tuned through the role templates/target-account-role.yaml
creates there: under the emulator with two (and three) accounts, each handler's calls checked against its own role,
and the calls made with the assumed credentials against the assumed role's policies in the target's account."""

import json
from typing import Any

import boto3
import pytest

from autotuner.adapters.run_records import RunRecords
from autotuner.workflow import plan as plan_step
from autotuner_local.accounts import TargetAccountRole, account_session, deploy_target_account_role
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LOCAL_ACCOUNT, LocalStack, deploy
from autotuner_local.targets import create_target
from autotuner_local.template import TemplateError
from tests.emulator import execution_arn, janitor_during, run_tuning, target_state

pytestmark = pytest.mark.slow

TARGET_ACCOUNT = "210987654321"
ROLELESS_ACCOUNT = "333344445555"
UNNAMED_ACCOUNT = "444455556666"  # no TargetAccountIds names it
ROLE_NAME = "lambda-autotuner-target"
EXTERNAL_ID = "tuner-7f3c9a"
CROSS_ACCOUNT = {
    "TargetAccountRoleName": ROLE_NAME,
    "TargetAccountIds": f"{TARGET_ACCOUNT},{ROLELESS_ACCOUNT}",
    "TargetAccountExternalId": EXTERNAL_ID,
    "TargetFunctionArnPattern": "arn:aws:lambda:us-east-1:*:function:*",
    "PayloadS3Bucket": "payloads",
}
ORIGINAL = "orders, account B"


@pytest.fixture
def stack(runtime: InProcessRuntime) -> LocalStack:
    return deploy(parameters=CROSS_ACCOUNT)


def target_in(account: str, name: str = "orders", **options: Any) -> str:
    session = account_session(account)
    return create_target(session.client("lambda"), session.client("iam"), name, "cpu-single-thread", **options)


def role_in(account: str, stack: LocalStack, **options: Any) -> TargetAccountRole:
    """templates/target-account-role.yaml deployed in ``account`` as docs/cross-account.md says: trusting the tuner
    stack's roles (its output) with the tuner's external id."""
    trusted = stack.outputs["TargetAccountTrustedRoleArns"]
    return deploy_target_account_role(account, tuner_role_arns=trusted, external_id=EXTERNAL_ID, **options)


def tuner_functions() -> set[str]:
    return {f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]}


def test_a_function_in_another_account_is_tuned_through_its_role_and_nothing_is_left_behind(
    stack: LocalStack, runtime: InProcessRuntime
) -> None:
    role = role_in(TARGET_ACCOUNT, stack)
    arn = target_in(TARGET_ACCOUNT, memory_mb=1024, description=ORIGINAL)
    before = tuner_functions()

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512, 1024, 2048], "autoOptimize": True})

    assert run.status == "SUCCEEDED", run.cause
    applied = run.output["applied"]["memoryMb"]
    assert run.output["power"] == applied
    target_client = account_session(TARGET_ACCOUNT).client("lambda")
    state = target_state("orders", target_client)
    assert (state.memory_mb, state.description, state.aliases, state.versions) == (applied, ORIGINAL, {}, ["$LATEST"])
    measured = runtime.targets_invoked("orders")
    assert {i.memory_mb for i in measured} >= {512, 2048}, "each size ran in account B, at its own memory"
    assert tuner_functions() == before, "nothing was created in the tuner's account"
    # The run's own records stay in the tuner's account: the run record (with the role it went through), the
    # profile, and a released lock; account B holds no table at all.
    record = RunRecords(stack.tables["RunsTable"]).read(execution_arn(stack, "run-1"))
    assert record is not None
    assert record.cleanup is not None
    assert record.cleanup.complete
    assert (record.function.unqualified, record.target_role and record.target_role.role_arn) == (arn, role.role_arn)
    profile = boto3.client("dynamodb").get_item(
        TableName=stack.tables["ProfilesTable"], Key={"functionArn": {"S": arn}}
    )
    assert "Item" in profile, "the profile is kept in the tuner's account"
    assert "runningExecution" not in profile["Item"], "the lock is released"
    assert account_session(TARGET_ACCOUNT).client("dynamodb").list_tables()["TableNames"] == []
    # Every Lambda call on the target was checked against the role in account B, none against the tuner's own.
    on_target = [
        a for a in runtime.authorizations if a.action.startswith("lambda:") and f":{TARGET_ACCOUNT}:" in a.resource
    ]
    assert on_target
    assert all(a.allowed and a.role_arn == role.role_arn for a in on_target)
    callers = {stack.logical_id_of(a.function_name) for a in on_target}
    assert callers == {"PlanFunction", "PrepareFunction", "MeasureFunction", "ApplyFunction", "CleanupFunction"}
    assumed = [a for a in runtime.authorizations if a.action == "sts:AssumeRole"]
    assert assumed
    assert all(a.allowed and a.resource == role.role_arn for a in assumed)


def test_the_janitor_cleans_up_in_the_targets_account_from_the_run_record(stack: LocalStack) -> None:
    role_in(TARGET_ACCOUNT, stack)
    arn = target_in(TARGET_ACCOUNT, memory_mb=1024, description=ORIGINAL)
    with janitor_during(stack, "stopped", "PrepareFunction", "update_function_configuration") as interrupted:
        run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [256, 512]}, name="stopped")
    assert interrupted == ["PrepareFunction"]
    assert run.status in {"ABORTED", "FAILED"}
    state = target_state("orders", account_session(TARGET_ACCOUNT).client("lambda"))
    assert (state.memory_mb, state.description, state.aliases, state.versions) == (1024, ORIGINAL, {}, ["$LATEST"])


def test_a_target_in_an_account_without_the_role_fails_in_plan_and_changes_nothing(
    stack: LocalStack, runtime: InProcessRuntime
) -> None:
    arn = target_in(ROLELESS_ACCOUNT, memory_mb=1024, description=ORIGINAL)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512, 1024], "autoOptimize": True})

    assert run.status == "FAILED"
    assert run.error == "TargetAccountUnreachableError"
    cause = run.cause or ""
    print(f"cause: {cause}")
    expected_role = f"arn:aws:iam::{ROLELESS_ACCOUNT}:role/{ROLE_NAME}"
    assert f"lambdaARN: the tuner cannot assume the role {expected_role}" in cause
    assert "templates/target-account-role.yaml" in cause
    assert not {"Prepare", "PrepareForOneTask"} & set(run.states_entered())
    assert runtime.targets_invoked("orders") == []
    state = target_state("orders", account_session(ROLELESS_ACCOUNT).client("lambda"))
    assert (state.memory_mb, state.description, state.aliases, state.versions) == (1024, ORIGINAL, {}, ["$LATEST"])
    profile = boto3.client("dynamodb").get_item(
        TableName=stack.tables["ProfilesTable"], Key={"functionArn": {"S": arn}}
    )
    assert "Item" not in profile, "no lock was taken"


def test_a_role_that_trusts_another_tuner_is_not_assumed(stack: LocalStack, runtime: InProcessRuntime) -> None:
    role_in(TARGET_ACCOUNT, stack, tuner_account="999988887777")
    arn = target_in(TARGET_ACCOUNT)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512]})

    assert (run.status, run.error) == ("FAILED", "TargetAccountUnreachableError")
    assert runtime.targets_invoked("orders") == []


def test_without_target_account_role_name_another_accounts_target_is_refused_by_name(
    runtime: InProcessRuntime,
) -> None:
    stack = deploy(parameters={"TargetFunctionArnPattern": CROSS_ACCOUNT["TargetFunctionArnPattern"]})
    role_in(TARGET_ACCOUNT, stack)
    arn = target_in(TARGET_ACCOUNT)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512]})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert f"is in account {TARGET_ACCOUNT}, not this tuner's account {LOCAL_ACCOUNT}" in (run.cause or "")
    assert "TargetAccountRoleName" in (run.cause or "")
    assert runtime.targets_invoked("orders") == []


# ---- the audit's attack: a payload delivered to an account nobody named -------------------------------------------

SECRET = {"apiKey": "sk-live-0123456789"}


def attackers_account_with_a_role_trusting_the_tuners_account(name: str = ROLE_NAME) -> str:
    """What anyone can do in an account of their own: a role of the tuner's TargetAccountRoleName trusting the
    tuner's whole account (no external id), and a function to receive the payload. Returns the function's ARN."""
    iam = account_session(UNNAMED_ACCOUNT).client("iam")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{LOCAL_ACCOUNT}:root"},
                            "Action": "sts:AssumeRole"}]}  # fmt: skip
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps(everything))
    return target_in(UNNAMED_ACCOUNT, "collector")


def secret_in_the_payload_bucket() -> str:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="payloads")
    s3.put_object(Bucket="payloads", Key="secret.json", Body=json.dumps(SECRET).encode())
    return "s3://payloads/secret.json"


def test_a_payload_is_never_delivered_to_an_account_the_deployment_does_not_name(
    stack: LocalStack, runtime: InProcessRuntime
) -> None:
    arn = attackers_account_with_a_role_trusting_the_tuners_account()
    payload = secret_in_the_payload_bucket()

    run = run_tuning(stack, {"lambdaARN": arn, "payloadS3": payload, "num": 10, "powerValues": [128]})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert (
        f"lambdaARN: {arn} is in account {UNNAMED_ACCOUNT}, which is not one of the accounts this deployment may "
        f"tune (its TargetAccountIds: {TARGET_ACCOUNT}, {ROLELESS_ACCOUNT}); refused"
    ) in str(run.cause)
    assert runtime.targets_invoked("collector") == []
    touched = {(a.action, a.resource) for a in runtime.authorizations}
    assert not {t for t in touched if t[0] in {"s3:GetObject", "sts:AssumeRole"}}, "nothing read, nothing assumed"


def test_with_plans_account_check_bypassed_iam_still_refuses_the_role_of_an_unnamed_account(
    stack: LocalStack, runtime: InProcessRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = attackers_account_with_a_role_trusting_the_tuners_account()
    payload = secret_in_the_payload_bucket()
    monkeypatch.setattr(plan_step, "account_problems", lambda *_: [])  # as if Plan's check were not there

    run = run_tuning(stack, {"lambdaARN": arn, "payloadS3": payload, "num": 10, "powerValues": [128]})

    assert (run.status, run.error) == ("FAILED", "TargetAccountUnreachableError")
    (assumed,) = [a for a in runtime.authorizations if a.action == "sts:AssumeRole"]
    assert (assumed.resource, assumed.allowed) == (f"arn:aws:iam::{UNNAMED_ACCOUNT}:role/{ROLE_NAME}", False)
    assert runtime.targets_invoked("collector") == []
    assert not [a for a in runtime.authorizations if a.action == "s3:GetObject"], "the payload was never read"


def test_a_role_is_assumed_only_with_the_external_id_it_requires(runtime: InProcessRuntime) -> None:
    stack = deploy(parameters=CROSS_ACCOUNT | {"TargetAccountExternalId": "another-tuners-id"})
    role_in(TARGET_ACCOUNT, stack)  # requires EXTERNAL_ID
    arn = target_in(TARGET_ACCOUNT)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512]})

    assert (run.status, run.error) == ("FAILED", "TargetAccountUnreachableError")
    assert runtime.targets_invoked("orders") == []


@pytest.mark.parametrize(
    ("missing", "message"),
    [("TargetAccountIds", "TargetAccountIds must name the accounts"),
     ("TargetAccountExternalId", "TargetAccountExternalId must be the external id")],
)  # fmt: skip
def test_a_cross_account_deployment_names_its_accounts_and_external_id_or_is_not_deployed(
    runtime: InProcessRuntime, missing: str, message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        deploy(parameters=CROSS_ACCOUNT | {missing: ""})
    assert boto3.client("lambda").list_functions()["Functions"] == [], "nothing was created"

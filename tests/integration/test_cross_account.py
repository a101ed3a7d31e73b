"""A target in another account of the organisation, tuned through the role templates/target-account-role.yaml
creates there: under the emulator with two (and three) accounts, each handler's calls checked against its own role,
and the calls made with the assumed credentials against the assumed role's policies in the target's account."""

from typing import Any

import boto3
import pytest

from autotuner.adapters.run_records import RunRecords
from autotuner_local.accounts import account_session, deploy_target_account_role
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LOCAL_ACCOUNT, LocalStack, deploy
from autotuner_local.targets import create_target
from tests.emulator import execution_arn, janitor_during, run_tuning, target_state

pytestmark = pytest.mark.slow

TARGET_ACCOUNT = "210987654321"
ROLELESS_ACCOUNT = "333344445555"
ROLE_NAME = "lambda-autotuner-target"
CROSS_ACCOUNT = {
    "TargetAccountRoleName": ROLE_NAME,
    "TargetFunctionArnPattern": "arn:aws:lambda:us-east-1:*:function:*",
}
ORIGINAL = "orders, account B"


@pytest.fixture
def stack(runtime: InProcessRuntime) -> LocalStack:
    return deploy(parameters=CROSS_ACCOUNT)


def target_in(account: str, name: str = "orders", **options: Any) -> str:
    session = account_session(account)
    return create_target(session.client("lambda"), session.client("iam"), name, "cpu-single-thread", **options)


def tuner_functions() -> set[str]:
    return {f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]}


def test_a_function_in_another_account_is_tuned_through_its_role_and_nothing_is_left_behind(
    stack: LocalStack, runtime: InProcessRuntime
) -> None:
    role = deploy_target_account_role(TARGET_ACCOUNT, tuner_stack=stack.name)
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
    deploy_target_account_role(TARGET_ACCOUNT, tuner_stack=stack.name)
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
    assert "Prepare" not in run.states_entered()
    assert runtime.targets_invoked("orders") == []
    state = target_state("orders", account_session(ROLELESS_ACCOUNT).client("lambda"))
    assert (state.memory_mb, state.description, state.aliases, state.versions) == (1024, ORIGINAL, {}, ["$LATEST"])
    profile = boto3.client("dynamodb").get_item(
        TableName=stack.tables["ProfilesTable"], Key={"functionArn": {"S": arn}}
    )
    assert "Item" not in profile, "no lock was taken"


def test_a_role_that_trusts_another_tuner_is_not_assumed(stack: LocalStack, runtime: InProcessRuntime) -> None:
    deploy_target_account_role(TARGET_ACCOUNT, tuner_account="999988887777", tuner_stack=stack.name)
    arn = target_in(TARGET_ACCOUNT)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512]})

    assert (run.status, run.error) == ("FAILED", "TargetAccountUnreachableError")
    assert runtime.targets_invoked("orders") == []


def test_without_target_account_role_name_another_accounts_target_is_refused_by_name(
    runtime: InProcessRuntime,
) -> None:
    stack = deploy(parameters={"TargetFunctionArnPattern": CROSS_ACCOUNT["TargetFunctionArnPattern"]})
    deploy_target_account_role(TARGET_ACCOUNT, tuner_stack=stack.name)
    arn = target_in(TARGET_ACCOUNT)

    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [512]})

    assert (run.status, run.error) == ("FAILED", "InvalidInputError")
    assert f"is in account {TARGET_ACCOUNT}, not this tuner's account {LOCAL_ACCOUNT}" in (run.cause or "")
    assert "TargetAccountRoleName" in (run.cause or "")
    assert runtime.targets_invoked("orders") == []

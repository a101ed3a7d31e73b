"""What the template lets the tuner reach, resolved as the local emulator (and CloudFormation) resolves it."""

import re
from pathlib import Path
from typing import Any

import pytest

from autotuner_local.template import Resolver, function_properties, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
PSEUDO = {
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "111122223333",
    "AWS::Partition": "aws",
    "AWS::StackName": "tuner",
    "AWS::StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/tuner/5b6c7d8e",
}
OWN_ACCOUNT_AND_REGION = "arn:aws:lambda:eu-west-1:111122223333:function:*"


def resolved_functions(parameters: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every function's properties (Globals merged), with each resource standing in for itself."""
    resolver = Resolver.for_template(TEMPLATE, parameters, PSEUDO)
    for name in TEMPLATE["Resources"]:
        resolver.refs[name] = f"<{name}>"
        for attribute in ("Arn", "TopicName", "Name"):
            resolver.attributes[(name, attribute)] = f"<{name}.{attribute}>"
    return {name: resolver.resolve(function_properties(TEMPLATE, name)) for name in FUNCTIONS}


def lambda_actions(properties: dict[str, Any]) -> set[str]:
    """The lambda: actions the function's own statements allow."""
    return {
        action
        for policy in properties.get("Policies", [])
        for statement in (policy.get("Statement", []) if isinstance(policy, dict) else [])
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        if action.startswith("lambda:")
    }


NOT_ON_FUNCTIONS = {"lambda:GetLayerVersion", "lambda:GetAccountSettings"}  # a layer's architectures; the account's


def lambda_resources(properties: dict[str, Any]) -> list[str]:
    """The resources of every statement that allows a lambda: action on functions."""
    found: list[str] = []
    for policy in properties.get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("lambda:") and action not in NOT_ON_FUNCTIONS for action in actions):
                resource = statement["Resource"]
                found += resource if isinstance(resource, list) else [resource]
    return found


@pytest.mark.parametrize(
    ("parameters", "pattern"),
    [({}, OWN_ACCOUNT_AND_REGION), ({"TargetFunctionArnPattern": "arn:aws:lambda:*:*:function:sandbox-*"},
                                    "arn:aws:lambda:*:*:function:sandbox-*")],
    ids=["default", "given"],
)  # fmt: skip
def test_the_tuner_reaches_the_pattern_or_by_default_its_own_account_and_region(
    parameters: dict[str, str], pattern: str
) -> None:
    functions = resolved_functions(parameters)
    resources = {resource for properties in functions.values() for resource in lambda_resources(properties)}
    assert resources == {pattern, f"{pattern}:*"}
    patterns = {
        properties["Environment"]["Variables"]["TARGET_FUNCTION_ARN_PATTERN"]
        for properties in functions.values()
        if "TARGET_FUNCTION_ARN_PATTERN" in properties["Environment"]["Variables"]
    }
    assert patterns == {pattern}


def test_the_pattern_parameter_allows_empty_and_function_arns_only() -> None:
    allowed = re.compile(TEMPLATE["Parameters"]["TargetFunctionArnPattern"]["AllowedPattern"])
    assert TEMPLATE["Parameters"]["TargetFunctionArnPattern"]["Default"] == ""
    assert [bool(allowed.match(value)) for value in ("", "arn:aws:lambda:*:*:function:orders-*")] == [True, True]
    assert [bool(allowed.match(value)) for value in ("*", "arn:aws:s3:::bucket")] == [False, False]


def test_every_function_knows_its_stack_so_that_the_stacks_own_functions_are_never_tuned() -> None:
    for name, properties in resolved_functions({}).items():
        assert properties["Environment"]["Variables"]["STACK_ID"] == PSEUDO["AWS::StackId"], name


def test_every_function_that_may_invoke_or_change_functions_is_denied_it_on_the_stacks_own() -> None:
    resolver = Resolver.for_template(TEMPLATE, {}, PSEUDO)
    guard = resolver.resolve(TEMPLATE["Resources"]["OwnFunctionsGuardPolicy"]["Properties"])
    (deny,) = guard["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Resource"]) == ("Deny", "arn:aws:lambda:*:111122223333:function:*")
    tagged_with_the_stack = {"aws:ResourceTag/aws:cloudformation:stack-id": PSEUDO["AWS::StackId"]}
    assert deny["Condition"] == {"StringEquals": tagged_with_the_stack}
    functions = resolved_functions({})
    changing = {name: {a for a in lambda_actions(p) if not a.startswith(("lambda:Get", "lambda:List"))}
                for name, p in functions.items()}  # fmt: skip
    guarded = {name for name, properties in functions.items() if "<OwnFunctionsGuardPolicy>" in properties["Policies"]}
    assert guarded == {name for name, actions in changing.items() if actions}
    assert guarded == {"PlanFunction", "PrepareFunction", "MeasureFunction", "ApplyFunction", "CheckCanaryFunction",
                       "CleanupFunction", "WarmerFunction", "RouteCandidateFunction",
                       "CheckTrafficFunction"}  # fmt: skip
    assert set().union(*changing.values()) <= set(deny["Action"])


# Lambda counts every control-plane call against 15/s per account and region, except these (GetFunction: 100/s).
UNCOUNTED_ACTIONS = {"lambda:InvokeFunction", "lambda:GetFunction"}


def test_every_function_that_makes_control_plane_calls_may_take_turns_in_the_shared_budget() -> None:
    resolver = Resolver.for_template(TEMPLATE, {}, PSEUDO)
    resolver.attributes[("ControlPlaneBudgetTable", "Arn")] = "<ControlPlaneBudgetTable.Arn>"
    policy = resolver.resolve(TEMPLATE["Resources"]["ControlPlaneBudgetPolicy"]["Properties"])
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "<ControlPlaneBudgetTable.Arn>"}
    ]
    functions = resolved_functions({})
    calling = {name for name, properties in functions.items() if lambda_actions(properties) - UNCOUNTED_ACTIONS}
    budgeted = {name for name, p in functions.items() if "<ControlPlaneBudgetPolicy>" in p["Policies"]}
    assert budgeted == calling, "the functions making Lambda control-plane calls, and only they, reach the budget"
    for name in calling:
        variables = functions[name]["Environment"]["Variables"]
        assert variables["CONTROL_PLANE_BUDGET_TABLE"] == "<ControlPlaneBudgetTable>", name
        assert variables["CONTROL_PLANE_RATE"] == "10", name
        assert variables["TUNER_ACCOUNT_ID"] == PSEUDO["AWS::AccountId"], name


def test_the_control_plane_rate_stays_under_lambdas_quota_with_room_for_other_callers() -> None:
    rate = TEMPLATE["Parameters"]["ControlPlaneRate"]
    assert (rate["Default"], rate["MinValue"], rate["MaxValue"]) == (10, 1, 14)
    table = TEMPLATE["Resources"]["ControlPlaneBudgetTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert table["KeySchema"] == [{"AttributeName": "budgetKey", "KeyType": "HASH"}]


def test_plan_may_read_the_duration_metric_for_its_budget_check() -> None:
    policies = resolved_functions({})["PlanFunction"]["Policies"]
    statements = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]
    assert {"Effect": "Allow", "Action": "cloudwatch:GetMetricStatistics", "Resource": "*"} in statements


def test_the_profiles_table_outlives_the_stack() -> None:
    table = TEMPLATE["Resources"]["ProfilesTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


@pytest.mark.parametrize("count", [1, 3, 10])
def test_the_tuner_may_assume_the_target_role_in_exactly_the_accounts_it_names(count: int) -> None:
    accounts = [f"{index:012d}" for index in range(210987654321, 210987654321 + count)]
    parameters = {"TargetAccountRoleName": "tuner-target", "TargetAccountIds": ",".join(accounts),
                  "TargetAccountExternalId": "tuner-7f3c9a"}  # fmt: skip
    resolver = Resolver.for_template(TEMPLATE, parameters, PSEUDO)
    resolver.check_rules()
    (statement,) = resolver.resolve(TEMPLATE["Resources"]["TargetAccountAssumePolicy"]["Properties"])["PolicyDocument"][
        "Statement"
    ]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRole")
    assert statement["Resource"] == [f"arn:aws:iam::{account}:role/tuner-target" for account in accounts]
    allowed = re.compile(TEMPLATE["Parameters"]["TargetAccountIds"]["AllowedPattern"])
    assert allowed.match(",".join(accounts))
    assert not allowed.match(",".join([*accounts, "999999999999"] if count == 10 else ["1234", *accounts]))


def test_only_the_janitors_own_rules_may_send_to_its_dead_letter_queue() -> None:
    resolver = Resolver.for_template(TEMPLATE, {}, PSEUDO)
    resolver.refs["JanitorDeadLetterQueue"] = "<JanitorDeadLetterQueue>"
    for name in ("JanitorDeadLetterQueue", "CleanupFunctionExecutionEnded", "CleanupFunctionSweep"):
        resolver.attributes[(name, "Arn")] = f"<{name}.Arn>"
    policy = resolver.resolve(TEMPLATE["Resources"]["JanitorDeadLetterQueuePolicy"]["Properties"])
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert (statement["Principal"], statement["Action"], statement["Resource"]) == (
        {"Service": "events.amazonaws.com"}, "sqs:SendMessage", "<JanitorDeadLetterQueue.Arn>")  # fmt: skip
    sources = ["<CleanupFunctionExecutionEnded.Arn>", "<CleanupFunctionSweep.Arn>"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": sources}}


def test_only_cloudwatch_may_publish_to_the_retune_topic_and_only_for_this_accounts_alarms() -> None:
    resolver = Resolver.for_template(TEMPLATE, {}, PSEUDO)
    resolver.refs["RetuneAlarmTopic"] = "<RetuneAlarmTopic>"
    policy = resolver.resolve(TEMPLATE["Resources"]["RetuneAlarmTopicPolicy"]["Properties"]["PolicyDocument"])
    [statement] = policy["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
        "Allow", {"Service": "cloudwatch.amazonaws.com"}, "sns:Publish",
    )  # fmt: skip
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111122223333"},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"},
    }


def test_the_alarm_subscriber_reads_the_alarm_from_cloudwatch() -> None:
    policies = resolved_functions({})["AlarmSubscriberFunction"]["Policies"]
    statements = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]  # not managed ARNs
    assert {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"} in statements


@pytest.mark.parametrize("allowed", ["false", "true"])
def test_no_role_may_change_a_functions_code_unless_the_deployment_allows_architecture_switching(allowed: str) -> None:
    parameters = {"AllowArchitectureSwitch": allowed} if allowed == "true" else {}  # the default: false
    functions = resolved_functions(parameters)
    uploading = sorted(name for name, p in functions.items() if "lambda:UpdateFunctionCode" in lambda_actions(p))
    expected = (
        ["ApplyFunction", "CheckCanaryFunction", "CleanupFunction", "PrepareFunction"] if allowed == "true" else []
    )
    assert uploading == expected, f"AllowArchitectureSwitch={allowed}: {uploading} may upload code"
    assert functions["PlanFunction"]["Environment"]["Variables"]["ALLOW_ARCHITECTURE_SWITCH"] == allowed
    target_role = load_template(ROOT / "templates" / "target-account-role.yaml")
    role_parameters = {"TunerAccountId": "111122223333", "TunerRoleArns": "arn:aws:iam::111122223333:role/r",
                       "ExternalId": "tuner-7f3c9a", **parameters}  # fmt: skip
    resolver = Resolver.for_template(target_role, role_parameters, PSEUDO)
    (policy,) = resolver.resolve(target_role["Resources"]["TargetAccountRole"]["Properties"])["Policies"]
    actions = {a for s in policy["PolicyDocument"]["Statement"] for a in s["Action"]}
    assert ("lambda:UpdateFunctionCode" in actions) == (allowed == "true")

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


def lambda_resources(properties: dict[str, Any]) -> list[str]:
    """The resources of every statement that allows a lambda: action."""
    found: list[str] = []
    for policy in properties.get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("lambda:") for action in actions):
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
        assert properties["Environment"]["Variables"]["STACK_NAME"] == "tuner", name


def test_plan_may_read_the_duration_metric_for_its_budget_check() -> None:
    statements = [s for p in resolved_functions({})["PlanFunction"]["Policies"] for s in p.get("Statement", [])]
    assert {"Effect": "Allow", "Action": "cloudwatch:GetMetricStatistics", "Resource": "*"} in statements


def test_the_profiles_table_outlives_the_stack() -> None:
    table = TEMPLATE["Resources"]["ProfilesTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


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
    statements = [s for p in policies for s in p.get("Statement", [])]
    assert {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"} in statements

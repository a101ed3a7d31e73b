"""The local emulator's IAM evaluator and request mapping: IAM's wildcard rules, Deny precedence, Not* elements,
conditions, and which action and ARN a boto3 call is authorized as."""

from typing import Any

import botocore.session
import pytest

from autotuner_local.authorization import iam_action, resource_arn
from autotuner_local.iam import Decision, Request, decide, is_allowed, trusts

ACCOUNT, REGION = "123456789012", "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


def policy(*statements: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Version": "2012-10-17", "Statement": list(statements)}]


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("pattern", "resource", "allowed"),
    [
        (FUNCTION, FUNCTION, True),
        (FUNCTION, f"{FUNCTION}:live", False),  # an unqualified ARN does not name a version or alias
        (f"{FUNCTION}:*", f"{FUNCTION}:live", True),
        (f"{FUNCTION}:*", FUNCTION, False),  # ...and `:*` names versions and aliases only
        ("arn:aws:lambda:*:*:function:*", f"{FUNCTION}:3", True),  # `*` crosses `:`
        ("arn:aws:lambda:us-east-1:123456789012:function:order?", FUNCTION, True),
        ("arn:aws:lambda:us-east-1:123456789012:function:order?", f"{FUNCTION}s", False),  # `?` is one character
        ("arn:aws:lambda:us-east-1:123456789012:function:orders.v2", f"{FUNCTION}-v2", False),  # `.` is literal
        ("arn:aws:lambda:us-east-1:123456789012:function:orders.v2", f"{FUNCTION}.v2", True),
        ("arn:aws:lambda:us-east-1:123456789012:function:Orders", FUNCTION, False),  # resources are case-sensitive
        ("arn:aws:lambda:us-east-1:123456789012:function:(orders|x)", FUNCTION, False),  # no regex syntax
        ("*", FUNCTION, True),
    ],
)
def test_resource_wildcards(pattern: str, resource: str, allowed: bool) -> None:
    request = Request("lambda:InvokeFunction", resource)
    assert is_allowed(policy(allow("lambda:InvokeFunction", pattern)), request) is allowed
    assert is_allowed(policy(allow("lambda:InvokeFunction", ["arn:aws:s3:::b", pattern])), request) is allowed


@pytest.mark.parametrize(
    ("pattern", "action", "allowed"),
    [
        ("lambda:InvokeFunction", "lambda:invokefunction", True),  # actions are case-insensitive
        ("lambda:Get*", "lambda:GetAlias", True),
        ("lambda:Get*", "lambda:ListAliases", False),
        ("lambda:Get?lias", "lambda:GetAlias", True),
        ("lambda:*", "dynamodb:GetItem", False),
        ("*", "dynamodb:GetItem", True),
    ],
)
def test_action_wildcards(pattern: str, action: str, allowed: bool) -> None:
    assert is_allowed(policy(allow(pattern, "*")), Request(action, FUNCTION)) is allowed


def test_an_explicit_deny_wins_over_any_allow() -> None:
    documents = policy(
        allow("lambda:*", "*"),
        {"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": FUNCTION},
    )
    assert decide(documents, Request("lambda:DeleteFunction", FUNCTION)) is Decision.EXPLICITLY_DENIED
    assert decide(documents, Request("lambda:DeleteFunction", f"{FUNCTION}:3")) is Decision.ALLOWED
    assert decide(policy(), Request("lambda:GetAlias", FUNCTION)) is Decision.IMPLICITLY_DENIED


def test_not_action_and_not_resource() -> None:
    documents = policy({"Effect": "Allow", "NotAction": ["lambda:Delete*", "iam:*"], "NotResource": f"{FUNCTION}:*"})
    assert is_allowed(documents, Request("lambda:GetFunction", FUNCTION))
    assert not is_allowed(documents, Request("lambda:DeleteAlias", FUNCTION))
    assert not is_allowed(documents, Request("iam:PassRole", FUNCTION))
    assert not is_allowed(documents, Request("lambda:GetFunction", f"{FUNCTION}:live"))


def test_conditions_on_known_keys_are_evaluated_and_others_make_the_statement_not_apply() -> None:
    in_region = allow("dynamodb:GetItem", "*", Condition={"StringEquals": {"aws:RequestedRegion": REGION}})
    like = allow("dynamodb:GetItem", "*", Condition={"StringLike": {"aws:RequestedRegion": "eu-*"}})
    via_sns = allow("kms:Decrypt", "*", Condition={"StringEquals": {"kms:ViaService": "sns.us-east-1.amazonaws.com"}})
    numeric = allow("dynamodb:GetItem", "*", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})
    context = {"aws:requestedregion": REGION}

    assert is_allowed(policy(in_region), Request("dynamodb:GetItem", "t", context))
    assert not is_allowed(policy(in_region), Request("dynamodb:GetItem", "t", {"aws:requestedregion": "eu-west-1"}))
    assert is_allowed(policy(like), Request("dynamodb:GetItem", "t", {"aws:requestedregion": "eu-west-1"}))
    assert not is_allowed(policy(via_sns), Request("kms:Decrypt", "k", context))  # a direct call is not via SNS
    assert not is_allowed(policy(numeric), Request("dynamodb:GetItem", "t", context))


def test_a_deny_on_a_resource_tag_applies_to_the_tagged_function_only() -> None:
    stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/tuner/1a2b"
    documents = policy(
        allow("lambda:InvokeFunction", "*"),
        {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-id": stack}}},
    )  # fmt: skip
    own = {"aws:resourcetag/aws:cloudformation:stack-id": stack}
    other = {"aws:resourcetag/aws:cloudformation:stack-id": stack.replace("1a2b", "9z8y")}
    assert decide(documents, Request("lambda:InvokeFunction", FUNCTION, own)) is Decision.EXPLICITLY_DENIED
    assert decide(documents, Request("lambda:InvokeFunction", FUNCTION, other)) is Decision.ALLOWED
    assert decide(documents, Request("lambda:InvokeFunction", FUNCTION)) is Decision.ALLOWED  # untagged


def operation(service: str, name: str) -> Any:
    return botocore.session.get_session().get_service_model(service).operation_model(name)


@pytest.mark.parametrize(
    ("service", "name", "action"),
    [
        ("lambda", "Invoke", "lambda:InvokeFunction"),
        ("lambda", "ListVersionsByFunction", "lambda:ListVersionsByFunction"),
        ("resourcegroupstaggingapi", "GetResources", "tag:GetResources"),
        ("cloudwatch", "GetMetricStatistics", "cloudwatch:GetMetricStatistics"),
        ("stepfunctions", "StartExecution", "states:StartExecution"),
        ("dynamodb", "UpdateItem", "dynamodb:UpdateItem"),
        ("s3", "GetObject", "s3:GetObject"),
    ],
)
def test_operations_map_to_iam_actions(service: str, name: str, action: str) -> None:
    assert iam_action(operation(service, name)) == action


@pytest.mark.parametrize(
    ("service", "name", "parameters", "resource"),
    [
        ("lambda", "GetFunctionConfiguration", {"FunctionName": "orders"}, FUNCTION),
        ("lambda", "Invoke", {"FunctionName": "orders:live"}, f"{FUNCTION}:live"),
        ("lambda", "Invoke", {"FunctionName": "orders", "Qualifier": "3"}, f"{FUNCTION}:3"),
        ("lambda", "Invoke", {"FunctionName": f"{ACCOUNT}:function:orders:live"}, f"{FUNCTION}:live"),
        ("lambda", "DeleteFunction", {"FunctionName": FUNCTION, "Qualifier": "4"}, f"{FUNCTION}:4"),
        (
            "lambda",
            "GetFunction",
            {"FunctionName": "arn:aws:lambda:eu-west-1:210987654321:function:x:1"},
            "arn:aws:lambda:eu-west-1:210987654321:function:x:1",
        ),
        ("lambda", "DeleteAlias", {"FunctionName": FUNCTION, "Name": "live"}, FUNCTION),
        ("lambda", "CreateAlias", {"FunctionName": "orders", "Name": "a", "FunctionVersion": "2"}, FUNCTION),
        ("dynamodb", "GetItem", {"TableName": "t"}, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"),
        (
            "dynamodb",
            "Query",
            {"TableName": "t", "IndexName": "i"},
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/index/i",
        ),
        ("s3", "GetObject", {"Bucket": "b", "Key": "p/q.json"}, "arn:aws:s3:::b/p/q.json"),
        ("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:1:t"}, "arn:aws:sns:us-east-1:1:t"),
        ("stepfunctions", "DescribeExecution", {"executionArn": "arn:e"}, "arn:e"),
        ("cloudwatch", "ListTagsForResource", {"ResourceARN": "arn:alarm"}, "arn:alarm"),
        ("lambda", "ListTags", {"Resource": FUNCTION}, FUNCTION),
        ("cloudwatch", "GetMetricStatistics", {"Namespace": "AWS/Lambda"}, "*"),
        ("resourcegroupstaggingapi", "GetResources", {}, "*"),
    ],
)
def test_requests_are_authorized_against_the_resource_aws_checks(
    service: str, name: str, parameters: dict[str, Any], resource: str
) -> None:
    assert resource_arn(service, name, parameters, ACCOUNT, REGION) == resource


TUNER = "123456789012"
PLAN_ROLE = f"arn:aws:iam::{TUNER}:role/lambda-autotuner-PlanFunctionRole-AB12"
TRUST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{TUNER}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::{TUNER}:role/lambda-autotuner-Plan*"]}},
        }
    ]
}


@pytest.mark.parametrize(
    ("caller", "account", "trusted"),
    [
        (PLAN_ROLE, TUNER, True),
        (f"arn:aws:iam::{TUNER}:role/lambda-autotuner-NotifyFunctionRole-CD34", TUNER, False),  # not named
        ("arn:aws:iam::999988887777:role/lambda-autotuner-PlanFunctionRole-AB12", "999988887777", False),
    ],
)
def test_a_trust_policy_lets_only_the_principals_and_roles_it_names_assume_the_role(
    caller: str, account: str, trusted: bool
) -> None:
    context = {"aws:principalarn": caller, "aws:principalaccount": account}
    assert trusts(TRUST, caller, account, context) is trusted


def test_a_trust_policy_for_a_service_trusts_no_role() -> None:
    service = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "*"}]}
    assert not trusts(service, PLAN_ROLE, TUNER, {"aws:principalarn": PLAN_ROLE})


def test_sts_assume_role_is_authorized_against_the_role_arn() -> None:
    model = botocore.session.get_session().get_service_model("sts").operation_model("AssumeRole")
    role = "arn:aws:iam::210987654321:role/lambda-autotuner-target"
    assert iam_action(model) == "sts:AssumeRole"
    assert resource_arn("sts", "AssumeRole", {"RoleArn": role, "RoleSessionName": "s"}, TUNER, "us-east-1") == role

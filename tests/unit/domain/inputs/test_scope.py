import pytest

from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.inputs.scope import (
    AssumedRole,
    account_problems,
    is_stack_function,
    processor_problems,
    target_problems,
    target_role,
)

STACK = "lambda-autotuner"
HERE = "arn:aws:lambda:us-east-1:123456789012:function:*"
ORDERS = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:orders")


@pytest.mark.parametrize(
    ("name", "own"),
    [
        ("lambda-autotuner-PlanFunction-a1B2c3D4e5F6", True),  # as SAM names it
        ("lambda-autotuner-PlanFunction", True),  # as the local emulator names it
        ("lambda-autotuner", False),
        ("lambda-autotuner2-PlanFunction", False),
        ("orders", False),
    ],
)
def test_the_stacks_own_functions_are_recognised_by_their_name(name: str, own: bool) -> None:
    assert is_stack_function(name, STACK) is own


def test_without_a_stack_name_no_function_is_the_stacks_own() -> None:
    assert not is_stack_function("lambda-autotuner-PlanFunction", "")


def test_a_target_within_the_pattern_and_not_the_stacks_own_is_allowed() -> None:
    assert target_problems("lambdaARN", ORDERS, HERE, STACK) == []


def test_a_target_outside_the_pattern_is_refused_by_field() -> None:
    elsewhere = parse_function_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders")
    assert target_problems("lambdaARN", elsewhere, HERE, STACK) == [
        f"lambdaARN: {elsewhere.unqualified} is outside the functions this deployment may tune ({HERE})"
    ]


def test_the_stacks_own_function_is_refused_even_within_the_pattern() -> None:
    own = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:lambda-autotuner-MeasureFunction-X1")
    (problem,) = target_problems("lambdaARN", own, HERE, STACK)
    assert problem.startswith("lambdaARN: lambda-autotuner-MeasureFunction-X1 is one of this tuner's own functions")


@pytest.mark.parametrize(
    ("processor", "expected"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:enrich", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:enrich:live", None),
        ("arn:aws:lambda:eu-west-1:123456789012:function:enrich", "is not in the target's account and region"),
        ("arn:aws:lambda:us-east-1:210987654321:function:enrich", "is not in the target's account and region"),
        ("arn:aws-cn:lambda:us-east-1:123456789012:function:enrich", "is not in the target's account and region"),
        ("arn:aws:lambda:us-east-1:123456789012:function:lambda-autotuner-Plan", "is one of this tuner's own"),
    ],
)
def test_a_processor_lies_beside_the_target_and_is_not_the_stacks_own(processor: str, expected: str | None) -> None:
    problems = processor_problems("preProcessorARN", parse_function_arn(processor), ORDERS, HERE, STACK)
    if expected is None:
        assert problems == []
    else:
        (problem,) = problems
        assert problem.startswith("preProcessorARN: ")
        assert expected in problem


def test_a_processor_outside_the_pattern_is_refused_as_a_function_the_deployment_may_not_invoke() -> None:
    pattern = "arn:aws:lambda:us-east-1:123456789012:function:orders*"
    enrich = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:enrich")
    assert processor_problems("postProcessorARN", enrich, ORDERS, pattern, STACK) == [
        f"postProcessorARN: {enrich.unqualified} is outside the functions this deployment may invoke ({pattern})"
    ]


ELSEWHERE = parse_function_arn("arn:aws:lambda:us-east-1:210987654321:function:orders")


def test_a_target_in_another_account_is_reached_through_the_named_role_with_a_session_naming_the_run() -> None:
    assert target_role(ELSEWHERE, "123456789012", "autotuner-target", "0a1b2c3d4e") == AssumedRole(
        role_arn="arn:aws:iam::210987654321:role/autotuner-target", session_name="autotuner-run-0a1b2c3d4e"
    )
    assert account_problems("lambdaARN", ELSEWHERE, "123456789012", "autotuner-target") == []


@pytest.mark.parametrize(("tuner_account", "role_name"), [("123456789012", ""), (None, "r"), ("210987654321", "r")])
def test_the_tuners_own_role_serves_its_account_an_unknown_account_and_no_role_name(
    tuner_account: str | None, role_name: str
) -> None:
    assert target_role(ELSEWHERE, tuner_account, role_name, "0a1b2c3d4e") is None


def test_another_accounts_target_without_a_role_name_is_refused_naming_the_parameter_and_the_template() -> None:
    assert account_problems("lambdaARN", ELSEWHERE, "123456789012", "") == [
        f"lambdaARN: {ELSEWHERE.unqualified} is in account 210987654321, not this tuner's account 123456789012; "
        "to tune functions in other accounts, deploy templates/target-account-role.yaml there and the tuner with "
        "the parameter TargetAccountRoleName"
    ]
    assert account_problems("lambdaARN", ORDERS, "123456789012", "") == []

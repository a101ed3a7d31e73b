import pytest

from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.inputs.scope import (
    STACK_ID_TAG,
    AssumedRole,
    account_problems,
    is_stack_function,
    own_function_problems,
    processor_problems,
    stack_name_of,
    target_problems,
    target_role,
)

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/serverlessrepo-lambda-autotuner/0f1e2d3c"
HERE = "arn:aws:lambda:us-east-1:123456789012:function:*"
ORDERS = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:orders")
# As CloudFormation names the stack's ReportFailureFunction: the stack's name shortened, so no prefix tells it.
OWN = parse_function_arn(
    "arn:aws:lambda:us-east-1:123456789012:function:serverlessrepo-lambda-autotun-ReportFailureFunction-Ab12Cd34Ef56"
)


@pytest.mark.parametrize(
    ("tags", "own"),
    [
        ({STACK_ID_TAG: STACK_ID, "aws:cloudformation:logical-id": "PlanFunction"}, True),
        ({STACK_ID_TAG: STACK_ID.replace("0f1e2d3c", "99999999")}, False),  # the same name, another stack
        ({"aws:cloudformation:stack-name": "serverlessrepo-lambda-autotuner"}, False),  # a name proves nothing
        ({}, False),
    ],
)
def test_the_stacks_own_functions_are_recognised_by_the_stack_id_cloudformation_tagged_them_with(
    tags: dict[str, str], own: bool
) -> None:
    assert is_stack_function(tags, STACK_ID) is own


def test_without_a_stack_id_no_function_is_the_stacks_own() -> None:
    assert not is_stack_function({STACK_ID_TAG: STACK_ID}, "")


def test_a_target_within_the_pattern_is_allowed_and_one_outside_it_is_refused_by_field() -> None:
    assert target_problems("lambdaARN", ORDERS, HERE) == []
    elsewhere = parse_function_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders")
    assert target_problems("lambdaARN", elsewhere, HERE) == [
        f"lambdaARN: {elsewhere.unqualified} is outside the functions this deployment may tune ({HERE})"
    ]


def test_the_stacks_own_function_is_refused_by_its_tags_whatever_its_name() -> None:
    assert own_function_problems("lambdaARN", OWN, {STACK_ID_TAG: STACK_ID}, STACK_ID) == [
        f"lambdaARN: {OWN.name} is one of this tuner's own functions (stack serverlessrepo-lambda-autotuner); refused"
    ]
    assert own_function_problems("lambdaARN", ORDERS, {"team": "orders"}, STACK_ID) == []


def test_a_function_whose_tags_could_not_be_read_is_refused_naming_the_permission() -> None:
    (problem,) = own_function_problems("postProcessorARN", ORDERS, None, STACK_ID)
    assert problem.startswith("postProcessorARN: the tags of orders could not be read (lambda:ListTags)")


def test_the_stack_name_is_read_from_the_stack_id() -> None:
    assert stack_name_of(STACK_ID) == "serverlessrepo-lambda-autotuner"


@pytest.mark.parametrize(
    ("processor", "expected"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:enrich", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:enrich:live", None),
        ("arn:aws:lambda:eu-west-1:123456789012:function:enrich", "is not in the target's account and region"),
        ("arn:aws:lambda:us-east-1:210987654321:function:enrich", "is not in the target's account and region"),
        ("arn:aws-cn:lambda:us-east-1:123456789012:function:enrich", "is not in the target's account and region"),
    ],
)
def test_a_processor_lies_beside_the_target(processor: str, expected: str | None) -> None:
    problems = processor_problems("preProcessorARN", parse_function_arn(processor), ORDERS, HERE)
    if expected is None:
        assert problems == []
    else:
        (problem,) = problems
        assert problem.startswith("preProcessorARN: ")
        assert expected in problem


def test_a_processor_outside_the_pattern_is_refused_as_a_function_the_deployment_may_not_invoke() -> None:
    pattern = "arn:aws:lambda:us-east-1:123456789012:function:orders*"
    enrich = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:enrich")
    assert processor_problems("postProcessorARN", enrich, ORDERS, pattern) == [
        f"postProcessorARN: {enrich.unqualified} is outside the functions this deployment may invoke ({pattern})"
    ]


ELSEWHERE = parse_function_arn("arn:aws:lambda:us-east-1:210987654321:function:orders")


def test_a_target_in_another_account_is_reached_through_the_named_role_with_a_session_naming_the_run() -> None:
    assert target_role(ELSEWHERE, "123456789012", "autotuner-target", "0a1b2c3d4e") == AssumedRole(
        role_arn="arn:aws:iam::210987654321:role/autotuner-target", session_name="autotuner-run-0a1b2c3d4e"
    )
    assert account_problems("lambdaARN", ELSEWHERE, "123456789012", "autotuner-target", ["210987654321"]) == []


@pytest.mark.parametrize("named", [[], ["111122223333", "333344445555"]], ids=["none", "others"])
def test_a_target_in_an_account_the_deployment_does_not_name_is_refused_naming_the_parameter(named: list[str]) -> None:
    assert account_problems("lambdaARN", ELSEWHERE, "123456789012", "autotuner-target", named) == [
        f"lambdaARN: {ELSEWHERE.unqualified} is in account 210987654321, which is not one of the accounts this "
        f"deployment may tune (its TargetAccountIds: {', '.join(named) or 'none'}); refused"
    ]


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

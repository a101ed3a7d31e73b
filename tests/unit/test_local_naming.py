"""The names the local emulator gives a stack's resources, by CloudFormation's rule for generated names."""

import pytest

from autotuner_local.naming import fair_split, generated_name


def test_a_short_stack_keeps_both_parts_whole_and_a_twelve_character_suffix() -> None:
    name = generated_name("lambda-autotuner", "PlanFunction", region="us-east-1")
    prefix, suffix = name.rsplit("-", 1)
    assert (prefix, len(suffix), suffix.isalnum()) == ("lambda-autotuner-PlanFunction", 12, True)


def test_a_stack_from_the_serverless_repository_has_its_name_shortened_in_its_functions_names() -> None:
    name = generated_name("serverlessrepo-lambda-autotuner", "ReportFailureFunction", region="us-east-1")
    assert len(name) == 64
    assert name.startswith("serverlessrepo-lambda-autotun-ReportFailureFunction-")
    assert not name.startswith("serverlessrepo-lambda-autotuner-")


@pytest.mark.parametrize(
    ("capacity", "wanted", "given"),
    [(50, [31, 21], [29, 21]), (50, [60, 60], [25, 25]), (50, [10, 60], [10, 40]), (50, [3, 4], [3, 4]),
     (1, [5, 5], [1, 0])],
)  # fmt: skip
def test_the_space_is_shared_fairly_between_the_stack_name_and_the_logical_id(
    capacity: int, wanted: list[int], given: list[int]
) -> None:
    assert fair_split(capacity, wanted) == given


def test_every_name_fits_its_limit_and_is_the_same_for_the_same_stack() -> None:
    long_stack, long_id = "s" * 128, "LogicalId" * 20
    for limit in (32, 64, 80, 255):
        assert len(generated_name(long_stack, long_id, region="us-east-1", limit=limit)) == limit
    first = generated_name("lambda-autotuner", "RunsTable", region="us-east-1", limit=255)
    assert first == generated_name("lambda-autotuner", "RunsTable", region="us-east-1", limit=255)
    assert first != generated_name("lambda-autotuner", "RunsTable", region="eu-west-1", limit=255)

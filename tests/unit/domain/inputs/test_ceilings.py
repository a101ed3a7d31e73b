import pytest

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.inputs.ceilings import (
    Budget,
    RunCeilings,
    architecture_switch_problems,
    invocation_problems,
    over_budget_message,
    run_budget,
    within_ceilings,
)
from autotuner.domain.inputs.tuning_input import TuningInput, parse_tuning_input

ORDERS = "arn:aws:lambda:us-east-1:123456789012:function:orders"


def tuning(**fields: object) -> TuningInput:
    return parse_tuning_input({"lambdaARN": ORDERS, "num": 5, "powerValues": [256, 512], **fields})


@pytest.mark.parametrize(
    ("asked", "ceiling", "expected", "warned"),
    [
        (None, None, None, False),
        (2.0, None, Budget(amount_usd=2.0, field="budgetUsd"), False),
        (None, 10.0, Budget(amount_usd=10.0, field="MaxRunBudgetUsd"), False),
        (2.0, 10.0, Budget(amount_usd=2.0, field="budgetUsd"), False),  # the input may lower the ceiling
        (50.0, 10.0, Budget(amount_usd=10.0, field="MaxRunBudgetUsd"), True),  # ...never raise it
    ],
)
def test_a_runs_budget_is_the_lower_of_its_own_and_the_deployments_ceiling(
    asked: float | None, ceiling: float | None, expected: Budget | None, warned: bool
) -> None:
    budget, warnings = run_budget(tuning(budgetUsd=asked), RunCeilings(max_budget_usd=ceiling))
    assert budget == expected
    assert warnings == (["budgetUsd: $50.00 is above this deployment's MaxRunBudgetUsd of $10.00, which applies"]
                        if warned else [])  # fmt: skip


def test_a_refusal_names_what_set_the_budget() -> None:
    ceiling = over_budget_message(Budget(amount_usd=10.0, field="MaxRunBudgetUsd"), 12.5, " (30 invocations)")
    assert ceiling.startswith("MaxRunBudgetUsd: the run is estimated at up to $12.50 (30 invocations), above this")
    assert "budgetUsd may only lower" in ceiling
    own = over_budget_message(Budget(amount_usd=1.0, field="budgetUsd"), 12.5, "")
    assert (
        own == "budgetUsd: the run is estimated at up to $12.50, above the budget of $1.00; lower num or "
        "powerValues, or raise budgetUsd"
    )


def test_with_applying_switched_off_a_run_that_asked_to_apply_only_recommends_and_says_so() -> None:
    asked = tuning(autoOptimize=True, autoOptimizeAlias="live", canary={})
    allowed, warnings = within_ceilings(asked, RunCeilings(allow_auto_apply=False))
    assert (allowed.applies, allowed.canary) == (False, None)
    assert warnings == ["autoOptimize: this deployment never applies (its AllowAutoApply is false): the run "
                        "recommends a configuration and changes nothing"]  # fmt: skip
    assert within_ceilings(tuning(), RunCeilings(allow_auto_apply=False)) == (tuning(), [])


@pytest.mark.parametrize(
    ("fields", "concurrency", "warned"),
    [({"parallelInvocation": True, "maxConcurrency": 40}, 20, True),
     ({"parallelInvocation": True, "maxConcurrency": 12}, 12, False),
     ({"maxConcurrency": 40}, 40, False)],  # serial runs use one Measure task at a time
    ids=["parallel-above", "parallel-within", "serial"],
)  # fmt: skip
def test_a_parallel_run_starts_no_more_measure_tasks_than_are_reserved(
    fields: dict[str, object], concurrency: int, warned: bool
) -> None:
    allowed, warnings = within_ceilings(tuning(**fields), RunCeilings(measure_reserved_concurrency=20))
    assert allowed.max_concurrency == concurrency
    assert bool(warnings) is warned
    assert all(w.startswith("maxConcurrency: 40 is more than the 20 Measure tasks") for w in warnings)
    unreserved, _ = within_ceilings(tuning(**fields), RunCeilings(measure_reserved_concurrency=0))
    assert unreserved.max_concurrency == fields["maxConcurrency"]


def test_a_run_planned_above_the_invocation_ceiling_is_refused_naming_the_parameter() -> None:
    ceilings = RunCeilings(max_invocations=5000)
    assert invocation_problems(47, 100, 1, ceilings) == []  # powerValues ALL at num 100: 4,701
    assert invocation_problems(47, 1000, 1, ceilings) == [
        "MaxRunInvocations: the run would invoke the function up to 47,001 times (47 sizes x 1000, and 1 probe), "
        "above this deployment's ceiling of 5,000 invocations per run (the stack parameter MaxRunInvocations); "
        "lower num (or maxInvocations) or powerValues"
    ]
    assert invocation_problems(47, 1000, 1, RunCeilings()) == []


ARM, X86 = Architecture.ARM64, Architecture.X86_64


def test_measuring_another_architecture_is_refused_by_a_deployment_that_may_not_upload_code() -> None:
    closed = RunCeilings(allow_architecture_switch=False)
    (problem,) = architecture_switch_problems(ARM, [ARM, X86], closed)
    assert problem.startswith("architectures: measuring x86_64 means uploading the function's own code again")
    assert "its AllowArchitectureSwitch is false" in problem
    assert problem.endswith("leave architectures out to measure arm64 only")


def test_the_deployed_architecture_alone_or_an_open_deployment_needs_no_switch() -> None:
    assert architecture_switch_problems(ARM, [ARM], RunCeilings(allow_architecture_switch=False)) == []
    assert architecture_switch_problems(ARM, [ARM, X86], RunCeilings(allow_architecture_switch=True)) == []

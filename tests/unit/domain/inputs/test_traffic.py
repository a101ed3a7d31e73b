"""A traffic run's input: the fields it cannot honour refused by name, and the bounds of its options."""

import pytest
from pydantic import ValidationError

from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.inputs.traffic import (
    MAX_CHECKS,
    MeasureMode,
    TrafficOptions,
    traffic_input_problems,
)
from autotuner.domain.inputs.tuning_input import parse_tuning_input

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:payments"
ALIAS = f"{FUNCTION}:live"


def problems_of(raw: dict[str, object]) -> list[str]:
    with pytest.raises(InvalidInputError) as refused:
        parse_tuning_input(raw)
    return refused.value.problems


def test_an_alias_qualified_traffic_input_reads_with_the_documented_defaults() -> None:
    tuning = parse_tuning_input({"lambdaARN": ALIAS, "measure": "traffic"})
    assert tuning.on_traffic
    options = tuning.traffic_options
    assert (options.weight, options.invocations_per_size, options.max_hours) == (0.05, 100, 24.0)
    assert (options.baseline_hours, options.max_candidates, options.check_every_seconds) == (24.0, 5, 60)
    assert options.error_rate_tolerance == 0.01


def test_invoke_stays_the_default_measure() -> None:
    assert parse_tuning_input({"lambdaARN": ALIAS}).measure is MeasureMode.INVOKE


@pytest.mark.parametrize(
    ("arn", "said"),
    [
        (f"{FUNCTION}:$LATEST", "lambdaARN: $LATEST takes no weighted traffic"),
        (FUNCTION, "lambdaARN: a traffic run measures the alias production calls; qualify the ARN"),
        (f"{FUNCTION}:7", "lambdaARN: version 7 cannot share its traffic"),
    ],
)
def test_a_target_that_is_not_an_alias_is_refused_naming_lambda_arn(arn: str, said: str) -> None:
    problems = problems_of({"lambdaARN": arn, "measure": "traffic"})
    assert len(problems) == 1, problems
    assert problems[0].startswith(said), problems
    assert "arn:...:function:payments:ALIAS" in problems[0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payload", {"order": 1}),
        ("payload", {}),
        ("num", 10),
        ("powerValues", [128, 256]),
        ("parallelInvocation", True),
        ("sleepBetweenRunsMs", 100),
        ("onlyColdStarts", True),
        ("dryRun", True),
        ("allowedExceptions", ["HandledError"]),
        ("includeCurrent", False),
    ],
)
def test_a_field_that_means_invoking_is_refused_by_name(field: str, value: object) -> None:
    problems = problems_of({"lambdaARN": ALIAS, "measure": "traffic", field: value})
    assert [p.split(":")[0] for p in problems] == [field], problems
    assert problems[0].endswith("; drop it")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("parallelInvocation", False),
        ("sleepBetweenRunsMs", 0),
        ("onlyColdStarts", False),
        ("dryRun", False),
        ("allowedExceptions", []),
        ("includeCurrent", True),
    ],
)
def test_the_one_harmless_value_of_a_copied_field_is_accepted(field: str, value: object) -> None:
    assert parse_tuning_input({"lambdaARN": ALIAS, "measure": "traffic", field: value}).on_traffic


def test_every_invoking_field_of_a_copied_input_is_named_at_once() -> None:
    raw = {
        "lambdaARN": ALIAS,
        "measure": "traffic",
        "payload": {"order": 1},
        "num": 50,
        "parallelInvocation": True,
        "preProcessorARN": f"{FUNCTION}-pre",
    }
    named = sorted(p.split(":")[0] for p in problems_of(raw))
    assert named == ["num", "parallelInvocation", "payload", "preProcessorARN"]


def test_traffic_options_without_measure_traffic_are_refused() -> None:
    assert problems_of({"lambdaARN": ALIAS, "traffic": {"weight": 0.2}}) == [
        "traffic: options of a traffic run; set measure to 'traffic', or drop them"
    ]


def test_an_auto_optimize_alias_other_than_the_measured_one_is_refused() -> None:
    problems = problems_of({"lambdaARN": ALIAS, "measure": "traffic", "autoOptimizeAlias": "beta"})
    assert "autoOptimizeAlias: a traffic run applies to the alias it measures ('live'); drop it" in problems


def test_a_pace_that_would_outgrow_the_execution_history_is_refused_with_the_least_pace_that_fits() -> None:
    problems = problems_of({"lambdaARN": ALIAS, "measure": "traffic", "traffic": {"checkEverySeconds": 10}})
    assert len(problems) == 1, problems
    assert problems[0].startswith("traffic.checkEverySeconds: every 10 s over maxHours 24 is up to 8,641 checks")
    assert "more than the 2,000 a run's history holds" in problems[0]
    assert "check every 44 s or more" in problems[0]


def test_the_least_pace_the_refusal_names_fits_and_one_second_less_does_not() -> None:
    fits = TrafficOptions(check_every_seconds=44, max_hours=24)
    assert fits.most_checks == 1_964 <= MAX_CHECKS
    assert TrafficOptions(check_every_seconds=43, max_hours=24).most_checks == 2_010
    assert parse_tuning_input({"lambdaARN": ALIAS, "measure": "traffic", "traffic": {"checkEverySeconds": 44}})


def test_a_fast_pace_over_a_short_run_fits() -> None:
    raw = {"lambdaARN": ALIAS, "measure": "traffic", "traffic": {"checkEverySeconds": 10, "maxHours": 5}}
    assert parse_tuning_input(raw).traffic_options.most_checks == 1_801


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"weight": 0}, "weight"),
        ({"weight": 0.51}, "weight"),
        ({"invocationsPerSize": 9}, "invocationsPerSize"),
        ({"maxHours": 24.5}, "maxHours"),
        ({"maxHours": 0}, "maxHours"),
        ({"baselineHours": 14 * 24 + 1}, "baselineHours"),
        ({"maxCandidates": 0}, "maxCandidates"),
        ({"maxCandidates": 11}, "maxCandidates"),
        ({"checkEverySeconds": 9}, "checkEverySeconds"),
        ({"errorRateTolerance": 1.5}, "errorRateTolerance"),
        ({"weigth": 0.1}, "weigth"),
    ],
)
def test_an_option_out_of_its_bounds_is_refused_by_its_field(options: dict[str, object], field: str) -> None:
    problems = problems_of({"lambdaARN": ALIAS, "measure": "traffic", "traffic": options})
    assert any(p.startswith(f"traffic.{field}:") for p in problems), problems


def test_the_largest_weight_is_half_of_production() -> None:
    assert TrafficOptions(weight=0.5).weight == 0.5
    with pytest.raises(ValidationError):
        TrafficOptions(weight=0.500001)


def test_an_invoke_run_without_traffic_options_has_no_traffic_problems() -> None:
    function = parse_function_arn(FUNCTION)
    assert traffic_input_problems({"payload": {}, "num": 5}, MeasureMode.INVOKE, function) == []

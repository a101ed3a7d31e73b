import pytest

from autotuner.domain.automation.canary import (
    CanaryConfig,
    CanaryWindow,
    Verdict,
    VersionFigures,
    canary_problems,
    judge,
)
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.tuning_input import parse_tuning_input

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
WINDOW = CanaryWindow(alias="live", new_version="7", old_version="6", started_epoch_s=0.0,
                      config=CanaryConfig(weight=0.1, duration_seconds=300, check_every_seconds=60))  # fmt: skip
OLD = VersionFigures(version="6", invocations=1000, errors=10, throttles=0, p95_duration_ms=200)


def figures(**changes: float | None) -> VersionFigures:
    return VersionFigures.model_validate(
        {"version": "7", "invocations": 100, "errors": 1, "p95_duration_ms": 210} | changes
    )


def test_the_window_holds_one_check_per_interval_rounded_up() -> None:
    assert WINDOW.config.checks == 5
    assert CanaryConfig(duration_seconds=61, check_every_seconds=60).checks == 2


def test_quiet_checks_keep_watching_until_the_last_one_promotes() -> None:
    assert judge(WINDOW, 4, [], figures(), OLD)[0] is Verdict.WATCHING
    verdict, reason = judge(WINDOW, 5, [], figures(), OLD)
    assert verdict is Verdict.PROMOTED
    assert "version 7: 100 invocations, 1 errors (1.0%)" in reason


@pytest.mark.parametrize(
    ("alarms", "new", "why"),
    [
        (["autotuner-orders-p95"], figures(), "alarm autotuner-orders-p95 in ALARM"),
        ([], figures(errors=3), "error rate 3.0% exceeds the old version's 1.0% by more than 1.0%"),
        ([], figures(throttles=5), "throttle rate 4.8%"),
        ([], figures(p95_duration_ms=241), "p95 duration 241 ms exceeds the old version's 200 ms by more than 20%"),
    ],
)
def test_any_sign_of_a_worse_version_rolls_back_at_once(alarms: list[str], new: VersionFigures, why: str) -> None:
    verdict, reason = judge(WINDOW, 1, alarms, new, OLD)
    assert verdict is Verdict.ROLLED_BACK
    assert why in reason


def test_within_the_tolerances_is_not_worse() -> None:
    assert judge(WINDOW, 1, [], figures(errors=2, p95_duration_ms=240), OLD)[0] is Verdict.WATCHING
    assert judge(WINDOW, 1, [], figures(invocations=0, errors=0, p95_duration_ms=None), OLD)[0] is Verdict.WATCHING


def test_aliases_that_cannot_carry_a_canary() -> None:
    assert "does not exist" in canary_problems("live", None, {})[0]
    assert "points to $LATEST" in canary_problems("live", "$LATEST", {})[0]
    assert "version 3 at 20%" in canary_problems("live", "2", {"3": 0.2})[0]
    assert canary_problems("live", "2", {}) == []


@pytest.mark.parametrize(
    "extra",
    [{"canary": {}}, {"canary": {}, "autoOptimize": True}, {"canary": {"weight": 1.5}, "autoOptimize": True,
                                                             "autoOptimizeAlias": "live"}],
)  # fmt: skip
def test_a_canary_needs_an_applied_alias_and_a_weight_below_one(extra: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_tuning_input({"lambdaARN": ARN, "num": 5} | extra)
    assert any(problem.startswith("canary") for problem in raised.value.problems)


def test_a_canary_on_an_applied_alias_is_accepted_with_its_defaults() -> None:
    tuning = parse_tuning_input({"lambdaARN": f"{ARN}:live", "num": 5, "autoOptimize": True, "canary": {}})
    assert tuning.canary == CanaryConfig(weight=0.1, duration_seconds=1800, check_every_seconds=60)


def test_a_window_the_new_version_served_too_few_calls_in_is_rolled_back_not_promoted() -> None:
    """A quiet window with no calls proves nothing: the error check cannot act on fewer than ten."""
    verdict, reason = judge(WINDOW, 5, [], figures(invocations=9, errors=0), OLD)
    assert verdict is Verdict.ROLLED_BACK
    assert "served 9 calls in the 300 s window, fewer than the 10 a promotion needs" in reason
    assert judge(WINDOW, 5, [], figures(invocations=10, errors=0), OLD)[0] is Verdict.PROMOTED
    assert judge(WINDOW, 4, [], figures(invocations=0, errors=0), OLD)[0] is Verdict.WATCHING, "until the window ends"


def test_an_operator_may_promote_on_no_calls_by_asking_for_none() -> None:
    blind = WINDOW.model_copy(update={"config": WINDOW.config.model_copy(update={"min_invocations": 0})})
    assert judge(blind, 5, [], figures(invocations=0, errors=0, p95_duration_ms=None), OLD)[0] is Verdict.PROMOTED

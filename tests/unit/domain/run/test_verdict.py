"""The verdict: one line per outcome, saying what was done, what it is worth a month and how sure the choice is."""

import pytest

from autotuner.domain.decision.distinction import CurveOdds, Distinction, Metric
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.run.output import AppliedChange, MonthlySaving, Outcome, TuningOutput
from autotuner.domain.run.verdict import action, confidence, failed_verdict, saving, verdict
from tests.unit.reports import adaptive_output, failed_output, io_bound_output, tuned_output


def with_monthly(output: TuningOutput, usd: float | None, invocations: int | None = 2_500_000) -> TuningOutput:
    output = output.model_copy(deep=True)
    assert output.savings is not None
    output.savings.monthly = MonthlySaving(invocations_last_30_days=invocations, usd=usd)
    return output


def kept_output() -> TuningOutput:
    """An applied run whose choice is the size the function already had."""
    output = tuned_output().model_copy(deep=True)
    assert output.power is not None
    output.applied = AppliedChange(target="$LATEST", memory_mb=output.power, previous_memory_mb=output.power)
    return output


def distinction(probability_better: float, *, curve: bool = False, metric: Metric = Metric.COST) -> Distinction:
    odds = CurveOdds(probability=probability_better, resamples=400, lowest_mb=128, highest_mb=10240) if curve else None
    return Distinction(
        metric=metric,
        chosen_memory_mb=1024,
        threshold=0.01,
        probability_better_exists=probability_better,
        resamples=1000,
        curve=odds,
    )


def test_an_applied_run_says_what_it_applied_what_it_saves_a_month_and_how_sure_it_is() -> None:
    output = with_monthly(tuned_output(), 91.75)
    assert output.savings is not None
    line = verdict(output)
    assert line.startswith("Applied 1024 MB to alias live (was 3008 MB) · ")
    assert f"saves $91.75 a month ({output.savings.savings_percent:.0f}%)" in line
    assert line.endswith("confidence: high (90% that no other measured size >1% cheaper exists)")
    assert "\n" not in line


def test_a_choice_the_function_already_had_is_kept_not_applied() -> None:
    line = verdict(kept_output())
    assert line.startswith("Kept 1024 MB on $LATEST: already the cheapest size · no change in cost · confidence: ")
    assert "Applied" not in line
    speed = kept_output()
    speed.decision.strategy = Strategy.SPEED
    assert action(speed) == "Kept 1024 MB on $LATEST: already the fastest size"


def test_a_recommendation_says_why_it_was_not_applied() -> None:
    output = io_bound_output()
    assert action(output) == "Recommended 256 MB, not applied (autoOptimize was off)"
    assert saving(with_monthly(output, 12.5)).startswith("would save $12.50 a month")
    refused = output.model_copy(deep=True)
    refused.decision.apply_refusal = "only 3 calls behind the choice; auto-apply needs 5"
    assert (
        action(refused)
        == "Recommended 256 MB, not applied (refused: only 3 calls behind the choice; auto-apply needs 5)"
    )


def test_a_run_without_a_choice_says_it_refused_and_claims_nothing() -> None:
    assert verdict(failed_output()) == (
        "Refused: no memory size meets the constraints, nothing applied · nothing saved · "
        "confidence: none (no choice was made)"
    )


def test_a_rolled_back_canary_and_a_dry_run_say_nothing_was_applied() -> None:
    rolled_back = tuned_output().model_copy(update={"outcome": Outcome.ROLLED_BACK, "applied": None})
    assert action(rolled_back) == "Not applied: the canary of 1024 MB was rolled back"
    assert saving(rolled_back) == "nothing saved"
    dry_run = io_bound_output().model_copy(update={"outcome": Outcome.DRY_RUN})
    assert action(dry_run) == "Dry run: 256 MB would be chosen, nothing applied"


def test_a_failed_run_says_what_failed_and_what_the_function_was_left_with() -> None:
    assert failed_verdict("Measure timed out", "the function has its 1024 MB of before the run") == (
        "Failed: Measure timed out · the function has its 1024 MB of before the run · nothing saved · "
        "confidence: none (no choice was made)"
    )


@pytest.mark.parametrize(
    ("usd", "invocations", "expected"),
    [
        (None, None, "; per month unknown (CloudWatch counted no invocations in the last 30 days)"),
        (-4.2, 2_500_000, "costs $4.20 a month more"),
    ],
)
def test_the_monthly_figure_is_the_outputs_or_its_absence_in_words(
    usd: float | None, invocations: int | None, expected: str
) -> None:
    output = with_monthly(tuned_output(), usd, invocations)
    assert output.savings is not None
    assert expected in saving(output)
    if usd is None:  # no number is made up: the per-million figure the output holds, and the month unknown
        assert saving(output).startswith(f"saves ${output.savings.savings_per_million:.2f} per million invocations")


def test_without_a_monthly_count_or_a_measured_current_size_no_monthly_figure_is_given() -> None:
    assert saving(tuned_output()).endswith("; per month not worked out (no invocation count was read)")
    assert saving(adaptive_output()) == "saving unknown (the current size was not measured)"


@pytest.mark.parametrize(
    ("probability_better", "expected"),
    [
        (0.04, "high (96% that no other measured size >1% cheaper exists)"),
        (0.2, "medium (80% that no other measured size >1% cheaper exists)"),
        (0.0, "high (over 99% that no other measured size >1% cheaper exists)"),
        (0.82, "low (18% that no other measured size >1% cheaper exists: a cheaper size probably exists)"),
    ],
)
def test_confidence_is_one_word_and_the_figure_it_rests_on(probability_better: float, expected: str) -> None:
    output = io_bound_output().model_copy(deep=True)
    output.decision.distinction = distinction(probability_better)
    assert confidence(output) == expected


def test_an_applied_choice_beside_a_likely_cheaper_size_says_so_in_the_verdict() -> None:
    output = tuned_output().model_copy(deep=True)
    output.decision.distinction = distinction(0.82, curve=True)
    line = verdict(output)
    assert line.startswith("Applied ")
    assert line.endswith("confidence: low (18% that no size >1% cheaper exists: a cheaper size probably exists)")


def test_without_a_test_of_the_differences_the_confidence_says_why() -> None:
    output = io_bound_output().model_copy(deep=True)
    output.decision.distinction = None
    assert confidence(output) == "unknown (too few invocations to test the differences between sizes)"
    output.decision.strategy = Strategy.BALANCED
    assert confidence(output).startswith("untested (the balanced strategy ranks a weighted score")
    output.decision.distinction = distinction(0.01, metric=Metric.DURATION)
    assert confidence(output) == "high (99% that no other measured size >1% faster exists)"

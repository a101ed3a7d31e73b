import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autotuner.domain.measuring.statistics import (
    bootstrap_interval,
    clamp_trim_fraction,
    mean,
    median,
    median_absolute_deviation,
    percentile,
    summarize,
    trimmed_mean,
    trimmed_mean_estimator,
)

samples = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=60)


def test_trimmed_mean_discards_the_same_count_at_each_end() -> None:
    assert trimmed_mean([1, 2, 3, 4, 100, 5, 6, 7, 8, -50], 0.2) == pytest.approx(4.5)  # drops 2 each side


def test_trim_fraction_is_clamped_as_the_reference_tool_does() -> None:
    assert clamp_trim_fraction(-1) == 0
    assert clamp_trim_fraction(0.45) == 0.4
    assert trimmed_mean([1, 2, 3, 4, 1000], 0.9) == trimmed_mean([1, 2, 3, 4, 1000], 0.4) == 3


def test_too_few_values_to_trim_gives_the_plain_mean() -> None:
    assert trimmed_mean([1, 2, 3], 0.2) == 2


def test_known_percentiles_median_and_mad() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert percentile(values, 90) == pytest.approx(9.1)
    assert median(values) == 5.5
    assert median_absolute_deviation([1, 1, 2, 2, 4, 6, 9]) == 1


def test_empty_sample_is_refused_in_words() -> None:
    with pytest.raises(ValueError, match="empty sample"):
        summarize([], 0.2)


@given(samples, st.floats(0, 1))
def test_trimmed_mean_lies_within_min_and_max(values: list[float], fraction: float) -> None:
    result = trimmed_mean(values, fraction)
    assert min(values) - 1e-6 <= result <= max(values) + 1e-6


@given(samples, st.floats(0, 100))
def test_percentile_agrees_with_numpy(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-6)


@given(samples)
def test_inputs_are_never_mutated(values: list[float]) -> None:
    before = list(values)
    summarize(values, 0.2)
    bootstrap_interval(values, trimmed_mean_estimator(0.2), resamples=20)
    assert values == before


def test_bootstrap_is_deterministic_for_a_seed_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(7)
    values = list(rng.normal(100, 10, size=40))
    first = bootstrap_interval(values, seed=3)
    assert first == bootstrap_interval(values, seed=3)
    assert first != bootstrap_interval(values, seed=4)
    assert first.low < mean(values) < first.high
    assert first.high - first.low == pytest.approx(2 * 1.96 * 10 / 40**0.5, rel=0.35)


def test_bootstrap_interval_narrows_with_more_data() -> None:
    rng = np.random.default_rng(1)
    small = bootstrap_interval(list(rng.normal(50, 5, size=10)))
    large = bootstrap_interval(list(rng.normal(50, 5, size=200)))
    assert large.half_width < small.half_width


def test_summary_fields() -> None:
    summary = summarize([10.0, 20.0, 30.0, 40.0, 50.0], 0.2)
    assert (summary.count, summary.mean, summary.trimmed_mean, summary.median) == (5, 30, 30, 30)
    assert (summary.minimum, summary.maximum) == (10, 50)
    assert summary.p95 == pytest.approx(48)

"""Both interpolations between measured sizes: exact at the sizes, log-log straight, monotone where the data are."""

import itertools
import math

import pytest
from bench.interpolation import Interpolation, interpolate
from hypothesis import given
from hypothesis import strategies as st

# A curve like a real one: falls to a minimum, a bump, then rises.
MEASURED = {128: 1000.0, 256: 480.0, 512: 260.0, 1024: 150.0, 1536: 160.0, 3008: 90.0}


def dense(low: int, high: int) -> list[int]:
    return list(range(low, high + 1))


@pytest.mark.parametrize("kind", list(Interpolation))
def test_each_interpolation_passes_exactly_through_every_measured_size(kind: Interpolation) -> None:
    curve = interpolate(kind, MEASURED)
    for memory, duration in MEASURED.items():
        assert curve(memory) == pytest.approx(duration, rel=1e-12), f"{kind} at {memory} MB"


@pytest.mark.parametrize("kind", list(Interpolation))
def test_a_power_law_is_reproduced_between_the_sizes_by_both(kind: Interpolation) -> None:
    law = {m: 5e5 * m**-0.8 for m in (128, 320, 1024, 1769, 4000)}
    curve = interpolate(kind, law)
    for memory in (150, 700, 1500, 3000):
        assert curve(memory) == pytest.approx(5e5 * memory**-0.8, rel=1e-9), f"{kind} at {memory} MB"


def test_log_log_is_a_straight_line_in_log_memory_and_log_duration() -> None:
    curve = interpolate(Interpolation.LOG_LOG, MEASURED)
    # Halfway in log memory lies the geometric mean of the durations, whatever the neighbours do.
    assert curve(math.sqrt(1024 * 1536)) == pytest.approx(math.sqrt(150.0 * 160.0), rel=1e-12)
    assert curve(math.sqrt(128 * 256)) == pytest.approx(math.sqrt(1000.0 * 480.0), rel=1e-12)


def test_monotone_falls_where_the_measured_durations_fall_and_never_overshoots() -> None:
    curve = interpolate(Interpolation.MONOTONE, MEASURED)
    values = [curve(m) for m in dense(128, 1024)]
    assert all(b <= a for a, b in itertools.pairwise(values)), "not monotone where the data fall"
    sizes = sorted(MEASURED)
    for low, high in itertools.pairwise(sizes):
        lo, hi = sorted((MEASURED[low], MEASURED[high]))
        between = [curve(m) for m in dense(low, high)]
        assert min(between) >= lo * (1 - 1e-12), f"undershoots between {low} and {high} MB"
        assert max(between) <= hi * (1 + 1e-12), f"overshoots between {low} and {high} MB"


def test_monotone_keeps_a_local_extreme_at_the_measured_size() -> None:
    curve = interpolate(Interpolation.MONOTONE, MEASURED)
    # 1,536 MB is a measured bump between 1,024 and 3,008: nothing between them rises above it.
    assert max(curve(m) for m in dense(1024, 3008)) == pytest.approx(160.0, rel=1e-12)


def test_monotone_is_smooth_where_log_log_has_a_corner() -> None:
    def slopes(kind: Interpolation, at: float) -> tuple[float, float]:
        curve, h = interpolate(kind, MEASURED), 1e-6
        u = math.log(at)
        left = (math.log(curve(at)) - math.log(curve(math.exp(u - h)))) / h
        right = (math.log(curve(math.exp(u + h))) - math.log(curve(at))) / h
        return left, right

    left, right = slopes(Interpolation.MONOTONE, 512)
    assert left == pytest.approx(right, abs=1e-4)
    left, right = slopes(Interpolation.LOG_LOG, 512)
    assert abs(left - right) > 0.05


@pytest.mark.parametrize("kind", list(Interpolation))
def test_beyond_the_measured_range_the_end_values_hold(kind: Interpolation) -> None:
    curve = interpolate(kind, MEASURED)
    assert curve(100) == pytest.approx(1000.0)
    assert curve(10_240) == pytest.approx(90.0)


def test_one_or_two_sizes_give_a_constant_or_a_line() -> None:
    assert interpolate(Interpolation.MONOTONE, {512: 200.0})(2048) == pytest.approx(200.0)
    two = interpolate(Interpolation.MONOTONE, {128: 400.0, 512: 100.0})
    assert two(256) == pytest.approx(200.0)


def test_no_size_or_a_non_positive_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="no measured size"):
        interpolate(Interpolation.LOG_LOG, {})
    with pytest.raises(ValueError, match="must be positive"):
        interpolate(Interpolation.MONOTONE, {128: 10.0, 256: 0.0})


@given(
    st.lists(st.floats(min_value=1.0, max_value=1e5), min_size=2, max_size=8).map(lambda v: sorted(v, reverse=True)),
    st.integers(min_value=128, max_value=3008),
)
def test_monotone_decreasing_data_give_a_decreasing_curve(durations: list[float], memory: int) -> None:
    sizes = [128 * 2**i for i in range(len(durations))]
    curve = interpolate(Interpolation.MONOTONE, dict(zip(sizes, durations, strict=True)))
    assert curve(memory + 1) <= curve(memory) * (1 + 1e-12)

"""What each window measured: the stored slices of both versions, the paired comparison, and every window put on
one footing for the decision."""

import pytest

from autotuner.domain.measuring.lambda_logs import InvocationStatus
from autotuner.domain.measuring.measurement import BatchMeasurement
from autotuner.domain.traffic.trial import (
    CANDIDATE,
    CURRENT,
    by_window,
    for_decision,
    on_one_footing,
    paired_comparison,
    scaled,
    slice_of,
    window_alias,
    window_of,
)
from tests.unit.domain.traffic.calls import PRICING, call, measurement, spread, warm


def test_a_window_s_label_reads_back_as_its_number_and_role() -> None:
    assert window_alias(3, CANDIDATE) == "window-3/candidate"
    assert window_of(window_alias(3, CANDIDATE)) == (3, CANDIDATE)
    assert window_of(window_alias(12, CURRENT)) == (12, CURRENT)


@pytest.mark.parametrize("alias", ["at-512", "window-3", "window-x/current", "window-/current", ""])
def test_a_label_that_is_no_window_s_reads_as_none(alias: str) -> None:
    assert window_of(alias) is None


def test_by_window_merges_each_window_s_slices_per_version_and_skips_other_measurements() -> None:
    stored = [
        warm(1024, [100.0, 101.0], alias=window_alias(1, CURRENT)),
        warm(512, [150.0], alias=window_alias(1, CANDIDATE)),
        warm(1024, [102.0, 103.0, 104.0], alias=window_alias(1, CURRENT)),
        warm(768, [120.0, 121.0], alias=window_alias(2, CANDIDATE)),
        warm(2048, [50.0], alias="at-2048"),
    ]
    windows = by_window(stored)
    assert sorted(windows) == [1, 2]
    assert sorted(windows[1]) == [CANDIDATE, CURRENT]
    assert windows[1][CURRENT].attempted == 5
    assert windows[1][CURRENT].duration_ms == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert windows[1][CANDIDATE].memory_mb == 512
    assert list(windows[2]) == [CANDIDATE]
    assert windows[2][CANDIDATE].duration_ms == [120.0, 121.0]


def test_the_paired_comparison_prices_both_versions_warm_calls_over_the_same_moments() -> None:
    # Half the memory for one and a half times the duration: 25% less compute, the same request price.
    candidate = warm(512, spread(150, 20))
    candidate.record(call(512, 900.0, init_ms=400.0))  # a cold start: not in the comparison
    comparison = paired_comparison(candidate, warm(1024, spread(100, 20)), PRICING, trim_fraction=0.2, seed=1)
    assert comparison is not None
    assert (comparison.candidate_calls, comparison.current_calls) == (20, 20)
    assert comparison.candidate_mean_ms == pytest.approx(150)
    assert comparison.current_mean_ms == pytest.approx(100)
    assert comparison.cost_ratio == pytest.approx(0.7756, abs=1e-4)
    interval = comparison.cost_ratio_interval
    assert interval is not None
    assert interval.confidence == 0.95
    assert 0.75 < interval.low < comparison.cost_ratio < interval.high < 0.80
    assert comparison.describe().startswith("-22.4% cost per call (95% interval -24.0% to -20.9%)")


def test_the_same_compute_at_half_the_memory_costs_the_same() -> None:
    comparison = paired_comparison(warm(512, [200.0] * 5), warm(1024, [100.0] * 5), PRICING, trim_fraction=0.2, seed=1)
    assert comparison is not None
    assert comparison.cost_ratio == pytest.approx(1.0)
    assert comparison.candidate_cost == pytest.approx(comparison.current_cost)


def test_the_paired_comparison_waits_for_a_warm_call_of_each_and_three_for_an_interval() -> None:
    cold_only = measurement(512, [call(512, 300.0, init_ms=200.0)])
    assert paired_comparison(cold_only, warm(1024, [100.0]), PRICING, trim_fraction=0.2, seed=1) is None
    two = paired_comparison(warm(512, [150.0, 160.0]), warm(1024, [100.0] * 5), PRICING, trim_fraction=0, seed=1)
    assert two is not None
    assert two.cost_ratio_interval is None
    assert "interval" not in two.describe()


def windows_with_drift() -> dict[int, dict[str, BatchMeasurement]]:
    """Window 1 ran when the current version took 100 ms, window 2 when a slow dependency made it take 200."""
    return {
        1: {CURRENT: warm(1024, [100.0] * 10), CANDIDATE: warm(512, [150.0] * 10)},
        2: {CURRENT: warm(1024, [200.0] * 10), CANDIDATE: warm(768, [240.0] * 10)},
    }


def test_on_one_footing_scales_each_candidate_by_its_window_s_drift() -> None:
    sizes, scales = on_one_footing(windows_with_drift(), trim_fraction=0.0)
    # Over both windows the current version took 150 ms: window 1 ran 1.5 times faster, window 2 1.33 slower.
    assert scales == {1: pytest.approx(1.5), 2: pytest.approx(0.75)}
    assert [m.memory_mb for m in sizes] == [512, 768, 1024]
    assert sizes[0].duration_ms == [pytest.approx(225.0)] * 10
    assert sizes[1].duration_ms == [pytest.approx(180.0)] * 10
    assert sizes[2].attempted == 20  # the current version's calls over every window together
    assert sorted(set(sizes[2].duration_ms)) == [100.0, 200.0]


def test_a_candidate_measured_twice_is_merged_and_a_window_without_current_calls_is_not_scaled() -> None:
    windows = windows_with_drift()
    windows[3] = {CANDIDATE: warm(512, [170.0] * 4)}
    sizes, scales = on_one_footing(windows, trim_fraction=0.0)
    assert scales[3] == 1.0
    at_512 = next(m for m in sizes if m.memory_mb == 512)
    assert at_512.attempted == 14
    assert at_512.duration_ms.count(170.0) == 4


def test_scaling_bills_the_new_duration_as_lambda_would_and_keeps_what_else_was_billed() -> None:
    batch = measurement(512, [call(512, 100.4), call(512, 80.0, init_ms=249.0)])
    batch.billed_duration_ms[1] = 329  # INIT billed with the call
    grown = scaled(batch, 1.5)
    assert grown.duration_ms == [pytest.approx(150.6), pytest.approx(120.0)]
    assert grown.billed_duration_ms == [151, 329 - 80 + 120]
    assert batch.duration_ms == [100.4, 80.0]  # the stored calls are left as read
    assert scaled(batch, 1.0) is batch


def test_a_slice_keeps_every_failure_with_its_report_and_samples_the_rest() -> None:
    worked = [call(512, 100.0 + i, request_id=f"ok-{i}") for i in range(10)]
    failed = [
        call(512, 20.0, status=InvocationStatus.ERROR, request_id="e-1"),
        call(512, 3000.0, status=InvocationStatus.TIMEOUT, request_id="t-1"),
        call(512, 60.0, status=InvocationStatus.OUT_OF_MEMORY, used=512, request_id="o-1"),
    ]
    stored = slice_of(2, CANDIDATE, 512, [*worked[:5], *failed, *worked[5:]], keep=4, seed="run-1/2/3")
    assert stored.alias == "window-2/candidate"
    assert stored.attempted == 7
    assert len(stored.duration_ms) == 4
    assert set(stored.duration_ms) <= {r.duration_ms for r in worked}
    assert [f.status for f in stored.failures] == [
        InvocationStatus.ERROR, InvocationStatus.TIMEOUT, InvocationStatus.OUT_OF_MEMORY,
    ]  # fmt: skip
    assert [r.request_id for r in stored.failed_reports] == ["e-1", "t-1", "o-1"]
    again = slice_of(2, CANDIDATE, 512, [*worked[:5], *failed, *worked[5:]], keep=4, seed="run-1/2/3")
    assert again.duration_ms == stored.duration_ms  # a retried check stores the same sample


def test_a_slice_under_its_cap_keeps_every_call() -> None:
    reports = [call(1024, d) for d in (90.0, 95.0, 99.0)]
    assert slice_of(1, CURRENT, 1024, reports, keep=3, seed="s").duration_ms == [90.0, 95.0, 99.0]


def test_for_decision_keeps_only_running_out_of_memory_as_a_failure_and_every_report_billed() -> None:
    batch = measurement(
        512,
        [
            call(512, 100.0),
            call(512, 20.0, status=InvocationStatus.ERROR),
            call(512, 3000.0, status=InvocationStatus.TIMEOUT),
            call(512, 60.0, status=InvocationStatus.OUT_OF_MEMORY, used=512),
        ],
    )
    read = for_decision(batch)
    assert [f.status for f in read.failures] == [InvocationStatus.OUT_OF_MEMORY]
    assert read.attempted == 2
    assert len(read.failed_reports) == 3
    assert len(batch.failures) == 3  # the stored measurement is left as it was

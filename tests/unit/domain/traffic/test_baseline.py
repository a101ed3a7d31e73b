"""The baseline of a traffic run: what the current version's production calls showed, whether its traffic can
measure the candidates in time, and the smallest size its figures leave to try."""

import pytest

from autotuner.domain.decision.candidate import Constraints
from autotuner.domain.inputs.traffic import TrafficOptions
from autotuner.domain.measuring.lambda_logs import InvocationStatus
from autotuner.domain.measuring.log_events import LoggedCall
from autotuner.domain.search.duration_model import vcpus
from autotuner.domain.traffic.baseline import (
    ProductionFigures,
    hours_per_candidate,
    lowest_size,
    production_figures,
    slowest_safe_size,
    too_little_traffic,
)
from tests.unit.domain.traffic.calls import call, stats

SINCE_S = 1_772_000_000.0
HOUR = 3600.0
NO_HEADROOM = Constraints(min_memory_headroom=0)


def figures(calls: int, hours: float, **changes: object) -> ProductionFigures:
    fields: dict[str, object] = {
        "version": "7",
        "memory_mb": 1024,
        "since_epoch_s": SINCE_S,
        "until_epoch_s": SINCE_S + hours * HOUR,
        "calls": calls,
        **changes,
    }
    return ProductionFigures.model_validate(fields)


def test_production_figures_count_every_ending_and_summarise_the_warm_calls() -> None:
    reports = [
        call(1024, 400.0, init_ms=250.0, used=150),
        call(1024, 100.2),
        call(1024, 110.0),
        call(1024, 120.0, used=170),
        call(1024, 130.0),
        call(1024, 50.0, status=InvocationStatus.ERROR),
        call(1024, 3000.0, status=InvocationStatus.TIMEOUT),
        call(1024, 900.0, status=InvocationStatus.OUT_OF_MEMORY, used=1024),
    ]
    logged = [LoggedCall(timestamp_ms=int((SINCE_S + 600 + i) * 1000), report=r) for i, r in enumerate(reports)]
    read = production_figures(
        logged, version="7", memory_mb=1024, since_epoch_s=SINCE_S, until_epoch_s=SINCE_S + 2 * HOUR,
        trim_fraction=0.0, unreadable=3, capped=True,
    )  # fmt: skip
    assert (read.calls, read.cold_starts, read.errors, read.timeouts, read.out_of_memory) == (8, 1, 1, 1, 1)
    assert read.failures == 3
    assert read.duration_ms is not None
    assert read.duration_ms.count == 4  # the warm calls that worked: not the cold start, not the failures
    assert read.duration_ms.mean == pytest.approx((100.2 + 110 + 120 + 130) / 4)
    assert read.mean_billed_ms == pytest.approx((400 + 101 + 110 + 120 + 130 + 50 + 3000 + 900) / 8)
    assert read.max_memory_used_mb == 1024  # the call that ran out of memory counts
    assert read.slowest_duration_ms == 400.0  # the slowest call that worked, cold or warm
    assert read.first_call_epoch_s == SINCE_S + 600
    assert (read.unreadable, read.capped) == (3, True)
    # The stretch observed begins at the first call: 2 h less 10 min.
    assert read.observed_hours == pytest.approx(2 - 1 / 6)
    assert read.calls_per_hour == pytest.approx(8 / (2 - 1 / 6))


def test_with_only_cold_calls_the_duration_is_read_off_them() -> None:
    logged = [LoggedCall(timestamp_ms=1_000, report=call(512, d, init_ms=300.0)) for d in (200.0, 220.0)]
    read = production_figures(
        logged, version="3", memory_mb=512, since_epoch_s=0, until_epoch_s=HOUR, trim_fraction=0.0
    )
    assert read.duration_ms is not None
    assert read.duration_ms.mean == 210.0


def test_no_calls_give_empty_figures_that_say_so() -> None:
    read = production_figures([], version="7", memory_mb=1024, since_epoch_s=0, until_epoch_s=HOUR, trim_fraction=0.2)
    assert (read.calls, read.duration_ms, read.mean_billed_ms, read.first_call_epoch_s) == (0, None, None, None)
    assert read.describe() == "no call of version 7 (1024 MB) in its logs"


def test_a_rate_is_never_read_off_less_than_a_minute() -> None:
    burst = figures(30, 0, first_call_epoch_s=SINCE_S, until_epoch_s=SINCE_S + 5)
    assert burst.observed_hours == pytest.approx(1 / 60)
    assert burst.calls_per_hour == pytest.approx(1_800)


def test_a_candidate_s_hours_follow_the_alias_s_pace_and_the_weight() -> None:
    # 600 calls an hour at 5% give a candidate 30 an hour: 100 calls take 3⅓ h.
    assert hours_per_candidate(figures(1_200, 2), TrafficOptions()) == pytest.approx(100 / 30)
    assert hours_per_candidate(figures(0, 2), TrafficOptions()) == float("inf")


def test_enough_traffic_is_not_refused() -> None:
    # 10,000 calls an hour at 5%: 0.2 h a candidate, 1 h for five.
    assert too_little_traffic(figures(10_000, 1), TrafficOptions(), 24) is None


def test_traffic_that_fills_the_run_exactly_is_enough() -> None:
    # 100 calls an hour at 50%: 2 h a candidate, 10 h for five, within 10 h.
    assert too_little_traffic(figures(100, 1), TrafficOptions(weight=0.5), 10) is None


def test_too_little_traffic_is_refused_with_its_figures() -> None:
    # 60 calls an hour at 5% give 3 an hour: 33.3 h a candidate, 166.7 h for five.
    why = too_little_traffic(figures(120, 2), TrafficOptions(), 24)
    assert why is not None
    assert why.startswith("traffic: version 7 served 120 calls over 2.0 h (60.0 an hour)")
    assert "at weight 5% a candidate takes about 33.3 h to get its 100 calls" in why
    assert "166.7 h for up to 5 candidates, more than the 24 h the run may take" in why
    assert "raise traffic.weight (at most 50%)" in why


def test_the_run_s_own_hours_decide_not_max_hours() -> None:
    # 1,000 calls an hour at 5%: 2 h a candidate, 10 h for five; a deployment letting the run take 6 h refuses it.
    enough = figures(1_000, 1)
    assert too_little_traffic(enough, TrafficOptions(), 24) is None
    why = too_little_traffic(enough, TrafficOptions(), 6)
    assert why is not None
    assert "more than the 6 h the run may take" in why


def test_no_call_at_all_is_refused_naming_baseline_hours() -> None:
    why = too_little_traffic(figures(0, 24), TrafficOptions(baseline_hours=12), 24)
    assert why == (
        "traffic: the logs hold no call of version 7 over the last 12 h; a traffic run needs production calls to "
        "measure (raise traffic.baselineHours if they are older)"
    )


def test_the_lowest_size_leaves_the_memory_margin_over_the_most_memory_used() -> None:
    # 180 MB used with 10% free: 200 MB.
    assert lowest_size(figures(500, 1, max_memory_used_mb=180), Constraints(), timeout_s=0) == 200
    assert lowest_size(figures(500, 1, max_memory_used_mb=180), NO_HEADROOM, timeout_s=0) == 128


def test_a_measured_size_that_used_more_memory_raises_the_lowest_size() -> None:
    measured = [stats(512, [100.0] * 5, used=270)]
    assert lowest_size(figures(500, 1, max_memory_used_mb=180), Constraints(), 0, measured) == 300


def test_the_lowest_size_is_above_the_largest_size_that_ran_out_of_memory() -> None:
    current = figures(500, 1, max_memory_used_mb=1024, out_of_memory=1)
    # 1,024 MB used leaves 10% free at 1,138 MB, above the 1,127 MB 10% over the size that ran out.
    assert lowest_size(current, Constraints(), timeout_s=0) == 1138
    current_small = figures(500, 1, memory_mb=512, max_memory_used_mb=300, out_of_memory=1)
    assert lowest_size(current_small, Constraints(), timeout_s=0) == 564  # 10% above 512 MB, over 334 MB
    oom_at_768 = stats(768, [100.0] * 3).model_copy(update={"out_of_memory": True, "max_memory_used_mb": 768})
    low_use = figures(500, 1, max_memory_used_mb=200)
    assert lowest_size(low_use, Constraints(), 0, [oom_at_768]) == 845  # 10% above 768 MB; its use not counted


def test_the_timeout_margin_bounds_the_lowest_size_from_the_slowest_call() -> None:
    # 1 s at 1,024 MB; under a 3 s timeout at 80%, 2.4 s: all-CPU, it takes 2.4 s at 1024 / 2.4 = 426.7 MB.
    current = figures(500, 1, max_memory_used_mb=100, slowest_duration_ms=1_000.0)
    assert lowest_size(current, Constraints(), timeout_s=3) == 427
    assert lowest_size(current, Constraints(), timeout_s=0) == 128  # no timeout known: the memory margin alone


def test_the_timeout_margin_is_judged_from_the_smallest_size_that_worked() -> None:
    # 1.5 s at 512 MB reaches 2.4 s at 320 MB; the current size's 1 s at 1,024 MB would allow 427 MB.
    current = figures(500, 1, max_memory_used_mb=100, slowest_duration_ms=1_000.0)
    assert lowest_size(current, Constraints(), 3, [stats(512, [1_400.0, 1_500.0])]) == 320


def test_a_current_size_already_over_the_timeout_margin_allows_nothing_smaller() -> None:
    current = figures(500, 1, max_memory_used_mb=100, slowest_duration_ms=2_500.0)
    assert lowest_size(current, Constraints(), timeout_s=3) == 1025


@pytest.mark.parametrize(
    ("slowest_ms", "at_mb", "allowed_ms"),
    [(1_000.0, 1_024, 2_400.0), (100.0, 3_538, 150.0), (10.0, 10_240, 1_000.0), (50.0, 2_048, 50.0)],
)
def test_the_slowest_safe_size_is_the_first_at_which_the_slowest_call_fits(
    slowest_ms: float, at_mb: int, allowed_ms: float
) -> None:
    size = slowest_safe_size(slowest_ms, at_mb, allowed_ms)
    assert size <= at_mb
    assert slowest_ms * vcpus(at_mb) / vcpus(size) <= allowed_ms
    if size > 128:
        assert slowest_ms * vcpus(at_mb) / vcpus(size - 1) > allowed_ms


def test_slowest_safe_size_across_the_one_vcpu_knee() -> None:
    # 100 ms at 3,538 MB (2.044 vCPUs) fits 150 ms with 1.363 vCPUs, at 2,384 MB.
    assert slowest_safe_size(100.0, 3_538, 150.0) == 2_384
    assert slowest_safe_size(10.0, 10_240, 1_000.0) == 128  # never below Lambda's smallest size
    assert slowest_safe_size(50.0, 2_048, 50.0) == 2_048  # right at the margin: nothing smaller


def test_describe_states_the_figures() -> None:
    read = figures(
        4_800, 24, cold_starts=48, errors=2, timeouts=1, out_of_memory=0, max_memory_used_mb=180,
        first_call_epoch_s=SINCE_S,
    )  # fmt: skip
    assert read.describe() == (
        "4,800 calls of version 7 (1024 MB) over 24.0 h (200 an hour): no warm call, 1.0% cold starts, at most "
        "180 MB used, 2 errors, 1 time-outs, 0 out of memory"
    )

import random

import pytest

from autotuner.domain.pacing import ScheduledCall, schedule_call


def grant_all(arrivals: list[float], rate: float, burst: int) -> list[float]:
    """Each arrival (in the order given) reads the state the previous one stored: the times the calls go at."""
    tat: float | None = None
    granted: list[float] = []
    for now in arrivals:
        call = schedule_call(tat, now, rate, burst)
        assert call.go_at >= now, f"a call asked at {now} was granted earlier, at {call.go_at}"
        granted.append(call.go_at)
        tat = call.tat
    return granted


def most_in_a_window(granted: list[float], rate: float, burst: int) -> float:
    """The largest excess, over every window between two grants, of the calls in it over burst + rate * W."""
    ordered = sorted(granted)
    return max(
        (j - i + 1) - (burst + rate * (ordered[j] - ordered[i]))
        for i in range(len(ordered))
        for j in range(i, len(ordered))
    )


def test_the_first_call_goes_at_once_and_the_next_one_interval_later() -> None:
    assert schedule_call(None, 100.0, rate=4, burst=1) == ScheduledCall(go_at=100.0, tat=100.25)
    assert schedule_call(100.25, 100.0, rate=4, burst=1) == ScheduledCall(go_at=100.25, tat=100.5)


def test_a_burst_goes_at_once_then_calls_are_spaced_by_the_rate() -> None:
    granted = grant_all([0.0] * 6, rate=10, burst=3)
    assert granted == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2, 0.3])


def test_a_long_idle_key_carries_neither_debt_nor_more_than_a_burst_of_credit() -> None:
    state_from_long_ago = 5.0
    first = schedule_call(state_from_long_ago, 10_000.0, rate=4, burst=2)
    assert first == ScheduledCall(go_at=10_000.0, tat=10_000.25)
    second = schedule_call(first.tat, 10_000.0, rate=4, burst=2)
    third = schedule_call(second.tat, 10_000.0, rate=4, burst=2)
    assert (second.go_at, third.go_at) == (10_000.0, 10_000.25)  # the burst, then the rate: no stored credit


def test_a_state_far_ahead_makes_the_caller_wait_for_its_turn() -> None:
    call = schedule_call(1_060.0, 1_000.0, rate=2, burst=1)
    assert (call.go_at, call.tat) == (1_060.0, 1_060.5)


@pytest.mark.parametrize("seed", range(20))
def test_no_window_holds_more_than_the_burst_and_the_rate_allow(seed: int) -> None:
    rng = random.Random(seed)
    rate, burst = rng.choice([1.0, 2.5, 10.0, 14.0]), rng.randint(1, 5)
    arrivals, now = [], 0.0
    for _ in range(150):
        now += rng.expovariate(rate * rng.choice([0.3, 1, 4]))  # idle stretches, steady load and bursts
        arrivals.append(now)
    # Callers read the shared state in an order their own clocks do not agree with (skew up to 50 ms).
    skewed = [t + rng.uniform(-0.05, 0.05) for t in arrivals]
    granted = grant_all(skewed, rate, burst)
    assert most_in_a_window(granted, rate, burst) <= 1e-9
    assert max(g - t for g, t in zip(granted, skewed, strict=True)) > 0, "the load never had to wait: a weak test"


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (10.0, 0)])
def test_a_rate_or_burst_that_allows_nothing_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate must be positive and burst at least 1"):
        schedule_call(None, 0.0, rate, burst)

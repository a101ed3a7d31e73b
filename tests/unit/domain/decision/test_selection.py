from collections.abc import Sequence

import pytest

from autotuner.domain.decision.candidate import CandidateStats, Constraints, exclusion_reason
from autotuner.domain.decision.selection import choose
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.measuring.statistics import bootstrap_interval, summarize, trimmed_mean_estimator


def candidate(
    memory: int, cost: float, duration: float, *, spread: float = 0.0, max_memory: int = 60, n: int = 20
) -> CandidateStats:
    """A candidate whose samples sit evenly within ±spread (relative) of the given centres."""
    offsets = [spread * (2 * i / (n - 1) - 1) for i in range(n)] if n > 1 else [0.0]
    costs: Sequence[float] = [cost * (1 + o) for o in offsets]
    durations: Sequence[float] = [duration * (1 + o) for o in offsets]
    estimator = trimmed_mean_estimator(0.2)
    return CandidateStats(
        memory_mb=memory,
        invocations=n,
        duration_ms=summarize(durations, 0.2),
        duration_interval=bootstrap_interval(durations, estimator),
        cost=summarize(costs, 0.2),
        cost_interval=bootstrap_interval(costs, estimator),
        max_memory_used_mb=max_memory,
        total_cost=sum(costs),
    )


def test_cost_strategy_picks_the_clearly_cheapest() -> None:
    candidates = [candidate(128, 3e-6, 900), candidate(512, 2e-6, 150), candidate(1024, 4e-6, 100)]
    decision = choose(candidates)
    assert decision.chosen_memory_mb == 512
    assert decision.reason.startswith("512 MB is the cheapest at $0.00000200 per invocation")
    assert decision.tied_with_best == [512]


def test_free_speed_prefers_the_faster_of_two_indistinguishable_costs() -> None:
    candidates = [candidate(1024, 2.000e-6, 200, spread=0.05), candidate(1536, 2.005e-6, 134, spread=0.05)]
    decision = choose(candidates, Strategy.COST)
    assert decision.chosen_memory_mb == 1536
    assert "free speed" in decision.reason
    assert "33% faster" in decision.reason
    assert set(decision.tied_with_best) == {1024, 1536}


def test_one_warm_call_states_no_interval_and_trades_nothing_for_speed() -> None:
    """A bootstrap of one value is that value: '95% interval $X-$X' would claim a certainty nobody measured."""
    candidates = [candidate(1024, 2.000e-6, 200, n=1), candidate(1536, 2.005e-6, 134, spread=0.05)]
    decision = choose(candidates, Strategy.COST)
    assert decision.chosen_memory_mb == 1024
    assert "bootstrap interval" not in decision.reason
    assert decision.reason == (
        "1024 MB is the cheapest at $0.00000200 per invocation (from 1 warm invocation: too few for an interval)."
    )


def test_a_cost_difference_beyond_the_interval_and_the_noise_threshold_is_not_a_tie() -> None:
    candidates = [candidate(1024, 2.0e-6, 200), candidate(1536, 2.2e-6, 134)]
    assert choose(candidates).chosen_memory_mb == 1024


def test_speed_strategy_breaks_ties_by_cost() -> None:
    candidates = [candidate(2048, 5e-6, 100.0), candidate(3008, 7e-6, 100.4), candidate(512, 2e-6, 400)]
    decision = choose(candidates, Strategy.SPEED)
    assert decision.chosen_memory_mb == 2048
    assert decision.ranking[0] == 2048


def test_balanced_weight_moves_between_speed_and_cost() -> None:
    candidates = [candidate(256, 1e-6, 1000), candidate(1024, 2e-6, 300), candidate(3008, 6e-6, 100)]
    assert choose(candidates, Strategy.BALANCED, balanced_weight=1.0).chosen_memory_mb == 256
    assert choose(candidates, Strategy.BALANCED, balanced_weight=0.0).chosen_memory_mb == 3008
    middle = choose(candidates, Strategy.BALANCED, balanced_weight=0.5)
    assert middle.chosen_memory_mb == 1024
    assert "balanced score" in middle.reason


def test_constraints_exclude_with_reasons() -> None:
    slow = candidate(128, 1e-6, 900)
    pricey = candidate(3008, 9e-6, 50)
    tight = candidate(256, 1.5e-6, 300, max_memory=240)
    fine = candidate(512, 2e-6, 200, max_memory=240)
    constraints = Constraints(max_p95_duration_ms=500, max_cost_per_invocation=5e-6, min_memory_headroom=0.2)
    decision = choose([slow, pricey, tight, fine], constraints=constraints)
    assert decision.chosen_memory_mb == 512
    reasons = {e.memory_mb: e.reason for e in decision.excluded}
    assert reasons[128] == "p95 duration 900 ms exceeds the maximum of 500 ms"
    assert reasons[3008] == "cost $0.00000900 per invocation exceeds the maximum of $0.00000500"
    assert reasons[256] == "memory margin: 6.2% free (240 of 256 MB used), under the 20% minMemoryHeadroom"


def test_failed_candidates_are_excluded_and_no_candidate_is_a_result_not_an_exception() -> None:
    failed = CandidateStats(memory_mb=128, invocations=3, failures=3, failure_reason="3 of 3 invocations timed out")
    decision = choose([failed, candidate(256, 1e-6, 900)], constraints=Constraints(max_p95_duration_ms=100))
    assert decision.chosen_memory_mb is None
    assert decision.reason == (
        "no candidate meets the constraints and margins (128 MB: failed: 3 of 3 invocations timed out; "
        "256 MB: p95 duration 900 ms exceeds the maximum of 100 ms)."
    )


def test_exclusion_reason_is_none_for_an_eligible_candidate() -> None:
    assert exclusion_reason(candidate(512, 1e-6, 10), Constraints()) is None


def test_balanced_weight_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="balanced_weight"):
        choose([candidate(128, 1e-6, 1)], Strategy.BALANCED, balanced_weight=1.5)

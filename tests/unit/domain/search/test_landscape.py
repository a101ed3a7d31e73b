"""What the adaptive search's measurements say so far: the eligible and confirmed sizes, the best, the size the
search centres on, the tie bound, and the pooled noise of one sample."""

import math

import pytest

from autotuner.domain.decision.candidate import CandidateStats, Constraints
from autotuner.domain.decision.strategy import RULES, Strategy
from autotuner.domain.measuring.statistics import ConfidenceInterval, summarize
from autotuner.domain.search.landscape import PRIOR_NOISE, PRIOR_WEIGHT, Z_95, Kind, read_landscape
from tests.unit.domain.decision.test_selection import candidate

COST, SPEED, BALANCED = RULES[Strategy.COST], RULES[Strategy.SPEED], RULES[Strategy.BALANCED]
NONE = Constraints()
D2_OF_THREE = 1.693  # the expected range of three normal samples, in standard deviations


def sized(memory: int, cost: float, duration: float, *, n: int = 3, spread: float = 0.0) -> CandidateStats:
    """``n`` warm calls, evenly within ±spread of the given centres (three: at -spread, 0 and +spread)."""
    return candidate(memory, cost, duration, spread=spread, n=n)


def probe(memory: int, cost: float, duration: float) -> CandidateStats:
    """A boundary probe: one call, a cold start, which worked."""
    return candidate(memory, cost, duration, n=1).model_copy(update={"cold_starts": 1})


def failed(memory: int) -> CandidateStats:
    return CandidateStats(memory_mb=memory, invocations=1, failures=1, failure_reason="ran out of memory")


def with_cost_interval(size: CandidateStats, low: float, high: float) -> CandidateStats:
    return size.model_copy(update={"cost_interval": ConfidenceInterval(low=low, high=high, confidence=0.95)})


MEASURED = [
    sized(2048, 3.5e-6, 100),
    failed(128),
    sized(512, 3e-6, 400),
    probe(768, 1.5e-6, 500),
    sized(1024, 2e-6, 200),
]


def test_nothing_eligible_is_no_landscape() -> None:
    assert read_landscape([failed(128), failed(256)], COST, 0.5, NONE) is None
    assert read_landscape([], COST, 0.5, NONE) is None


def test_the_best_is_the_lowest_objective_among_sizes_confirmed_by_a_warm_call() -> None:
    """The probe at 768 MB looks cheapest, but its one call was a cold start: feasible, not yet confirmed."""
    landscape = read_landscape(MEASURED, COST, 0.5, NONE)
    assert landscape is not None
    assert [c.memory_mb for c in landscape.eligible] == [512, 768, 1024, 2048]
    assert [c.memory_mb for c in landscape.confirmed] == [512, 1024, 2048]
    assert landscape.blocked == [128]
    assert landscape.objective == {512: 3e-6, 768: 1.5e-6, 1024: 2e-6, 2048: 3.5e-6}
    assert (landscape.best.memory_mb, landscape.focus) == (1024, 1024)
    assert not landscape.is_confirmed(768)
    assert landscape.is_confirmed(2048)
    assert [c.memory_mb for c in landscape.neighbours_of_best()] == [512, 2048]


def test_gaps_are_relative_to_the_best_and_samples_count_only_warm_calls() -> None:
    landscape = read_landscape(MEASURED, COST, 0.5, NONE)
    assert landscape is not None
    by_size = {c.memory_mb: c for c in landscape.eligible}
    assert landscape.gap(by_size[512]) == pytest.approx(0.5)
    assert landscape.gap(by_size[2048]) == pytest.approx(0.75)
    assert landscape.gap(by_size[768]) == pytest.approx(-0.25)
    assert (landscape.samples(by_size[1024]), landscape.samples(by_size[768])) == (3, 0)
    # the standard error of a relative difference: the noise over root n of each side (a probe counts as one)
    assert landscape.standard_error(by_size[512]) == pytest.approx(landscape.noise * math.sqrt(2 / 3))
    assert landscape.standard_error(by_size[768]) == pytest.approx(landscape.noise * math.sqrt(1 / 3 + 1))


def test_a_size_that_breaks_a_constraint_is_blocked_like_a_failure() -> None:
    landscape = read_landscape(MEASURED, COST, 0.5, Constraints(max_p95_duration_ms=450))
    assert landscape is not None
    assert landscape.blocked == [128, 768]  # the probe's one call took 500 ms
    assert [c.memory_mb for c in landscape.eligible] == [512, 1024, 2048]


def test_when_no_size_is_confirmed_the_probes_stand_in() -> None:
    landscape = read_landscape([probe(512, 3e-6, 400), probe(1024, 2e-6, 200)], COST, 0.5, NONE)
    assert landscape is not None
    assert [c.memory_mb for c in landscape.confirmed] == [512, 1024]
    assert landscape.best.memory_mb == 1024


def test_the_tie_break_is_the_other_metric_and_balanced_has_none() -> None:
    by_size = {c.memory_mb: c for c in MEASURED}
    for rule, expected in ((COST, 200), (SPEED, 2e-6), (BALANCED, math.inf)):
        landscape = read_landscape(MEASURED, rule, 0.5, NONE)
        assert landscape is not None
        assert landscape.secondary(by_size[1024]) == expected


def test_the_tie_bound_is_the_top_of_the_bests_interval_of_what_the_rule_minimises() -> None:
    sizes = [with_cost_interval(sized(1024, 2e-6, 200), 1.9e-6, 2.1e-6), sized(2048, 3.5e-6, 100)]
    landscape = read_landscape(sizes, COST, 0.5, NONE)
    assert landscape is not None
    assert landscape.tie_bound == 2.1e-6
    balanced = read_landscape(sizes, BALANCED, 0.5, NONE)
    assert balanced is not None
    assert balanced.tie_bound is None  # a weighted score has no ties
    no_interval = sizes[0].model_copy(update={"cost_interval": None})
    unbounded = read_landscape([no_interval, sizes[1]], COST, 0.5, NONE)
    assert unbounded is not None
    assert unbounded.tie_bound is None


def test_for_speed_the_search_centres_on_the_knee_not_on_the_fastest() -> None:
    """choose takes the cheapest size as fast as the fastest: 1024 MB is within 1% of 2048 MB and inside its
    interval, at half the cost, so the knee at 1024 MB is where the search looks."""
    fastest = sized(2048, 4e-6, 99.8).model_copy(
        update={"duration_interval": ConfidenceInterval(low=99.0, high=101.0, confidence=0.95)}
    )
    landscape = read_landscape([sized(512, 2e-6, 400), sized(1024, 2e-6, 100), fastest], SPEED, 0.5, NONE)
    assert landscape is not None
    assert (landscape.best.memory_mb, landscape.focus) == (2048, 1024)
    cost = read_landscape([sized(512, 2e-6, 400), sized(1024, 2e-6, 100), fastest], COST, 0.5, NONE)
    assert cost is not None
    assert cost.focus == cost.best.memory_mb


def test_with_nothing_that_spreads_the_noise_is_the_prior() -> None:
    landscape = read_landscape([sized(1024, 2e-6, 200, n=1)], COST, 0.5, NONE)
    assert landscape is not None
    assert landscape.noise == PRIOR_NOISE


def test_small_samples_read_their_noise_from_the_range_pooled_with_a_weak_prior() -> None:
    """Three calls at -s, 0 and +s of their mean: a range of 2s, which three normal samples span in 1.693 sigma."""
    spread = D2_OF_THREE / 20  # sigma 0.1
    sizes = [sized(m, 2e-6, 200, spread=spread) for m in (512, 1024, 2048)]
    landscape = read_landscape(sizes, COST, 0.5, NONE)
    assert landscape is not None
    expected = math.sqrt((PRIOR_WEIGHT * PRIOR_NOISE**2 + 3 * 2 * 0.1**2) / (PRIOR_WEIGHT + 3 * 2))
    assert landscape.noise == pytest.approx(expected)


def test_larger_samples_read_their_noise_from_the_bootstrap_interval() -> None:
    """Twenty calls: the interval of the mean is about ±1.96 sigma / root 20, so sigma is read back from it."""
    size = with_cost_interval(sized(1024, 2e-6, 200, n=20, spread=0.1), 1.9e-6, 2.1e-6)
    landscape = read_landscape([size], COST, 0.5, NONE)
    assert landscape is not None
    sigma = 0.1e-6 / 2e-6 * math.sqrt(20) / Z_95
    expected = math.sqrt((PRIOR_WEIGHT * PRIOR_NOISE**2 + 19 * sigma**2) / (PRIOR_WEIGHT + 19))
    assert landscape.noise == pytest.approx(expected)


def test_the_noise_is_read_from_the_rules_noise_metric() -> None:
    """Costs spread, durations do not: the cost rule sees the spread, speed and balanced (durations) do not."""
    spread = D2_OF_THREE / 20
    steady = [
        sized(m, 2e-6, 200, spread=spread).model_copy(update={"duration_ms": summarize([200.0] * 3, 0.2)})
        for m in (512, 1024)
    ]
    quiet = math.sqrt(PRIOR_WEIGHT * PRIOR_NOISE**2 / (PRIOR_WEIGHT + 4))
    noisy = math.sqrt((PRIOR_WEIGHT * PRIOR_NOISE**2 + 4 * 0.1**2) / (PRIOR_WEIGHT + 4))
    for rule, expected in ((COST, noisy), (SPEED, quiet), (BALANCED, quiet)):
        landscape = read_landscape(steady, rule, 0.5, NONE)
        assert landscape is not None
        assert landscape.noise == pytest.approx(expected), rule.strategy


def test_new_sizes_are_the_boundary_the_margins_edge_the_optimum_and_the_curve_and_caps_go_first_to_boundaries() -> (
    None
):
    assert {kind for kind in Kind if kind.new} == {Kind.BOUNDARY, Kind.EDGE, Kind.OPTIMUM, Kind.CURVE}
    assert (min(Kind), max(Kind)) == (Kind.BOUNDARY, Kind.EVIDENCE)

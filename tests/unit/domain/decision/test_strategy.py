"""The strategy table: one rule per strategy, saying what it minimises, how it breaks ties and where its noise is
read; and ``choose`` following each rule, so that a new strategy is one entry of ``RULES``."""

import pytest

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.distinction import Metric
from autotuner.domain.decision.selection import choose
from autotuner.domain.decision.strategy import RULES, Strategy, StrategyRule, estimate, interval, rule_for, summary
from tests.unit.domain.decision.test_selection import candidate

# Cost, duration: 256 MB is cheapest, 3008 MB fastest, 1024 MB in between on both.
SIZES = [candidate(256, 1e-6, 1000), candidate(1024, 2e-6, 300), candidate(3008, 6e-6, 100)]


def test_every_strategy_has_exactly_one_rule_which_names_it() -> None:
    assert list(RULES) == list(Strategy)
    for strategy in Strategy:
        assert RULES[strategy].strategy is strategy
        assert rule_for(strategy) is RULES[strategy]


@pytest.mark.parametrize(
    "expected",
    [
        StrategyRule(
            Strategy.COST,
            minimises=Metric.COST,
            tie_break=Metric.DURATION,
            noise_metric=Metric.COST,
            curve_decides=True,
            seeks_knee=False,
        ),
        StrategyRule(
            Strategy.SPEED,
            minimises=Metric.DURATION,
            tie_break=Metric.COST,
            noise_metric=Metric.DURATION,
            curve_decides=False,
            seeks_knee=True,
        ),
        StrategyRule(
            Strategy.BALANCED,
            minimises=None,
            tie_break=None,
            noise_metric=Metric.DURATION,
            curve_decides=False,
            seeks_knee=False,
        ),
    ],
    ids=lambda rule: str(rule.strategy),
)
def test_each_rule_says_what_it_minimises_how_it_breaks_ties_and_where_its_noise_is_read(
    expected: StrategyRule,
) -> None:
    """As the reference tool: cost breaks ties by speed, speed by cost, balanced is a score without ties. Only cost
    is decided by the cost curve; speed looks for the knee where more memory stops helping."""
    assert RULES[expected.strategy] == expected


def test_cost_and_speed_minimise_the_trimmed_mean_of_their_metric() -> None:
    assert RULES[Strategy.COST].objective(SIZES, 0.5) == {256: 1e-6, 1024: 2e-6, 3008: 6e-6}
    assert RULES[Strategy.SPEED].objective(SIZES, 0.5) == {256: 1000, 1024: 300, 3008: 100}


def test_the_balanced_objective_weighs_cost_and_duration_each_relative_to_the_largest() -> None:
    score = RULES[Strategy.BALANCED].objective(SIZES, 0.5)
    # 0.5 x cost / 6e-6 + 0.5 x duration / 1000
    assert score == pytest.approx({256: 0.5 / 6 + 0.5, 1024: 0.5 / 3 + 0.15, 3008: 0.5 + 0.05})
    assert RULES[Strategy.BALANCED].objective(SIZES, 1.0) == pytest.approx({256: 1 / 6, 1024: 1 / 3, 3008: 1.0})
    assert RULES[Strategy.BALANCED].objective(SIZES, 0.0) == pytest.approx({256: 1.0, 1024: 0.3, 3008: 0.1})


def test_a_size_with_nothing_measured_is_infinitely_far_from_the_best() -> None:
    failed = CandidateStats(memory_mb=128, invocations=1, failures=1, failure_reason="timed out")
    assert estimate(failed, Metric.COST) == estimate(failed, Metric.DURATION) == float("inf")
    assert summary(failed, Metric.COST) is None
    assert interval(failed, Metric.DURATION) is None


def test_the_helpers_read_the_metric_they_are_asked_for() -> None:
    size = SIZES[1]
    assert (summary(size, Metric.COST), summary(size, Metric.DURATION)) == (size.cost, size.duration_ms)
    assert interval(size, Metric.COST) == size.cost_interval
    assert interval(size, Metric.DURATION) == size.duration_interval


@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize("weight", [0.0, 0.3, 0.5, 1.0])
def test_choose_takes_the_lowest_objective_of_the_strategys_rule(strategy: Strategy, weight: float) -> None:
    objective = RULES[strategy].objective(SIZES, weight)
    lowest = min(objective, key=lambda memory: objective[memory])
    assert choose(SIZES, strategy, balanced_weight=weight).chosen_memory_mb == lowest


@pytest.mark.parametrize("strategy", [s for s in Strategy if RULES[s].tie_break is not None])
def test_among_sizes_tied_on_what_the_rule_minimises_its_tie_break_decides(strategy: Strategy) -> None:
    """2048 MB is 0.2% worse than 1024 MB on what the rule minimises (a tie) and half of it on the tie-break."""
    rule = RULES[strategy]
    assert rule.minimises is not None
    assert rule.tie_break is not None
    worse = {rule.minimises: 1.002, rule.tie_break: 0.5}
    tied = candidate(2048, 2e-6 * worse[Metric.COST], 100 * worse[Metric.DURATION], spread=0.05)
    decision = choose([candidate(1024, 2e-6, 100, spread=0.05), tied], strategy)
    assert decision.chosen_memory_mb == 2048
    assert set(decision.tied_with_best) == {1024, 2048}

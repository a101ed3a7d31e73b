"""The strategies a run chooses by, in one table: what each minimises, how it breaks ties, which measured quantity
its noise is read from, and what the adaptive search does with it. A new strategy is one entry of ``RULES`` (and
its tests); nothing else in the code asks which strategy it is."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.distinction import Metric
from autotuner.domain.measuring.statistics import ConfidenceInterval, Summary


class Strategy(StrEnum):
    COST = "cost"
    SPEED = "speed"
    BALANCED = "balanced"


def estimate(candidate: CandidateStats, metric: Metric) -> float:
    """The size's trimmed mean of ``metric`` (infinite when nothing was measured)."""
    return candidate.cost_estimate if metric is Metric.COST else candidate.duration_estimate


def summary(candidate: CandidateStats, metric: Metric) -> Summary | None:
    return candidate.cost if metric is Metric.COST else candidate.duration_ms


def interval(candidate: CandidateStats, metric: Metric) -> ConfidenceInterval | None:
    return candidate.cost_interval if metric is Metric.COST else candidate.duration_interval


@dataclass(frozen=True)
class StrategyRule:
    """How one strategy ranks sizes.

    ``minimises``: the measured quantity ranked on; None for a weighted score of cost and duration, which has no
    difference a user could read (no tie rule, no test of the differences). ``tie_break``: among sizes tied with
    the best, the quantity that decides. ``noise_metric``: the quantity whose spread the adaptive search reads as
    the noise of one sample. ``curve_decides``: the cost curve prices memory, so it steers the search and decides
    only for a strategy that minimises cost. ``seeks_knee``: the search explores toward where more memory stops
    helping (the cheapest size as fast as the fastest) rather than toward a minimum."""

    strategy: Strategy
    minimises: Metric | None
    tie_break: Metric | None
    noise_metric: Metric
    curve_decides: bool
    seeks_knee: bool

    def objective(self, eligible: Sequence[CandidateStats], balanced_weight: float) -> dict[int, float]:
        """What the strategy minimises, per eligible size."""
        if self.minimises is not None:
            return {c.memory_mb: estimate(c, self.minimises) for c in eligible}
        max_cost = max(c.cost_estimate for c in eligible) or 1.0
        max_duration = max(c.duration_estimate for c in eligible) or 1.0
        return {
            c.memory_mb: balanced_weight * c.cost_estimate / max_cost
            + (1 - balanced_weight) * c.duration_estimate / max_duration
            for c in eligible
        }


RULES: dict[Strategy, StrategyRule] = {
    Strategy.COST: StrategyRule(
        Strategy.COST, Metric.COST, Metric.DURATION, Metric.COST, curve_decides=True, seeks_knee=False
    ),
    Strategy.SPEED: StrategyRule(
        Strategy.SPEED, Metric.DURATION, Metric.COST, Metric.DURATION, curve_decides=False, seeks_knee=True
    ),
    Strategy.BALANCED: StrategyRule(
        Strategy.BALANCED, None, None, Metric.DURATION, curve_decides=False, seeks_knee=False
    ),
}


def rule_for(strategy: Strategy) -> StrategyRule:
    return RULES[strategy]

"""What the adaptive search's measurements say so far, in the terms its planner reasons in: the eligible sizes,
the best and the size exploration centres on, the strategy's objective, the tie bound, and the pooled noise of
one sample; and the kinds of work a round can plan."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from autotuner.domain.decision.candidate import CandidateStats, Constraints, exclusion_reason
from autotuner.domain.decision.distinction import Metric
from autotuner.domain.decision.margins import exclusions, memory_edge_mb, timeout_margin_reason, worked
from autotuner.domain.decision.selection import choose
from autotuner.domain.decision.strategy import StrategyRule, estimate, interval, summary

Z_95 = 1.96
# Relative noise of one invocation assumed before samples can measure it (Lambda durations typically vary by a few
# percent), pooled with what is measured as a weak prior.
PRIOR_NOISE = 0.05
PRIOR_WEIGHT = 2.0
# Expected range of n normal samples, in standard deviations (the control-chart constant d2), for n = 0..10.
_RANGE_IN_SIGMAS = (1.0, 1.0, 1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078)


@dataclass(frozen=True)
class Landscape:
    """The measurements in the terms the planner reasons in. The objective is what the strategy minimises (cost,
    duration or choose's balanced score); gaps and errors are relative to the best's objective. A size measured
    by its cold start alone (a boundary probe) is feasible but unconfirmed: its estimate includes the start-up."""

    eligible: list[CandidateStats]  # by memory, as choose sees them
    confirmed: list[CandidateStats]  # eligible with at least one warm sample, by memory
    blocked: list[int]  # sizes that failed or broke a constraint or a margin
    memory_blocked: list[int]  # of those, the ones the memory margin decides: out of memory, or too little free
    out_of_memory: list[int]  # sizes that ran out of memory
    worked: list[int]  # sizes measured without a failure, eligible or not
    most_used_mb: int  # the most memory a call used at a size that worked
    memory_edge: int | None  # the smallest size the memory margin allows; None with it off
    headroom: float  # minMemoryHeadroom
    timeout_limit_ms: float | None  # the slowest call a size may have: maxTimeoutShare of the timeout
    measured: dict[int, CandidateStats]  # every size measured, eligible or not
    objective: dict[int, float]
    best: CandidateStats
    focus: int  # the size exploration centres on
    tie_bound: float | None  # choose calls an objective at or below this 'the same as the best'
    noise: float  # pooled relative standard deviation of one sample's objective
    rule: StrategyRule

    def samples(self, candidate: CandidateStats) -> int:
        return candidate.cost.count if candidate.cost and candidate.warm_invocations else 0

    def gap(self, candidate: CandidateStats) -> float:
        best = self.objective[self.best.memory_mb]
        return self.objective[candidate.memory_mb] / best - 1 if best > 0 else 0.0

    def standard_error(self, candidate: CandidateStats) -> float:
        """Of the relative difference between ``candidate`` and the best."""
        n_best, n_other = max(1, self.samples(self.best)), max(1, self.samples(candidate))
        return self.noise * math.sqrt(1 / n_best + 1 / n_other)

    def secondary(self, candidate: CandidateStats) -> float:
        """choose's tie-break among sizes tied with the best: duration for cost, cost for speed."""
        return estimate(candidate, self.rule.tie_break) if self.rule.tie_break else math.inf

    def neighbours_of_best(self) -> list[CandidateStats]:
        position = self.confirmed.index(self.best)
        return [self.confirmed[i] for i in (position - 1, position + 1) if 0 <= i < len(self.confirmed)]

    def is_confirmed(self, memory_mb: int) -> bool:
        return any(c.memory_mb == memory_mb for c in self.confirmed)


def read_landscape(
    candidates: Sequence[CandidateStats],
    rule: StrategyRule,
    balanced_weight: float,
    constraints: Constraints,
    *,
    timeout_ms: float | None = None,
) -> Landscape | None:
    reasons = exclusions(candidates, constraints, timeout_ms=timeout_ms)
    eligible = sorted((c for c in candidates if c.memory_mb not in reasons), key=lambda c: c.memory_mb)
    if not eligible:
        return None
    confirmed = [c for c in eligible if c.warm_invocations > 0] or eligible
    objective = rule.objective(eligible, balanced_weight)
    best = min(confirmed, key=lambda c: (objective[c.memory_mb], c.memory_mb))
    focus = best.memory_mb
    if rule.seeks_knee:
        # choose picks the cheapest size as fast as the fastest: the knee where more memory stops helping.
        focus = choose(confirmed, rule.strategy).chosen_memory_mb or focus
    noise = pooled_noise(eligible, rule)
    headroom = constraints.min_memory_headroom
    return Landscape(
        eligible=eligible,
        confirmed=confirmed,
        blocked=sorted(reasons),
        memory_blocked=_memory_blocked(candidates, reasons, constraints, timeout_ms) if headroom > 0 else [],
        out_of_memory=sorted(c.memory_mb for c in candidates if c.out_of_memory),
        worked=[c.memory_mb for c in worked(candidates)],
        most_used_mb=max((c.max_memory_used_mb for c in worked(candidates)), default=0),
        memory_edge=memory_edge_mb(candidates, headroom),
        headroom=headroom,
        timeout_limit_ms=constraints.max_timeout_share * timeout_ms if timeout_ms else None,
        measured={c.memory_mb: c for c in candidates},
        objective=objective,
        best=best,
        focus=focus,
        tie_bound=_tie_bound(best, rule),
        noise=noise,
        rule=rule,
    )


def _memory_blocked(
    candidates: Sequence[CandidateStats], reasons: dict[int, str], constraints: Constraints, timeout_ms: float | None
) -> list[int]:
    """Excluded sizes that ran out of memory, or that only the memory margin excludes."""
    return sorted(
        c.memory_mb
        for c in candidates
        if c.memory_mb in reasons
        and (
            c.out_of_memory
            or (
                exclusion_reason(c, constraints) is None
                and timeout_margin_reason(c, constraints.max_timeout_share, timeout_ms) is None
            )
        )
    )


def _tie_bound(best: CandidateStats, rule: StrategyRule) -> float | None:
    """The upper interval bound choose treats as 'the same as the best' (a strategy without ties has none)."""
    if rule.minimises is None or rule.tie_break is None:
        return None
    bound = interval(best, rule.minimises)
    return bound.high if bound else None


def pooled_noise(eligible: list[CandidateStats], rule: StrategyRule) -> float:
    """Relative standard deviation of one sample, pooled over every size (the noise is multiplicative, so sizes
    share it) with a weak prior, so that two or three samples do not look exact."""
    weighted, weights = PRIOR_WEIGHT * PRIOR_NOISE**2, PRIOR_WEIGHT
    for c in eligible:
        sigma = _sample_noise(c, rule.noise_metric)
        if sigma is not None:
            n = c.cost.count if c.cost else 0
            weighted += (n - 1) * sigma**2
            weights += n - 1
    return math.sqrt(weighted / weights)


def _sample_noise(candidate: CandidateStats, metric: Metric) -> float | None:
    """One size's relative spread. Small samples: the range divided by its expected value for normal data, as
    control charts do (a percentile bootstrap interval is far too narrow for two or three values). Larger ones:
    the bootstrap interval of the trimmed mean (about ±1.96 sigma / sqrt(n)), which reflects what trimming removes."""
    sample, sample_interval = summary(candidate, metric), interval(candidate, metric)
    if sample is None or sample.count < 2 or sample.trimmed_mean <= 0:
        return None
    n = sample.count
    if n < len(_RANGE_IN_SIGMAS) or sample_interval is None:
        expected_range = _RANGE_IN_SIGMAS[min(n, len(_RANGE_IN_SIGMAS) - 1)]
        return (sample.maximum - sample.minimum) / expected_range / sample.trimmed_mean
    return sample_interval.half_width / sample.trimmed_mean * math.sqrt(n) / Z_95


class Kind(IntEnum):
    """Kinds of work, in the order the caps are spent on them."""

    BOUNDARY = 1  # a new size between a failure and the best
    CONFIRM = 2  # warm samples for the lowest size known to work above a failure
    EDGE = 3  # the smallest size the memory margin allows, measured up to the evidence a choice needs
    OPTIMUM = 4  # the cost curve's cheapest size: measured before it can be chosen
    PICKABLE = 5  # a rival choose would take for speed though it may cost more
    CURVE = 6  # a new size along the curve: where it bottoms out, where resampled curves put it, or a knee
    NEIGHBOUR = 7  # a neighbour of the best that might be cheaper
    BEST = 8  # the best, up to the samples it needs
    EVIDENCE = 9  # the choice, up to the calls auto-apply needs

    @property
    def new(self) -> bool:
        return self in (Kind.BOUNDARY, Kind.EDGE, Kind.OPTIMUM, Kind.CURVE)

    @property
    def measured_at_once(self) -> bool:
        """A new size that gets all the calls a choice needs in one round, so it may come last."""
        return self in (Kind.EDGE, Kind.OPTIMUM)


@dataclass(frozen=True)
class Work:
    kind: Kind
    memory_mb: int
    invocations: int
    why: str

"""Choosing a memory size: strategies, constraints, and a reason a person can read.

Estimates are trimmed means (the statistic aws-lambda-power-tuning users know). A candidate is treated as tied
with the best when its estimate lies inside the best's 95% bootstrap interval and within the noise threshold (1%
by default). Among ties the secondary criterion decides ("free speed" for the cost strategy: the same money buys
a faster function). Being tied is a rule for choosing, not a claim about the data: what the data can tell apart
is tested on the differences, in ``distinction``, and recorded with the decision.
"""

from collections.abc import Sequence
from enum import StrEnum

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.distinction import Distinction
from autotuner.domain.frontier import FrontierPoint, TradeOff
from autotuner.domain.money import usd
from autotuner.domain.statistics import ConfidenceInterval, Summary

DEFAULT_NOISE_THRESHOLD = 0.01
MIN_INTERVAL_SAMPLE = 3  # a bootstrap of fewer values is as wide as the spread it happened to see: often none


class Strategy(StrEnum):
    COST = "cost"
    SPEED = "speed"
    BALANCED = "balanced"


class Constraints(CamelModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_p95_duration_ms: float | None = Field(default=None, gt=0)
    max_cost_per_invocation: float | None = Field(default=None, gt=0)
    min_memory_headroom: float | None = Field(
        default=None, ge=0, lt=1, description="share of Memory Size that Max Memory Used must leave free"
    )
    max_slowdown: float | None = Field(
        default=None,
        ge=1,
        description="auto-apply refuses a choice whose p95 duration exceeds this multiple of the current "
        "configuration's (e.g. 1.5); the choice is still reported",
    )


class CandidateStats(CamelModel):
    """Everything measured at one memory size."""

    memory_mb: int
    invocations: int
    cold_starts: int = 0
    failures: int = 0
    failure_reason: str | None = None
    duration_ms: Summary | None = None
    duration_interval: ConfidenceInterval | None = None
    cost: Summary | None = None
    cost_interval: ConfidenceInterval | None = None
    max_memory_used_mb: int = 0
    mean_init_duration_ms: float | None = None
    total_cost: float = 0.0

    @property
    def warm_invocations(self) -> int:
        """Successful invocations that were not cold starts: the steady-state sample, unless there are none."""
        return max(0, self.invocations - self.failures - self.cold_starts)

    @property
    def cost_estimate(self) -> float:
        return self.cost.trimmed_mean if self.cost else float("inf")

    @property
    def duration_estimate(self) -> float:
        return self.duration_ms.trimmed_mean if self.duration_ms else float("inf")


class Exclusion(CamelModel):
    memory_mb: int
    reason: str


class Decision(CamelModel):
    strategy: Strategy
    chosen_memory_mb: int | None
    reason: str
    excluded: list[Exclusion] = Field(default_factory=list)
    indistinguishable_from_best: list[int] = Field(
        default_factory=list,
        description="the chosen size and every size whose difference from it the test on the differences "
        "cannot sign (its 95% interval includes zero); empty when no such test was made",
    )
    tied_with_best: list[int] = Field(
        default_factory=list,
        description="sizes treated as equal to the best (inside its 95% interval and within noiseThreshold), "
        "among which the secondary criterion chose",
    )
    ranking: list[int] = Field(default_factory=list, description="eligible sizes, best first")
    distinction: Distinction | None = Field(default=None, description="the test on the differences")
    frontier: list[FrontierPoint] = Field(
        default_factory=list, description="eligible sizes faster than every cheaper one, cheapest first"
    )
    faster_option: TradeOff | None = Field(
        default=None, description="the next faster frontier size: what it would cost and save beside the choice"
    )
    apply_refusal: str | None = Field(default=None, description="why auto-apply must not apply the choice")

    def with_distinction(self, distinction: Distinction | None) -> "Decision":
        """This decision with the result of the test on its differences."""
        tested = distinction.indistinguishable if distinction is not None else []
        return self.model_copy(update={"distinction": distinction, "indistinguishable_from_best": tested})


def choose(
    candidates: Sequence[CandidateStats],
    strategy: Strategy = Strategy.COST,
    *,
    balanced_weight: float = 0.5,
    constraints: Constraints | None = None,
    noise_threshold: float = DEFAULT_NOISE_THRESHOLD,
) -> Decision:
    """The best eligible candidate under ``strategy``, with the reason and every exclusion."""
    if not 0 <= balanced_weight <= 1:
        raise ValueError(f"balanced_weight must be within [0, 1], got {balanced_weight}")
    excluded = [
        Exclusion(memory_mb=c.memory_mb, reason=reason)
        for c in candidates
        if (reason := exclusion_reason(c, constraints or Constraints())) is not None
    ]
    excluded_sizes = {e.memory_mb for e in excluded}
    eligible = [c for c in candidates if c.memory_mb not in excluded_sizes]
    if not eligible:
        return Decision(strategy=strategy, chosen_memory_mb=None, reason=_nothing_eligible(excluded), excluded=excluded)
    if strategy is Strategy.BALANCED:
        return _choose_balanced(eligible, balanced_weight, excluded)
    return _choose_with_tie_break(eligible, strategy, excluded, noise_threshold)


def exclusion_reason(candidate: CandidateStats, constraints: Constraints) -> str | None:
    """Why ``candidate`` cannot be chosen, or None when it can."""
    if candidate.failure_reason is not None:
        return f"failed: {candidate.failure_reason}"
    if candidate.duration_ms is None or candidate.cost is None:
        return "no successful invocation was measured"
    p95_limit = constraints.max_p95_duration_ms
    if p95_limit is not None and candidate.duration_ms.p95 > p95_limit:
        return f"p95 duration {candidate.duration_ms.p95:.0f} ms exceeds the maximum of {p95_limit:.0f} ms"
    cost_limit = constraints.max_cost_per_invocation
    if cost_limit is not None and candidate.cost_estimate > cost_limit:
        return f"cost {usd(candidate.cost_estimate)} per invocation exceeds the maximum of {usd(cost_limit)}"
    headroom_limit = constraints.min_memory_headroom
    if headroom_limit is not None:
        headroom = 1 - candidate.max_memory_used_mb / candidate.memory_mb
        if headroom < headroom_limit:
            return (
                f"memory headroom {headroom:.0%} ({candidate.max_memory_used_mb} of {candidate.memory_mb} MB used)"
                f" is below the minimum of {headroom_limit:.0%}"
            )
    return None


def _choose_with_tie_break(
    eligible: list[CandidateStats], strategy: Strategy, excluded: list[Exclusion], noise_threshold: float
) -> Decision:
    by_cost = strategy is Strategy.COST

    def primary(c: CandidateStats) -> float:
        return c.cost_estimate if by_cost else c.duration_estimate

    def secondary(c: CandidateStats) -> float:
        return c.duration_estimate if by_cost else c.cost_estimate

    def interval(c: CandidateStats) -> ConfidenceInterval | None:
        return c.cost_interval if by_cost else c.duration_interval

    ranking = sorted(eligible, key=lambda c: (primary(c), secondary(c), c.memory_mb))
    best = ranking[0]
    count = _sample_count(best, by_cost)
    best_interval = interval(best) if count >= MIN_INTERVAL_SAMPLE else None
    # Too few calls for an interval: nothing is known to tie with the best, so nothing is traded for speed.
    upper = tie_ceiling(primary(best), best_interval, noise_threshold) if best_interval else primary(best)
    tied = [c for c in ranking if primary(c) <= upper]
    chosen = min(tied, key=lambda c: (secondary(c), primary(c), c.memory_mb))
    reason = _tie_break_reason(best, chosen, by_cost, best_interval, noise_threshold=noise_threshold, count=count)
    return Decision(
        strategy=Strategy.COST if by_cost else Strategy.SPEED,
        chosen_memory_mb=chosen.memory_mb,
        reason=reason,
        excluded=excluded,
        tied_with_best=[c.memory_mb for c in tied],
        ranking=[chosen.memory_mb] + [c.memory_mb for c in ranking if c is not chosen],
    )


def tie_ceiling(best: float, interval: ConfidenceInterval | None, noise_threshold: float) -> float:
    """The highest estimate still treated as tied with ``best``: inside the best's 95% interval and within the
    noise threshold. Noisy samples widen the interval, but "free" speed never costs more than the threshold a user
    accepted; many samples narrow it, and then a size the interval leaves out is not chosen for its speed. A rule
    for choosing only: whether two sizes differ is tested on their difference (``distinction``)."""
    ceiling = best * (1 + noise_threshold)
    if interval is not None:
        ceiling = min(ceiling, max(interval.high, best))
    return ceiling


def _sample_count(candidate: CandidateStats, by_cost: bool) -> int:
    summary = candidate.cost if by_cost else candidate.duration_ms
    return summary.count if summary is not None else 0


def _tie_break_reason(
    best: CandidateStats,
    chosen: CandidateStats,
    by_cost: bool,
    best_interval: ConfidenceInterval | None,
    *,
    noise_threshold: float,
    count: int,
) -> str:
    if by_cost:
        lead = f"{best.memory_mb} MB is the cheapest at {usd(best.cost_estimate)} per invocation"
    else:
        lead = f"{best.memory_mb} MB is the fastest at {best.duration_estimate:.1f} ms (trimmed mean)"
    if best_interval is not None:
        low, high = best_interval.low, best_interval.high
        span = f"{usd(low)}-{usd(high)}" if by_cost else f"{low:.1f}-{high:.1f} ms"
        lead += f" (95% bootstrap interval {span})"
    elif count < MIN_INTERVAL_SAMPLE:
        calls = "1 warm invocation" if count == 1 else f"{count} warm invocations"
        lead += f" (from {calls}: too few for an interval)"
    if chosen is best:
        return lead + "."
    if by_cost:
        gain = 1 - chosen.duration_estimate / best.duration_estimate
        return (
            f"{lead}; {chosen.memory_mb} MB costs {usd(chosen.cost_estimate)}, inside that interval and within "
            f"{noise_threshold:.0%}, and is {gain:.0%} faster, so it was chosen (free speed)."
        )
    saving = 1 - chosen.cost_estimate / best.cost_estimate
    return (
        f"{lead}; {chosen.memory_mb} MB takes {chosen.duration_estimate:.1f} ms, inside that interval and within "
        f"{noise_threshold:.0%}, and is {saving:.0%} cheaper, so it was chosen."
    )


def _choose_balanced(eligible: list[CandidateStats], weight: float, excluded: list[Exclusion]) -> Decision:
    max_cost = max(c.cost_estimate for c in eligible)
    max_duration = max(c.duration_estimate for c in eligible)

    def score(c: CandidateStats) -> float:
        return weight * c.cost_estimate / max_cost + (1 - weight) * c.duration_estimate / max_duration

    ranking = sorted(eligible, key=lambda c: (score(c), c.cost_estimate, c.memory_mb))
    chosen = ranking[0]
    reason = (
        f"{chosen.memory_mb} MB has the lowest balanced score {score(chosen):.3f} "
        f"(weight {weight:g} on cost, {1 - weight:g} on duration; each relative to the largest measured): "
        f"{usd(chosen.cost_estimate)} per invocation, {chosen.duration_estimate:.1f} ms."
    )
    return Decision(
        strategy=Strategy.BALANCED,
        chosen_memory_mb=chosen.memory_mb,
        reason=reason,
        excluded=excluded,
        tied_with_best=[chosen.memory_mb],
        ranking=[c.memory_mb for c in ranking],
    )


def _nothing_eligible(excluded: list[Exclusion]) -> str:
    if not excluded:
        return "no candidate was measured"
    details = "; ".join(f"{e.memory_mb} MB: {e.reason}" for e in excluded)
    return f"no candidate meets the constraints ({details})"

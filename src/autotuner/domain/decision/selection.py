"""Choosing a memory size by a strategy (``strategy.RULES``), within the constraints, with a reason a person can
read, and the trade-offs beside the choice (the frontier, the next faster option, the slowdown limit).

Estimates are trimmed means (the statistic aws-lambda-power-tuning users know). A candidate is treated as tied
with the best when its estimate lies inside the best's 95% bootstrap interval and within the noise threshold (1%
by default). Among ties the secondary criterion decides ("free speed" for the cost strategy: the same money buys
a faster function). Being tied is a rule for choosing, not a claim about the data: what the data can tell apart
is tested on the differences, in ``distinction``, and recorded with the decision.
"""

from collections.abc import Sequence

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.decision.candidate import CandidateStats, Constraints, Exclusion
from autotuner.domain.decision.distinction import Distinction, Metric
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.decision.frontier import FrontierPoint, TradeOff, frontier, next_faster, slowdown_refusal
from autotuner.domain.decision.margins import (
    Margins,
    exclusions,
    joined_refusal,
    margin_figures,
    timeout_advice,
    timeout_needed,
)
from autotuner.domain.decision.strategy import Strategy, StrategyRule, estimate, interval, rule_for, summary
from autotuner.domain.measuring.statistics import ConfidenceInterval

DEFAULT_NOISE_THRESHOLD = 0.01
MIN_INTERVAL_SAMPLE = 3  # a bootstrap of fewer values is as wide as the spread it happened to see: often none


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
    margins: Margins | None = Field(
        default=None,
        description="the memory and timeout margins and the evidence rule, with the figures behind the choice",
    )

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
    timeout_ms: float | None = None,
    measured: Sequence[CandidateStats] | None = None,
) -> Decision:
    """The best eligible candidate under ``strategy``, with the reason and every exclusion. ``timeout_ms``: the
    function's timeout, for the timeout margin; ``measured``: every size measured, whose memory use the memory
    margin reads (default: ``candidates``)."""
    if not 0 <= balanced_weight <= 1:
        raise ValueError(f"balanced_weight must be within [0, 1], got {balanced_weight}")
    constraints = constraints or Constraints()
    reasons = exclusions(candidates, constraints, timeout_ms=timeout_ms, measured=measured)
    excluded = [Exclusion(memory_mb=m, reason=reasons[m]) for m in (c.memory_mb for c in candidates) if m in reasons]
    eligible = [c for c in candidates if c.memory_mb not in reasons]
    if not eligible:
        needed = timeout_needed(candidates, constraints, timeout_ms=timeout_ms, measured=measured)
        reason = _nothing_eligible(excluded) + timeout_advice(needed, constraints.max_timeout_share)
        return Decision(strategy=strategy, chosen_memory_mb=None, reason=reason, excluded=excluded)
    rule = rule_for(strategy)
    if rule.minimises is not None and rule.tie_break is not None:
        return _choose_with_tie_break(
            eligible, strategy, (rule.minimises, rule.tie_break), excluded=excluded, noise_threshold=noise_threshold
        )
    return _choose_by_score(eligible, rule, balanced_weight, excluded)


def _choose_with_tie_break(
    eligible: list[CandidateStats],
    strategy: Strategy,
    metrics: tuple[Metric, Metric],
    *,
    excluded: list[Exclusion],
    noise_threshold: float,
) -> Decision:
    """The best by ``metrics[0]``; among the sizes tied with it, the best by ``metrics[1]``."""
    metric, tie_break = metrics

    def primary(c: CandidateStats) -> float:
        return estimate(c, metric)

    def secondary(c: CandidateStats) -> float:
        return estimate(c, tie_break)

    ranking = sorted(eligible, key=lambda c: (primary(c), secondary(c), c.memory_mb))
    best = ranking[0]
    best_summary = summary(best, metric)
    count = best_summary.count if best_summary is not None else 0
    best_interval = interval(best, metric) if count >= MIN_INTERVAL_SAMPLE else None
    # Too few calls for an interval: nothing is known to tie with the best, so nothing is traded for speed.
    upper = tie_ceiling(primary(best), best_interval, noise_threshold) if best_interval else primary(best)
    tied = [c for c in ranking if primary(c) <= upper]
    chosen = min(tied, key=lambda c: (secondary(c), primary(c), c.memory_mb))
    reason = _tie_break_reason(best, chosen, metric, best_interval, noise_threshold=noise_threshold, count=count)
    return Decision(
        strategy=strategy,
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


def _tie_break_reason(
    best: CandidateStats,
    chosen: CandidateStats,
    metric: Metric,
    best_interval: ConfidenceInterval | None,
    *,
    noise_threshold: float,
    count: int,
) -> str:
    by_cost = metric is Metric.COST
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


def _choose_by_score(
    eligible: list[CandidateStats], rule: StrategyRule, weight: float, excluded: list[Exclusion]
) -> Decision:
    """The lowest weighted score of cost and duration (each relative to the largest measured); no ties."""
    score = rule.objective(eligible, weight)
    ranking = sorted(eligible, key=lambda c: (score[c.memory_mb], c.cost_estimate, c.memory_mb))
    chosen = ranking[0]
    reason = (
        f"{chosen.memory_mb} MB has the lowest {rule.strategy} score {score[chosen.memory_mb]:.3f} "
        f"(weight {weight:g} on cost, {1 - weight:g} on duration; each relative to the largest measured): "
        f"{usd(chosen.cost_estimate)} per invocation, {chosen.duration_estimate:.1f} ms."
    )
    return Decision(
        strategy=rule.strategy,
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
    return f"no candidate meets the constraints and margins ({details})."


def with_trade_offs(
    decision: Decision,
    candidates: Sequence[CandidateStats],
    *,
    current_memory_mb: int,
    max_slowdown: float | None,
    applies: bool,
    comparable: Sequence[int] | None = None,
) -> Decision:
    """``decision`` with its frontier, the next faster option and, when the run applies, any refusal.
    ``comparable``: the sizes the frontier spans (default: the decision's ranking); a size measured only as the
    baseline is one of them when it meets the constraints, though it is never chosen."""
    chosen = decision.chosen_memory_mb
    if chosen is None:
        return decision
    points = frontier(candidates, decision.ranking if comparable is None else comparable)
    refusal = slowdown_refusal(candidates, chosen, current_memory_mb, max_slowdown) if applies else None
    return decision.model_copy(
        update={"frontier": points, "faster_option": next_faster(points, chosen), "apply_refusal": refusal}
    )


def with_margins(
    decision: Decision,
    choosable: Sequence[CandidateStats],
    measured: Sequence[CandidateStats],
    constraints: Constraints,
    *,
    timeout_ms: float | None,
    evidence: EvidenceRule,
    applies: bool,
) -> Decision:
    """``decision`` with the margins it was made with and the figures behind its choice; when the run applies,
    refused if the choice lacks the evidence auto-apply needs (beside any other refusal). ``choosable``: the sizes
    the choice was made among; ``measured``: every size measured."""
    chosen = next((c for c in measured if c.memory_mb == decision.chosen_memory_mb), None)
    needed = None
    if chosen is None:
        found = timeout_needed(choosable, constraints, timeout_ms=timeout_ms, measured=measured)
        needed = found[1] if found is not None else None
    figures = margin_figures(
        chosen, measured, constraints, timeout_ms=timeout_ms, evidence=evidence, timeout_needed_s=needed
    )
    refusal = evidence.refusal(chosen) if applies and chosen is not None else None
    return decision.model_copy(
        update={"margins": figures, "apply_refusal": joined_refusal(refusal, decision.apply_refusal)}
    )

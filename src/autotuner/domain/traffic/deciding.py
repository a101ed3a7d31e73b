"""The decision of a traffic run, made as Analyze makes an adaptive run's: statistics per size (each candidate's
calls put on one footing with the current version's, ``trial.on_one_footing``), the cost curve over them, the choice
by the strategy within the constraints and the margins, the test on the differences, the trade-offs and the evidence
auto-apply needs. The current size may be the choice: then there is nothing to apply, and the decision says so."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.decision.margins import joined_refusal
from autotuner.domain.decision.scoring import PricingContext, candidate_stats, difference_test
from autotuner.domain.decision.selection import Decision, choose, with_margins, with_trade_offs
from autotuner.domain.decision.strategy import rule_for
from autotuner.domain.inputs.tuning_input import TuningInput
from autotuner.domain.measuring.measurement import BatchMeasurement
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.curve_search import curve_decision, search_curve
from autotuner.domain.search.settings import AdaptiveSettings
from autotuner.domain.traffic.search import SearchBounds


@dataclass(frozen=True)
class TrafficDecision:
    candidates: list[CandidateStats]
    decision: Decision
    curve: CostCurve | None


def decide_on_traffic(
    tuning: TuningInput,
    measurements: Sequence[BatchMeasurement],
    *,
    routed_back: Mapping[int, str],
    current_mb: int,
    bounds: SearchBounds,
    pricing: PricingContext,
    timeout_ms: float,
    applies: bool,
    seed: int,
    resamples: int,
    curve_resamples: int,
) -> TrafficDecision:
    """``measurements``: every size's calls, on one footing, as the decision reads them (``trial.for_decision``);
    ``routed_back``: the sizes the guard routed back, and why (they cannot be chosen)."""
    constraints = tuning.constraints
    candidates = [
        _routed_back(
            candidate_stats(
                m, pricing, trim_fraction=tuning.trim_fraction, seed=seed ^ m.memory_mb, resamples=resamples
            ),
            routed_back.get(m.memory_mb),
        )
        for m in measurements
    ]
    settings = AdaptiveSettings(
        min_memory_mb=bounds.lowest_mb, max_memory_mb=bounds.highest_mb, noise_threshold=tuning.noise_threshold,
        timeout_ms=timeout_ms,
    )  # fmt: skip
    curve = None
    if rule_for(tuning.strategy).curve_decides:
        curve = search_curve(settings, candidates, measurements, pricing.curve_pricing, seed=seed,
                             resamples=max(1, curve_resamples), constraints=constraints)  # fmt: skip
    decision = choose(
        candidates, tuning.strategy, balanced_weight=tuning.balanced_weight, constraints=constraints,
        noise_threshold=tuning.noise_threshold, timeout_ms=timeout_ms, measured=candidates,
    )  # fmt: skip
    decision = curve_decision(curve, decision, candidates, pricing.curve_pricing, constraints, timeout_ms=timeout_ms)
    distinction = difference_test(
        decision, measurements, pricing, trim_fraction=tuning.trim_fraction, only_cold_starts=False,
        noise_threshold=tuning.noise_threshold, seed=seed, resamples=resamples, curve=curve,
    )  # fmt: skip
    decision = with_trade_offs(
        decision.with_distinction(distinction), candidates, current_memory_mb=current_mb,
        max_slowdown=constraints.max_slowdown, applies=applies,
    )  # fmt: skip
    decision = with_margins(decision, candidates, candidates, constraints, timeout_ms=timeout_ms,
                            evidence=EvidenceRule(), applies=applies)  # fmt: skip
    if applies and decision.chosen_memory_mb == current_mb:
        stays = f"{current_mb} MB, the current size, is the choice: the alias stays as it is"
        decision = decision.model_copy(update={"apply_refusal": joined_refusal(stays, decision.apply_refusal)})
    return TrafficDecision(candidates=candidates, decision=decision, curve=curve)


def _routed_back(stats: CandidateStats, reason: str | None) -> CandidateStats:
    if reason is None:
        return stats
    return stats.model_copy(update={"failure_reason": f"routed back: {reason}"})

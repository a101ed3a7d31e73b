"""Analyze: fold a round's measurements into the analysis, compute statistics, decide, plan any next round. A run
measuring more than one architecture analyses each on its own (a lane), and once the search ends chooses between
their choices (domain/decision/architecture.py); the timeout the choice wants is worked out here too, for Apply."""

import time
from collections import defaultdict
from typing import Any

from pydantic import Field, field_validator

from autotuner.domain.advice.concurrency import TRAFFIC_DAYS
from autotuner.domain.advice.model import TimeoutAdvice
from autotuner.domain.advice.timeout import DurationBaseline, invoked_by_api_gateway, timeout_advice
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture, gb_seconds
from autotuner.domain.costs.run_cost import lambdas_per_round
from autotuner.domain.decision.architecture import choose_architecture
from autotuner.domain.decision.candidate import CandidateStats, Exclusion
from autotuner.domain.decision.margins import exclusions
from autotuner.domain.decision.scoring import PricingContext, candidate_stats, difference_test
from autotuner.domain.decision.selection import Decision, choose, with_margins, with_trade_offs
from autotuner.domain.decision.strategy import rule_for
from autotuner.domain.inputs.tuning_input import SearchMode
from autotuner.domain.measuring.measurement import BatchMeasurement, MeasuredTask
from autotuner.domain.run.documents import Analysis, Lane, Plan, Prepared, Round, RunDocument
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.curve_search import curve_decision, search_curve
from autotuner.workflow import rounds
from autotuner.workflow.ports import MeasurementStore

DEFAULT_RESAMPLES = 1000
CURVE_RESAMPLES = 200  # refits of the cost curve: a few tenths of a second in the Analyze Lambda


class AnalyzeRequest(CamelModel):
    plan: Plan
    round: Round
    analysis: Analysis
    prepared: Prepared | None = Field(description="None when the round skipped Prepare (nothing to publish or retire)")
    measurements: list[MeasuredTask] = Field(
        description="what the Measure Map returns, one item per task; MeasureOneTask returns its one task's alone"
    )

    @field_validator("measurements", mode="before")
    @classmethod
    def _one_task_as_list(cls, value: Any) -> Any:
        """MeasureOneTask (a Task state, no Map) hands over its task's result itself, not in a list."""
        return [value] if isinstance(value, dict) else value


def analyze_round(
    request: AnalyzeRequest, store: MeasurementStore, *, memory_mb: int, resamples: int = DEFAULT_RESAMPLES
) -> RunDocument:
    """Every round so far, read back from the run's storage: the state carries only each batch's counts (grouped
    by the Measure task that measured it, each task billed for its own wall time)."""
    started = time.monotonic()
    plan, previous = request.plan, request.analysis
    stored = store.load(plan.execution_id)
    retired = {lane.architecture: lane.retired_sizes for lane in previous.lanes()}
    lanes = [
        analyze_lane(plan, architecture, stored, retired.get(architecture, []), resamples=resamples)
        for architecture in plan.lane_architectures
    ]
    top = lanes[0]
    analysis = Analysis(
        candidates=top.candidates,
        decision=top.decision,
        curve=top.curve,
        architecture=top.architecture,
        other_lanes=lanes[1:],
        complete=True,
        rounds=previous.rounds + 1,
        tuner_gb_seconds=previous.tuner_gb_seconds
        + (request.prepared.gb_seconds if request.prepared else 0.0)
        + sum(task.gb_seconds for task in request.measurements),
        tuner_invocations=previous.tuner_invocations
        + lambdas_per_round(len(request.measurements), prepared=request.prepared is not None),
        tasks=previous.tasks + len(request.measurements),
        prepares=previous.prepares + int(request.prepared is not None),
        single_task_rounds=previous.single_task_rounds + int(request.round.single_task),
        notes=previous.notes,
        retired_sizes=top.retired_sizes,
    )
    upcoming = rounds.following_lanes(plan, analysis)
    analysis.retired_sizes = [*analysis.retired_sizes, *upcoming.retired_sizes]
    for lane in analysis.other_lanes:
        newly = upcoming.other_retired.get(lane.architecture, []) if lane.architecture is not None else []
        lane.retired_sizes = [*lane.retired_sizes, *newly]
    analysis.complete = upcoming.round is None
    if upcoming.reason:
        note = f"Round {analysis.rounds + 1}: " if upcoming.round else f"Stopped after {analysis.rounds} rounds: "
        analysis.notes = [*analysis.notes, note + upcoming.reason]
    if analysis.complete:
        analysis = _finish(plan, analysis)
    analysis.tuner_gb_seconds += gb_seconds((time.monotonic() - started) * 1000, memory_mb)
    return RunDocument(plan=plan, round=upcoming.round or request.round, analysis=analysis)


def analyze_lane(
    plan: Plan,
    architecture: Architecture | None,
    stored: list[BatchMeasurement],
    retired_sizes: list[int],
    *,
    resamples: int = DEFAULT_RESAMPLES,
) -> Lane:
    """One architecture's statistics, curve and decision, from its own measurements."""
    pricing = plan.pricing_for(architecture)
    merged = merge_by_size([m for m in stored if m.architecture == architecture])
    candidates = [score(plan, m, resamples=resamples, pricing=pricing) for m in merged]
    curve = cost_curve(plan, candidates, merged, resamples=min(resamples, CURVE_RESAMPLES), pricing=pricing)
    decision = decide(plan, candidates, merged, curve=curve, resamples=resamples, pricing=pricing)
    return Lane(
        architecture=architecture, candidates=candidates, decision=decision, curve=curve, retired_sizes=retired_sizes
    )


def _finish(plan: Plan, analysis: Analysis) -> Analysis:
    """Once the search ends: the choice between architectures (the lane a run applies comes first when the input
    lets it switch), and the timeout the chosen size wants."""
    if analysis.other_lanes:
        analysis = _choose_lane(plan, analysis)
    return analysis.model_copy(update={"timeout": _timeout(plan, analysis)})


def _choose_lane(plan: Plan, analysis: Analysis) -> Analysis:
    tuning = plan.tuning
    lanes = analysis.lanes()
    choice = choose_architecture(
        plan.original.architecture,
        [(lane.architecture, _chosen(lane)) for lane in lanes if lane.architecture is not None],
        tuning.strategy,
        noise_threshold=tuning.noise_threshold,
        balanced_weight=tuning.balanced_weight,
    )
    analysis = analysis.model_copy(update={"architecture_choice": choice})
    if not (choice.switches and tuning.apply_architecture):
        return analysis
    winner = next(lane for lane in lanes if lane.architecture is choice.chosen)
    return analysis.model_copy(
        update={
            "candidates": winner.candidates,
            "decision": winner.decision,
            "curve": winner.curve,
            "retired_sizes": winner.retired_sizes,
            "architecture": winner.architecture,
            "other_lanes": [lane for lane in lanes if lane is not winner],
        }
    )


def _chosen(lane: Lane) -> CandidateStats | None:
    chosen = lane.decision.chosen_memory_mb if lane.decision is not None else None
    return next((c for c in lane.candidates if c.memory_mb == chosen), None)


def _timeout(plan: Plan, analysis: Analysis) -> TimeoutAdvice | None:
    """The timeout the chosen size wants, from its tail and CloudWatch's slowest call at the current size (scaled
    by the two sizes' measured durations when both were measured on the function's own architecture)."""
    top = analysis.lanes()[0]
    chosen = _chosen(top)
    if chosen is None:
        return None
    deployed = next(lane for lane in analysis.lanes() if lane.architecture in {None, plan.original.architecture})
    current = next((c for c in deployed.candidates if c.memory_mb == plan.original.memory_mb), None)
    baseline = None
    if (slowest := plan.facts.recent_max_duration_ms) is not None:
        scale = None
        if current is not None and current.duration_ms is not None and chosen.duration_ms is not None:
            scale = chosen.duration_estimate / current.duration_estimate
        baseline = DurationBaseline(
            slowest_ms=slowest,
            source=f"CloudWatch's Duration Maximum of the last {TRAFFIC_DAYS} days at {plan.original.memory_mb:,} MB",
            scale=scale,
        )
    return timeout_advice(
        chosen,
        current_timeout_s=plan.original.timeout_s,
        max_timeout_share=plan.tuning.constraints.max_timeout_share,
        prices=plan.pricing.prices,
        architecture=top.architecture or plan.original.architecture,
        baseline=baseline,
        behind_api_gateway=invoked_by_api_gateway(plan.facts.invoked_by),
    )


def decide(
    plan: Plan,
    candidates: list[CandidateStats],
    measurements: list[BatchMeasurement],
    *,
    curve: CostCurve | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    pricing: PricingContext | None = None,
) -> Decision:
    """The whole decision. The choice is made among the sizes the input lets the run choose; a size measured only
    as the savings' baseline is listed as excluded, with why. The cost curve may refine it (adaptive search), the
    bootstrap of the differences states its confidence, and its trade-offs are weighed against every measured size
    that meets the constraints, the baseline included: the current size is what the choice is compared with (the
    frontier's status quo, and maxSlowdown's reference), even when it may not be chosen. The margins read every
    size measured (the memory used at a smaller size, the largest size that ran out of memory), and a choice is
    applied only with the evidence they ask for."""
    tuning = plan.tuning
    pricing = pricing or plan.pricing
    timeout_ms = plan.original.timeout_s * 1000
    choosable = [c for c in candidates if tuning.may_choose(c.memory_mb)]
    decision = choose(
        choosable,
        tuning.strategy,
        balanced_weight=tuning.balanced_weight,
        constraints=tuning.constraints,
        noise_threshold=tuning.noise_threshold,
        timeout_ms=timeout_ms,
        measured=candidates,
    )
    baseline = [
        Exclusion(memory_mb=c.memory_mb, reason="the current size, measured as the baseline of the savings only")
        for c in candidates
        if not tuning.may_choose(c.memory_mb)
    ]
    decision = decision.model_copy(update={"excluded": [*decision.excluded, *baseline]})
    decision = curve_decision(
        curve, decision, candidates, pricing.curve_pricing, tuning.constraints, timeout_ms=timeout_ms
    )
    distinction = difference_test(
        decision,
        measurements,
        pricing,
        trim_fraction=tuning.trim_fraction,
        only_cold_starts=tuning.only_cold_starts,
        noise_threshold=tuning.noise_threshold,
        seed=_run_seed(plan),
        resamples=resamples,
        curve=curve,
    )
    reasons = exclusions(candidates, tuning.constraints, timeout_ms=timeout_ms)
    comparable = [*decision.ranking, *(b.memory_mb for b in baseline if b.memory_mb not in reasons)]
    traded = with_trade_offs(
        decision.with_distinction(distinction),
        candidates,
        current_memory_mb=plan.original.memory_mb,
        max_slowdown=tuning.constraints.max_slowdown,
        applies=plan.applies,
        comparable=comparable,
    )
    return with_margins(
        traded,
        choosable,
        candidates,
        tuning.constraints,
        timeout_ms=timeout_ms,
        evidence=rounds.settings_for(plan).evidence,
        applies=plan.applies,
    )


def merge_by_size(measurements: list[BatchMeasurement]) -> list[BatchMeasurement]:
    """One measurement per size (of one lane's measurements)."""
    by_size: dict[int, list[BatchMeasurement]] = defaultdict(list)
    for measurement in measurements:
        by_size[measurement.memory_mb].append(measurement)
    return [BatchMeasurement.merge(by_size[size]) for size in sorted(by_size)]


def score(
    plan: Plan, measurement: BatchMeasurement, *, resamples: int, pricing: PricingContext | None = None
) -> CandidateStats:
    return candidate_stats(
        measurement,
        pricing or plan.pricing,
        trim_fraction=plan.tuning.trim_fraction,
        only_cold_starts=plan.tuning.only_cold_starts,
        seed=_run_seed(plan) ^ measurement.memory_mb,
        resamples=resamples,
    )


def cost_curve(
    plan: Plan,
    candidates: list[CandidateStats],
    measurements: list[BatchMeasurement],
    *,
    resamples: int,
    pricing: PricingContext | None = None,
) -> CostCurve | None:
    """The cost curve, for the adaptive search with a strategy the curve decides for (the curve prices memory; it
    says nothing about the other strategies' objectives)."""
    tuning = plan.tuning
    if tuning.search is not SearchMode.ADAPTIVE or not rule_for(tuning.strategy).curve_decides:
        return None
    return search_curve(
        rounds.settings_for(plan),
        candidates,
        measurements,
        (pricing or plan.pricing).curve_pricing,
        seed=_run_seed(plan),
        resamples=max(1, resamples),
        constraints=tuning.constraints,
    )


def _run_seed(plan: Plan) -> int:
    """Every bootstrap of a run draws from its id: the same measurements give the same figures."""
    return int(plan.run_id[:8], 16)

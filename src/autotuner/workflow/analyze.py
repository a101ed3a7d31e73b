"""Analyze: fold a round's measurements into the analysis, compute statistics, decide, plan any next round."""

import time
from collections import defaultdict

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.run_cost import lambdas_per_round
from autotuner.domain.decision.candidate import CandidateStats, Exclusion
from autotuner.domain.decision.margins import exclusions
from autotuner.domain.decision.scoring import candidate_stats, difference_test
from autotuner.domain.decision.selection import Decision, choose, with_margins, with_trade_offs
from autotuner.domain.decision.strategy import rule_for
from autotuner.domain.inputs.tuning_input import SearchMode
from autotuner.domain.measuring.measurement import BatchMeasurement, MeasuredTask
from autotuner.domain.run.documents import Analysis, Plan, Prepared, Round, RunDocument
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
    prepared: Prepared
    measurements: list[MeasuredTask] = Field(description="what the Measure Map returns: one item per task")


def analyze_round(
    request: AnalyzeRequest, store: MeasurementStore, *, resamples: int = DEFAULT_RESAMPLES
) -> RunDocument:
    """Every round so far, read back from the run's storage: the state carries only each batch's counts (grouped
    by the Measure task that measured it, each task billed for its own wall time)."""
    started = time.monotonic()
    plan, previous = request.plan, request.analysis
    merged = merge_by_size(store.load(plan.execution_id))
    candidates = [score(plan, m, resamples=resamples) for m in merged]
    curve = cost_curve(plan, candidates, merged, resamples=min(resamples, CURVE_RESAMPLES))
    decision = decide(plan, candidates, merged, curve=curve, resamples=resamples)
    spent = sum(c.total_cost for c in candidates)
    analysis = Analysis(
        candidates=candidates,
        decision=decision,
        complete=True,
        rounds=previous.rounds + 1,
        tuner_elapsed_ms=previous.tuner_elapsed_ms
        + request.prepared.elapsed_ms
        + sum(task.elapsed_ms for task in request.measurements),
        tuner_invocations=previous.tuner_invocations + lambdas_per_round(len(request.measurements)),
        tasks=previous.tasks + len(request.measurements),
        notes=previous.notes,
        retired_sizes=previous.retired_sizes,
        curve=curve,
    )
    upcoming = rounds.following(plan, analysis, candidates, spent, curve)
    analysis.retired_sizes = [*analysis.retired_sizes, *upcoming.retired_sizes]
    analysis.complete = upcoming.round is None
    if upcoming.reason:
        note = f"Round {analysis.rounds + 1}: " if upcoming.round else f"Stopped after {analysis.rounds} rounds: "
        analysis.notes = [*analysis.notes, note + upcoming.reason]
    analysis.tuner_elapsed_ms += (time.monotonic() - started) * 1000
    return RunDocument(plan=plan, round=upcoming.round or request.round, analysis=analysis)


def decide(
    plan: Plan,
    candidates: list[CandidateStats],
    measurements: list[BatchMeasurement],
    *,
    curve: CostCurve | None = None,
    resamples: int = DEFAULT_RESAMPLES,
) -> Decision:
    """The whole decision. The choice is made among the sizes the input lets the run choose; a size measured only
    as the savings' baseline is listed as excluded, with why. The cost curve may refine it (adaptive search), the
    bootstrap of the differences states its confidence, and its trade-offs are weighed against every measured size
    that meets the constraints, the baseline included: the current size is what the choice is compared with (the
    frontier's status quo, and maxSlowdown's reference), even when it may not be chosen. The margins read every
    size measured (the memory used at a smaller size, the largest size that ran out of memory), and a choice is
    applied only with the evidence they ask for."""
    tuning = plan.tuning
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
        curve, decision, candidates, plan.pricing.curve_pricing, tuning.constraints, timeout_ms=timeout_ms
    )
    distinction = difference_test(
        decision,
        measurements,
        plan.pricing,
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
    by_size: dict[int, list[BatchMeasurement]] = defaultdict(list)
    for measurement in measurements:
        by_size[measurement.memory_mb].append(measurement)
    return [BatchMeasurement.merge(by_size[size]) for size in sorted(by_size)]


def score(plan: Plan, measurement: BatchMeasurement, *, resamples: int) -> CandidateStats:
    return candidate_stats(
        measurement,
        plan.pricing,
        trim_fraction=plan.tuning.trim_fraction,
        only_cold_starts=plan.tuning.only_cold_starts,
        seed=_run_seed(plan) ^ measurement.memory_mb,
        resamples=resamples,
    )


def cost_curve(
    plan: Plan, candidates: list[CandidateStats], measurements: list[BatchMeasurement], *, resamples: int
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
        plan.pricing.curve_pricing,
        seed=_run_seed(plan),
        resamples=max(1, resamples),
        constraints=tuning.constraints,
    )


def _run_seed(plan: Plan) -> int:
    """Every bootstrap of a run draws from its id: the same measurements give the same figures."""
    return int(plan.run_id[:8], 16)

"""Analyze: fold a round's measurements into the analysis, compute statistics, decide, plan any next round."""

import time
from collections import defaultdict

from autotuner.domain.analysis import candidate_stats
from autotuner.domain.camel import CamelModel
from autotuner.domain.measurement import BatchMeasurement, MeasuredBatch
from autotuner.domain.run import Analysis, Plan, Prepared, Round, RunDocument
from autotuner.domain.selection import CandidateStats, Decision, Exclusion, choose
from autotuner.workflow import rounds
from autotuner.workflow.ports import MeasurementStore

DEFAULT_RESAMPLES = 1000


class AnalyzeRequest(CamelModel):
    plan: Plan
    round: Round
    analysis: Analysis
    prepared: Prepared
    measurements: list[MeasuredBatch]


def analyze_round(
    request: AnalyzeRequest, store: MeasurementStore, *, resamples: int = DEFAULT_RESAMPLES
) -> RunDocument:
    """Every round so far, read back from the run's storage: the state carries only each batch's counts."""
    started = time.monotonic()
    plan, previous = request.plan, request.analysis
    merged = merge_by_size(store.load(plan.execution_id))
    candidates = [score(plan, m, resamples=resamples) for m in merged]
    decision = decide(plan, candidates)
    spent = sum(c.total_cost for c in candidates)
    analysis = Analysis(
        candidates=candidates,
        decision=decision,
        complete=True,
        rounds=previous.rounds + 1,
        tuner_elapsed_ms=previous.tuner_elapsed_ms
        + request.prepared.elapsed_ms
        + sum(m.elapsed_ms for m in request.measurements),
        tuner_invocations=previous.tuner_invocations + 2 + len(request.measurements),
        batches=previous.batches + len(request.measurements),
        notes=previous.notes,
        retired_sizes=previous.retired_sizes,
    )
    upcoming = rounds.following(plan, analysis, candidates, spent)
    analysis.retired_sizes = [*analysis.retired_sizes, *upcoming.retired_sizes]
    analysis.complete = upcoming.round is None
    if upcoming.reason:
        note = f"Round {analysis.rounds + 1}: " if upcoming.round else f"Stopped after {analysis.rounds} rounds: "
        analysis.notes = [*analysis.notes, note + upcoming.reason]
    analysis.tuner_elapsed_ms += (time.monotonic() - started) * 1000
    return RunDocument(plan=plan, round=upcoming.round or request.round, analysis=analysis)


def decide(plan: Plan, candidates: list[CandidateStats]) -> Decision:
    """The choice among the sizes the input lets the run choose; a size measured only as the savings' baseline
    is listed as excluded, with why."""
    tuning = plan.tuning
    decision = choose(
        [c for c in candidates if tuning.may_choose(c.memory_mb)],
        tuning.strategy,
        balanced_weight=tuning.balanced_weight,
        constraints=tuning.constraints,
        noise_threshold=tuning.noise_threshold,
    )
    baseline = [
        Exclusion(memory_mb=c.memory_mb, reason="the current size, measured as the baseline of the savings only")
        for c in candidates
        if not tuning.may_choose(c.memory_mb)
    ]
    return decision.model_copy(update={"excluded": [*decision.excluded, *baseline]})


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
        seed=int(plan.run_id[:8], 16) ^ measurement.memory_mb,
        resamples=resamples,
    )

"""From measurements to statistics per memory size, a decision, the savings and the run's own cost."""

import base64
import math
import struct
from collections import Counter
from collections.abc import Sequence

from autotuner.domain.camel import CamelModel
from autotuner.domain.contracts import (
    AppliedChange,
    CurvePoint,
    CurveSummary,
    Outcome,
    ReferenceStat,
    Savings,
    SearchSummary,
    StateMachineCost,
    Trigger,
    TuningInput,
    TuningOutput,
)
from autotuner.domain.cost_curve import CostCurve, CurvePricing
from autotuner.domain.cost_interval import expected_cost_interval
from autotuner.domain.distinction import Distinction, Metric, MetricSample, distinguish
from autotuner.domain.lambda_logs import InvocationReport
from autotuner.domain.measurement import BatchMeasurement
from autotuner.domain.money import usd
from autotuner.domain.pricing import Architecture, PriceSheet, per_million, report_cost
from autotuner.domain.run_cost import RunCost
from autotuner.domain.selection import CandidateStats, Decision, Strategy
from autotuner.domain.statistics import bootstrap_interval, summarize, trimmed_mean_estimator


class PricingContext(CamelModel):
    """What pricing one invocation of the target needs."""

    region: str
    architecture: Architecture
    prices: PriceSheet
    ephemeral_storage_mb: int = 512
    init_billed: bool = True

    def cost(self, report: InvocationReport) -> float:
        return report_cost(
            report,
            self.prices,
            self.architecture,
            ephemeral_storage_mb=self.ephemeral_storage_mb,
            init_billed=self.init_billed,
        )


def candidate_stats(
    measurement: BatchMeasurement,
    pricing: PricingContext,
    *,
    trim_fraction: float,
    only_cold_starts: bool = False,
    seed: int = 0,
    resamples: int = 1000,
) -> CandidateStats:
    """Statistics of one memory size. Cold starts are left out of the steady-state sample (and reported
    separately) unless the run measures cold starts only."""
    reports = measurement.reports()
    total_cost = math.fsum(pricing.cost(r) for r in [*reports, *measurement.failed_reports])
    cold = [r for r in reports if r.is_cold_start]
    steady = [r for r, keep in zip(reports, _steady_mask(reports, only_cold_starts), strict=True) if keep]
    stats = CandidateStats(
        memory_mb=measurement.memory_mb,
        invocations=measurement.attempted,
        cold_starts=len(cold),
        failures=len(measurement.failures),
        failure_reason=_failure_reason(measurement),
        max_memory_used_mb=max((r.max_memory_used_mb for r in [*reports, *measurement.failed_reports]), default=0),
        mean_init_duration_ms=_mean_init(cold),
        total_cost=total_cost,
    )
    if not steady or stats.failure_reason is not None:
        return stats
    durations = [_observed_duration(r, only_cold_starts) for r in steady]
    costs = [pricing.cost(r) for r in steady]
    estimator = trimmed_mean_estimator(trim_fraction)
    return stats.model_copy(
        update={
            "duration_ms": summarize(durations, trim_fraction),
            "duration_interval": bootstrap_interval(durations, estimator, seed=seed, resamples=resamples),
            "cost": summarize(costs, trim_fraction),
            "cost_interval": bootstrap_interval(costs, estimator, seed=seed + 1, resamples=resamples),
        }
    )


def _steady_mask(reports: Sequence[InvocationReport], only_cold_starts: bool) -> list[bool]:
    """Which reports form the steady-state sample: the warm ones, or every one when there are none or the run
    measures cold starts only."""
    warm = [not r.is_cold_start for r in reports]
    return warm if any(warm) and not only_cold_starts else [True] * len(reports)


def metric_sample(
    measurement: BatchMeasurement, pricing: PricingContext, metric: Metric, *, only_cold_starts: bool
) -> MetricSample:
    """One size's steady-state values of ``metric``, one per invocation in invocation order, for the test on
    the differences."""
    reports = measurement.reports()
    values = [
        (pricing.cost(r) if metric is Metric.COST else _observed_duration(r, only_cold_starts)) if keep else None
        for r, keep in zip(reports, _steady_mask(reports, only_cold_starts), strict=True)
    ]
    return MetricSample(measurement.memory_mb, values, slot_aligned=len(reports) == measurement.attempted)


def difference_test(
    decision: Decision,
    measurements: Sequence[BatchMeasurement],
    pricing: PricingContext,
    *,
    trim_fraction: float,
    only_cold_starts: bool,
    noise_threshold: float,
    seed: int,
    resamples: int = 1000,
    curve: CostCurve | None = None,
) -> Distinction | None:
    """The test on the differences between the chosen size and every other eligible one, each size's mean drawn
    with the spread pooled over the sizes (a bootstrap of a few calls is too sure of itself); None for the
    balanced strategy (a weighted score has no difference a user could read) and when nothing was chosen. With a
    fitting cost ``curve``, a cost statement also carries the curve's odds and states the larger of the two."""
    if decision.chosen_memory_mb is None or decision.strategy is Strategy.BALANCED:
        return None
    metric = Metric.COST if decision.strategy is Strategy.COST else Metric.DURATION
    eligible = set(decision.ranking)
    samples = [
        metric_sample(m, pricing, metric, only_cold_starts=only_cold_starts)
        for m in measurements
        if m.memory_mb in eligible
    ]
    distinction = distinguish(
        samples,
        decision.chosen_memory_mb,
        metric=metric,
        estimator=trimmed_mean_estimator(trim_fraction),
        threshold=noise_threshold,
        resamples=resamples,
        seed=seed,
        pooled=True,
    )
    if distinction is None or curve is None or metric is not Metric.COST:
        return distinction
    return distinction.with_curve(curve.odds_for(decision.chosen_memory_mb))


def _observed_duration(report: InvocationReport, include_start: bool) -> float:
    if not include_start:
        return report.duration_ms
    return report.duration_ms + (report.init_duration_ms or 0) + (report.restore_duration_ms or 0)


def _mean_init(cold: Sequence[InvocationReport]) -> float | None:
    inits = [r.init_duration_ms or r.restore_duration_ms or 0.0 for r in cold]
    return math.fsum(inits) / len(inits) if inits else None


def _failure_reason(measurement: BatchMeasurement) -> str | None:
    if not measurement.failures:
        return None
    counts = Counter(failure.describe() for failure in measurement.failures)
    parts = [f"{n} of {measurement.attempted} invocations {what}" for what, n in counts.most_common()]
    if measurement.stopped_early:
        parts.append("measuring stopped at the first failure")
    return "; ".join(parts)


def visualization_url(base_url: str, candidates: Sequence[CandidateStats], region: str) -> str:
    """The link aws-lambda-power-tuning's visualization page reads: sizes (Int16), durations and costs
    (Float32), little-endian, base64, joined by ';' after '#'."""
    measured = sorted((c for c in candidates if c.duration_ms and c.cost), key=lambda c: c.memory_mb)
    sizes = [c.memory_mb for c in measured]
    durations = [c.duration_estimate for c in measured]
    costs = [c.cost_estimate for c in measured]

    def encode(fmt: str, values: Sequence[float]) -> str:
        return base64.b64encode(struct.pack(f"<{len(values)}{fmt}", *values)).decode()

    query = "?currency=CNY" if region.startswith("cn-") else ""
    return f"{base_url}{query}#{encode('h', sizes)};{encode('f', durations)};{encode('f', costs)}"


def savings_against(
    current_memory_mb: int, chosen: CandidateStats, candidates: Sequence[CandidateStats]
) -> Savings | None:
    """What the choice saves per million invocations against the function's current memory, if measured."""
    current = next((c for c in candidates if c.memory_mb == current_memory_mb and c.cost), None)
    if current is None or chosen.cost is None or current.duration_ms is None or chosen.duration_ms is None:
        return None
    current_cost, chosen_cost = per_million(current.cost_estimate), per_million(chosen.cost_estimate)
    return Savings(
        current_memory_mb=current_memory_mb,
        current_cost_per_million=current_cost,
        chosen_cost_per_million=chosen_cost,
        savings_per_million=current_cost - chosen_cost,
        savings_percent=(current_cost - chosen_cost) / current_cost * 100 if current_cost else 0.0,
        current_duration_ms=current.duration_estimate,
        chosen_duration_ms=chosen.duration_estimate,
    )


def confidence_statement(decision: Decision, candidates: Sequence[CandidateStats]) -> str:
    """How sure the decision is, in words backed by the test on the differences and the chosen size's interval."""
    if decision.chosen_memory_mb is None:
        return "no decision"
    chosen = next(c for c in candidates if c.memory_mb == decision.chosen_memory_mb)
    if decision.distinction is not None:
        sentences = [decision.distinction.statement()]
    elif decision.strategy is Strategy.BALANCED:
        sentences = ["No test of the differences: the balanced strategy ranks a weighted score"]
    else:
        sentences = [f"Too few invocations to compare {chosen.memory_mb} MB with the other sizes"]
    interval = expected_cost_interval(chosen, candidates)
    if interval is not None and chosen.cost is not None:
        sentences.append(
            f"its mean cost per invocation is known to ±{interval.half_width / chosen.cost.mean:.1%} "
            "(95% t interval on the mean, simultaneous over the sizes measured and with their spread pooled, "
            f"{usd(interval.low)}-{usd(interval.high)})"
        )
    return "; ".join(sentences) + "."


def curve_summary(curve: CostCurve, pricing: CurvePricing) -> CurveSummary | None:
    """What the output says of the cost curve: its check, its optimum, and its predictions at the sizes its band was
    kept at. None for a curve fitted without a band (by a version before the band was kept)."""
    band = curve.band
    if band is None:
        return None
    points = [
        CurvePoint(memory_mb=m, cost=curve.cost(m, pricing), duration_ms=curve.terms.duration_ms(m), low=low, high=high)
        for m, low, high in zip(band.memory_mb, band.low, band.high, strict=True)
    ]
    return CurveSummary(
        fits=curve.fits,
        check=curve.check.describe(),
        fitted_sizes=list(curve.sizes),
        left_out_mb=curve.check.left_out_mb,
        left_out=curve.check.left_out,
        lowest_mb=curve.lowest_mb,
        highest_mb=curve.highest_mb,
        optimum_mb=curve.optimum_mb,
        optimum_cost=curve.optimum_cost,
        optimum_duration_ms=curve.optimum_duration_ms,
        optimum_band=curve.optimum_band,
        resamples=curve.resamples,
        points=points,
    )


def build_output(
    tuning: TuningInput,
    candidates: Sequence[CandidateStats],
    decision: Decision,
    *,
    current_memory_mb: int,
    run_cost: RunCost,
    visualization_base_url: str,
    region: str,
    applied: AppliedChange | None = None,
    trigger: Trigger | None = None,
    warnings: Sequence[str] = (),
    search: SearchSummary | None = None,
) -> TuningOutput:
    chosen = next((c for c in candidates if c.memory_mb == decision.chosen_memory_mb), None)
    if chosen is None:
        outcome = Outcome.NO_CANDIDATE
    elif tuning.dry_run:
        outcome = Outcome.DRY_RUN
    else:
        outcome = Outcome.APPLIED if applied else Outcome.RECOMMENDED
    measured = [c for c in candidates if c.cost is not None and c.duration_ms is not None]
    return TuningOutput(
        power=chosen.memory_mb if chosen else None,
        cost=chosen.cost_estimate if chosen else None,
        duration=chosen.duration_estimate if chosen else None,
        state_machine=StateMachineCost(
            execution_cost=run_cost.transitions_cost,
            lambda_cost=run_cost.target_cost,
            visualization=visualization_url(visualization_base_url, candidates, region),
            tuner_lambda_cost=run_cost.tuner_lambda_cost,
            total_cost=run_cost.total,
            invocations=run_cost.target_invocations,
        ),
        stats=[
            ReferenceStat(
                value=c.memory_mb,
                average_price=c.cost_estimate,
                average_duration=c.duration_estimate,
                total_cost=c.total_cost,
            )
            for c in sorted(measured, key=lambda c: c.memory_mb)
        ],
        function_arn=tuning.lambda_arn,
        outcome=outcome,
        decision=decision,
        candidates=sorted(candidates, key=lambda c: c.memory_mb),
        savings=savings_against(current_memory_mb, chosen, candidates) if chosen else None,
        applied=applied,
        confidence=confidence_statement(decision, candidates),
        search=search,
        trigger=trigger or tuning.trigger,
        warnings=list(warnings),
    )

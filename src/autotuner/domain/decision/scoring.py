"""From measurements to statistics per memory size (priced with the real price model), and the test on their
differences that a choice rests on."""

import math
from collections import Counter
from collections.abc import Sequence

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture, PriceSheet, report_cost
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.distinction import Distinction, Metric, MetricSample, distinguish
from autotuner.domain.decision.selection import Decision
from autotuner.domain.decision.strategy import rule_for
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.measurement import BatchMeasurement
from autotuner.domain.measuring.statistics import bootstrap_interval, summarize, trimmed_mean_estimator
from autotuner.domain.search.cost_curve import CostCurve, CurvePricing


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

    @property
    def curve_pricing(self) -> CurvePricing:
        """What pricing a duration the cost curve predicts needs."""
        return CurvePricing(
            prices=self.prices, architecture=self.architecture, ephemeral_storage_mb=self.ephemeral_storage_mb
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
        out_of_memory=any(f.status is InvocationStatus.OUT_OF_MEMORY for f in measurement.failures),
        slowest_duration_ms=max((r.duration_ms for r in reports), default=None),
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
    metric = rule_for(decision.strategy).minimises
    if decision.chosen_memory_mb is None or metric is None:
        return None
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
    first = next((failure.request_id for failure in measurement.failures if failure.request_id), None)
    if first is not None:  # where the function's own words about it are; they are never repeated here
        parts.append(f"first failed request {first}")
    return "; ".join(parts)

"""The adaptive search driven by the cost curve: the curve over the sizes the search may choose from, what the
curve asks to measure next (its cheapest size, where resampled curves disagree), and the choice over every MB it
makes when it fits and was confirmed by a measurement."""

import math
from collections.abc import Sequence

from autotuner.domain.costs.money import usd
from autotuner.domain.decision.candidate import CandidateStats, Constraints
from autotuner.domain.decision.cost_interval import expected_cost_interval
from autotuner.domain.decision.margins import exclusions, memory_edge_mb, timeout_margin_reason
from autotuner.domain.decision.selection import Decision
from autotuner.domain.decision.strategy import rule_for
from autotuner.domain.measuring.measurement import BatchMeasurement
from autotuner.domain.measuring.statistics import ConfidenceInterval
from autotuner.domain.search.cost_curve import CostCurve, CurvePricing, fit_cost_curve
from autotuner.domain.search.curve_fit import MEDIAN_EFFICIENCY
from autotuner.domain.search.landscape import Kind, Landscape, Work
from autotuner.domain.search.settings import AdaptiveSettings

# Sizes within this ratio of each other tell the curve the same thing: top up the measured one, add no new one.
SAME_SIZE_RATIO = 1.05


def warm_durations(measurements: Sequence[BatchMeasurement]) -> dict[int, list[float]]:
    """Each size's warm durations (ms), for sizes without a failure: what the cost curve is fitted to. A size
    measured by its cold start alone is left out (a first invocation may run slower than the rest)."""
    durations: dict[int, list[float]] = {}
    for measurement in measurements:
        if measurement.failures:
            continue
        warm = [r.duration_ms for r in measurement.reports() if not r.is_cold_start]
        if warm:
            durations.setdefault(measurement.memory_mb, []).extend(warm)
    return durations


def curve_range(
    settings: AdaptiveSettings, candidates: Sequence[CandidateStats], constraints: Constraints | None = None
) -> tuple[int, int] | None:
    """The sizes the curve may choose from: above the highest failure or size too slow for the timeout margin
    below the working sizes (a floor lies somewhere between it and the next size that worked, so nothing in
    between is known to work), at least the lowest size the memory margin allows, and below any failure above."""
    constraints = constraints or Constraints()
    slow = {
        c.memory_mb
        for c in candidates
        if timeout_margin_reason(c, constraints.max_timeout_share, settings.timeout_ms) is not None
    }
    span = _working_span(settings, candidates, slow)
    edge = memory_edge_mb(candidates, constraints.min_memory_headroom)
    if span is None or edge is None or edge <= span[0]:
        return span
    return edge, max(edge, span[1])


def _working_span(
    settings: AdaptiveSettings, candidates: Sequence[CandidateStats], blocked: set[int]
) -> tuple[int, int] | None:
    """From the lowest working size above the highest failure (or ``blocked`` size) below the working ones, to the
    highest working size below any failure above it; the settings' bounds where there is no such failure."""
    failed = {c.memory_mb for c in candidates if c.failure_reason is not None} | blocked
    working = sorted(c.memory_mb for c in candidates if c.memory_mb not in failed and c.cost is not None)
    if not working:
        return None
    below = [f for f in failed if f < working[-1]]
    lowest = min(w for w in working if w > max(below)) if below else settings.min_memory_mb
    above = [f for f in failed if f > lowest]
    highest = max(w for w in working if w < min(above)) if above else settings.max_memory_mb
    return lowest, highest


def search_curve(
    settings: AdaptiveSettings,
    candidates: Sequence[CandidateStats],
    measurements: Sequence[BatchMeasurement],
    pricing: CurvePricing,
    *,
    seed: int,
    resamples: int,
    constraints: Constraints | None = None,
) -> CostCurve | None:
    """The cost curve over the sizes the search may choose from, fitted to every size measured between the
    failures around them (a size the margins exclude still tells the curve how the function runs); None with
    fewer than four of them. Its band is kept at every size measured in the range too (a report draws the curve
    through them)."""
    span, fitted = curve_range(settings, candidates, constraints), _working_span(settings, candidates, set())
    if span is None or fitted is None:
        return None
    lowest, highest = span
    durations = {m: d for m, d in warm_durations(measurements).items() if fitted[0] <= m <= fitted[1]}
    return fit_cost_curve(
        durations,
        pricing,
        lowest_mb=lowest,
        highest_mb=highest,
        noise_threshold=settings.noise_threshold,
        resamples=resamples,
        seed=seed,
        band_at=[c.memory_mb for c in candidates],
    )


def curve_driven(
    settings: AdaptiveSettings, landscape: Landscape, curve: CostCurve, retired: set[int]
) -> tuple[list[Work], str | None]:
    """What the fitted curve asks for: its cheapest size measured (a confirmation batch), then invocations where
    the resampled curves put the cheapest size at the ends of their 95% range (that is where a measurement most
    narrows down which size is cheapest), then the optimum again, until its cost is known within the noise
    threshold at 95%. With nothing left to ask, the reason the search is done."""
    optimum = curve.optimum_mb
    measured = {c.memory_mb: c for c in landscape.eligible}
    if optimum in retired:
        return [], None  # let go as clearly worse: the curve and the measurements disagree; the caller falls back
    work: list[Work] = []
    have = landscape.samples(measured[optimum]) if optimum in measured else 0
    if optimum not in measured:
        work.append(Work(Kind.OPTIMUM, optimum, settings.confirm_invocations, "the cost curve's cheapest size"))
    elif have < settings.min_optimum_samples:
        need = settings.min_optimum_samples - have
        work.append(Work(Kind.BEST, optimum, need, "the cost curve's cheapest size, confirming it"))
    for edge in sorted({curve.optimum_spread_mb[0], curve.optimum_spread_mb[-1]}):
        if max(edge, optimum) / min(edge, optimum) <= SAME_SIZE_RATIO:
            continue
        work += _narrowing(settings, landscape, edge, retired)
    if work:
        return work, None
    band = f"±{curve.relative_band:.1%}"
    if curve.known_within(settings.noise_threshold):
        return [], (
            f"Converged: the cost curve puts the cheapest size at {optimum} MB, measured there, its cost known "
            f"within {band} at 95% (the noise threshold is {settings.noise_threshold:.0%})."
        )
    why = f"the cost curve's cheapest size, its cost known only within {band}"
    return [Work(Kind.BEST, optimum, settings.step_invocations, why)], None


def _narrowing(settings: AdaptiveSettings, landscape: Landscape, edge: int, retired: set[int]) -> list[Work]:
    """Invocations near ``edge``: the nearest measured size if it is close enough (and still measured), or a
    new size there."""
    near = min(landscape.confirmed, key=lambda c: abs(math.log(c.memory_mb / edge)))
    why = f"resampled cost curves put the cheapest size as far as {edge} MB"
    if max(near.memory_mb, edge) / min(near.memory_mb, edge) <= SAME_SIZE_RATIO:
        if near.memory_mb in retired:
            return []
        return [Work(Kind.NEIGHBOUR, near.memory_mb, settings.step_invocations, why)]
    if not settings.allows(edge) or any(c.memory_mb == edge for c in landscape.eligible):
        return []
    return [Work(Kind.CURVE, edge, settings.initial_invocations + 1, why)]


def curve_decision(
    curve: CostCurve | None,
    decision: Decision,
    candidates: Sequence[CandidateStats],
    pricing: CurvePricing,
    constraints: Constraints | None = None,
    *,
    timeout_ms: float | None = None,
) -> Decision:
    """The cost strategy's choice over every MB: the curve's cheapest size when the curve fits and that size was
    measured, works, meets the constraints and the margins and measured as the curve predicted; otherwise
    ``decision`` (the choice among measured sizes), with the reason the curve was not used."""
    if curve is None or not rule_for(decision.strategy).curve_decides:
        return decision
    reasons = exclusions(candidates, constraints or Constraints(), timeout_ms=timeout_ms)
    optimum = curve.optimum_mb
    chosen = next((c for c in candidates if c.memory_mb == optimum), None)
    predicted = f"{optimum} MB at {usd(curve.optimum_cost)} per invocation"
    if not curve.fits:
        return _fall_back(decision, f"{curve.check.describe()}, so it was not used")
    if chosen is None or chosen.duration_ms is None or not chosen.warm_invocations:
        unmeasured = f"the cost curve predicts the cheapest at {predicted}, not yet measured"
        return _curve_ranked(curve, decision, candidates, pricing, unmeasured) or _fall_back(decision, unmeasured)
    excluded = reasons.get(optimum)
    if excluded is not None:
        return _fall_back(decision, f"the cost curve's cheapest size {optimum} MB cannot be chosen: {excluded}")
    miss = _confirmation_miss(curve, chosen)
    if miss is not None:
        return _fall_back(decision, miss)
    tied = [
        c.memory_mb
        for c in sorted(candidates, key=lambda c: c.memory_mb)
        if c.memory_mb != optimum
        and c.memory_mb not in reasons
        and curve.cost(c.memory_mb, pricing)
        <= max(curve.optimum_band.high, curve.optimum_cost * (1 + curve.noise_threshold))
    ]
    band = curve_cost_interval(curve, chosen, candidates)
    reason = (
        f"The cost curve fitted to {len(curve.sizes)} measured sizes puts the cheapest size over every MB from "
        f"{curve.lowest_mb} to {curve.highest_mb} at {predicted} (95% interval {usd(band.low)}-{usd(band.high)}: "
        "the curve's band, widened to hold the interval measured there); "
        f"{chosen.duration_ms.count} warm invocations there measured {usd(chosen.cost_estimate)} (trimmed mean)."
    )
    ranking = [optimum] + [m for m in decision.ranking if m != optimum]
    return Decision(
        strategy=decision.strategy,
        chosen_memory_mb=optimum,
        reason=reason,
        excluded=decision.excluded,
        indistinguishable_from_best=[optimum, *tied],
        ranking=ranking,
    )


def _curve_ranked(
    curve: CostCurve,
    decision: Decision,
    candidates: Sequence[CandidateStats],
    pricing: CurvePricing,
    unmeasured: str,
) -> Decision | None:
    """When the curve fits but its optimum was not measured: the measured size the curve ranks cheapest among
    those the choice may fall on. The curve reads each size through its median and through every other size, so
    a size whose few calls missed a slow mode by luck does not win on its mean alone. None when that is the
    measured choice anyway."""
    eligible = [
        c for c in candidates if c.memory_mb in decision.ranking and c.duration_ms is not None and c.warm_invocations
    ]
    if not eligible:
        return None
    predicted = {c.memory_mb: curve.cost(c.memory_mb, pricing) for c in eligible}
    best = min(eligible, key=lambda c: (predicted[c.memory_mb], c.memory_mb))
    if best.memory_mb == decision.chosen_memory_mb or best.duration_ms is None:
        return None
    within = predicted[best.memory_mb] * (1 + curve.noise_threshold)
    tied = [m for m in sorted(predicted) if m != best.memory_mb and predicted[m] <= within]
    reason = (
        f"{unmeasured[0].upper()}{unmeasured[1:]}; of the measured sizes it ranks {best.memory_mb} MB cheapest "
        f"(predicted {usd(predicted[best.memory_mb])} per invocation; {best.duration_ms.count} warm invocations "
        f"there measured {usd(best.cost_estimate)}, trimmed mean). The lowest measured cost, "
        f"{decision.chosen_memory_mb} MB, rests on fewer calls than the curve's reading of every size together."
    )
    return Decision(
        strategy=decision.strategy,
        chosen_memory_mb=best.memory_mb,
        reason=reason,
        excluded=decision.excluded,
        indistinguishable_from_best=[best.memory_mb, *tied],
        ranking=[best.memory_mb, *(m for m in decision.ranking if m != best.memory_mb)],
    )


def curve_cost_interval(
    curve: CostCurve, chosen: CandidateStats, candidates: Sequence[CandidateStats]
) -> ConfidenceInterval:
    """The interval stated for the cost at the curve's optimum: the curve's band, widened to hold the measured
    interval of the mean there. The band comes from resampling a few invocations per size and from a model that
    may not fit exactly; the measured interval does not depend on the model, so the union is at least as likely
    to hold the true cost as either."""
    band = curve.optimum_band
    measured = expected_cost_interval(chosen, candidates)
    if measured is None:
        return band
    return ConfidenceInterval(low=min(band.low, measured.low), high=max(band.high, measured.high), confidence=0.95)


def _confirmation_miss(curve: CostCurve, chosen: CandidateStats) -> str | None:
    """Why the measurements at the curve's optimum contradict it, if they do: their median duration further from
    the curve's than their noise and the noise threshold allow (at 99%)."""
    assert chosen.duration_ms is not None
    measured = chosen.duration_ms.median
    predicted = curve.terms.median_duration_ms(chosen.memory_mb)
    error = curve.check.relative_noise * MEDIAN_EFFICIENCY / math.sqrt(chosen.duration_ms.count)
    allowed = 2.576 * math.hypot(error, curve.noise_threshold)
    off = measured / predicted - 1 if predicted > 0 else math.inf
    if abs(off) <= allowed:
        return None
    return (
        f"the cost curve's cheapest size {chosen.memory_mb} MB measured {off:+.1%} from the curve's prediction "
        f"(more than the ±{allowed:.1%} its noise allows), so the curve was not used"
    )


def _fall_back(decision: Decision, why: str) -> Decision:
    return decision.model_copy(update={"reason": f"{decision.reason} The choice is among measured sizes: {why}."})

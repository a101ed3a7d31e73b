"""A cost curve over every MB: duration against memory fitted on Lambda's CPU model (``duration_model``, fitted and
checked in ``curve_fit``), bootstrapped, priced.

The weights are fitted by non-negative least squares on each size's median duration (a slow mode - a cache
miss, a GC pause - moves a median little), weighted by how precisely each median is known. The curve's level is
then scaled to the mean of every sample over the fit, so that what is priced is the expected duration, slow mode
included, estimated from all sizes at once. Resampling the invocations within each size and refitting gives a
band. Every MB in the range is priced (per-ms billing: half a ms of rounding on average, plus the request
charge), so the cheapest size can lie between the sizes measured. The band is also kept at a few dozen sizes over
the range (``CostBand``), so that a report can draw it without the resampled curves.

A fit is only used when it explains the data: the residuals of the measured sizes must be within what their noise
(and half the noise threshold, a misfit too small to change a decision) allows; otherwise callers fall back to
choosing among the measured sizes and say so. Plain Python: this runs in the Lambda runtime, without numpy.
"""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture, PriceSheet, invocation_cost
from autotuner.domain.decision.distinction import CurveOdds
from autotuner.domain.measuring.statistics import (
    ConfidenceInterval,
    mean,
    median,
    percentile,
    pool_relative_spread,
    stdev,
)
from autotuner.domain.search.curve_fit import (
    PRIOR_NOISE,
    PRIOR_WEIGHT,
    CurveData,
    FitCheck,
    check_fit,
    fit_point,
    pooled_log_noise,
    widened,
)
from autotuner.domain.search.duration_model import MB_PER_VCPU, CurveTerms, basis_table

BILLING_ROUNDING_MS = 0.5  # billing rounds each invocation up to the next ms: on average half a ms more
MIN_SIZES = 4  # fewer sizes leave nothing to check the fit with
DEFAULT_RESAMPLES = 200
CONFIDENCE = 0.95
# Sizes with fewer samples than this are resampled parametrically (a resample of one value is that value).
MIN_RESAMPLED = 3
COARSE_STEP = 1.02  # the optimum is looked for on a 2% log grid, then (for the point fit) refined to 1 MB
BAND_POINTS = 48  # log-spaced sizes over the range at which the band is kept (and the sizes measured there)


@dataclass(frozen=True)
class CurvePricing:
    """What pricing a predicted duration needs: the account's prices for the target's architecture and storage."""

    prices: PriceSheet
    architecture: Architecture
    ephemeral_storage_mb: int = 512

    def per_ms(self, memory_mb: int) -> float:
        """USD per billed ms at ``memory_mb``, without the request charge."""
        full = invocation_cost(
            memory_mb, 1.0, self.prices, self.architecture, ephemeral_storage_mb=self.ephemeral_storage_mb
        )
        return full - self.prices.request

    def cost(self, memory_mb: int, duration_ms: float) -> float:
        """Expected USD for one invocation lasting ``duration_ms`` (per-ms billing rounds up)."""
        return self.per_ms(memory_mb) * (duration_ms + BILLING_ROUNDING_MS) + self.prices.request


class CostBand(CamelModel):
    """The 95% band of the predicted cost per invocation (USD) at a few sizes over the range, computed as the
    optimum's band is: the resampled curves' percentiles, widened by the misfit. Three lists of one length."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    memory_mb: list[int]
    low: list[float]
    high: list[float]


class CostCurve(CamelModel):
    """The fitted curve, its cheapest size over every MB of the range, and how sure that is."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    terms: CurveTerms
    lowest_mb: int
    highest_mb: int
    sizes: list[int] = Field(description="the measured sizes the curve was fitted to")
    optimum_mb: int
    optimum_cost: float = Field(description="predicted USD per invocation at the optimum")
    optimum_duration_ms: float
    optimum_band: ConfidenceInterval = Field(description="95% bootstrap band of the optimum's cost")
    optimum_spread_mb: list[int] = Field(
        description="where the resampled curves put their optimum: the 2.5th, 25th, 50th, 75th, 97.5th percentiles"
    )
    probability_cheaper: float = Field(
        description="share of resampled curves on which a size more than noise_threshold cheaper exists"
    )
    probability_cheaper_than: dict[int, float] = Field(
        default_factory=dict,
        description="per measured size: share of resampled curves on which some size over the range is more than "
        "noise_threshold cheaper than it",
    )
    noise_threshold: float
    check: FitCheck
    resamples: int = Field(default=DEFAULT_RESAMPLES, description="how many resampled fits the band rests on")
    band: CostBand | None = Field(
        default=None,
        description="the cost's 95% band at BAND_POINTS log-spaced sizes over the range, every size fitted and the "
        "optimum (and the sizes the caller asked for)",
    )

    @property
    def fits(self) -> bool:
        return self.check.fits

    def odds_for(self, memory_mb: int) -> CurveOdds | None:
        """How often a resampled fit finds a size more than noise_threshold cheaper than ``memory_mb``; None when
        the curve does not fit, or says nothing about that size (it was not measured)."""
        if not self.fits:
            return None
        probability = self.probability_cheaper_than.get(memory_mb)
        if probability is None and memory_mb == self.optimum_mb:
            probability = self.probability_cheaper
        if probability is None:
            return None
        return CurveOdds(
            probability=probability, resamples=self.resamples, lowest_mb=self.lowest_mb, highest_mb=self.highest_mb
        )

    @property
    def relative_band(self) -> float:
        """Half the band's width, relative to the optimum's predicted cost."""
        return self.optimum_band.half_width / self.optimum_cost if self.optimum_cost > 0 else math.inf

    def known_within(self, threshold: float) -> bool:
        """Whether the optimum's cost is known within ``threshold`` (relative) at 95%."""
        return self.relative_band <= threshold

    def cost(self, memory_mb: int, pricing: CurvePricing) -> float:
        return pricing.cost(memory_mb, self.terms.duration_ms(memory_mb))


def fit_cost_curve(
    durations: Mapping[int, Sequence[float]],
    pricing: CurvePricing,
    *,
    lowest_mb: int,
    highest_mb: int,
    noise_threshold: float,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    may_leave_out: bool = True,
    band_at: Sequence[int] = (),
) -> CostCurve | None:
    """The cost curve from each size's warm durations (ms), priced over every MB from ``lowest_mb`` to
    ``highest_mb``; None with fewer than four sizes measured. The same input and seed give the same curve. Its
    band is kept at ``BAND_POINTS`` sizes over the range, the sizes fitted, the optimum and the sizes of ``band_at``
    within the range (sizes measured but not fitted, say).

    When the curve does not fit because of one size measured by one or two calls that ran slower than the curve,
    the fit is tried once more without it: the median of two calls is their mean, and one call in a slow mode
    (a cache miss, a cold dependency) puts it far above a curve every other size agrees with. The size is named
    in the check; the curve is kept only if the rest fits."""
    if lowest_mb > highest_mb:
        raise ValueError(f"lowest_mb {lowest_mb} exceeds highest_mb {highest_mb}")
    measured = {m: tuple(d) for m, d in durations.items() if d and all(v > 0 for v in d)}
    if len(measured) < MIN_SIZES:
        return None
    sizes = tuple(sorted(measured))
    samples = tuple(measured[m] for m in sizes)
    data = CurveData(
        sizes=sizes,
        samples=samples,
        noise=pooled_log_noise(samples),
        precision=tuple(len(s) / median(s) ** 2 for s in samples),
        dispersion=pool_relative_spread(
            ((len(s), mean(s), stdev(s)) for s in samples), prior=PRIOR_NOISE, prior_freedom=PRIOR_WEIGHT
        ).relative,
    )
    point = fit_point(data, data.medians(), data.samples)
    terms = point.terms()
    optimum = _cheapest_every_mb(terms, pricing, lowest_mb, highest_mb)
    resampled = _bootstrap(data, pricing, lowest_mb=lowest_mb, highest_mb=highest_mb, resamples=resamples, seed=seed)
    tail = (1 - CONFIDENCE) / 2 * 100
    optima = [float(m) for _, m, _ in resampled]
    cheaper = _share_cheaper(resampled, optimum, pricing, noise_threshold)
    predicted = terms.duration_ms(optimum)
    check = check_fit(data, point, noise_threshold)
    left_out = _slow_outlier(durations, check) if not check.fits and may_leave_out else None
    if left_out is not None:
        rest = {m: d for m, d in durations.items() if m != check.worst_mb}
        refit = fit_cost_curve(
            rest,
            pricing,
            lowest_mb=lowest_mb,
            highest_mb=highest_mb,
            noise_threshold=noise_threshold,
            resamples=resamples,
            seed=seed,
            may_leave_out=False,
            band_at=[*band_at, check.worst_mb],  # measured, though not fitted
        )
        if refit is not None and refit.fits:
            left = {"left_out": left_out, "left_out_mb": check.worst_mb}
            return refit.model_copy(update={"check": refit.check.model_copy(update=left)})
    band = _band(
        terms, [t for t, _, _ in resampled], pricing, _band_sizes(lowest_mb, highest_mb, {*sizes, optimum, *band_at}),
        check,
    )  # fmt: skip
    at = band.memory_mb.index(optimum)
    return CostCurve(
        terms=terms,
        lowest_mb=lowest_mb,
        highest_mb=highest_mb,
        sizes=list(sizes),
        optimum_mb=optimum,
        optimum_cost=pricing.cost(optimum, predicted),
        optimum_duration_ms=predicted,
        optimum_band=ConfidenceInterval(low=band.low[at], high=band.high[at], confidence=CONFIDENCE),
        optimum_spread_mb=[round(percentile(optima, q)) for q in (tail, 25, 50, 75, 100 - tail)],
        probability_cheaper=cheaper,
        probability_cheaper_than={m: _share_cheaper(resampled, m, pricing, noise_threshold) for m in sizes},
        noise_threshold=noise_threshold,
        check=check,
        resamples=len(resampled),
        band=band,
    )


MAX_CALLS_LEFT_OUT = 2  # a size measured more often than this has a median no single slow call can move far


def _slow_outlier(durations: Mapping[int, Sequence[float]], check: FitCheck) -> str | None:
    """Why the worst-fitting size may be left out: it ran slower than the curve on one or two calls, and enough
    sizes remain to check the fit without it; None when it may not."""
    calls = len(durations.get(check.worst_mb, ()))
    if check.worst_residual <= 0 or calls > MAX_CALLS_LEFT_OUT or len(durations) <= MIN_SIZES + 1:
        return None
    noun = "call" if calls == 1 else "calls"
    return f"{check.worst_mb} MB, whose {calls} {noun} ran {check.worst_residual:+.0%} from it"


def _share_cheaper(
    resampled: Sequence[tuple[CurveTerms, int, float]], memory_mb: int, pricing: CurvePricing, threshold: float
) -> float:
    """The share of resampled curves whose cheapest size is more than ``threshold`` cheaper than ``memory_mb``."""
    cheaper = sum(
        cheapest < pricing.cost(memory_mb, t.duration_ms(memory_mb)) * (1 - threshold) for t, _, cheapest in resampled
    )
    return cheaper / len(resampled)


@dataclass(frozen=True)
class _Grid:
    """Sizes 2% apart (both ends and the one-vCPU knee included), priced, with every shape at each."""

    sizes: tuple[int, ...]
    per_ms: tuple[float, ...]
    request: float
    shapes: tuple[tuple[float, ...], ...]

    def costs(self, terms: CurveTerms) -> list[float]:
        weights, level, request = terms.weights, terms.level, self.request
        used = [i for i, w in enumerate(weights) if w > 0]  # most weights are zero: skip them
        return [
            rate * (level * math.fsum(weights[i] * row[i] for i in used) + BILLING_ROUNDING_MS) + request
            for rate, row in zip(self.per_ms, self.shapes, strict=True)
        ]

    def cheapest(self, terms: CurveTerms) -> tuple[int, float]:
        costs = self.costs(terms)
        at = min(range(len(costs)), key=lambda i: (costs[i], self.sizes[i]))
        return self.sizes[at], costs[at]


@cache
def _grid(pricing: CurvePricing, lowest_mb: int, highest_mb: int) -> _Grid:
    points = {lowest_mb, highest_mb}
    if lowest_mb <= MB_PER_VCPU <= highest_mb:
        points.add(MB_PER_VCPU)
    size = float(lowest_mb)
    while size < highest_mb:
        points.add(round(size))
        size *= COARSE_STEP
    sizes = tuple(sorted(points))
    return _Grid(
        sizes=sizes,
        per_ms=tuple(pricing.per_ms(m) for m in sizes),
        request=pricing.prices.request,
        shapes=basis_table(sizes),
    )


def _cheapest_every_mb(terms: CurveTerms, pricing: CurvePricing, lowest_mb: int, highest_mb: int) -> int:
    """The cheapest size to the MB: the best of the 2% grid, then every MB between its grid neighbours (the curve
    is smooth, so no cheaper MB hides elsewhere by more than the grid's second-order error)."""
    grid = _grid(pricing, lowest_mb, highest_mb)
    coarse, _ = grid.cheapest(terms)
    at = grid.sizes.index(coarse)
    low, high = grid.sizes[max(0, at - 1)], grid.sizes[min(len(grid.sizes) - 1, at + 1)]
    return min(range(low, high + 1), key=lambda m: (pricing.cost(m, terms.duration_ms(m)), m))


def _bootstrap(
    data: CurveData, pricing: CurvePricing, *, lowest_mb: int, highest_mb: int, resamples: int, seed: int
) -> list[tuple[CurveTerms, int, float]]:
    """Refitted curves, each with its cheapest size and that size's cost. Each size's invocations are resampled
    with replacement; a size with fewer than three (whose resample says nothing about its spread) is drawn around
    its median with the pooled noise (or the dispersion, when larger) instead."""
    rng = random.Random(seed)
    curves: list[tuple[CurveTerms, int, float]] = []
    errors = data.dispersed_errors()
    grid = _grid(pricing, lowest_mb, highest_mb)
    for _ in range(max(1, resamples)):
        samples: list[tuple[float, ...]] = []
        medians: list[float] = []
        for values, error in zip(data.samples, errors, strict=True):
            if len(values) >= MIN_RESAMPLED:
                drawn = tuple(rng.choices(values, k=len(values)))
                samples.append(drawn)
                medians.append(median(drawn))
            else:
                shift = math.exp(rng.gauss(0.0, error))
                samples.append(tuple(v * shift for v in values))
                medians.append(median(values) * shift)
        terms = fit_point(data, medians, samples).terms()
        memory, cost = grid.cheapest(terms)
        curves.append((terms, memory, cost))
    return curves


def _band_sizes(lowest_mb: int, highest_mb: int, also: set[int]) -> tuple[int, ...]:
    """``BAND_POINTS`` whole sizes log-spaced from ``lowest_mb`` to ``highest_mb`` (both included), and the sizes of
    ``also`` within the range."""
    ratio = highest_mb / lowest_mb
    spaced = {round(lowest_mb * ratio ** (i / (BAND_POINTS - 1))) for i in range(BAND_POINTS)}
    return tuple(sorted(spaced | {m for m in also if lowest_mb <= m <= highest_mb}))


def _band(
    terms: CurveTerms, resampled: Sequence[CurveTerms], pricing: CurvePricing, sizes: tuple[int, ...], check: FitCheck
) -> CostBand:
    """The 95% band of the cost at each of ``sizes``: the resampled curves' percentiles about the point fit's cost,
    widened by the misfit (``widened``)."""
    tail = (1 - CONFIDENCE) / 2 * 100
    rows = basis_table(sizes)
    rates = [pricing.per_ms(m) for m in sizes]
    request = pricing.prices.request

    def costs(fit: CurveTerms) -> list[float]:
        """As ``CostCurve.cost`` prices each size, from the shapes computed once (a zero weight adds nothing)."""
        weights = fit.weights
        used = [i for i, w in enumerate(weights) if w > 0]
        return [
            rate * (fit.level * math.fsum(weights[i] * row[i] for i in used) + BILLING_ROUNDING_MS) + request
            for rate, row in zip(rates, rows, strict=True)
        ]

    by_resample = [costs(t) for t in resampled]
    low: list[float] = []
    high: list[float] = []
    for i, centre in enumerate(costs(terms)):
        drawn = sorted(r[i] for r in by_resample)
        lo, hi = widened(centre, percentile(drawn, tail), percentile(drawn, 100 - tail), check)
        low.append(lo)
        high.append(hi)
    return CostBand(memory_mb=list(sizes), low=low, high=high)

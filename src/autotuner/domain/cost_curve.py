"""A cost curve over every MB: duration against memory fitted on Lambda's CPU model, bootstrapped, priced.

Lambda gives a function a share of one vCPU in proportion to memory up to 1,769 MB, then more vCPUs up to six at
10,240 MB. So a duration is the sum of a few shapes, each with a non-negative weight:

- I/O and waiting, which memory does not shorten: a constant;
- serial CPU work, which speeds up with the share of one vCPU and not past it: ``1 / min(memory / 1769, 1)``;
- parallel CPU work, which keeps speeding up with every vCPU: ``1 / vcpus(memory)``;
- memory pressure (garbage collection, evicted caches): extra CPU work that fades as memory grows, as a
  non-negative mix of ``exp(-(memory - 128) / scale) / cpu share`` for a few scales (64, 192 and 576 MB), which
  follows steep and gentle fades alike.

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
from itertools import combinations

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.distinction import CurveOdds
from autotuner.domain.pricing import Architecture, PriceSheet, invocation_cost
from autotuner.domain.statistics import ConfidenceInterval, mean, median, percentile, pool_relative_spread, stdev

MB_PER_VCPU = 1769
MAX_VCPUS = 6
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
PRESSURE_SCALES_MB = (64.0, 192.0, 576.0)
SHAPES = 3 + len(PRESSURE_SCALES_MB)  # I/O, serial, parallel, then one per pressure scale
BILLING_ROUNDING_MS = 0.5  # billing rounds each invocation up to the next ms: on average half a ms more
MIN_SIZES = 4  # fewer sizes leave nothing to check the fit with
DEFAULT_RESAMPLES = 200
CONFIDENCE = 0.95
# A median of n normal samples varies 1.25 times as much as their mean.
MEDIAN_EFFICIENCY = 1.2533
# Relative noise of one invocation assumed before samples can measure it, pooled as a weak prior.
PRIOR_NOISE = 0.05
PRIOR_WEIGHT = 2.0
# Sizes with fewer samples than this are resampled parametrically (a resample of one value is that value).
MIN_RESAMPLED = 3
# The fit check: the sum of squared standardised residuals must stay below this quantile of chi-square.
FIT_QUANTILE_Z = 2.326  # the 99th percentile of the normal distribution
MAD_TO_SIGMA = 1.4826
COARSE_STEP = 1.02  # the optimum is looked for on a 2% log grid, then (for the point fit) refined to 1 MB
BAND_POINTS = 48  # log-spaced sizes over the range at which the band is kept (and the sizes measured there)
_SINGULAR = 1e-12


def cpu_share(memory_mb: float) -> float:
    """The share of one vCPU a single thread gets."""
    return min(memory_mb / MB_PER_VCPU, 1.0)


def vcpus(memory_mb: float) -> float:
    """vCPUs at ``memory_mb``: a share of one up to 1,769 MB, then rising linearly to six at 10,240 MB."""
    if memory_mb <= MB_PER_VCPU:
        return memory_mb / MB_PER_VCPU
    top = min(memory_mb, MAX_MEMORY_MB)
    return 1 + (MAX_VCPUS - 1) * (top - MB_PER_VCPU) / (MAX_MEMORY_MB - MB_PER_VCPU)


def _basis(memory_mb: float) -> tuple[float, ...]:
    """The shapes at ``memory_mb``: I/O, serial CPU, parallel CPU, then memory pressure at each scale."""
    serial = 1 / cpu_share(memory_mb)
    pressure = (math.exp(-(memory_mb - MIN_MEMORY_MB) / scale) * serial for scale in PRESSURE_SCALES_MB)
    return (1.0, serial, 1 / vcpus(memory_mb), *pressure)


@cache
def _basis_table(sizes: tuple[int, ...]) -> tuple[tuple[float, ...], ...]:
    """The shapes at every size (the sizes of one fit, or the grid the optimum is looked for on)."""
    return tuple(_basis(m) for m in sizes)


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


class CurveTerms(CamelModel):
    """The fitted duration model, in ms: ``level * (io + serial / share + parallel / vcpus + pressure terms)``."""

    model_config = ConfigDict(frozen=True)

    io_ms: float = Field(ge=0, description="waiting that memory does not shorten")
    serial_ms: float = Field(ge=0, description="single-threaded CPU work, at one full vCPU")
    parallel_ms: float = Field(ge=0, description="CPU work that spreads over every vCPU, at one vCPU")
    pressure_ms: list[float] = Field(
        description="extra CPU work at 128 MB from memory pressure, for each fade scale (PRESSURE_SCALES_MB)"
    )
    level: float = Field(gt=0, description="mean duration over median duration, pooled over every size")

    def duration_ms(self, memory_mb: float) -> float:
        """Expected duration at ``memory_mb``."""
        return self.level * math.fsum(w * s for w, s in zip(self.weights, _basis(memory_mb), strict=True))

    @property
    def weights(self) -> tuple[float, ...]:
        return (self.io_ms, self.serial_ms, self.parallel_ms, *self.pressure_ms)

    def median_duration_ms(self, memory_mb: float) -> float:
        """Median duration at ``memory_mb``: what the shape was fitted to, before the level."""
        return self.duration_ms(memory_mb) / self.level


class FitCheck(CamelModel):
    """Whether the curve explains the measured sizes: residuals against what their noise allows."""

    model_config = ConfigDict(frozen=True)

    fits: bool
    statistic: float = Field(description="sum of squared standardised residuals")
    limit: float = Field(description="its 99th percentile if the model were right")
    freedom: int = Field(description="degrees of freedom: sizes less the shapes used")
    worst_mb: int
    worst_residual: float = Field(description="relative: measured median over the fitted one, minus 1")
    relative_noise: float = Field(description="pooled relative standard deviation of one invocation")
    left_out: str | None = Field(default=None, description="a size the fit leaves out, and why")
    left_out_mb: int | None = Field(default=None, description="that size")

    def describe(self) -> str:
        verdict = "fits" if self.fits else "does not fit"
        text = (
            f"the cost curve {verdict} the measured sizes (misfit {self.statistic:.1f} against a limit of "
            f"{self.limit:.1f}; largest residual {self.worst_residual:+.1%} at {self.worst_mb} MB, "
            f"noise {self.relative_noise:.1%} per invocation)"
        )
        return text if self.left_out is None else f"{text}, leaving out {self.left_out}"


class CostBand(CamelModel):
    """The 95% band of the predicted cost per invocation (USD) at a few sizes over the range, computed as the
    optimum's band is: the resampled curves' percentiles, widened by the misfit. Three lists of one length."""

    model_config = ConfigDict(frozen=True)

    memory_mb: list[int]
    low: list[float]
    high: list[float]


class CostCurve(CamelModel):
    """The fitted curve, its cheapest size over every MB of the range, and how sure that is."""

    model_config = ConfigDict(frozen=True)

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


# ---- fitting -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Data:
    """Warm durations per size, with what the fit weighs them by."""

    sizes: tuple[int, ...]
    samples: tuple[tuple[float, ...], ...]
    noise: float  # pooled relative standard deviation of one invocation
    precision: tuple[float, ...]  # what each size's median weighs in the fit: samples over median squared
    dispersion: float = 0.0  # pooled relative standard deviation about the mean: slow modes included

    def medians(self) -> list[float]:
        return [median(s) for s in self.samples]

    def dispersed_errors(self) -> list[float]:
        """How far each size's median may stray, for the fit check and for drawing a size too small to resample:
        the robust noise, or the measured dispersion when that is larger. A median of two to five calls moves with
        a slow mode one call in five falls into, which the robust spread leaves out: judged against that spread
        alone, a right curve looks wrong, and its band looks narrower than it is (so the search stopped early)."""
        return [max(self.noise, self.dispersion) * MEDIAN_EFFICIENCY / math.sqrt(len(s)) for s in self.samples]


@dataclass(frozen=True)
class _Fit:
    weights: tuple[float, ...]
    level: float

    def terms(self) -> CurveTerms:
        io, serial, parallel, *pressure = self.weights
        return CurveTerms(io_ms=io, serial_ms=serial, parallel_ms=parallel, pressure_ms=pressure, level=self.level)


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
    data = _Data(
        sizes=sizes,
        samples=samples,
        noise=_pooled_noise(samples),
        precision=tuple(len(s) / median(s) ** 2 for s in samples),
        dispersion=pool_relative_spread(
            ((len(s), mean(s), stdev(s)) for s in samples), prior=PRIOR_NOISE, prior_freedom=PRIOR_WEIGHT
        ).relative,
    )
    point = _fit(data, data.medians(), data.samples)
    terms = point.terms()
    optimum = _cheapest_every_mb(terms, pricing, lowest_mb, highest_mb)
    resampled = _bootstrap(data, pricing, lowest_mb=lowest_mb, highest_mb=highest_mb, resamples=resamples, seed=seed)
    tail = (1 - CONFIDENCE) / 2 * 100
    optima = [float(m) for _, m, _ in resampled]
    cheaper = _share_cheaper(resampled, optimum, pricing, noise_threshold)
    predicted = terms.duration_ms(optimum)
    check = _check(data, point, noise_threshold)
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


def _widened(centre: float, low: float, high: float, check: FitCheck) -> tuple[float, float]:
    """The bootstrap band, widened by the square root of the misfit per degree of freedom when that exceeds 1:
    residuals larger than the noise say the model explains less than the resampling assumes."""
    factor = math.sqrt(max(1.0, check.statistic / check.freedom))
    return centre - (centre - low) * factor, centre + (high - centre) * factor


def _pooled_noise(samples: Sequence[Sequence[float]]) -> float:
    """Relative standard deviation of one invocation: a robust spread (MAD of log durations) within each size,
    pooled over the sizes and with a weak prior. The MAD leaves a rare slow mode out, as the medians do."""
    total, weight = PRIOR_WEIGHT * PRIOR_NOISE**2, PRIOR_WEIGHT
    for values in samples:
        if len(values) < 2:
            continue
        logs = [math.log(v) for v in values]
        centre = median(logs)
        sigma = MAD_TO_SIGMA * median([abs(x - centre) for x in logs])
        total += (len(values) - 1) * sigma**2
        weight += len(values) - 1
    return math.sqrt(total / weight)


def _fit(data: _Data, medians: Sequence[float], samples: Sequence[Sequence[float]]) -> _Fit:
    """Non-negative weights fitted to the medians, then the level from every sample."""
    design = _design(data.sizes, data.precision)
    weights, _ = design.nnls(medians)
    fitted = [math.fsum(w * b for w, b in zip(weights, row, strict=True)) for row in design.rows]
    ratios = [v / f for f, values in zip(fitted, samples, strict=True) for v in values if f > 0]
    level = math.fsum(ratios) / len(ratios) if ratios else 1.0
    return _Fit(weights=weights, level=max(level, 1e-9))


@dataclass(frozen=True)
class _Design:
    """Weighted least squares on fixed sizes and weights, factored once for every subset of the shapes, so that
    each bootstrap refit is a few dot products."""

    rows: tuple[tuple[float, ...], ...]
    precision: tuple[float, ...]
    # (subset, inverse of its Gram matrix) for every subset whose shapes are not (nearly) collinear here
    solvers: tuple[tuple[tuple[int, ...], tuple[tuple[float, ...], ...]], ...]

    def nnls(self, targets: Sequence[float]) -> tuple[tuple[float, ...], float]:
        """Weighted least squares with every weight >= 0, exactly: the least-squares solution on each subset of
        the shapes, the best one whose weights are all non-negative."""
        weighted = [p * y for p, y in zip(self.precision, targets, strict=True)]
        moment = [math.fsum(w * r[i] for w, r in zip(weighted, self.rows, strict=True)) for i in range(SHAPES)]
        total = math.fsum(w * y for w, y in zip(weighted, targets, strict=True))
        best_gain = 0.0
        best: tuple[float, ...] = (0.0,) * SHAPES
        for subset, inverse in self.solvers:
            local = [moment[i] for i in subset]
            solution = [math.fsum(a * m for a, m in zip(row, local, strict=True)) for row in inverse]
            if min(solution) < 0:
                continue
            gain = math.fsum(c * m for c, m in zip(solution, local, strict=True))
            if gain > best_gain:
                weights = [0.0] * SHAPES
                for value, index in zip(solution, subset, strict=True):
                    weights[index] = value
                best_gain, best = gain, tuple(weights)
        return best, max(total - best_gain, 0.0)


@cache
def _design(sizes: tuple[int, ...], precision: tuple[float, ...]) -> _Design:
    rows = _basis_table(sizes)
    gram = [
        [math.fsum(p * r[i] * r[j] for r, p in zip(rows, precision, strict=True)) for j in range(SHAPES)]
        for i in range(SHAPES)
    ]
    solvers = []
    for size in range(1, SHAPES + 1):
        for subset in combinations(range(SHAPES), size):
            inverse = _inverse([[gram[i][j] for j in subset] for i in subset])
            if inverse is not None:
                solvers.append((subset, inverse))
    return _Design(rows=rows, precision=precision, solvers=tuple(solvers))


def _inverse(matrix: list[list[float]]) -> tuple[tuple[float, ...], ...] | None:
    """Gauss-Jordan with partial pivoting; None when the matrix is (nearly) singular (two shapes that coincide on
    the measured sizes, as serial and parallel work do when none is above 1,769 MB)."""
    n = len(matrix)
    scale = max(abs(matrix[i][i]) for i in range(n)) or 1.0
    a = [[*row, *(1.0 if i == j else 0.0 for j in range(n))] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) <= _SINGULAR * scale:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        lead = a[col][col]
        a[col] = [v / lead for v in a[col]]
        for row in range(n):
            if row != col and a[row][col] != 0:
                factor = a[row][col]
                a[row] = [v - factor * w for v, w in zip(a[row], a[col], strict=True)]
    return tuple(tuple(row[n:]) for row in a)


# ---- the cheapest size ---------------------------------------------------------------------------------


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
        shapes=_basis_table(sizes),
    )


def _cheapest_every_mb(terms: CurveTerms, pricing: CurvePricing, lowest_mb: int, highest_mb: int) -> int:
    """The cheapest size to the MB: the best of the 2% grid, then every MB between its grid neighbours (the curve
    is smooth, so no cheaper MB hides elsewhere by more than the grid's second-order error)."""
    grid = _grid(pricing, lowest_mb, highest_mb)
    coarse, _ = grid.cheapest(terms)
    at = grid.sizes.index(coarse)
    low, high = grid.sizes[max(0, at - 1)], grid.sizes[min(len(grid.sizes) - 1, at + 1)]
    return min(range(low, high + 1), key=lambda m: (pricing.cost(m, terms.duration_ms(m)), m))


# ---- the band ------------------------------------------------------------------------------------------


def _bootstrap(
    data: _Data, pricing: CurvePricing, *, lowest_mb: int, highest_mb: int, resamples: int, seed: int
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
        terms = _fit(data, medians, samples).terms()
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
    widened by the misfit (``_widened``)."""
    tail = (1 - CONFIDENCE) / 2 * 100
    rows = _basis_table(sizes)
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
        lo, hi = _widened(centre, percentile(drawn, tail), percentile(drawn, 100 - tail), check)
        low.append(lo)
        high.append(hi)
    return CostBand(memory_mb=list(sizes), low=low, high=high)


# ---- the check -----------------------------------------------------------------------------------------


def _check(data: _Data, point: _Fit, noise_threshold: float) -> FitCheck:
    """Standardised residuals of the medians against the fitted curve (at median level), their squares summed and
    compared with chi-square's 99th percentile. A misfit within half the noise threshold is allowed for: it could
    not change a decision."""
    terms = point.terms().model_copy(update={"level": 1.0})
    tolerance = noise_threshold / 2
    residuals = [y / terms.duration_ms(m) - 1 for m, y in zip(data.sizes, data.medians(), strict=True)]
    statistic = math.fsum(
        r * r / (e * e + tolerance * tolerance) for r, e in zip(residuals, data.dispersed_errors(), strict=True)
    )
    used = sum(w > 0 for w in point.weights)
    freedom = max(1, len(data.sizes) - used)
    limit = _chi_square_quantile(freedom, FIT_QUANTILE_Z)
    worst = max(range(len(residuals)), key=lambda i: abs(residuals[i]))
    return FitCheck(
        fits=statistic <= limit,
        statistic=statistic,
        limit=limit,
        freedom=freedom,
        worst_mb=data.sizes[worst],
        worst_residual=residuals[worst],
        relative_noise=data.noise,
    )


def _chi_square_quantile(freedom: int, z: float) -> float:
    """Wilson and Hilferty's approximation of chi-square's quantile at the normal quantile ``z``."""
    k = float(freedom)
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3

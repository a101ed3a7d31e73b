"""Fitting the duration model to measured sizes, and checking the fit.

The weights are fitted by non-negative least squares on each size's median duration (a slow mode - a cache
miss, a GC pause - moves a median little), weighted by how precisely each median is known. The curve's level is
then scaled to the mean of every sample over the fit, so that what is priced is the expected duration, slow mode
included, estimated from all sizes at once. A fit is only used when it explains the data: the residuals of the
measured sizes must be within what their noise (and half the noise threshold, a misfit too small to change a
decision) allows.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.measuring.statistics import median
from autotuner.domain.search.duration_model import CurveTerms
from autotuner.domain.search.least_squares import factored

# A median of n normal samples varies 1.25 times as much as their mean.
MEDIAN_EFFICIENCY = 1.2533
# Relative noise of one invocation assumed before samples can measure it, pooled as a weak prior.
PRIOR_NOISE = 0.05
PRIOR_WEIGHT = 2.0
# The fit check: the sum of squared standardised residuals must stay below this quantile of chi-square.
FIT_QUANTILE_Z = 2.326  # the 99th percentile of the normal distribution
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class CurveData:
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
class PointFit:
    weights: tuple[float, ...]
    level: float

    def terms(self) -> CurveTerms:
        io, serial, parallel, *pressure = self.weights
        return CurveTerms(io_ms=io, serial_ms=serial, parallel_ms=parallel, pressure_ms=pressure, level=self.level)


class FitCheck(CamelModel):
    """Whether the curve explains the measured sizes: residuals against what their noise allows."""

    model_config = ConfigDict(defer_build=True, frozen=True)

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


def fit_point(data: CurveData, medians: Sequence[float], samples: Sequence[Sequence[float]]) -> PointFit:
    """Non-negative weights fitted to the medians, then the level from every sample."""
    design = factored(data.sizes, data.precision)
    weights, _ = design.nnls(medians)
    fitted = [math.fsum(w * b for w, b in zip(weights, row, strict=True)) for row in design.rows]
    ratios = [v / f for f, values in zip(fitted, samples, strict=True) for v in values if f > 0]
    level = math.fsum(ratios) / len(ratios) if ratios else 1.0
    return PointFit(weights=weights, level=max(level, 1e-9))


def pooled_log_noise(samples: Sequence[Sequence[float]]) -> float:
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


def widened(centre: float, low: float, high: float, check: FitCheck) -> tuple[float, float]:
    """The bootstrap band, widened by the square root of the misfit per degree of freedom when that exceeds 1:
    residuals larger than the noise say the model explains less than the resampling assumes."""
    factor = math.sqrt(max(1.0, check.statistic / check.freedom))
    return centre - (centre - low) * factor, centre + (high - centre) * factor


def check_fit(data: CurveData, point: PointFit, noise_threshold: float) -> FitCheck:
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

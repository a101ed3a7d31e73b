"""Robust statistics over small samples. Every function copies before sorting: inputs are never mutated."""

import math
import random
import statistics as stdlib_statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pydantic import ConfigDict

from autotuner.domain.camel import CamelModel

MAX_TRIM_FRACTION = 0.4
DEFAULT_RESAMPLES = 1000

Estimator = Callable[[Sequence[float]], float]


class ConfidenceInterval(CamelModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    low: float
    high: float
    confidence: float

    def overlaps(self, other: "ConfidenceInterval") -> bool:
        return self.low <= other.high and other.low <= self.high

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


class Summary(CamelModel):
    """Location and spread of one sample."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    count: int
    mean: float
    trimmed_mean: float
    median: float
    p90: float
    p95: float
    p99: float
    mad: float
    minimum: float
    maximum: float
    stdev: float | None = None  # sample standard deviation (n - 1); None where a summary predates it


def _require(values: Sequence[float], what: str) -> None:
    if not values:
        raise ValueError(f"{what} of an empty sample is undefined")


def clamp_trim_fraction(fraction: float) -> float:
    """The share cut from each end, clamped to [0, 0.4] as aws-lambda-power-tuning does."""
    return min(max(fraction, 0.0), MAX_TRIM_FRACTION)


def trimmed_mean(values: Sequence[float], fraction: float) -> float:
    """Mean after discarding ``fraction`` of the values at each end (floor(n * fraction) each side)."""
    _require(values, "trimmed mean")
    cut = int(len(values) * clamp_trim_fraction(fraction))
    kept = sorted(values)[cut : len(values) - cut]
    return math.fsum(kept) / len(kept)


def mean(values: Sequence[float]) -> float:
    _require(values, "mean")
    return math.fsum(values) / len(values)


def median(values: Sequence[float]) -> float:
    _require(values, "median")
    return float(stdlib_statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating linearly between order statistics."""
    _require(values, "percentile")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within [0, 100], got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def stdev(values: Sequence[float]) -> float:
    """Sample standard deviation (divided by n - 1); 0 for a single value."""
    _require(values, "standard deviation")
    return float(stdlib_statistics.stdev(values)) if len(values) > 1 else 0.0


def t_quantile(probability: float, freedom: float) -> float:
    """The ``probability`` quantile of Student's t with ``freedom`` degrees of freedom: exact for 1 and 2, else
    the Cornish-Fisher expansion around the normal quantile (within 0.2% of the exact value from 3 on, at the
    quantiles a confidence interval uses)."""
    if not 0 < probability < 1:
        raise ValueError(f"probability must be within (0, 1), got {probability}")
    if freedom <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {freedom}")
    if freedom == 1:
        return math.tan(math.pi * (probability - 0.5))
    if freedom == 2:
        return (2 * probability - 1) / math.sqrt(2 * probability * (1 - probability))
    z = stdlib_statistics.NormalDist().inv_cdf(probability)
    v = freedom
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


@dataclass(frozen=True)
class PooledSpread:
    """Relative standard deviation of one value, pooled over groups that share their noise in relative terms (the
    sizes of one function), with a weak prior; and its degrees of freedom."""

    relative: float
    freedom: float

    def t(self, confidence: float) -> float:
        """The t multiplier of a two-sided interval at ``confidence``."""
        return t_quantile(1 - (1 - confidence) / 2, self.freedom)

    def standard_error(self, count: int, own_relative: float = 0.0) -> float:
        """Relative standard error of a mean of ``count`` values: the pooled spread, or the group's own when
        larger, over root n."""
        return max(self.relative, own_relative) / math.sqrt(count)


def pool_relative_spread(
    groups: Iterable[tuple[int, float, float]], *, prior: float, prior_freedom: float
) -> PooledSpread:
    """Pools (count, mean, standard deviation) of each group with at least two values."""
    total, freedom = prior_freedom * prior**2, prior_freedom
    for count, centre, spread in groups:
        if count < 2 or centre <= 0:
            continue
        total += (count - 1) * (spread / centre) ** 2
        freedom += count - 1
    return PooledSpread(relative=math.sqrt(total / freedom), freedom=freedom)


def median_absolute_deviation(values: Sequence[float]) -> float:
    """MAD: the median distance from the median (unscaled)."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def summarize(values: Sequence[float], trim_fraction: float) -> Summary:
    _require(values, "summary")
    return Summary(
        count=len(values),
        mean=mean(values),
        trimmed_mean=trimmed_mean(values, trim_fraction),
        median=median(values),
        p90=percentile(values, 90),
        p95=percentile(values, 95),
        p99=percentile(values, 99),
        mad=median_absolute_deviation(values),
        minimum=min(values),
        maximum=max(values),
        stdev=stdev(values),
    )


def bootstrap_interval(
    values: Sequence[float],
    estimator: Estimator = mean,
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> ConfidenceInterval:
    """Percentile-bootstrap confidence interval of ``estimator``; the same seed gives the same interval."""
    _require(values, "bootstrap interval")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    sample = list(values)
    rng = random.Random(seed)
    estimates = sorted(estimator(rng.choices(sample, k=len(sample))) for _ in range(resamples))
    tail = (1 - confidence) / 2 * 100
    return ConfidenceInterval(
        low=percentile(estimates, tail), high=percentile(estimates, 100 - tail), confidence=confidence
    )


def trimmed_mean_estimator(fraction: float) -> Estimator:
    """An estimator for ``bootstrap_interval`` that takes the trimmed mean with ``fraction``."""

    def estimate(values: Sequence[float]) -> float:
        return trimmed_mean(values, fraction)

    return estimate

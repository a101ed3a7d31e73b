"""Robust statistics over small samples. Every function copies before sorting: inputs are never mutated."""

import math
import random
import statistics as stdlib_statistics
from collections.abc import Callable, Sequence

from pydantic import ConfigDict

from autotuner.domain.camel import CamelModel

MAX_TRIM_FRACTION = 0.4
DEFAULT_RESAMPLES = 1000

Estimator = Callable[[Sequence[float]], float]


class ConfidenceInterval(CamelModel):
    model_config = ConfigDict(frozen=True)

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

    model_config = ConfigDict(frozen=True)

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

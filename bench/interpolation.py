"""Durations between the memory sizes someone measured: two interpolations in log memory against log duration.

* log-log: straight lines between neighbouring measured sizes (a power law per interval);
* monotone: a monotone piecewise cubic (PCHIP, Fritsch and Carlson; the end slopes as SciPy's ``PchipInterpolator``
  takes them), smooth where log-log has corners, and never overshooting: between two sizes it stays between their
  durations, so it is monotone wherever the measured durations are.

Both pass exactly through every measured size and hold the end values beyond the measured range (the callers
decide what lies beyond it).
"""

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Interpolation(StrEnum):
    LOG_LOG = "log-log"
    MONOTONE = "monotone"


@dataclass(frozen=True)
class Interpolant:
    """A curve through measured (memory, duration) points in log-log coordinates: a cubic Hermite piece between
    each two neighbouring points, given the slope d(log y) / d(log x) at both ends of the piece (a piece whose
    two slopes equal its secant is the straight line)."""

    logs_x: tuple[float, ...]
    logs_y: tuple[float, ...]
    start_slopes: tuple[float, ...]  # one per piece
    end_slopes: tuple[float, ...]

    def __call__(self, memory_mb: float) -> float:
        u = math.log(memory_mb)
        if u <= self.logs_x[0]:
            return math.exp(self.logs_y[0])
        if u >= self.logs_x[-1]:
            return math.exp(self.logs_y[-1])
        k = bisect.bisect_right(self.logs_x, u) - 1
        h = self.logs_x[k + 1] - self.logs_x[k]
        t = (u - self.logs_x[k]) / h
        y0, y1 = self.logs_y[k], self.logs_y[k + 1]
        d0, d1 = self.start_slopes[k] * h, self.end_slopes[k] * h
        t2, t3 = t * t, t * t * t
        log_y = (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * y1 + (t3 - t2) * d1
        return math.exp(log_y)


def interpolate(kind: Interpolation, durations: Mapping[int, float]) -> Interpolant:
    """The ``kind`` of curve through ``durations`` (memory MB -> ms, every value positive)."""
    if not durations:
        raise ValueError("no measured size to interpolate between")
    if any(v <= 0 for v in durations.values()):
        raise ValueError(f"durations must be positive: {dict(durations)}")
    sizes = sorted(durations)
    xs = tuple(math.log(m) for m in sizes)
    ys = tuple(math.log(durations[m]) for m in sizes)
    secants = tuple((ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) for k in range(len(xs) - 1))
    if kind is Interpolation.LOG_LOG or len(sizes) < 3:
        return Interpolant(xs, ys, secants, secants)
    slopes = _pchip_slopes(xs, secants)
    return Interpolant(xs, ys, slopes[:-1], slopes[1:])


def _pchip_slopes(xs: Sequence[float], secants: Sequence[float]) -> tuple[float, ...]:
    """Fritsch and Carlson's slopes: zero where the secants change sign (a local extreme stays at the point), else
    a weighted harmonic mean of the neighbouring secants; at the ends a one-sided three-point estimate, held to the
    secant's sign and to three times the secant where the data turn."""
    h = [xs[k + 1] - xs[k] for k in range(len(xs) - 1)]
    slopes = [0.0] * len(xs)
    for k in range(1, len(xs) - 1):
        before, after = secants[k - 1], secants[k]
        if before * after <= 0:
            continue
        w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
        slopes[k] = (w1 + w2) / (w1 / before + w2 / after)
    slopes[0] = _end_slope(h[0], h[1], secants[0], secants[1])
    slopes[-1] = _end_slope(h[-1], h[-2], secants[-1], secants[-2])
    return tuple(slopes)


def _end_slope(h0: float, h1: float, s0: float, s1: float) -> float:
    slope = ((2 * h0 + h1) * s0 - h0 * s1) / (h0 + h1)
    if _sign(slope) != _sign(s0):
        return 0.0
    if _sign(s0) != _sign(s1) and abs(slope) > abs(3 * s0):
        return 3 * s0
    return slope


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)

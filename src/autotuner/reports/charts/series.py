"""What the charts plot, as pure data: every measured size with its status, the cost curve of an adaptive run, the
axes' domains and ticks.

Both renderers (``svg`` and ``png``) draw from these values, so the two pictures and the report's tables cannot
disagree about a number.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from autotuner.domain.costs.money import usd
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.measuring.statistics import ConfidenceInterval
from autotuner.domain.run.output import CurvePoint, TuningOutput

_TARGET_TICKS = 5
FAILED_GROUP_SHARE = 0.06  # failed sizes closer than this share of the x axis's width are shown as one group


class PointStatus(StrEnum):
    CHOSEN = "chosen"
    ELIGIBLE = "eligible"
    EXCLUDED = "excluded"  # measured, but a constraint ruled it out
    FAILED = "failed"  # nothing to draw: no successful invocation


@dataclass(frozen=True)
class SeriesPoint:
    """One memory size as the charts show it."""

    memory_mb: int
    cost: float | None  # USD per invocation, trimmed mean (what the decision compares)
    p50_ms: float | None
    p95_ms: float | None
    status: PointStatus
    reason: str | None = None  # why it was excluded or failed
    # Measured by this many invocations, every one a cold start, while other sizes were measured warm: its cost
    # includes the start-up, so it is not comparable with theirs (0: not so).
    cold_only_invocations: int = 0

    @property
    def cold_only(self) -> bool:
        return self.cold_only_invocations > 0

    def describe(self) -> str:
        """The tooltip: what was measured and, if it was not chosen for a reason, the reason."""
        if self.cost is None or self.p50_ms is None or self.p95_ms is None:
            return f"{self.memory_mb} MB: {self.reason or 'not measured'}"
        text = (
            f"{self.memory_mb} MB: {usd(self.cost)} per invocation, p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms"
        )
        if self.cold_only:
            text += (
                f"; measured by {cold_invocations(self.cold_only_invocations)} only, so its cost includes the "
                "start-up and it is left off the cost line"
            )
        if self.status is PointStatus.CHOSEN:
            return text + " (chosen)"
        return f"{text}. Excluded: {self.reason}" if self.reason else text


def cold_invocations(count: int) -> str:
    return "1 cold invocation" if count == 1 else f"{count} cold invocations"


def chart_series(output: TuningOutput) -> list[SeriesPoint]:
    """Every candidate in memory order, with its status and, when it could not be chosen, why."""
    reasons = {e.memory_mb: e.reason for e in output.decision.excluded}
    # Only beside sizes measured warm is a size measured by cold starts alone out of line; when every size was
    # (a run of cold starts only, or of one invocation a size), the line compares like with like.
    any_warm = any(c.warm_invocations > 0 and c.cost is not None for c in output.candidates)
    return [
        _series_point(c, output.power, reasons.get(c.memory_mb), cold_only=any_warm and _measured_cold_only(c))
        for c in sorted(output.candidates, key=_memory)
    ]


def cold_only_sizes(output: TuningOutput) -> dict[int, int]:
    """The sizes the charts mark as measured by cold starts alone, with how many: the tables mark them too."""
    return {p.memory_mb: p.cold_only_invocations for p in chart_series(output) if p.cold_only}


def _measured_cold_only(candidate: CandidateStats) -> bool:
    return candidate.cost is not None and candidate.warm_invocations == 0 and candidate.cold_starts > 0


def current_memory(output: TuningOutput) -> int | None:
    """The function's memory before tuning, when it was measured and differs from the choice (else no mark)."""
    current = output.savings.current_memory_mb if output.savings else None
    return current if current != output.power else None


def any_measured(series: Sequence[SeriesPoint]) -> bool:
    return any(p.cost is not None for p in series)


def _memory(candidate: CandidateStats) -> int:
    return candidate.memory_mb


def _series_point(
    candidate: CandidateStats, chosen: int | None, exclusion: str | None, *, cold_only: bool
) -> SeriesPoint:
    if candidate.cost is None or candidate.duration_ms is None:
        reason = exclusion or candidate.failure_reason or "no successful invocation was measured"
        return SeriesPoint(candidate.memory_mb, None, None, None, PointStatus.FAILED, reason)
    if exclusion is not None:
        status = PointStatus.FAILED if exclusion.startswith("failed") else PointStatus.EXCLUDED
    else:
        status = PointStatus.CHOSEN if candidate.memory_mb == chosen else PointStatus.ELIGIBLE
    return SeriesPoint(
        candidate.memory_mb,
        candidate.cost_estimate,
        candidate.duration_ms.median,
        candidate.duration_ms.p95,
        status,
        exclusion,
        cold_only_invocations=candidate.cold_starts if cold_only else 0,
    )


# ---- the cost curve -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurveSeries:
    """The cost curve of an adaptive run as the output carries it: its predicted cost (and band) over the sizes
    measured, whether it fits, and its cheapest size."""

    points: tuple[CurvePoint, ...]  # in memory order
    fits: bool
    fitted_sizes: int
    check: str
    optimum_mb: int
    optimum_cost: float
    optimum_band: ConfidenceInterval

    def describe(self) -> str:
        """The tooltip of the line: the fit check, in words."""
        return self.check[0].upper() + self.check[1:] + "."

    def describe_optimum(self) -> str:
        """The tooltip of the curve's cheapest size."""
        band = self.optimum_band
        return (
            f"The cost curve's cheapest size: {self.optimum_mb:,} MB, predicted {usd(self.optimum_cost)} per "
            f"invocation (95% band {usd(band.low)}-{usd(band.high)})"
        )


def curve_series(output: TuningOutput) -> CurveSeries | None:
    """The run's cost curve, if it has one, over the span of the sizes measured (the x axis's). The curve prices the
    range the search could choose from, which lies within that span: this only keeps the axis true to the data."""
    curve = output.search.curve if output.search is not None else None
    if curve is None or not output.candidates:
        return None
    measured = [c.memory_mb for c in output.candidates]
    low, high = min(measured), max(measured)
    points = tuple(p for p in curve.points if low <= p.memory_mb <= high)
    if len(points) < 2:
        return None
    return CurveSeries(
        points=points,
        fits=curve.fits,
        fitted_sizes=len(curve.fitted_sizes),
        check=curve.check,
        optimum_mb=curve.optimum_mb,
        optimum_cost=curve.optimum_cost,
        optimum_band=curve.optimum_band,
    )


# ---- failed sizes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedGroup:
    """Failed sizes next to each other in memory order and close on the axis: one band, one cross, one label."""

    points: tuple[SeriesPoint, ...]

    @property
    def first_mb(self) -> int:
        return self.points[0].memory_mb

    @property
    def last_mb(self) -> int:
        return self.points[-1].memory_mb

    @property
    def middle_mb(self) -> float:
        """The middle on the log axis."""
        return math.sqrt(self.first_mb * self.last_mb)

    def describe(self) -> str:
        """The tooltip: each size and why it failed."""
        return "\n".join(point.describe() for point in self.points)


def failed_groups(series: Sequence[SeriesPoint]) -> list[FailedGroup]:
    """Failed sizes, one group where each follows the one before (no measured size between) within
    ``FAILED_GROUP_SHARE`` of the axis's width: closer than that, a label each would overlap."""
    low, high = memory_domain([p.memory_mb for p in series])
    closest = FAILED_GROUP_SHARE * (high - low)  # in log2(MB), as the axis is
    runs: list[list[SeriesPoint]] = []
    for before, point in zip([None, *series], series, strict=False):
        if point.status is not PointStatus.FAILED:
            continue
        follows = bool(runs) and runs[-1][-1] is before
        if follows and math.log2(point.memory_mb / runs[-1][-1].memory_mb) < closest:
            runs[-1].append(point)
        else:
            runs.append([point])
    return [FailedGroup(tuple(run)) for run in runs]


# ---- scales and ticks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """Maps a value to a pixel, linearly (or in log2 when ``log2``)."""

    low: float
    high: float
    start: float
    end: float
    log2: bool = False

    def __call__(self, value: float) -> float:
        position = math.log2(value) if self.log2 else value
        span = self.high - self.low
        share = (position - self.low) / span if span else 0.5
        return self.start + share * (self.end - self.start)


@dataclass(frozen=True)
class Ticks:
    """Both y axes' ticks, from zero, with the same number of intervals so one set of grid lines serves both."""

    cost: list[float]
    duration: list[float]


def memory_domain(sizes: Sequence[int]) -> tuple[float, float]:
    """The x axis in log2(MB), padded so the end points do not sit on the frame."""
    if not sizes:
        return math.log2(128), math.log2(10240)
    low, high = math.log2(min(sizes)), math.log2(max(sizes))
    pad = max((high - low) * 0.06, 0.35)
    return low - pad, high + pad


def axis_ticks(series: Sequence[SeriesPoint], curve: CurveSeries | None = None) -> Ticks:
    """Ticks that hold every measured value and the cost curve's line (its band may reach past the top: it is
    clipped there)."""
    costs = [p.cost for p in series if p.cost is not None]
    costs += [p.cost for p in curve.points] if curve is not None else []
    durations = [p.p95_ms for p in series if p.p95_ms is not None]
    cost_step = _nice_step(max(costs, default=0.0))
    duration_step = _nice_step(max(durations, default=0.0))
    intervals = max(_intervals(costs, cost_step), _intervals(durations, duration_step))
    return Ticks(
        cost=[i * cost_step for i in range(intervals + 1)],
        duration=[i * duration_step for i in range(intervals + 1)],
    )


def _nice_step(largest: float) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that covers ``largest`` in about five intervals."""
    headroom = (largest or 1.0) * 1.08
    raw = headroom / _TARGET_TICKS
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _intervals(values: Sequence[float], step: float) -> int:
    return max(math.ceil(max(values, default=0.0) * 1.08 / step - 1e-9), 1)


def _decimals(step: float) -> int:
    """Enough decimals to tell ticks ``step`` apart: 500 needs none, 2.5e-7 needs 8."""
    return next((d for d in range(16) if abs(round(step, d) - step) < step * 1e-6), 16)


def cost_label(value: float, step: float) -> str:
    if value == 0:
        return "$0"
    return f"${value:.{_decimals(step)}f}"


def duration_label(value: float, step: float) -> str:
    return f"{value:,.{_decimals(step)}f}"

"""What the charts plot, as pure data: every measured size with its status, the axes' domains and ticks.

Both renderers (``svg`` and ``png``) draw from these values, so the two pictures and the report's tables cannot
disagree about a number.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from autotuner.domain.contracts import TuningOutput
from autotuner.domain.money import usd
from autotuner.domain.selection import CandidateStats

SVG_LABEL_CHAR_WIDTH = 7.2  # px per digit of a 12px label, to keep x labels from overlapping
_TARGET_TICKS = 5


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

    def describe(self) -> str:
        """The tooltip: what was measured and, if it was not chosen for a reason, the reason."""
        if self.cost is None or self.p50_ms is None or self.p95_ms is None:
            return f"{self.memory_mb} MB: {self.reason or 'not measured'}"
        text = (
            f"{self.memory_mb} MB: {usd(self.cost)} per invocation, p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms"
        )
        if self.status is PointStatus.CHOSEN:
            return text + " (chosen)"
        return f"{text}. Excluded: {self.reason}" if self.reason else text


def chart_series(output: TuningOutput) -> list[SeriesPoint]:
    """Every candidate in memory order, with its status and, when it could not be chosen, why."""
    reasons = {e.memory_mb: e.reason for e in output.decision.excluded}
    return [_series_point(c, output.power, reasons.get(c.memory_mb)) for c in sorted(output.candidates, key=_memory)]


def current_memory(output: TuningOutput) -> int | None:
    """The function's memory before tuning, when it was measured and differs from the choice (else no mark)."""
    current = output.savings.current_memory_mb if output.savings else None
    return current if current != output.power else None


def any_measured(series: Sequence[SeriesPoint]) -> bool:
    return any(p.cost is not None for p in series)


def _memory(candidate: CandidateStats) -> int:
    return candidate.memory_mb


def _series_point(candidate: CandidateStats, chosen: int | None, exclusion: str | None) -> SeriesPoint:
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
    )


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


def axis_ticks(series: Sequence[SeriesPoint]) -> Ticks:
    costs = [p.cost for p in series if p.cost is not None]
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


def memory_labels(
    sizes: Sequence[int], positions: Sequence[float], chosen: int | None, *, char_width: float = SVG_LABEL_CHAR_WIDTH
) -> list[str]:
    """Labels for the x ticks; a label that would overlap one already placed is left blank (the chosen size is
    placed first, so it always keeps its label)."""
    order = sorted(range(len(sizes)), key=lambda i: (sizes[i] != chosen, sizes[i]))
    placed: list[tuple[float, float]] = []  # (centre, half width)
    labels = [""] * len(sizes)
    for i in order:
        text = str(sizes[i])
        half = len(text) * char_width / 2
        if all(abs(positions[i] - centre) >= half + other + 6 for centre, other in placed):
            placed.append((positions[i], half))
            labels[i] = text
    return labels

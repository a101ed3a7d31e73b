"""How each mark of a chart looks and what its legend says: one description that the SVG and PNG renderers follow.

The renderers decide only sizes in their own units (SVG pixels, matplotlib points); colours, dashes, which marker
a size gets and which legend entries appear are decided here, once.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from autotuner.reports.charts.series import CurveSeries, FailedGroup, PointStatus, SeriesPoint, cold_invocations

COST_COLOUR = "#2563eb"
P50_COLOUR = "#ea580c"
P95_COLOUR = "#f59e0b"
CHOSEN_COLOUR = "#16a34a"
REJECTED_COLOUR = "#dc2626"
CURRENT_COLOUR = "#64748b"
CURVE_COLOUR = "#7c3aed"  # the cost curve: on the cost axis, told apart from the measured cost line
CURVE_BAND_OPACITY = 0.14
GRID_COLOUR = "#e5e7eb"
INK = "#374151"
BACKGROUND = "#ffffff"

NOTHING_MEASURED = "No memory size completed a successful invocation"
MEMORY_AXIS_TITLE = "Memory (MB, log scale)"
COST_AXIS_TITLE = "Cost per invocation"
DURATION_AXIS_TITLE = "Duration (ms)"
FAILED_LABEL = "failed"
RANGE_DASH = "\u2013"  # an en dash, between the ends of a range of sizes
CURRENT_LABEL = "current"


def chosen_label(memory_mb: int) -> str:
    return f"chosen: {memory_mb} MB"


def failed_label(group: FailedGroup) -> str:
    """Above the group's cross: how many sizes failed (the axis names them, kept short to stay off the lines)."""
    return FAILED_LABEL if len(group.points) == 1 else f"{FAILED_LABEL}: {len(group.points)} sizes"


def curve_label(curve: CurveSeries) -> str:
    """The legend's words for the cost curve: what it rests on, or that it was not used."""
    if not curve.fits:
        return "cost curve (does not fit: not used)"
    sizes = "1 size" if curve.fitted_sizes == 1 else f"{curve.fitted_sizes} sizes"
    return f"cost curve (fitted to {sizes})"


def curve_optimum_label(curve: CurveSeries) -> str:
    return f"curve's cheapest: {curve.optimum_mb} MB"


def failed_axis_label(group: FailedGroup) -> str:
    """The group's sizes on the axis: one, or the first and last."""
    return str(group.first_mb) if len(group.points) == 1 else f"{group.first_mb}{RANGE_DASH}{group.last_mb}"


class Axis(StrEnum):
    COST = "cost"  # left
    DURATION = "duration"  # right


@dataclass(frozen=True)
class Series:
    """One plotted line: a value of each size, on one axis."""

    label: str
    colour: str
    axis: Axis
    value: Callable[[SeriesPoint], float | None]
    dashed: bool = False
    leaves_out_cold_only: bool = False  # a start-up in the value would spike the line

    def joins(self, point: SeriesPoint) -> bool:
        """Whether the line runs through ``point`` (its marker is drawn either way)."""
        return not (self.leaves_out_cold_only and point.cold_only)


def _cost(point: SeriesPoint) -> float | None:
    return point.cost


def _p50(point: SeriesPoint) -> float | None:
    return point.p50_ms


def _p95(point: SeriesPoint) -> float | None:
    return point.p95_ms


# A cold start's cost includes its billed start-up; the durations leave the start-up out.
COST = Series("Cost per invocation (left)", COST_COLOUR, Axis.COST, _cost, leaves_out_cold_only=True)
P50 = Series("p50 duration (right)", P50_COLOUR, Axis.DURATION, _p50)
P95 = Series("p95 duration (right)", P95_COLOUR, Axis.DURATION, _p95, dashed=True)
SERIES_IN_LEGEND_ORDER = (COST, P50, P95)
SERIES_IN_DRAWING_ORDER = (P95, P50, COST)  # cost last, on top: it is what the decision compares


class Marker(StrEnum):
    """How one measured size is marked on each line."""

    PLAIN = "plain"  # a dot in the line's colour
    CHOSEN = "chosen"  # a larger dot ringed in the chosen colour
    HOLLOW = "hollow"  # a white dot ringed in red: a constraint ruled the size out


def marker_for(status: PointStatus) -> Marker:
    match status:
        case PointStatus.CHOSEN:
            return Marker.CHOSEN
        case PointStatus.EXCLUDED | PointStatus.FAILED:
            return Marker.HOLLOW
        case PointStatus.ELIGIBLE:
            return Marker.PLAIN


class Shape(StrEnum):
    CIRCLE = "circle"
    DIAMOND = "diamond"  # a size measured by cold starts alone


def shape_for(point: SeriesPoint) -> Shape:
    return Shape.DIAMOND if point.cold_only else Shape.CIRCLE


def cold_only_label(points: Sequence[SeriesPoint]) -> str:
    """The legend's words for the diamonds: '1 cold invocation only' when each was measured by one."""
    counts = {p.cold_only_invocations for p in points if p.cold_only}
    return f"{cold_invocations(1)} only" if counts == {1} else "cold invocations only"


class Symbol(StrEnum):
    LINE = "line"
    CURVE = "curve"  # a thin line, over a light band when the entry has one
    PIN = "pin"  # a triangle pointing down at the cost curve's cheapest size
    SWATCH = "swatch"  # a filled square: the chosen size's band
    HOLLOW = "hollow"  # Marker.HOLLOW's ring
    CROSS = "cross"  # a failed size
    DIAMOND = "diamond"  # Shape.DIAMOND


@dataclass(frozen=True)
class LegendEntry:
    symbol: Symbol
    colour: str
    label: str
    dashed: bool = False
    reference: bool = False  # a thin reference line (the current memory), not a data series
    band: bool = False  # a light band behind the symbol (the cost curve's 95% band)


def curve_shows_band(curve: CurveSeries) -> bool:
    """A curve that does not fit is drawn dashed and without its band: it was not used, and its band means little."""
    return curve.fits


def curve_shows_optimum(curve: CurveSeries) -> bool:
    return curve.fits


def legend_entries(
    points: Sequence[SeriesPoint], *, current_shown: bool, curve: CurveSeries | None = None
) -> list[LegendEntry]:
    """The legend, in order: the three series, the cost curve and its cheapest size when the run has one, then only
    the marks this chart actually shows."""
    statuses = {p.status for p in points}
    entries = [LegendEntry(Symbol.LINE, s.colour, s.label, dashed=s.dashed) for s in SERIES_IN_LEGEND_ORDER]
    if curve is not None:
        entries.append(
            LegendEntry(
                Symbol.CURVE, CURVE_COLOUR, curve_label(curve), dashed=not curve.fits, band=curve_shows_band(curve)
            )
        )
        if curve_shows_optimum(curve):
            entries.append(LegendEntry(Symbol.PIN, CURVE_COLOUR, curve_optimum_label(curve)))
    if PointStatus.CHOSEN in statuses:
        entries.append(LegendEntry(Symbol.SWATCH, CHOSEN_COLOUR, "chosen"))
    if PointStatus.EXCLUDED in statuses:
        entries.append(LegendEntry(Symbol.HOLLOW, REJECTED_COLOUR, "excluded by a constraint or margin"))
    if PointStatus.FAILED in statuses:
        entries.append(LegendEntry(Symbol.CROSS, REJECTED_COLOUR, FAILED_LABEL))
    if any(p.cold_only for p in points):
        entries.append(LegendEntry(Symbol.DIAMOND, INK, cold_only_label(points)))
    if current_shown:
        entries.append(LegendEntry(Symbol.LINE, CURRENT_COLOUR, "current memory", dashed=True, reference=True))
    return entries

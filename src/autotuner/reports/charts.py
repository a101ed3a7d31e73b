"""Charts of one tuning run: cost and duration against memory, as inline SVG (HTML report) or PNG.

Both renderers draw from ``chart_series`` and share the axes' ticks, so the two pictures and the report's tables
cannot disagree. The SVG is written by hand, without scripts or external resources, so a report opens offline.
matplotlib is imported only inside ``render_png``: importing this module stays cheap for Lambda handlers that
never draw.
"""

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from html import escape
from typing import TYPE_CHECKING

from autotuner.domain.contracts import TuningOutput
from autotuner.domain.money import usd
from autotuner.domain.selection import CandidateStats

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SVG_WIDTH = 880
SVG_HEIGHT = 420
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

COST_COLOUR = "#2563eb"
P50_COLOUR = "#ea580c"
P95_COLOUR = "#f59e0b"
CHOSEN_COLOUR = "#16a34a"
REJECTED_COLOUR = "#dc2626"
CURRENT_COLOUR = "#64748b"
GRID_COLOUR = "#e5e7eb"
INK = "#374151"
NOTHING_MEASURED = "No memory size completed a successful invocation"

type LegendSymbol = Callable[[float, float], str]  # draws a symbol whose left edge is at x, centred on y

_CHAR_WIDTH = 7.2  # px per digit of a 12px label, to keep x labels from overlapping
_LEGEND_CHAR_WIDTH = 6.6  # px per character of legend text, on average
_LEGEND_LEFT = 16.0
_LEGEND_FIRST_ROW = 22.0
_LEGEND_ROW_HEIGHT = 22.0  # the legend takes up to two rows above the plot
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


# ---- scales and ticks, shared by both renderers -------------------------------------------------------------


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
    sizes: Sequence[int], positions: Sequence[float], chosen: int | None, *, char_width: float = _CHAR_WIDTH
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


# ---- SVG geometry ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class Tick:
    position: float  # px
    label: str


@dataclass(frozen=True)
class PlacedPoint:
    point: SeriesPoint
    x: float
    cost_y: float | None
    p50_y: float | None
    p95_y: float | None


@dataclass(frozen=True)
class ChartGeometry:
    width: int
    height: int
    plot: Box
    points: list[PlacedPoint]
    x_ticks: list[Tick]
    cost_ticks: list[Tick]
    duration_ticks: list[Tick]
    chosen: PlacedPoint | None
    current_x: float | None  # the function's memory before tuning, when it was measured


def chart_geometry(output: TuningOutput, *, width: int = SVG_WIDTH, height: int = SVG_HEIGHT) -> ChartGeometry:
    """Where everything goes, in SVG pixels; pure, so the tests can check the picture without rendering it."""
    series = chart_series(output)
    plot = Box(left=96, top=_LEGEND_FIRST_ROW + 2 * _LEGEND_ROW_HEIGHT + 8, right=width - 74, bottom=height - 56)
    low, high = memory_domain([p.memory_mb for p in series])
    x = Scale(low, high, plot.left, plot.right, log2=True)
    ticks = axis_ticks(series)
    cost_y = Scale(0, ticks.cost[-1], plot.bottom, plot.top)
    duration_y = Scale(0, ticks.duration[-1], plot.bottom, plot.top)
    points = [
        PlacedPoint(
            point=p,
            x=x(p.memory_mb),
            cost_y=None if p.cost is None else cost_y(p.cost),
            p50_y=None if p.p50_ms is None else duration_y(p.p50_ms),
            p95_y=None if p.p95_ms is None else duration_y(p.p95_ms),
        )
        for p in series
    ]
    labels = memory_labels([p.memory_mb for p in series], [p.x for p in points], output.power)
    current = output.savings.current_memory_mb if output.savings else None
    measured = _any_measured(series)
    return ChartGeometry(
        width=width,
        height=height,
        plot=plot,
        points=points,
        x_ticks=[Tick(p.x, label) for p, label in zip(points, labels, strict=True)],
        # With nothing measured, numbered y axes would only suggest values that do not exist.
        cost_ticks=_y_ticks(ticks.cost, cost_y, cost_label) if measured else [],
        duration_ticks=_y_ticks(ticks.duration, duration_y, duration_label) if measured else [],
        chosen=next((p for p in points if p.point.status is PointStatus.CHOSEN), None),
        current_x=x(current) if current is not None and current != output.power else None,
    )


def _any_measured(series: Sequence[SeriesPoint]) -> bool:
    return any(p.cost is not None for p in series)


def _y_ticks(values: list[float], scale: Scale, label: Callable[[float, float], str]) -> list[Tick]:
    step = values[1] - values[0]
    return [Tick(scale(v), label(v, step)) for v in values]


# ---- SVG ------------------------------------------------------------------------------------------------------


def render_svg(output: TuningOutput, function_name: str) -> str:
    """The chart as an inline SVG element: no scripts, no external references, tooltips in <title>."""
    geometry = chart_geometry(output)
    label = f"Cost and duration against memory for {function_name}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {geometry.width} {geometry.height}" '
        f'role="img" aria-label="{escape(label)}" font-family="{FONT_STACK}" font-size="12" fill="{INK}">',
        f"<title>{escape(label)}</title>",
        f'<rect width="{geometry.width}" height="{geometry.height}" fill="#ffffff"/>',
        *_svg_grid_and_axes(geometry),
        *_svg_failed_sizes(geometry),
        *_svg_current(geometry),
        *_svg_chosen_band(geometry),
        *_svg_series(geometry),
        *_svg_chosen_label(geometry),
        *_svg_legend(geometry),
        *_svg_nothing_measured(geometry),
        "</svg>",
    ]
    return "\n".join(parts)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _svg_grid_and_axes(g: ChartGeometry) -> list[str]:
    plot = g.plot
    parts: list[str] = []
    for cost, duration in zip(g.cost_ticks, g.duration_ticks, strict=True):
        y = _f(cost.position)
        parts.append(f'<line x1="{_f(plot.left)}" x2="{_f(plot.right)}" y1="{y}" y2="{y}" stroke="{GRID_COLOUR}"/>')
        parts.append(f'<text x="{_f(plot.left - 8)}" y="{y}" dy="4" text-anchor="end">{escape(cost.label)}</text>')
        parts.append(f'<text x="{_f(plot.right + 8)}" y="{y}" dy="4">{escape(duration.label)}</text>')
    for tick in g.x_ticks:
        x = _f(tick.position)
        parts.append(f'<line x1="{x}" x2="{x}" y1="{_f(plot.bottom)}" y2="{_f(plot.bottom + 5)}" stroke="{INK}"/>')
        if tick.label:
            chosen = g.chosen is not None and tick.position == g.chosen.x
            emphasis = f' font-weight="700" fill="{CHOSEN_COLOUR}"' if chosen else ""
            parts.append(f'<text x="{x}" y="{_f(plot.bottom + 19)}" text-anchor="middle"{emphasis}>{tick.label}</text>')
    parts += [
        f'<line x1="{_f(plot.left)}" x2="{_f(plot.right)}" y1="{_f(plot.bottom)}" y2="{_f(plot.bottom)}" '
        f'stroke="{INK}"/>',
        f'<text x="{_f((plot.left + plot.right) / 2)}" y="{_f(plot.bottom + 42)}" text-anchor="middle" '
        f'font-weight="600">Memory (MB, log scale)</text>',
        _svg_axis_title("Cost per invocation", 16, (plot.top + plot.bottom) / 2, COST_COLOUR),
        _svg_axis_title("Duration (ms)", g.width - 14, (plot.top + plot.bottom) / 2, P50_COLOUR),
    ]
    return parts


def _svg_nothing_measured(g: ChartGeometry) -> list[str]:
    if g.cost_ticks:
        return []
    x, y = (g.plot.left + g.plot.right) / 2, (g.plot.top + g.plot.bottom) / 2
    return [f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="middle" font-size="14">{NOTHING_MEASURED}</text>']


def _svg_axis_title(text: str, x: float, y: float, colour: str) -> str:
    return (
        f'<text transform="translate({_f(x)} {_f(y)}) rotate(-90)" text-anchor="middle" font-weight="600" '
        f'fill="{colour}">{escape(text)}</text>'
    )


def _svg_failed_sizes(g: ChartGeometry) -> list[str]:
    """Failed sizes have nothing to plot: a faint red band and a cross on the axis mark where they would be."""
    parts: list[str] = []
    for placed in g.points:
        if placed.point.status is not PointStatus.FAILED:
            continue
        x, bottom, tip = placed.x, g.plot.bottom, escape(placed.point.describe())
        parts += [
            f'<g class="failed"><title>{tip}</title>',
            f'<rect x="{_f(x - 9)}" y="{_f(g.plot.top)}" width="18" height="{_f(bottom - g.plot.top)}" '
            f'fill="{REJECTED_COLOUR}" fill-opacity="0.07"/>',
            _svg_cross(x, bottom - 14, 6),
            f'<text x="{_f(x)}" y="{_f(bottom - 26)}" text-anchor="middle" font-size="11" '
            f'fill="{REJECTED_COLOUR}">failed</text>',
            "</g>",
        ]
    return parts


def _svg_cross(x: float, y: float, size: float) -> str:
    return (
        f'<path d="M{_f(x - size)} {_f(y - size)}L{_f(x + size)} {_f(y + size)}M{_f(x - size)} {_f(y + size)}'
        f'L{_f(x + size)} {_f(y - size)}" stroke="{REJECTED_COLOUR}" stroke-width="2.5" stroke-linecap="round"/>'
    )


def _svg_current(g: ChartGeometry) -> list[str]:
    if g.current_x is None:
        return []
    x = _f(g.current_x)
    return [
        f'<line x1="{x}" x2="{x}" y1="{_f(g.plot.top)}" y2="{_f(g.plot.bottom)}" stroke="{CURRENT_COLOUR}" '
        f'stroke-dasharray="4 4"/>',
        f'<text x="{x}" y="{_f(g.plot.bottom - 8)}" dx="-5" text-anchor="end" font-size="11" '
        f'fill="{CURRENT_COLOUR}">current</text>',
    ]


def _svg_chosen_band(g: ChartGeometry) -> list[str]:
    if g.chosen is None:
        return []
    x = g.chosen.x
    return [
        f'<rect x="{_f(x - 11)}" y="{_f(g.plot.top)}" width="22" height="{_f(g.plot.bottom - g.plot.top)}" '
        f'fill="{CHOSEN_COLOUR}" fill-opacity="0.12"/>',
        f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(g.plot.top)}" y2="{_f(g.plot.bottom)}" stroke="{CHOSEN_COLOUR}" '
        f'stroke-width="1.5"/>',
    ]


def _svg_series(g: ChartGeometry) -> list[str]:
    parts = [
        *_svg_line(g.points, lambda p: p.p95_y, P95_COLOUR, dashed=True),
        *_svg_line(g.points, lambda p: p.p50_y, P50_COLOUR),
        *_svg_line(g.points, lambda p: p.cost_y, COST_COLOUR),
    ]
    for placed in g.points:
        parts += _svg_point_markers(placed)
    return parts


def _svg_line(
    points: Sequence[PlacedPoint], y_of: Callable[[PlacedPoint], float | None], colour: str, *, dashed: bool = False
) -> list[str]:
    """A polyline per run of measured sizes: a failed size in between breaks the line instead of bridging it."""
    runs: list[list[str]] = [[]]
    for placed in points:
        y = y_of(placed)
        if y is None:
            runs.append([])
        else:
            runs[-1].append(f"{_f(placed.x)},{_f(y)}")
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return [
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5" '
        f'stroke-linejoin="round"{dash}/>'
        for run in runs
        if len(run) > 1
    ]


def _svg_point_markers(placed: PlacedPoint) -> list[str]:
    if placed.cost_y is None or placed.p50_y is None or placed.p95_y is None:
        return []
    status = placed.point.status
    parts = [f'<g class="point {status.value}"><title>{escape(placed.point.describe())}</title>']
    for y, colour in ((placed.p95_y, P95_COLOUR), (placed.p50_y, P50_COLOUR), (placed.cost_y, COST_COLOUR)):
        parts.append(_svg_marker(placed.x, y, colour, status))
    parts.append("</g>")
    return parts


def _svg_marker(x: float, y: float, colour: str, status: PointStatus) -> str:
    if status in {PointStatus.EXCLUDED, PointStatus.FAILED}:
        return (
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="5.5" fill="#ffffff" stroke="{REJECTED_COLOUR}" stroke-width="2.5"/>'
        )
    if status is PointStatus.CHOSEN:
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="6.5" fill="{colour}" stroke="{CHOSEN_COLOUR}" stroke-width="3"/>'
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4" fill="{colour}" stroke="#ffffff" stroke-width="1.5"/>'


def _svg_chosen_label(g: ChartGeometry) -> list[str]:
    if g.chosen is None:
        return []
    x = g.chosen.x
    on_the_left = x < (g.plot.left + g.plot.right) / 2
    anchor, dx = ("start", 16) if on_the_left else ("end", -16)
    return [
        f'<text x="{_f(x + dx)}" y="{_f(g.plot.top + 18)}" text-anchor="{anchor}" font-weight="700" '
        f'fill="{CHOSEN_COLOUR}" stroke="#ffffff" stroke-width="4" paint-order="stroke">'
        f"chosen: {g.chosen.point.memory_mb} MB</text>"
    ]


def _svg_legend(g: ChartGeometry) -> list[str]:
    statuses = {p.point.status for p in g.points}
    entries: list[tuple[LegendSymbol, str]] = [
        (_legend_line(COST_COLOUR), "Cost per invocation (left)"),
        (_legend_line(P50_COLOUR), "p50 duration (right)"),
        (_legend_line(P95_COLOUR, dashed=True), "p95 duration (right)"),
    ]
    if PointStatus.CHOSEN in statuses:
        entries.append((_legend_swatch(CHOSEN_COLOUR), "chosen"))
    if PointStatus.EXCLUDED in statuses:
        entries.append((_legend_hollow, "excluded by a constraint"))
    if PointStatus.FAILED in statuses:
        entries.append((_legend_cross, "failed"))
    if g.current_x is not None:
        entries.append((_legend_line(CURRENT_COLOUR, dashed=True, width=1.5), "current memory"))
    parts: list[str] = []
    x, y = _LEGEND_LEFT, _LEGEND_FIRST_ROW
    for draw, text in entries:
        item_width = 24 + len(text) * _LEGEND_CHAR_WIDTH
        if x + item_width > g.width - 16:  # wrap to the second row
            x, y = _LEGEND_LEFT, y + _LEGEND_ROW_HEIGHT
        parts.append(draw(x, y))
        parts.append(f'<text x="{_f(x + 24)}" y="{_f(y)}" dy="4">{escape(text)}</text>')
        x += item_width + 20
    return parts


def _legend_line(colour: str, *, dashed: bool = False, width: float = 2.5) -> LegendSymbol:
    dash = ' stroke-dasharray="6 4"' if dashed else ""

    def draw(x: float, y: float) -> str:
        return (
            f'<line x1="{_f(x)}" x2="{_f(x + 18)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{colour}" '
            f'stroke-width="{width}"{dash}/>'
        )

    return draw


def _legend_swatch(colour: str) -> LegendSymbol:
    def draw(x: float, y: float) -> str:
        return f'<rect x="{_f(x + 3)}" y="{_f(y - 6)}" width="12" height="12" rx="2" fill="{colour}"/>'

    return draw


def _legend_hollow(x: float, y: float) -> str:
    return f'<circle cx="{_f(x + 9)}" cy="{_f(y)}" r="5" fill="#ffffff" stroke="{REJECTED_COLOUR}" stroke-width="2.5"/>'


def _legend_cross(x: float, y: float) -> str:
    return _svg_cross(x + 9, y, 5)


# ---- PNG ------------------------------------------------------------------------------------------------------

_PNG_SIZE_INCHES = (9.0, 4.8)
_PNG_DPI = 120
_PNG_CHAR_WIDTH = 8.5  # px per digit of a 9 pt tick label at 120 dpi
_PNG_AXES_SHARE = 0.8  # of the figure's width, roughly, once the two y axes have their labels


def render_png(output: TuningOutput, function_name: str) -> bytes:
    """The chart as a PNG, for places that do not display SVG (e-mail, chat), drawn with matplotlib's Agg."""
    # Imported here so that importing this module does not need matplotlib, which Lambda handlers do not ship.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    series = chart_series(output)
    figure = Figure(figsize=_PNG_SIZE_INCHES, dpi=_PNG_DPI, layout="constrained", facecolor="#ffffff")
    FigureCanvasAgg(figure)  # attaches itself: the figure renders with Agg, whatever pyplot's backend
    cost_axes = figure.add_subplot()
    duration_axes = cost_axes.twinx()
    _png_axes(cost_axes, duration_axes, series, output.power)
    _png_marks(cost_axes, series, output)
    _png_lines(cost_axes, duration_axes, series)
    _png_legend(cost_axes, series, current_shown=_current_memory(output) is not None)
    figure.suptitle(f"{function_name}: cost and duration by memory", x=0.02, ha="left", fontweight="bold")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _current_memory(output: TuningOutput) -> int | None:
    current = output.savings.current_memory_mb if output.savings else None
    return current if current != output.power else None


def _png_axes(cost_axes: "Axes", duration_axes: "Axes", series: list[SeriesPoint], chosen: int | None) -> None:
    sizes = [p.memory_mb for p in series]
    low, high = memory_domain(sizes)
    axes_px = _PNG_SIZE_INCHES[0] * _PNG_DPI * _PNG_AXES_SHARE
    positions = [(math.log2(s) - low) / (high - low) * axes_px for s in sizes]
    cost_axes.set_xscale("log", base=2)
    cost_axes.set_xlim(2**low, 2**high)
    cost_axes.set_xticks(sizes, labels=memory_labels(sizes, positions, chosen, char_width=_PNG_CHAR_WIDTH))
    cost_axes.minorticks_off()
    cost_axes.set_xlabel("Memory (MB, log scale)")
    ticks = axis_ticks(series)
    for axes, values, label, title, colour in (
        (cost_axes, ticks.cost, cost_label, "Cost per invocation", COST_COLOUR),
        (duration_axes, ticks.duration, duration_label, "Duration (ms)", P50_COLOUR),
    ):
        step = values[1] - values[0]
        axes.set_ylim(0, values[-1])
        axes.set_yticks(values, labels=[label(v, step) for v in values])
        axes.set_ylabel(title, color=colour, fontweight="bold")
        axes.tick_params(labelsize=9)
        axes.spines["top"].set_visible(False)
    if not _any_measured(series):
        for axes in (cost_axes, duration_axes):
            axes.set_yticks([])
        cost_axes.text(0.5, 0.5, NOTHING_MEASURED, transform=cost_axes.transAxes, ha="center", color=INK)
    cost_axes.grid(axis="y", color=GRID_COLOUR)
    cost_axes.set_axisbelow(True)


def _png_lines(cost_axes: "Axes", duration_axes: "Axes", series: list[SeriesPoint]) -> None:
    """NaN breaks a line where a size failed, as in the SVG; excluded sizes get hollow red rings."""
    sizes = [p.memory_mb for p in series]
    for axes, pick, colour, style in (
        (duration_axes, _p95, P95_COLOUR, "--"),
        (duration_axes, _p50, P50_COLOUR, "-"),
        (cost_axes, _cost, COST_COLOUR, "-"),
    ):
        axes.plot(sizes, [_or_nan(pick(p)) for p in series], color=colour, linewidth=2.2, linestyle=style, marker="o")
        excluded = [p for p in series if p.status is PointStatus.EXCLUDED]
        axes.scatter(
            [p.memory_mb for p in excluded],
            [_or_nan(pick(p)) for p in excluded],
            s=80,
            facecolors="#ffffff",
            edgecolors=REJECTED_COLOUR,
            linewidths=2.2,
            zorder=4,
        )
    chosen = [p for p in series if p.status is PointStatus.CHOSEN]
    cost_axes.scatter(
        [p.memory_mb for p in chosen],
        [_or_nan(p.cost) for p in chosen],
        s=120,
        color=COST_COLOUR,
        edgecolors=CHOSEN_COLOUR,
        linewidths=2.5,
        zorder=5,
    )


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _cost(point: SeriesPoint) -> float | None:
    return point.cost


def _p50(point: SeriesPoint) -> float | None:
    return point.p50_ms


def _p95(point: SeriesPoint) -> float | None:
    return point.p95_ms


def _png_marks(axes: "Axes", series: list[SeriesPoint], output: TuningOutput) -> None:
    """Chosen, current and failed sizes, as bands and labels across the whole height."""
    on_x = axes.get_xaxis_transform()  # x in data, y as a share of the axes' height
    band = 2**0.07
    for p in series:
        if p.status is PointStatus.FAILED:
            axes.axvspan(p.memory_mb / band, p.memory_mb * band, color=REJECTED_COLOUR, alpha=0.08, linewidth=0)
            axes.plot(
                [p.memory_mb],
                [0.05],
                transform=on_x,
                marker="x",
                markersize=10,
                markeredgewidth=2.5,
                color=REJECTED_COLOUR,
                clip_on=False,
            )
            axes.text(p.memory_mb, 0.11, "failed", transform=on_x, ha="center", fontsize=9, color=REJECTED_COLOUR)
    if (current := _current_memory(output)) is not None:
        axes.axvline(current, color=CURRENT_COLOUR, linestyle="--", linewidth=1.2)
    if output.power is not None:
        axes.axvspan(output.power / band, output.power * band, color=CHOSEN_COLOUR, alpha=0.12, linewidth=0)
        axes.axvline(output.power, color=CHOSEN_COLOUR, linewidth=1.5)
        low, high = axes.get_xlim()
        on_the_left = math.log2(output.power) < (math.log2(low) + math.log2(high)) / 2
        axes.text(
            output.power * (band if on_the_left else 1 / band),
            0.95,
            f"chosen: {output.power} MB",
            transform=on_x,
            ha="left" if on_the_left else "right",
            va="top",
            fontweight="bold",
            color=CHOSEN_COLOUR,
            bbox={"facecolor": "#ffffff", "edgecolor": "none", "alpha": 0.85, "pad": 1},
        )


def _png_legend(axes: "Axes", series: list[SeriesPoint], *, current_shown: bool) -> None:
    from matplotlib.lines import Line2D  # noqa: PLC0415 - see render_png

    statuses = {p.status for p in series}
    handles = [
        Line2D([], [], color=COST_COLOUR, linewidth=2.2, marker="o", label="Cost per invocation (left)"),
        Line2D([], [], color=P50_COLOUR, linewidth=2, marker="o", label="p50 duration (right)"),
        Line2D([], [], color=P95_COLOUR, linewidth=2, linestyle="--", marker="o", label="p95 duration (right)"),
    ]
    if PointStatus.CHOSEN in statuses:
        handles.append(Line2D([], [], color=CHOSEN_COLOUR, linewidth=6, alpha=0.5, label="chosen"))
    if PointStatus.EXCLUDED in statuses:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="o",
                markersize=8,
                markerfacecolor="#ffffff",
                markeredgecolor=REJECTED_COLOUR,
                markeredgewidth=2,
                label="excluded by a constraint",
            )
        )
    if PointStatus.FAILED in statuses:
        handles.append(
            Line2D(
                [], [], linestyle="", marker="x", markersize=8, markeredgewidth=2, color=REJECTED_COLOUR, label="failed"
            )
        )
    if current_shown:
        handles.append(Line2D([], [], color=CURRENT_COLOUR, linestyle="--", label="current memory"))
    axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.06), ncols=4, frameon=False, fontsize=9)

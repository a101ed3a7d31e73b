"""The chart as inline SVG for the HTML report, written by hand: no scripts, no external resources, so a report
opens offline. ``chart_geometry`` places everything in pixels first, so the tests can check the picture without
rendering it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from autotuner.domain.run.output import TuningOutput
from autotuner.reports.charts.labels import (
    LabelKind,
    PlacedLabel,
    axis_labels,
    failed_labels,
    lay_out,
    lifted_clear_of,
    rows_used,
    ticked_sizes,
)
from autotuner.reports.charts.marks import (
    BACKGROUND,
    CHOSEN_COLOUR,
    COST,
    COST_AXIS_TITLE,
    COST_COLOUR,
    CURRENT_COLOUR,
    CURRENT_LABEL,
    CURVE_BAND_OPACITY,
    CURVE_COLOUR,
    DURATION_AXIS_TITLE,
    GRID_COLOUR,
    INK,
    MEMORY_AXIS_TITLE,
    NOTHING_MEASURED,
    P50,
    P50_COLOUR,
    P95,
    REJECTED_COLOUR,
    SERIES_IN_DRAWING_ORDER,
    LegendEntry,
    Marker,
    Series,
    Shape,
    Symbol,
    chosen_label,
    curve_shows_band,
    curve_shows_optimum,
    legend_entries,
    marker_for,
    shape_for,
)
from autotuner.reports.charts.series import (
    CurveSeries,
    FailedGroup,
    PointStatus,
    Scale,
    SeriesPoint,
    any_measured,
    axis_ticks,
    chart_series,
    cost_label,
    current_memory,
    curve_series,
    duration_label,
    failed_groups,
    memory_domain,
)

SVG_WIDTH = 880
SVG_HEIGHT = 420
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

_LEGEND_CHAR_WIDTH = 6.6  # px per character of legend text, on average
_LEGEND_LEFT = 16.0
_LEGEND_FIRST_ROW = 22.0
_LEGEND_ROW_HEIGHT = 22.0
_LEGEND_ROWS = 2  # the plot starts below two rows of legend; a chart whose legend needs more is taller
_LINE_WIDTH = 2.5
_CURVE_WIDTH = 1.5
_PIN_SIZE = 5.5  # half the width of the triangle on the curve's cheapest size
_PIN_LIFT = _PIN_SIZE + 2.5  # its centre above the curve: the tip just clears a measured line there
_AXIS_CHAR_WIDTH = 7.2  # px per digit of a 12px label
_AXIS_ROW_HEIGHT = 15.0  # a second row of axis numbers, for marked sizes that would overlap (a 12px line is 14)
_FAILED_CHAR_WIDTH = 6.4  # px per character of an 11px label, on average
_FAILED_ROW_HEIGHT = 14.0
_MARK_REACH = 9.0  # from a mark's centre to its edge: the chosen diamond's corner and stroke


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

    def y_of(self, series: Series) -> float | None:
        return {COST: self.cost_y, P50: self.p50_y, P95: self.p95_y}[series]


@dataclass(frozen=True)
class PlacedFailure:
    """A group of failed sizes: a band from ``left`` to ``right``, a cross at ``x`` and its label."""

    group: FailedGroup
    left: float
    right: float
    x: float
    label: PlacedLabel


@dataclass(frozen=True)
class PlacedCurve:
    """The cost curve in pixels: its line, its band (clipped to the plot) and where its cheapest size is."""

    curve: CurveSeries
    line: list[tuple[float, float]]
    band_top: list[tuple[float, float]]  # the band's upper edge, left to right
    band_bottom: list[tuple[float, float]]
    optimum: tuple[float, float] | None  # on the line; None when it is not marked


@dataclass(frozen=True)
class PlacedLegendEntry:
    entry: LegendEntry
    x: float  # the symbol's left edge
    row: int

    @property
    def y(self) -> float:
        """The row's middle."""
        return _LEGEND_FIRST_ROW + self.row * _LEGEND_ROW_HEIGHT

    @property
    def text_x(self) -> float:
        return self.x + 24


@dataclass(frozen=True)
class ChartGeometry:
    width: int
    height: int
    plot: Box
    points: list[PlacedPoint]
    x_ticks: list[float]  # every numbered size's (the current one's too), and every failed size's of a group
    x_labels: list[PlacedLabel]
    cost_ticks: list[Tick]
    duration_ticks: list[Tick]
    failures: list[PlacedFailure]
    chosen: PlacedPoint | None
    current_x: float | None  # the function's memory before tuning, when it was measured
    curve: PlacedCurve | None = None
    legend: tuple[PlacedLegendEntry, ...] = ()

    def x_label_y(self, label: PlacedLabel) -> float:
        """The baseline of an x axis number."""
        return self.plot.bottom + 19 + label.row * _AXIS_ROW_HEIGHT

    def failed_label_y(self, label: PlacedLabel) -> float:
        return _failed_baseline(self.plot, label)


def chart_geometry(output: TuningOutput, *, width: int = SVG_WIDTH, height: int = SVG_HEIGHT) -> ChartGeometry:
    """Where everything goes, in SVG pixels; pure, so the tests can check the picture without rendering it."""
    series = chart_series(output)
    curve = curve_series(output)
    current = current_memory(output)
    legend = _lay_out_legend(legend_entries(series, current_shown=current is not None, curve=curve), width)
    legend_rows = max(_LEGEND_ROWS, legend[-1].row + 1)
    height += round((legend_rows - _LEGEND_ROWS) * _LEGEND_ROW_HEIGHT)  # the plot keeps its height below the legend
    left, right = 96, width - 74
    low, high = memory_domain([p.memory_mb for p in series])
    x = Scale(low, high, left, right, log2=True)
    groups = failed_groups(series)
    x_labels = lay_out(axis_labels(series, groups, output.power, current), x, char_width=_AXIS_CHAR_WIDTH)
    # Rows of axis numbers below the first take their height from the plot, so the axis title keeps its place.
    bottom = height - 56 - (rows_used(x_labels) - 1) * _AXIS_ROW_HEIGHT
    plot = Box(left=left, top=_LEGEND_FIRST_ROW + legend_rows * _LEGEND_ROW_HEIGHT + 8, right=right, bottom=bottom)
    ticks = axis_ticks(series, curve)
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
    measured = any_measured(series)
    current_x = x(current) if current is not None else None
    return ChartGeometry(
        width=width,
        height=height,
        plot=plot,
        points=points,
        x_ticks=[x(size) for size in ticked_sizes(x_labels, groups)],
        x_labels=x_labels,
        # With nothing measured, numbered y axes would only suggest values that do not exist.
        cost_ticks=_y_ticks(ticks.cost, cost_y, cost_label) if measured else [],
        duration_ticks=_y_ticks(ticks.duration, duration_y, duration_label) if measured else [],
        failures=_place_failures(groups, x, plot, points),
        chosen=next((p for p in points if p.point.status is PointStatus.CHOSEN), None),
        current_x=current_x,
        curve=_place_curve(curve, x, cost_y, plot) if curve is not None and measured else None,
        legend=tuple(legend),
    )


def _lay_out_legend(entries: list[LegendEntry], width: int) -> list[PlacedLegendEntry]:
    """Left to right, a new row where the next entry would pass the right edge."""
    placed: list[PlacedLegendEntry] = []
    x, row = _LEGEND_LEFT, 0
    for entry in entries:
        item_width = 24 + len(entry.label) * _LEGEND_CHAR_WIDTH
        if x + item_width > width - 16 and x > _LEGEND_LEFT:
            x, row = _LEGEND_LEFT, row + 1
        placed.append(PlacedLegendEntry(entry, x, row))
        x += item_width + 20
    return placed


def _place_curve(curve: CurveSeries, x: Scale, cost_y: Scale, plot: Box) -> PlacedCurve:
    def clipped(value: float) -> float:
        return min(max(cost_y(value), plot.top), plot.bottom)

    band = curve_shows_band(curve)
    return PlacedCurve(
        curve=curve,
        line=[(x(p.memory_mb), cost_y(p.cost)) for p in curve.points],
        band_top=[(x(p.memory_mb), clipped(p.high)) for p in curve.points] if band else [],
        band_bottom=[(x(p.memory_mb), clipped(p.low)) for p in curve.points] if band else [],
        optimum=(x(curve.optimum_mb), cost_y(curve.optimum_cost)) if curve_shows_optimum(curve) else None,
    )


def _place_failures(groups: list[FailedGroup], x: Scale, plot: Box, points: list[PlacedPoint]) -> list[PlacedFailure]:
    labels = _clear_of_marks(failed_labels(groups, x, char_width=_FAILED_CHAR_WIDTH), plot, points)
    return [
        PlacedFailure(group, x(group.first_mb) - 9, x(group.last_mb) + 9, x(group.middle_mb), label)
        for group, label in zip(groups, labels, strict=True)
    ]


def _clear_of_marks(labels: list[PlacedLabel], plot: Box, points: list[PlacedPoint]) -> list[PlacedLabel]:
    """The failed groups' labels, lifted clear of every point's mark (a measured size's low cost can sit just above
    the crosses): an 11px label spans 11px above its baseline and 3px below."""
    marks = [(p.x, y) for p in points for y in (p.cost_y, p.p50_y, p.p95_y) if y is not None]

    def extent(label: PlacedLabel) -> tuple[float, float]:
        baseline = _failed_baseline(plot, label)
        return baseline - 11, baseline + 3

    return lifted_clear_of(labels, marks, extent, reach=_MARK_REACH)


def _failed_baseline(plot: Box, label: PlacedLabel) -> float:
    """The baseline of a failed group's label: its rows go up from above the crosses."""
    return plot.bottom - 26 - label.row * _FAILED_ROW_HEIGHT


def _y_ticks(values: list[float], scale: Scale, label: Callable[[float, float], str]) -> list[Tick]:
    step = values[1] - values[0]
    return [Tick(scale(v), label(v, step)) for v in values]


def render_svg(output: TuningOutput, function_name: str) -> str:
    """The chart as an inline SVG element: no scripts, no external references, tooltips in <title>."""
    geometry = chart_geometry(output)
    label = f"Cost and duration against memory for {function_name}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {geometry.width} {geometry.height}" '
        f'role="img" aria-label="{escape(label)}" font-family="{FONT_STACK}" font-size="12" fill="{INK}">',
        f"<title>{escape(label)}</title>",
        f'<rect width="{geometry.width}" height="{geometry.height}" fill="{BACKGROUND}"/>',
        *_grid_and_axes(geometry),
        *_failed_sizes(geometry),
        *_current(geometry),
        *_chosen_band(geometry),
        *_curve_band(geometry),
        *_lines(geometry),
        *_curve(geometry),
        *_curve_optimum(geometry),
        *_markers(geometry),
        *_chosen_label(geometry),
        *_legend(geometry),
        *_nothing_measured(geometry),
        "</svg>",
    ]
    return "\n".join(parts)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _grid_and_axes(g: ChartGeometry) -> list[str]:
    plot = g.plot
    parts: list[str] = []
    for cost, duration in zip(g.cost_ticks, g.duration_ticks, strict=True):
        y = _f(cost.position)
        parts.append(f'<line x1="{_f(plot.left)}" x2="{_f(plot.right)}" y1="{y}" y2="{y}" stroke="{GRID_COLOUR}"/>')
        parts.append(f'<text x="{_f(plot.left - 8)}" y="{y}" dy="4" text-anchor="end">{escape(cost.label)}</text>')
        parts.append(f'<text x="{_f(plot.right + 8)}" y="{y}" dy="4">{escape(duration.label)}</text>')
    for position in g.x_ticks:
        x = _f(position)
        parts.append(f'<line x1="{x}" x2="{x}" y1="{_f(plot.bottom)}" y2="{_f(plot.bottom + 5)}" stroke="{INK}"/>')
    parts += [_x_label(g, label) for label in g.x_labels]
    parts += [
        f'<line x1="{_f(plot.left)}" x2="{_f(plot.right)}" y1="{_f(plot.bottom)}" y2="{_f(plot.bottom)}" '
        f'stroke="{INK}"/>',
        f'<text x="{_f((plot.left + plot.right) / 2)}" y="{_f(g.height - 14)}" text-anchor="middle" '
        f'font-weight="600">{MEMORY_AXIS_TITLE}</text>',
        _axis_title(COST_AXIS_TITLE, 16, (plot.top + plot.bottom) / 2, COST_COLOUR),
        _axis_title(DURATION_AXIS_TITLE, g.width - 14, (plot.top + plot.bottom) / 2, P50_COLOUR),
    ]
    return parts


_X_LABEL_STYLE = {
    LabelKind.CHOSEN: f' font-weight="700" fill="{CHOSEN_COLOUR}"',
    LabelKind.CURRENT: f' font-weight="600" fill="{CURRENT_COLOUR}"',
    LabelKind.FAILED: f' fill="{REJECTED_COLOUR}"',
    LabelKind.PLAIN: "",
}


def _x_label(g: ChartGeometry, label: PlacedLabel) -> str:
    """An axis number; one in a lower row hangs from its tick by a thin line."""
    x, y = _f(label.x), g.x_label_y(label)
    leader = ""
    if label.row:
        leader = f'<line x1="{x}" x2="{x}" y1="{_f(g.plot.bottom + 5)}" y2="{_f(y - 11)}" stroke="{GRID_COLOUR}"/>'
    style = _X_LABEL_STYLE[label.label.kind]
    return f'{leader}<text x="{x}" y="{_f(y)}" text-anchor="middle"{style}>{escape(label.label.text)}</text>'


def _nothing_measured(g: ChartGeometry) -> list[str]:
    if g.cost_ticks:
        return []
    x, y = (g.plot.left + g.plot.right) / 2, (g.plot.top + g.plot.bottom) / 2
    return [f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="middle" font-size="14">{NOTHING_MEASURED}</text>']


def _axis_title(text: str, x: float, y: float, colour: str) -> str:
    return (
        f'<text transform="translate({_f(x)} {_f(y)}) rotate(-90)" text-anchor="middle" font-weight="600" '
        f'fill="{colour}">{escape(text)}</text>'
    )


def _failed_sizes(g: ChartGeometry) -> list[str]:
    """Failed sizes have nothing to plot: a faint red band and a cross on the axis mark where they would be, one
    for each group of failed sizes close together."""
    parts: list[str] = []
    for failure in g.failures:
        bottom, label = g.plot.bottom, failure.label
        parts += [
            f'<g class="failed"><title>{escape(failure.group.describe())}</title>',
            f'<rect x="{_f(failure.left)}" y="{_f(g.plot.top)}" width="{_f(failure.right - failure.left)}" '
            f'height="{_f(bottom - g.plot.top)}" fill="{REJECTED_COLOUR}" fill-opacity="0.07"/>',
            _cross(failure.x, bottom - 14, 6),
            f'<text x="{_f(label.x)}" y="{_f(g.failed_label_y(label))}" text-anchor="middle" font-size="11" '
            f'fill="{REJECTED_COLOUR}" stroke="{BACKGROUND}" stroke-width="3" paint-order="stroke">'
            f"{escape(label.label.text)}</text>",
            "</g>",
        ]
    return parts


def _cross(x: float, y: float, size: float) -> str:
    return (
        f'<path d="M{_f(x - size)} {_f(y - size)}L{_f(x + size)} {_f(y + size)}M{_f(x - size)} {_f(y + size)}'
        f'L{_f(x + size)} {_f(y - size)}" stroke="{REJECTED_COLOUR}" stroke-width="2.5" stroke-linecap="round"/>'
    )


def _current(g: ChartGeometry) -> list[str]:
    if g.current_x is None:
        return []
    x = _f(g.current_x)
    return [
        f'<line x1="{x}" x2="{x}" y1="{_f(g.plot.top)}" y2="{_f(g.plot.bottom)}" stroke="{CURRENT_COLOUR}" '
        f'stroke-dasharray="4 4"/>',
        f'<text x="{x}" y="{_f(g.plot.bottom - 8)}" dx="-5" text-anchor="end" font-size="11" '
        f'fill="{CURRENT_COLOUR}">{CURRENT_LABEL}</text>',
    ]


def _chosen_band(g: ChartGeometry) -> list[str]:
    if g.chosen is None:
        return []
    x = g.chosen.x
    return [
        f'<rect x="{_f(x - 11)}" y="{_f(g.plot.top)}" width="22" height="{_f(g.plot.bottom - g.plot.top)}" '
        f'fill="{CHOSEN_COLOUR}" fill-opacity="0.12"/>',
        f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(g.plot.top)}" y2="{_f(g.plot.bottom)}" stroke="{CHOSEN_COLOUR}" '
        f'stroke-width="1.5"/>',
    ]


def _lines(g: ChartGeometry) -> list[str]:
    return [line for series in SERIES_IN_DRAWING_ORDER for line in _line(g.points, series)]


def _markers(g: ChartGeometry) -> list[str]:
    return [part for placed in g.points for part in _point_markers(placed)]


def _line(points: Sequence[PlacedPoint], series: Series) -> list[str]:
    """A polyline per run of measured sizes: a failed size in between breaks the line instead of bridging it; a
    size the line does not join is bridged."""
    runs: list[list[str]] = [[]]
    for placed in points:
        y = placed.y_of(series)
        if y is None:
            runs.append([])
        elif series.joins(placed.point):
            runs[-1].append(f"{_f(placed.x)},{_f(y)}")
    dash = ' stroke-dasharray="6 4"' if series.dashed else ""
    return [
        f'<polyline points="{" ".join(run)}" fill="none" stroke="{series.colour}" stroke-width="{_LINE_WIDTH}" '
        f'stroke-linejoin="round"{dash}/>'
        for run in runs
        if len(run) > 1
    ]


def _point_markers(placed: PlacedPoint) -> list[str]:
    if placed.cost_y is None or placed.p50_y is None or placed.p95_y is None:
        return []
    status, shape = placed.point.status, shape_for(placed.point)
    classes = f"point {status.value}" + (" cold-only" if placed.point.cold_only else "")
    parts = [f'<g class="{classes}"><title>{escape(placed.point.describe())}</title>']
    for series in SERIES_IN_DRAWING_ORDER:
        y = placed.y_of(series)
        if y is not None:
            parts.append(_marker(placed.x, y, series.colour, marker_for(status), shape))
    parts.append("</g>")
    return parts


def _marker(x: float, y: float, colour: str, marker: Marker, shape: Shape) -> str:
    match marker:
        case Marker.HOLLOW:
            return _hollow_ring(x, y, 5.5, shape)
        case Marker.CHOSEN:
            return _shape(x, y, 6.5, shape, f'fill="{colour}" stroke="{CHOSEN_COLOUR}" stroke-width="3"')
        case Marker.PLAIN:
            radius = 4 if shape is Shape.CIRCLE else 5.5  # a diamond stands out a little larger
            return _shape(x, y, radius, shape, f'fill="{colour}" stroke="{BACKGROUND}" stroke-width="1.5"')


def _hollow_ring(x: float, y: float, radius: float, shape: Shape = Shape.CIRCLE) -> str:
    return _shape(x, y, radius, shape, f'fill="{BACKGROUND}" stroke="{REJECTED_COLOUR}" stroke-width="2.5"')


def _shape(x: float, y: float, radius: float, shape: Shape, paint: str) -> str:
    """A circle, or a diamond with its corners ``radius`` * 1.3 from the centre (to look as large)."""
    if shape is Shape.CIRCLE:
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{radius}" {paint}/>'
    r = radius * 1.3
    corners = f"M{_f(x)} {_f(y - r)}L{_f(x + r)} {_f(y)}L{_f(x)} {_f(y + r)}L{_f(x - r)} {_f(y)}Z"
    return f'<path class="diamond" d="{corners}" {paint}/>'


def _chosen_label(g: ChartGeometry) -> list[str]:
    if g.chosen is None:
        return []
    x = g.chosen.x
    on_the_left = x < (g.plot.left + g.plot.right) / 2
    anchor, dx = ("start", 16) if on_the_left else ("end", -16)
    return [
        f'<text x="{_f(x + dx)}" y="{_f(g.plot.top + 18)}" text-anchor="{anchor}" font-weight="700" '
        f'fill="{CHOSEN_COLOUR}" stroke="{BACKGROUND}" stroke-width="4" paint-order="stroke">'
        f"{chosen_label(g.chosen.point.memory_mb)}</text>"
    ]


def _legend(g: ChartGeometry) -> list[str]:
    parts = ['<g class="legend">']
    for placed in g.legend:
        parts.append(_legend_symbol(placed.entry, placed.x, placed.y))
        parts.append(f'<text x="{_f(placed.text_x)}" y="{_f(placed.y)}" dy="4">{escape(placed.entry.label)}</text>')
    parts.append("</g>")
    return parts


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_f(x)},{_f(y)}" for x, y in points)


def _curve_band(g: ChartGeometry) -> list[str]:
    """The cost curve's 95% band: a light area under every line."""
    if g.curve is None or not g.curve.band_top:
        return []
    outline = [*g.curve.band_top, *reversed(g.curve.band_bottom)]
    return [
        f'<polygon class="curve-band" points="{_points(outline)}" fill="{CURVE_COLOUR}" '
        f'fill-opacity="{CURVE_BAND_OPACITY}" stroke="none"/>'
    ]


def _curve(g: ChartGeometry) -> list[str]:
    """The cost curve: a thin line over the measured ones (which it follows where it fits) and under the measured
    sizes' markers, dashed when it does not fit; its tooltip is the fit check."""
    if g.curve is None:
        return []
    placed = g.curve
    state = "fits" if placed.curve.fits else "misfit"
    dash = "" if placed.curve.fits else ' stroke-dasharray="6 4"'
    return [
        f'<g class="curve {state}"><title>{escape(placed.curve.describe())}</title>',
        f'<polyline class="curve-line" points="{_points(placed.line)}" fill="none" stroke="{CURVE_COLOUR}" '
        f'stroke-width="{_CURVE_WIDTH}" stroke-linejoin="round"{dash}/>',
        "</g>",
    ]


def _curve_optimum(g: ChartGeometry) -> list[str]:
    """A triangle on the curve's cheapest size, its tip just above the line."""
    if g.curve is None or g.curve.optimum is None:
        return []
    x, y = g.curve.optimum
    return [
        f'<g class="curve-optimum"><title>{escape(g.curve.curve.describe_optimum())}</title>',
        _pin(x, y - _PIN_LIFT, _PIN_SIZE),
        "</g>",
    ]


def _pin(x: float, y: float, size: float) -> str:
    """A triangle pointing down, centred on (x, y)."""
    return (
        f'<path d="M{_f(x - size)} {_f(y - size)}L{_f(x + size)} {_f(y - size)}L{_f(x)} {_f(y + size)}Z" '
        f'fill="{CURVE_COLOUR}" stroke="{BACKGROUND}" stroke-width="1"/>'
    )


def _legend_symbol(entry: LegendEntry, x: float, y: float) -> str:
    """The symbol of ``entry`` with its left edge at ``x``, centred on ``y``."""
    match entry.symbol:
        case Symbol.LINE | Symbol.CURVE:
            return _legend_line(entry, x, y)
        case Symbol.PIN:
            return _pin(x + 9, y, 5)
        case Symbol.SWATCH:
            return f'<rect x="{_f(x + 3)}" y="{_f(y - 6)}" width="12" height="12" rx="2" fill="{entry.colour}"/>'
        case Symbol.HOLLOW:
            return _hollow_ring(x + 9, y, 5)
        case Symbol.CROSS:
            return _cross(x + 9, y, 5)
        case Symbol.DIAMOND:
            return _shape(x + 9, y, 4.5, Shape.DIAMOND, f'fill="{entry.colour}" stroke="{BACKGROUND}" stroke-width="1"')


def _legend_line(entry: LegendEntry, x: float, y: float) -> str:
    """A series' line, the current memory's thin one, or the cost curve's thin one over its band."""
    dash = ' stroke-dasharray="6 4"' if entry.dashed else ""
    width = _CURVE_WIDTH if entry.symbol is Symbol.CURVE else 1.5 if entry.reference else _LINE_WIDTH
    band = ""
    if entry.band:
        band = (
            f'<rect x="{_f(x)}" y="{_f(y - 5)}" width="18" height="10" fill="{entry.colour}" '
            f'fill-opacity="{CURVE_BAND_OPACITY}"/>'
        )
    return (
        f'{band}<line x1="{_f(x)}" x2="{_f(x + 18)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{entry.colour}" '
        f'stroke-width="{width}"{dash}/>'
    )

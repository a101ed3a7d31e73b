"""The chart as a PNG, for places that do not display SVG (e-mail, chat), drawn with matplotlib's Agg.

matplotlib is imported only inside the functions that draw: importing this module stays cheap for Lambda
handlers, which do not ship matplotlib.
"""

import io
import math
from typing import TYPE_CHECKING, Literal

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
    COST_AXIS_TITLE,
    COST_COLOUR,
    CURRENT_COLOUR,
    CURVE_BAND_OPACITY,
    CURVE_COLOUR,
    DURATION_AXIS_TITLE,
    GRID_COLOUR,
    INK,
    MEMORY_AXIS_TITLE,
    NOTHING_MEASURED,
    P50_COLOUR,
    REJECTED_COLOUR,
    SERIES_IN_DRAWING_ORDER,
    Axis,
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

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_SIZE_INCHES = (9.0, 4.8)
_DPI = 120
_CHAR_WIDTH = 10.5  # px per character of a 9 pt label at 120 dpi: a bold DejaVu Sans digit (letters are narrower)
_LABEL_POINTS = 9
_ROW_POINTS = 11.0  # a row of 9 pt labels
_TICK_POINTS = 7.0  # a tick and its padding, below the axis
_AXES_SHARE = 0.8  # of the figure's width, roughly, once the two y axes have their labels
_AXES_HEIGHT_PIXELS = 390.0  # the axes' height, roughly, once the legend, title and axis numbers have theirs
_FAILED_LABEL_SHARE = 0.11  # of the axes' height: a failed group's label's first row, above its cross
_MARK_REACH_POINTS = 7.0  # from a point's centre to its mark's edge, the chosen ring's included
_LINE_WIDTH = 2.2
_CURVE_WIDTH = 1.3
_PIN_LIFT_POINTS = 5.5  # the triangle on the curve's cheapest size: its tip just above the line
CHOSEN_RING_AREA = 120  # pt², the chosen size's dots
_BAND = 2**0.07  # half the width of a size's band, as a factor on the log2 axis


def render_png(output: TuningOutput, function_name: str) -> bytes:
    """The chart as PNG bytes: the same marks, colours and legend as the SVG."""
    buffer = io.BytesIO()
    chart_figure(output, function_name).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(output: TuningOutput, function_name: str) -> "Figure":
    """The chart as a matplotlib figure, attached to Agg whatever pyplot's backend."""
    # Imported here so that importing this module does not need matplotlib, which Lambda handlers do not ship.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    series = chart_series(output)
    curve = curve_series(output)
    figure = Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained", facecolor=BACKGROUND)
    FigureCanvasAgg(figure)  # attaches itself
    cost_axes = figure.add_subplot()
    duration_axes = cost_axes.twinx()
    _axes(cost_axes, duration_axes, series, output, curve)
    _bands(cost_axes, duration_axes, series, output)
    if curve is not None and any_measured(series):
        _curve(figure, cost_axes, curve)
    _lines({Axis.COST: cost_axes, Axis.DURATION: duration_axes}, series)
    entries = legend_entries(series, current_shown=current_memory(output) is not None, curve=curve)
    cost_axes.legend(
        handles=[_legend_handle(e) for e in entries],
        labels=[e.label for e in entries],  # a handle of two artists (a band under a line) carries none
        loc="lower center",
        bbox_to_anchor=(0.5, 1.06),
        ncols=4,
        frameon=False,
        fontsize=9,
    )
    figure.suptitle(f"{function_name}: cost and duration by memory", x=0.02, ha="left", fontweight="bold")
    return figure


def _axes(
    cost_axes: "Axes",
    duration_axes: "Axes",
    series: list[SeriesPoint],
    output: TuningOutput,
    curve: CurveSeries | None,
) -> None:
    low, high = memory_domain([p.memory_mb for p in series])
    cost_axes.set_xscale("log", base=2)
    cost_axes.set_xlim(2**low, 2**high)
    rows = _x_labels(cost_axes, series, output)
    cost_axes.minorticks_off()
    cost_axes.set_xlabel(MEMORY_AXIS_TITLE, labelpad=rows * _ROW_POINTS)
    ticks = axis_ticks(series, curve)
    for axes, values, label, title, colour in (
        (cost_axes, ticks.cost, cost_label, COST_AXIS_TITLE, COST_COLOUR),
        (duration_axes, ticks.duration, duration_label, DURATION_AXIS_TITLE, P50_COLOUR),
    ):
        step = values[1] - values[0]
        axes.set_ylim(0, values[-1])
        axes.set_yticks(values, labels=[label(v, step) for v in values])
        axes.set_ylabel(title, color=colour, fontweight="bold")
        axes.tick_params(labelsize=9)
        axes.spines["top"].set_visible(False)
    if not any_measured(series):
        for axes in (cost_axes, duration_axes):
            axes.set_yticks([])
        cost_axes.text(0.5, 0.5, NOTHING_MEASURED, transform=cost_axes.transAxes, ha="center", color=INK)
    cost_axes.grid(axis="y", color=GRID_COLOUR)
    cost_axes.set_axisbelow(True)


def _pixels(series: list[SeriesPoint]) -> Scale:
    """Roughly where a size lands across the figure, in pixels: what keeping labels apart needs."""
    low, high = memory_domain([p.memory_mb for p in series])
    return Scale(low, high, 0, _SIZE_INCHES[0] * _DPI * _AXES_SHARE, log2=True)


_LABEL_STYLE: dict[LabelKind, dict[str, str]] = {
    LabelKind.CHOSEN: {"fontweight": "bold", "color": CHOSEN_COLOUR},
    LabelKind.CURRENT: {"fontweight": "bold", "color": CURRENT_COLOUR},
    LabelKind.FAILED: {"color": REJECTED_COLOUR},
    LabelKind.PLAIN: {"color": INK},
}


def _x_labels(axes: "Axes", series: list[SeriesPoint], output: TuningOutput) -> int:
    """The axis numbers laid out as in the SVG (a lower row hangs from its tick by a thin line); the rows used."""
    current = current_memory(output)
    groups = failed_groups(series)
    placed = lay_out(axis_labels(series, groups, output.power, current), _pixels(series), char_width=_CHAR_WIDTH)
    ticks = ticked_sizes(placed, groups)
    axes.set_xticks(ticks, labels=[""] * len(ticks))
    for label in placed:
        _annotate(axes, label, y=0, offset=-_TICK_POINTS - label.row * _ROW_POINTS, va="top", leader=label.row > 0)
    return rows_used(placed)


def _annotate(axes: "Axes", label: PlacedLabel, *, y: float, offset: float, va: str, leader: bool = False) -> None:
    """``label`` at its size on the x axis, ``offset`` points above ``y`` (a share of the axes' height)."""
    axes.annotate(
        label.label.text,
        xy=(label.label.memory_mb, y),
        xycoords=axes.get_xaxis_transform(),
        xytext=(0, offset),
        textcoords="offset points",
        ha="center",
        va=va,
        fontsize=_LABEL_POINTS,
        annotation_clip=False,
        arrowprops={"arrowstyle": "-", "color": GRID_COLOUR, "shrinkA": 0, "shrinkB": 0} if leader else None,
        **_LABEL_STYLE[label.label.kind],
    )


def _lines(axes_of: dict[Axis, "Axes"], series: list[SeriesPoint]) -> None:
    """NaN breaks a line where a size failed, and a size a line does not join is bridged, as in the SVG; the
    markers follow ``marker_for`` and ``shape_for`` as in the SVG."""
    for line in SERIES_IN_DRAWING_ORDER:
        axes = axes_of[line.axis]
        joined = [p for p in series if line.joins(p)]
        axes.plot(
            [p.memory_mb for p in joined],
            [_or_nan(line.value(p)) for p in joined],
            color=line.colour,
            linewidth=_LINE_WIDTH,
            linestyle="--" if line.dashed else "-",
        )
        for marker in Marker:
            for shape in Shape:
                points = [p for p in series if marker_for(p.status) is marker and shape_for(p) is shape]
                if points:
                    _markers(axes, points, line, marker, shape)


_MARKER_OF_SHAPE = {Shape.CIRCLE: "o", Shape.DIAMOND: "D"}


def _markers(axes: "Axes", points: list[SeriesPoint], line: Series, marker: Marker, shape: Shape) -> None:
    paint: dict[Marker, dict[str, object]] = {
        Marker.PLAIN: {"s": 36 if shape is Shape.CIRCLE else 50, "color": line.colour, "edgecolors": BACKGROUND},
        Marker.HOLLOW: {"s": 80, "facecolors": BACKGROUND, "edgecolors": REJECTED_COLOUR, "linewidths": _LINE_WIDTH},
        Marker.CHOSEN: {"s": CHOSEN_RING_AREA, "color": line.colour, "edgecolors": CHOSEN_COLOUR, "linewidths": 2.5},
    }
    axes.scatter(
        [p.memory_mb for p in points],
        [_or_nan(line.value(p)) for p in points],
        marker=_MARKER_OF_SHAPE[shape],
        zorder=5 if marker is Marker.CHOSEN else 4,
        **paint[marker],  # type: ignore[arg-type]
    )


def _curve(figure: "Figure", axes: "Axes", curve: CurveSeries) -> None:
    """The cost curve as in the SVG: its band under the measured lines, a thin line over them (dashed when it does
    not fit) and a triangle on its cheapest size. The axes clip a band that reaches past the top."""
    from matplotlib.transforms import offset_copy  # noqa: PLC0415 - see render_png

    sizes = [p.memory_mb for p in curve.points]
    if curve_shows_band(curve):
        axes.fill_between(
            sizes,
            [p.low for p in curve.points],
            [p.high for p in curve.points],
            color=CURVE_COLOUR,
            alpha=CURVE_BAND_OPACITY,
            linewidth=0,
            zorder=1.5,
        )
    axes.plot(
        sizes,
        [p.cost for p in curve.points],
        color=CURVE_COLOUR,
        linewidth=_CURVE_WIDTH,
        linestyle="-" if curve.fits else "--",
        zorder=3,  # the measured lines are at 2, their markers at 4 and 5
    )
    if curve_shows_optimum(curve):
        lifted = offset_copy(axes.transData, fig=figure, y=_PIN_LIFT_POINTS, units="points")
        axes.plot(
            [curve.optimum_mb],
            [curve.optimum_cost],
            transform=lifted,
            linestyle="",
            marker="v",
            markersize=8,
            color=CURVE_COLOUR,
            markeredgecolor=BACKGROUND,
            zorder=6,
        )


def _failed_labels(
    cost_axes: "Axes", duration_axes: "Axes", series: list[SeriesPoint], groups: list[FailedGroup]
) -> list[PlacedLabel]:
    """The failed groups' labels, lifted clear of every point's mark as in the SVG, in ``_pixels``'s units."""
    pixels, points_to_pixels = _pixels(series), _DPI / 72
    top = {Axis.COST: cost_axes.get_ylim()[1], Axis.DURATION: duration_axes.get_ylim()[1]}
    marks = [
        (pixels(point.memory_mb), value / top[line.axis] * _AXES_HEIGHT_PIXELS)
        for point in series
        for line in SERIES_IN_DRAWING_ORDER
        if (value := line.value(point)) is not None
    ]

    def extent(label: PlacedLabel) -> tuple[float, float]:
        baseline = _FAILED_LABEL_SHARE * _AXES_HEIGHT_PIXELS + label.row * _ROW_POINTS * points_to_pixels
        return baseline - 3, baseline + _LABEL_POINTS * points_to_pixels

    placed = failed_labels(groups, pixels, char_width=_CHAR_WIDTH)
    return lifted_clear_of(placed, marks, extent, reach=_MARK_REACH_POINTS * points_to_pixels)


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _bands(axes: "Axes", duration_axes: "Axes", series: list[SeriesPoint], output: TuningOutput) -> None:
    """Chosen, current and failed sizes, as bands and labels across the whole height."""
    on_x = axes.get_xaxis_transform()  # x in data, y as a share of the axes' height
    groups = failed_groups(series)
    for group, label in zip(groups, _failed_labels(axes, duration_axes, series, groups), strict=True):
        axes.axvspan(group.first_mb / _BAND, group.last_mb * _BAND, color=REJECTED_COLOUR, alpha=0.08, linewidth=0)
        axes.plot(
            [group.middle_mb],
            [0.05],
            transform=on_x,
            marker="x",
            markersize=10,
            markeredgewidth=2.5,
            color=REJECTED_COLOUR,
            clip_on=False,
        )
        _annotate(axes, label, y=_FAILED_LABEL_SHARE, offset=label.row * _ROW_POINTS, va="baseline")
    if (current := current_memory(output)) is not None:
        axes.axvline(current, color=CURRENT_COLOUR, linestyle="--", linewidth=1.2)
    if output.power is not None:
        axes.axvspan(output.power / _BAND, output.power * _BAND, color=CHOSEN_COLOUR, alpha=0.12, linewidth=0)
        axes.axvline(output.power, color=CHOSEN_COLOUR, linewidth=1.5)
        low, high = axes.get_xlim()
        on_the_left = math.log2(output.power) < (math.log2(low) + math.log2(high)) / 2
        axes.text(
            output.power * (_BAND if on_the_left else 1 / _BAND),
            0.95,
            chosen_label(output.power),
            transform=on_x,
            ha="left" if on_the_left else "right",
            va="top",
            fontweight="bold",
            color=CHOSEN_COLOUR,
            bbox={"facecolor": BACKGROUND, "edgecolor": "none", "alpha": 0.85, "pad": 1},
        )


def _legend_handle(entry: LegendEntry) -> "Artist | tuple[Artist, ...]":
    from matplotlib.lines import Line2D  # noqa: PLC0415 - see render_png

    match entry.symbol:
        case Symbol.LINE | Symbol.CURVE:
            return _legend_line(entry)
        case Symbol.PIN:
            return Line2D([], [], linestyle="", marker="v", markersize=8, color=entry.colour, label=entry.label)
        case Symbol.SWATCH:
            return Line2D([], [], color=entry.colour, linewidth=6, alpha=0.5, label=entry.label)
        case Symbol.HOLLOW:
            return Line2D(
                [],
                [],
                linestyle="",
                marker="o",
                markersize=8,
                markerfacecolor=BACKGROUND,
                markeredgecolor=entry.colour,
                markeredgewidth=2,
                label=entry.label,
            )
        case Symbol.CROSS:
            return Line2D(
                [], [], linestyle="", marker="x", markersize=8, markeredgewidth=2, color=entry.colour, label=entry.label
            )
        case Symbol.DIAMOND:
            return Line2D([], [], linestyle="", marker="D", markersize=6, color=entry.colour, label=entry.label)


def _legend_line(entry: LegendEntry) -> "Artist | tuple[Artist, ...]":
    """A series' line with its dot, the current memory's thin line, or the cost curve's thin line over its band."""
    from matplotlib.lines import Line2D  # noqa: PLC0415 - see render_png
    from matplotlib.patches import Patch  # noqa: PLC0415

    style: Literal["--", "-"] = "--" if entry.dashed else "-"
    if entry.symbol is Symbol.CURVE:
        line = Line2D([], [], color=entry.colour, linewidth=_CURVE_WIDTH, linestyle=style, label=entry.label)
        band = Patch(facecolor=entry.colour, alpha=CURVE_BAND_OPACITY, linewidth=0)
        return (band, line) if entry.band else line
    if entry.reference:
        return Line2D([], [], color=entry.colour, linestyle=style, label=entry.label)
    return Line2D([], [], color=entry.colour, linewidth=_LINE_WIDTH, linestyle=style, marker="o", label=entry.label)

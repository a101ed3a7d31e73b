import io
import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.collections import Collection, PathCollection
from matplotlib.colors import to_hex
from PIL import Image

from autotuner.domain.run.output import TuningOutput
from autotuner.reports.charts import render_png, render_svg
from autotuner.reports.charts.labels import rows_used
from autotuner.reports.charts.marks import (
    COST_COLOUR,
    CURVE_COLOUR,
    NOTHING_MEASURED,
    REJECTED_COLOUR,
    SERIES_IN_DRAWING_ORDER,
    legend_entries,
)
from autotuner.reports.charts.png import CHOSEN_RING_AREA, chart_figure
from autotuner.reports.charts.series import (
    PointStatus,
    axis_ticks,
    chart_series,
    cost_label,
    current_memory,
    curve_series,
    duration_label,
    memory_domain,
)
from autotuner.reports.charts.svg import chart_geometry
from tests.unit.reports import adaptive_output, crowded_output, failed_output, io_bound_output, tuned_output

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TUNED = tuned_output()
FITTING = adaptive_output()
MISFIT = adaptive_output(fitting=False)


def test_series_gives_each_size_its_status_and_reason() -> None:
    series = {p.memory_mb: p for p in chart_series(TUNED)}
    assert list(series) == sorted(c.memory_mb for c in TUNED.candidates)
    assert series[128].status is PointStatus.FAILED
    assert series[128].reason is not None
    assert "ran out of memory" in series[128].reason
    assert series[128].cost is None
    assert series[256].status is PointStatus.EXCLUDED
    assert series[256].reason is not None
    assert series[256].reason.startswith("p95 duration")
    assert TUNED.power is not None
    assert series[TUNED.power].status is PointStatus.CHOSEN
    chosen = series[TUNED.power]
    assert chosen.cost == TUNED.cost
    assert [p.memory_mb for p in series.values() if p.status is PointStatus.CHOSEN] == [TUNED.power]


def test_points_are_placed_left_to_right_by_memory_on_a_log_scale() -> None:
    geometry = chart_geometry(TUNED)
    xs = [p.x for p in geometry.points]
    assert [p.point.memory_mb for p in geometry.points] == sorted(p.point.memory_mb for p in geometry.points)
    assert xs == sorted(xs)
    assert len(set(xs)) == len(xs)
    assert all(geometry.plot.left < x < geometry.plot.right for x in xs)
    by_memory = {p.point.memory_mb: p.x for p in geometry.points}
    # Each doubling of memory is the same distance to the right.
    assert by_memory[256] - by_memory[128] == pytest.approx(by_memory[512] - by_memory[256])
    assert by_memory[2048] - by_memory[1024] == pytest.approx(by_memory[512] - by_memory[256])


def test_larger_values_are_drawn_higher_and_inside_the_plot() -> None:
    geometry = chart_geometry(TUNED)
    plot = geometry.plot
    placed = {p.point.memory_mb: p for p in geometry.points}
    assert placed[128].cost_y is None  # failed: nothing to plot
    for p in geometry.points:
        for y in (p.cost_y, p.p50_y, p.p95_y):
            assert y is None or plot.top <= y <= plot.bottom
    cheap, dear = placed[1024].cost_y, placed[10240].cost_y
    slow, fast = placed[512].p50_y, placed[10240].p50_y
    assert None not in (cheap, dear, slow, fast)
    assert cheap is not None
    assert dear is not None
    assert slow is not None
    assert fast is not None
    assert dear < cheap  # SVG's y grows downwards
    assert slow < fast


def test_y_ticks_start_at_zero_cover_the_data_and_share_grid_lines() -> None:
    series = chart_series(TUNED)
    ticks = axis_ticks(series)
    assert ticks.cost[0] == 0
    assert ticks.duration[0] == 0
    assert len(ticks.cost) == len(ticks.duration)
    assert ticks.cost[-1] >= max(p.cost for p in series if p.cost is not None)
    assert ticks.duration[-1] >= max(p.p95_ms for p in series if p.p95_ms is not None)
    geometry = chart_geometry(TUNED)
    positions = [(c.position, d.position) for c, d in zip(geometry.cost_ticks, geometry.duration_ticks, strict=True)]
    assert all(c == pytest.approx(d) for c, d in positions)


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [(0.0, 5e-6, "$0"), (1e-5, 5e-6, "$0.000010"), (2.5e-6, 2.5e-7, "$0.00000250"), (7.5e-7, 2.5e-7, "$0.00000075")],
)
def test_cost_ticks_read_as_dollars(value: float, step: float, expected: str) -> None:
    assert cost_label(value, step) == expected


def test_duration_ticks_are_grouped_and_only_as_precise_as_the_step() -> None:
    assert duration_label(1500, 500) == "1,500"
    assert duration_label(0.5, 0.25) == "0.50"


def _svg_tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # also proves the SVG is well-formed XML


def test_svg_marks_the_chosen_size_with_a_label() -> None:
    tree = _svg_tree(render_svg(TUNED, "image-resizer"))
    texts = ["".join(t.itertext()) for t in tree.iter(f"{SVG}text")]
    assert f"chosen: {TUNED.power} MB" in texts
    chosen_groups = [g for g in tree.iter(f"{SVG}g") if g.get("class") == "point chosen"]
    assert len(chosen_groups) == 1
    title = chosen_groups[0].find(f"{SVG}title")
    assert title is not None
    assert title.text is not None
    assert title.text.startswith(f"{TUNED.power} MB:")


def test_svg_shows_failed_and_excluded_sizes_with_their_reasons() -> None:
    tree = _svg_tree(render_svg(TUNED, "image-resizer"))
    tooltips = {
        g.get("class"): (g.findtext(f"{SVG}title") or "")
        for g in tree.iter(f"{SVG}g")
        if g.get("class") in {"failed", "point excluded"}
    }
    reasons = {e.memory_mb: e.reason for e in TUNED.decision.excluded}
    assert tooltips["failed"] == f"128 MB: {reasons[128]}"
    assert tooltips["point excluded"].endswith(f"Excluded: {reasons[256]}")
    hollow = [c for c in tree.iter(f"{SVG}circle") if c.get("stroke") == REJECTED_COLOUR and c.get("fill") == "#ffffff"]
    assert len(hollow) >= 3  # the excluded size on each of the three series (and the legend)
    legend = {"".join(t.itertext()) for t in tree.iter(f"{SVG}text")}
    assert {"excluded by a constraint or margin", "failed", "chosen", "current memory"} <= legend


def test_svg_is_self_contained_and_escapes_the_function_name() -> None:
    svg = render_svg(TUNED, '<script>alert("x")</script>')
    tree = _svg_tree(svg)
    assert not [e for e in tree.iter() if e.tag in {f"{SVG}script", f"{SVG}image", f"{SVG}foreignObject"}]
    assert not [k for e in tree.iter() for k in e.attrib if "href" in k or k.startswith("on")]
    assert tree.findtext(f"{SVG}title") == 'Cost and duration against memory for <script>alert("x")</script>'


def test_svg_of_a_run_that_measured_nothing_says_so_without_y_values() -> None:
    geometry = chart_geometry(failed_output())
    assert geometry.cost_ticks == []
    assert geometry.duration_ticks == []
    assert geometry.chosen is None
    texts = ["".join(t.itertext()) for t in _svg_tree(render_svg(failed_output(), "pdf")).iter(f"{SVG}text")]
    assert NOTHING_MEASURED in texts
    assert texts.count("failed") == 3  # two sizes and the legend


def test_current_memory_is_marked_only_when_it_differs_from_the_choice() -> None:
    assert chart_geometry(io_bound_output()).current_x is not None
    assert TUNED.savings is not None
    same = TUNED.model_copy(update={"savings": TUNED.savings.model_copy(update={"current_memory_mb": TUNED.power})})
    assert chart_geometry(same).current_x is None


def _png_image(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGB")


def _share_near(image: Image.Image, colour: str, tolerance: int = 40) -> float:
    """The share of ``image``'s pixels within ``tolerance`` (per channel) of ``colour`` ("#rrggbb")."""
    target = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    near = 0
    for count, rgb in image.getcolors(maxcolors=image.width * image.height) or []:
        assert isinstance(rgb, tuple)
        if all(abs(a - b) <= tolerance for a, b in zip(rgb, target, strict=True)):
            near += count
    return near / (image.width * image.height)


def test_png_is_a_real_chart() -> None:
    data = render_png(TUNED, "image-resizer")
    image = _png_image(data)
    assert 800 <= image.width <= 2000
    assert 400 <= image.height <= 1200
    assert 10_000 < len(data) < 1_000_000
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 100  # antialiased lines and text, not a blank or single-colour canvas
    assert _share_near(image, COST_COLOUR) > 0.002
    assert _share_near(image, REJECTED_COLOUR) > 0.0005


@pytest.mark.parametrize("output", [failed_output(), io_bound_output()], ids=["nothing-measured", "recommended"])
def test_png_renders_every_kind_of_run(output: TuningOutput) -> None:
    image = _png_image(render_png(output, "f"))
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 50


def test_importing_the_reports_does_not_import_matplotlib() -> None:
    """Lambda handlers may import the reports without shipping matplotlib; only render_png needs it."""
    code = "import sys, autotuner.reports.charts, autotuner.reports.html; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"


def test_log_scale_handles_a_single_size() -> None:
    low, high = memory_domain([1024])
    assert low < math.log2(1024) < high


@pytest.mark.parametrize(
    "output",
    [TUNED, io_bound_output(), failed_output(), crowded_output(), FITTING, MISFIT],
    ids=["tuned", "io-bound", "failed", "crowded", "curve", "curve-misfit"],
)
def test_both_renderers_draw_the_one_legend(output: TuningOutput) -> None:
    """The SVG and the PNG take their legend from one description: same entries, same order."""
    series = chart_series(output)
    shown = current_memory(output) is not None
    expected = [e.label for e in legend_entries(series, current_shown=shown, curve=curve_series(output))]
    geometry = chart_geometry(output)
    svg_texts = ["".join(t.itertext()) for t in _svg_tree(render_svg(output, "f")).iter(f"{SVG}text")]
    legend_start = svg_texts.index(expected[0])
    assert svg_texts[legend_start : legend_start + len(expected)] == expected
    assert (geometry.current_x is not None) == ("current memory" in expected)
    legend = chart_figure(output, "f").axes[0].get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == expected


def test_both_renderers_ring_the_chosen_size_on_every_series() -> None:
    tree = _svg_tree(render_svg(TUNED, "f"))
    chosen_group = next(g for g in tree.iter(f"{SVG}g") if g.get("class") == "point chosen")
    ringed = [c.get("fill") for c in chosen_group.iter(f"{SVG}circle")]
    assert ringed == [s.colour for s in SERIES_IN_DRAWING_ORDER]
    figure = chart_figure(TUNED, "f")
    rings = [
        to_hex(tuple(collection.get_facecolors()[0]))  # type: ignore[attr-defined]
        for axes in figure.axes
        for collection in axes.collections
        if isinstance(collection, PathCollection) and list(collection.get_sizes()) == [CHOSEN_RING_AREA]
    ]
    assert sorted(rings) == sorted(s.colour for s in SERIES_IN_DRAWING_ORDER)


# ---- the cost curve --------------------------------------------------------------------------------------------


def test_a_sweep_has_no_curve_to_draw() -> None:
    assert TUNED.search is None or TUNED.search.curve is None
    assert curve_series(TUNED) is None
    assert chart_geometry(TUNED).curve is None
    tree = _svg_tree(render_svg(TUNED, "f"))
    assert not [g for g in tree.iter(f"{SVG}g") if "curve" in (g.get("class") or "")]
    assert not any("cost curve" in "".join(t.itertext()) for t in tree.iter(f"{SVG}text"))


def test_the_curve_series_is_what_the_output_predicts_over_the_sizes_measured() -> None:
    assert FITTING.search is not None
    summary = FITTING.search.curve
    assert summary is not None
    curve = curve_series(FITTING)
    assert curve is not None
    assert list(curve.points) == summary.points  # the run's own figures, nothing evaluated again
    assert curve.points[0].memory_mb == 256  # 128 MB failed: the curve starts at the lowest size that worked
    assert curve.points[-1].memory_mb == 10240
    assert (curve.fits, curve.fitted_sizes, curve.optimum_mb) == (True, 7, summary.optimum_mb)
    ticks = axis_ticks(chart_series(FITTING), curve)
    assert ticks.cost[-1] >= max(p.cost for p in curve.points)


def test_a_fitting_curve_is_a_solid_line_with_its_band_and_its_cheapest_size_marked() -> None:
    geometry = chart_geometry(FITTING)
    placed = geometry.curve
    assert placed is not None
    plot = geometry.plot
    assert len(placed.line) == len(placed.band_top) == len(placed.band_bottom) == len(placed.curve.points)
    for (x, y), (_, top), (_, bottom) in zip(placed.line, placed.band_top, placed.band_bottom, strict=True):
        assert plot.left < x < plot.right
        assert plot.top <= top <= y <= bottom <= plot.bottom  # the band holds the line (SVG's y grows down)
    assert any(bottom - top > 1 for (_, top), (_, bottom) in zip(placed.band_top, placed.band_bottom, strict=True))
    assert placed.optimum is not None
    optimum_x = placed.optimum[0]
    assert placed.line[0][0] < optimum_x < placed.line[-1][0]

    tree = _svg_tree(render_svg(FITTING, "f"))
    (line,) = [e for e in tree.iter(f"{SVG}polyline") if e.get("class") == "curve-line"]
    assert line.get("stroke") == CURVE_COLOUR
    assert line.get("stroke-dasharray") is None
    (band,) = [e for e in tree.iter(f"{SVG}polygon") if e.get("class") == "curve-band"]
    assert len((band.get("points") or "").split()) == 2 * len(placed.line)
    (pin,) = [g for g in tree.iter(f"{SVG}g") if g.get("class") == "curve-optimum"]
    tooltip = pin.findtext(f"{SVG}title") or ""
    assert tooltip.startswith(f"The cost curve's cheapest size: {placed.curve.optimum_mb:,} MB, predicted $")
    texts = ["".join(t.itertext()) for t in tree.iter(f"{SVG}text")]
    assert "cost curve (fitted to 7 sizes)" in texts
    assert f"curve's cheapest: {placed.curve.optimum_mb} MB" in texts


def test_a_curve_that_does_not_fit_is_dashed_without_band_or_cheapest_size_and_says_it_was_not_used() -> None:
    placed = chart_geometry(MISFIT).curve
    assert placed is not None
    assert (placed.band_top, placed.band_bottom, placed.optimum) == ([], [], None)
    tree = _svg_tree(render_svg(MISFIT, "f"))
    (line,) = [e for e in tree.iter(f"{SVG}polyline") if e.get("class") == "curve-line"]
    assert line.get("stroke-dasharray") == "6 4"
    assert not [e for e in tree.iter(f"{SVG}polygon") if e.get("class") == "curve-band"]
    assert not [g for g in tree.iter(f"{SVG}g") if g.get("class") == "curve-optimum"]
    (curve_group,) = [g for g in tree.iter(f"{SVG}g") if g.get("class") == "curve misfit"]
    assert (curve_group.findtext(f"{SVG}title") or "").startswith("The cost curve does not fit the measured sizes")
    texts = ["".join(t.itertext()) for t in tree.iter(f"{SVG}text")]
    assert "cost curve (does not fit: not used)" in texts
    assert not any(t.startswith("curve's cheapest") for t in texts)


def test_a_legend_of_three_rows_makes_the_chart_taller_not_the_plot_shorter() -> None:
    narrow = 560  # the fitting curve's legend needs three rows at this width
    wide = chart_geometry(FITTING)
    tall = chart_geometry(FITTING, width=narrow)
    assert {entry.row for entry in wide.legend} == {0, 1}
    rows = sorted({entry.y for entry in tall.legend})
    assert len(rows) == 3
    assert tall.height > wide.height
    # Rows of axis numbers take their height from the plot; the legend's rows never do.
    axis_rows = rows_used(tall.x_labels) - rows_used(wide.x_labels)
    assert tall.plot.bottom - tall.plot.top + axis_rows * 15 == pytest.approx(wide.plot.bottom - wide.plot.top)
    assert tall.plot.top > rows[-1] + 8


def _fill_colour(collection: Collection) -> str:
    red, green, blue, _ = (float(v) for v in np.asarray(collection.get_facecolor()).reshape(-1, 4)[0])
    return to_hex((red, green, blue))


def test_the_png_draws_the_curve_its_band_and_its_cheapest_size() -> None:
    image = _png_image(render_png(FITTING, "f"))
    assert _share_near(image, CURVE_COLOUR, tolerance=30) > 0.0005
    figure = chart_figure(FITTING, "f")
    cost_axes = figure.axes[0]
    curve_lines = [line for line in cost_axes.get_lines() if to_hex(line.get_color()) == CURVE_COLOUR]
    solid = [line for line in curve_lines if line.get_linestyle() == "-"]
    assert len(solid) == 1
    assert len(solid[0].get_xdata()) == len(curve_series(FITTING).points)  # type: ignore[arg-type, union-attr]
    assert [line.get_marker() for line in curve_lines if line.get_linestyle() == "None"] == ["v"]
    bands = [c for c in cost_axes.collections if _fill_colour(c) == CURVE_COLOUR]
    assert len(bands) == 1
    misfit = chart_figure(MISFIT, "f").axes[0]
    assert [line.get_linestyle() for line in misfit.get_lines() if to_hex(line.get_color()) == CURVE_COLOUR] == ["--"]

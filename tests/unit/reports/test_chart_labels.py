"""Crowded charts: failed sizes close together, sizes measured by one cold start, marked sizes side by side.

``crowded_output`` is the adaptive search's usual leavings: five failed sizes within 64 MB, two sizes measured by
a single cold invocation, and the current size next to the chosen one.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.collections import PathCollection
from matplotlib.markers import MarkerStyle
from matplotlib.text import Annotation

from autotuner.domain.run.output import TuningOutput
from autotuner.reports.charts import render_svg
from autotuner.reports.charts.labels import PLAIN_ROWS, Label, LabelKind, axis_labels, lay_out
from autotuner.reports.charts.marks import COST, P50, P95, cold_only_label, legend_entries
from autotuner.reports.charts.png import chart_figure
from autotuner.reports.charts.series import (
    PointStatus,
    Scale,
    SeriesPoint,
    chart_series,
    failed_groups,
    memory_domain,
)
from autotuner.reports.charts.svg import chart_geometry
from tests.unit.reports import (
    CROWDED_COLD_ONLY,
    CROWDED_FAILURES,
    adaptive_output,
    crowded_output,
    failed_output,
    io_bound_output,
    memory_floor_output,
    tuned_output,
)

SVG = "{http://www.w3.org/2000/svg}"
CROWDED = crowded_output()
CHOSEN, CURRENT = 1024, 1088


def test_the_crowded_run_is_what_the_tests_below_assume() -> None:
    assert CROWDED.power == CHOSEN
    assert CROWDED.savings is not None
    assert CROWDED.savings.current_memory_mb == CURRENT


# ---- failed sizes -------------------------------------------------------------------------------------------


def test_failed_sizes_close_together_are_one_group_and_a_distant_one_its_own() -> None:
    groups = failed_groups(chart_series(CROWDED))
    assert [[p.memory_mb for p in g.points] for g in groups] == [[128], CROWDED_FAILURES]
    assert (groups[1].first_mb, groups[1].last_mb) == (704, 768)
    assert 704 < groups[1].middle_mb < 768
    assert groups[1].describe().splitlines()[0].startswith("704 MB: ")


def point(memory: int, status: PointStatus = PointStatus.ELIGIBLE, cold: int = 0) -> SeriesPoint:
    measured = status is not PointStatus.FAILED
    value = 1.0 if measured else None
    return SeriesPoint(memory, value, value, value, status, cold_only_invocations=cold)


def test_a_measured_size_between_failed_ones_keeps_them_apart() -> None:
    series = [point(128), point(704, PointStatus.FAILED), point(720), point(736, PointStatus.FAILED), point(4096)]
    assert [[p.memory_mb for p in g.points] for g in failed_groups(series)] == [[704], [736]]


def test_the_groups_label_says_how_many_failed_and_the_axis_names_the_range() -> None:
    labels = axis_labels(chart_series(CROWDED), failed_groups(chart_series(CROWDED)), CHOSEN, CURRENT)
    failed = {label.text for label in labels if label.kind is LabelKind.FAILED}
    assert failed == {"128", "704\u2013768"}
    texts = ["".join(t.itertext()) for t in ET.fromstring(render_svg(CROWDED, "f")).iter(f"{SVG}text")]
    assert texts.count("failed: 5 sizes") == 1
    assert "failed" in texts  # 128 MB alone, and the legend


# ---- labels that never overlap ------------------------------------------------------------------------------


@given(
    st.lists(st.integers(min_value=128, max_value=10240), min_size=1, max_size=40, unique=True),
    st.lists(st.sampled_from(list(LabelKind)), min_size=40, max_size=40),
)
def test_labels_never_overlap_and_every_marked_one_is_placed(sizes: list[int], kinds: list[LabelKind]) -> None:
    low, high = memory_domain(sizes)
    scale = Scale(low, high, 96, 806, log2=True)
    labels = [Label(str(size), size, kind) for size, kind in zip(sizes, kinds, strict=False)]
    placed = lay_out(labels, scale, char_width=7.2)
    marked = {lb for lb in labels if lb.kind is not LabelKind.PLAIN}
    assert marked <= {p.label for p in placed}
    assert all(p.row < PLAIN_ROWS for p in placed if p.label.kind is LabelKind.PLAIN)
    for i, first in enumerate(placed):
        assert first.x == scale(first.label.memory_mb)  # under its own tick, never moved sideways
        assert first.half_width == len(first.label.text) * 7.2 / 2
        for second in placed[i + 1 :]:
            assert first.row != second.row or abs(first.x - second.x) >= first.half_width + second.half_width


def test_sizes_close_together_keep_readable_labels() -> None:
    sizes = [128, 144, 160, 176, 192, 208, 224, 240, 256, 512, 1024, 10240]
    low, high = memory_domain(sizes)
    scale = Scale(low, high, 96, 806, log2=True)
    labels = [Label(str(s), s, LabelKind.CHOSEN if s == 192 else LabelKind.PLAIN) for s in sizes]
    placed = lay_out(labels, scale, char_width=7.2)
    shown = [p.label.text for p in placed]
    assert "192" in shown
    assert len(shown) < len(sizes)  # some of the crowded small sizes give way, even in a second row
    assert {p.row for p in placed} == {0, 1}  # but a second row numbers what the first has no room for
    assert shown[-3:] == ["512", "1024", "10240"]


@pytest.mark.parametrize("output", [CROWDED, tuned_output(), io_bound_output(), failed_output(), adaptive_output()])
def test_every_tick_is_numbered_or_inside_a_failed_groups_range(output: TuningOutput) -> None:
    geometry = chart_geometry(output, width=560)  # narrow: numbers give way
    numbered = {round(p.x, 1) for p in geometry.x_labels if p.label.kind is not LabelKind.FAILED}
    for tick in geometry.x_ticks:
        grouped = any(f.left <= tick <= f.right for f in geometry.failures)
        assert round(tick, 1) in numbered or grouped, f"a tick at x={tick:.1f} has no number and no group"


def test_a_failed_groups_label_is_lifted_clear_of_every_mark() -> None:
    output = memory_floor_output()
    geometry = chart_geometry(output)
    [failure] = geometry.failures
    assert failure.label.label.text == "failed: 6 sizes"
    assert failure.label.row > 0  # the first row above the cross is where 352 MB's cost sits
    baseline = geometry.failed_label_y(failure.label)
    label = Box(failure.label.label.text, failure.label.x - failure.label.half_width, baseline - 11,
                failure.label.x + failure.label.half_width, baseline + 3)  # fmt: skip
    marks = [
        Box(f"{p.point.memory_mb} MB", p.x - 8, y - 8, p.x + 8, y + 8)
        for p in geometry.points
        for y in (p.cost_y, p.p50_y, p.p95_y)
        if y is not None
    ]
    assert [mark.text for mark in marks if mark.overlaps(label)] == []
    first_row = Box(label.text, label.left, geometry.plot.bottom - 37, label.right, geometry.plot.bottom - 23)
    assert [mark.text for mark in marks if mark.overlaps(first_row)] == ["352 MB"]  # the check can fail


def test_the_chosen_current_and_failed_sizes_are_numbered_on_the_axis() -> None:
    geometry = chart_geometry(CROWDED)
    by_text = {p.label.text: p for p in geometry.x_labels}
    assert {str(CHOSEN), str(CURRENT), "704\u2013768", "128"} <= set(by_text)
    assert by_text[str(CHOSEN)].row == 0  # the chosen size keeps the row by the axis
    assert by_text[str(CURRENT)].row == 1  # 64 MB from the chosen size: its number hangs below
    assert not {str(s) for s in CROWDED_FAILURES} & set(by_text)  # the group's range stands for them
    ticks = {round(x, 1) for x in geometry.x_ticks}
    numbered = {round(p.x, 1) for p in geometry.x_labels if p.label.kind is not LabelKind.FAILED}
    grouped = {point.memory_mb for failure in geometry.failures for point in failure.group.points}
    assert {128, *CROWDED_FAILURES} == grouped
    assert numbered | {round(p.x, 1) for p in geometry.points if p.point.memory_mb in grouped} == ticks


def test_an_unmeasured_current_size_still_gets_its_tick_and_number() -> None:
    series = [p for p in chart_series(tuned_output()) if p.memory_mb != 3008]
    labels = axis_labels(series, failed_groups(series), 1024, 3008)
    assert Label("3008", 3008, LabelKind.CURRENT) in labels


@dataclass(frozen=True)
class Box:
    text: str
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: "Box") -> bool:
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )


def text_boxes(svg: str, em_width: float = 0.6) -> list[Box]:
    """Every upright text's box, from its position, anchor and font size: ``em_width`` of the size per character
    (a digit is about 0.55 em in the report's fonts), 0.8 em above the baseline and 0.25 em below."""
    root = ET.fromstring(svg)
    boxes = []
    for text in root.iter(f"{SVG}text"):
        if "transform" in text.attrib:
            continue  # the rotated axis titles, alone at the sides
        content = "".join(text.itertext())
        size = float(text.get("font-size", root.get("font-size", "12")))
        width = len(content) * size * em_width
        x = float(text.get("x", "0")) + float(text.get("dx", "0"))
        y = float(text.get("y", "0")) + float(text.get("dy", "0"))
        left = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor", "start"), x)
        boxes.append(Box(content, left, y - 0.8 * size, left + width, y + 0.25 * size))
    return boxes


@pytest.mark.parametrize(
    "output", [CROWDED, tuned_output(), io_bound_output(), failed_output()], ids=["crowded", "tuned", "io", "failed"]
)
def test_no_two_texts_of_a_chart_overlap(output: TuningOutput) -> None:
    boxes = text_boxes(render_svg(output, "ml-inference"))
    assert len(boxes) >= 8  # the legend, the axes and their numbers at least
    overlapping = [(a.text, b.text) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert overlapping == []


def test_the_overlap_check_finds_overlapping_labels() -> None:
    """The check above can fail: the current size's number put back in the first row overlaps the chosen one's."""
    boxes = {b.text: b for b in text_boxes(render_svg(CROWDED, "ml-inference"))}
    chosen, current = boxes[str(CHOSEN)], boxes[str(CURRENT)]
    assert not current.overlaps(chosen)
    assert Box(current.text, current.left, chosen.top, current.right, chosen.bottom).overlaps(chosen)


# ---- sizes measured by one cold start -----------------------------------------------------------------------


def test_a_size_measured_by_its_cold_start_alone_is_marked_and_counted() -> None:
    series = {p.memory_mb: p for p in chart_series(CROWDED)}
    assert [m for m, p in series.items() if p.cold_only] == CROWDED_COLD_ONLY
    assert all(series[m].cold_only_invocations == 1 for m in CROWDED_COLD_ONLY)
    assert not series[CHOSEN].cold_only  # its first invocation was cold too, but nineteen were warm
    assert "measured by 1 cold invocation only" in series[832].describe()


def test_when_every_size_was_measured_cold_none_is_singled_out() -> None:
    """A run of one invocation a size compares cold start with cold start: its cost line is like for like."""
    cold = CROWDED.model_copy(update={"candidates": [c for c in CROWDED.candidates if c.warm_invocations == 0]})
    assert [c.memory_mb for c in cold.candidates if c.cost is not None] == CROWDED_COLD_ONLY
    assert not any(p.cold_only for p in chart_series(cold))


def test_only_the_cost_line_leaves_a_cold_only_size_out() -> None:
    cold, warm = point(832, cold=1), point(1024)
    assert not COST.joins(cold)
    assert COST.joins(warm)
    assert P50.joins(cold)
    assert P95.joins(cold)


def test_the_legend_says_how_many_cold_invocations_measured_them() -> None:
    one_each = [point(832, cold=1), point(896, cold=1), point(1024)]
    assert cold_only_label(one_each) == "1 cold invocation only"
    assert cold_only_label([*one_each, point(960, cold=2)]) == "cold invocations only"
    assert "1 cold invocation only" in [e.label for e in legend_entries(one_each, current_shown=False)]
    assert not any("cold" in e.label for e in legend_entries([point(1024)], current_shown=False))


def polyline_xs(svg: str, colour: str) -> list[float]:
    root = ET.fromstring(svg)
    lines = [p for p in root.iter(f"{SVG}polyline") if p.get("stroke") == colour]
    return [float(pair.split(",")[0]) for line in lines for pair in (line.get("points") or "").split()]


def test_svg_draws_cold_only_sizes_as_diamonds_off_the_cost_line() -> None:
    svg = render_svg(CROWDED, "f")
    geometry = chart_geometry(CROWDED)
    x_of = {p.point.memory_mb: round(p.x, 1) for p in geometry.points}
    cost_xs, p50_xs = polyline_xs(svg, COST.colour), polyline_xs(svg, P50.colour)
    for memory in CROWDED_COLD_ONLY:
        assert x_of[memory] not in cost_xs
        assert x_of[memory] in p50_xs
    assert x_of[CHOSEN] in cost_xs
    groups = [g for g in ET.fromstring(svg).iter(f"{SVG}g") if "cold-only" in (g.get("class") or "").split()]
    assert len(groups) == len(CROWDED_COLD_ONLY)
    assert all(len(g.findall(f"{SVG}path")) == 3 for g in groups)  # a diamond on each series
    assert "1 cold invocation only" in ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_png_draws_the_same_marks_and_numbers() -> None:
    figure = chart_figure(CROWDED, "f")
    cost_axes = figure.axes[0]
    cost_line = next(line for line in cost_axes.get_lines() if line.get_color() == COST.colour)
    cost_sizes = {round(float(x)) for x in np.asarray(cost_line.get_xdata())}
    assert CHOSEN in cost_sizes
    assert not set(CROWDED_COLD_ONLY) & cost_sizes
    diamonds = [c for axes in figure.axes for c in axes.collections if isinstance(c, PathCollection) and _is_diamond(c)]
    sizes = [round(float(x)) for c in diamonds for x in np.asarray(c.get_offsets())[:, 0]]
    assert sorted(sizes) == sorted(CROWDED_COLD_ONLY * 3)  # on each series
    texts = {a.get_text() for a in cost_axes.texts if isinstance(a, Annotation)}
    assert {str(CHOSEN), str(CURRENT), "704\u2013768", "128", "failed: 5 sizes"} <= texts
    legend = cost_axes.get_legend()
    assert legend is not None
    assert "1 cold invocation only" in [t.get_text() for t in legend.get_texts()]


def test_png_lifts_a_failed_groups_label_clear_of_every_point_as_drawn() -> None:
    figure = chart_figure(memory_floor_output(), "f")
    figure.canvas.draw()  # the layout as saved
    [label] = [a for a in figure.axes[0].texts if isinstance(a, Annotation) and a.get_text() == "failed: 6 sizes"]
    box = label.get_window_extent()
    centres = [
        offset
        for axes in figure.axes
        for collection in axes.collections
        if isinstance(collection, PathCollection)
        for offset in collection.get_offset_transform().transform(np.asarray(collection.get_offsets()))
    ]
    assert len(centres) >= 3 * 5  # every measured size on three series
    reach = 6  # pixels: a dot's radius
    assert [
        (round(x), round(y))
        for x, y in centres
        if box.x0 - reach < x < box.x1 + reach and box.y0 - reach < y < box.y1 + reach
    ] == []
    assert label.xyann[1] > 0  # lifted above the first row, where 352 MB's cost dot sits


def _is_diamond(collection: PathCollection) -> bool:
    """A scatter of matplotlib's 'D' markers."""
    diamond = MarkerStyle("D")
    expected = np.asarray(diamond.get_path().transformed(diamond.get_transform()).vertices)
    drawn = np.asarray(collection.get_paths()[0].vertices)
    return drawn.shape == expected.shape and bool(np.allclose(drawn, expected))


def test_a_chart_without_crowding_keeps_one_row_of_numbers() -> None:
    geometry = chart_geometry(io_bound_output())
    assert {p.row for p in geometry.x_labels} == {0}

"""Crowded charts: failed sizes close together, sizes measured by one cold start, marked sizes side by side.

``crowded_output`` is the adaptive search's usual leavings: five failed sizes within 64 MB, two sizes measured by
a single cold invocation, and the current size next to the chosen one.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.text import Annotation

from autotuner.domain.contracts import TuningOutput
from autotuner.reports.charts import render_svg
from autotuner.reports.charts.labels import Label, LabelKind, axis_labels, lay_out
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
    CROWDED_FAILURES,
    crowded_output,
    failed_output,
    io_bound_output,
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


def point(memory: int, status: PointStatus = PointStatus.ELIGIBLE) -> SeriesPoint:
    value = None if status is PointStatus.FAILED else 1.0
    return SeriesPoint(memory, value, value, value, status)


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
    assert all(p.row == 0 for p in placed if p.label.kind is LabelKind.PLAIN)
    for i, first in enumerate(placed):
        assert first.x == scale(first.label.memory_mb)  # under its own tick, never moved sideways
        assert first.half_width == len(first.label.text) * 7.2 / 2
        for second in placed[i + 1 :]:
            assert first.row != second.row or abs(first.x - second.x) >= first.half_width + second.half_width


def test_sizes_close_together_keep_readable_labels() -> None:
    sizes = [128, 160, 192, 224, 256, 512, 1024, 10240]
    low, high = memory_domain(sizes)
    scale = Scale(low, high, 96, 806, log2=True)
    labels = [Label(str(s), s, LabelKind.CHOSEN if s == 192 else LabelKind.PLAIN) for s in sizes]
    shown = [p.label.text for p in lay_out(labels, scale, char_width=7.2)]
    assert "192" in shown
    assert len(shown) < len(sizes)  # some of the crowded small sizes give way
    assert shown[-3:] == ["512", "1024", "10240"]


def test_the_chosen_current_and_failed_sizes_are_numbered_on_the_axis() -> None:
    geometry = chart_geometry(CROWDED)
    by_text = {p.label.text: p for p in geometry.x_labels}
    assert {str(CHOSEN), str(CURRENT), "704\u2013768", "128"} <= set(by_text)
    assert by_text[str(CHOSEN)].row == 0  # the chosen size keeps the row by the axis
    assert by_text[str(CURRENT)].row == 1  # 64 MB from the chosen size: its number hangs below
    assert not {str(s) for s in CROWDED_FAILURES} & set(by_text)  # the group's range stands for them
    ticks = {round(x, 1) for x in geometry.x_ticks}
    assert {round(p.x, 1) for p in geometry.points} | {round(by_text[str(CURRENT)].x, 1)} == ticks


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


def test_png_numbers_the_same_sizes_and_labels_the_group() -> None:
    cost_axes = chart_figure(CROWDED, "f").axes[0]
    texts = {a.get_text() for a in cost_axes.texts if isinstance(a, Annotation)}
    assert {str(CHOSEN), str(CURRENT), "704\u2013768", "128", "failed: 5 sizes"} <= texts


def test_a_chart_without_crowding_keeps_one_row_of_numbers() -> None:
    geometry = chart_geometry(io_bound_output())
    assert {p.row for p in geometry.x_labels} == {0}

"""Where the x axis's numbers and the failed sizes' labels go, so that no two overlap: pure, in the renderer's
own units (SVG pixels, or the PNG's approximate pixels).

A marked label (the chosen size, the current one, a group of failed sizes) is always shown: it takes the first row
where it overlaps nothing. A plain size's number takes one of the first ``PLAIN_ROWS`` rows, and gives way where it
would overlap in both; a size whose number gave way gets no tick either (``ticked_sizes``), so every tick on the
axis is numbered or inside a failed group's range.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from autotuner.reports.charts.marks import failed_axis_label, failed_label
from autotuner.reports.charts.series import FailedGroup, SeriesPoint


class LabelKind(StrEnum):
    """In the order labels are placed: an earlier kind keeps the first row."""

    CHOSEN = "chosen"
    CURRENT = "current"
    FAILED = "failed"
    PLAIN = "plain"


_PLACING_ORDER = list(LabelKind)
PLAIN_ROWS = 2  # a plain number hangs at most one row below the axis's first


@dataclass(frozen=True)
class Label:
    text: str
    memory_mb: float  # where it belongs on the x axis
    kind: LabelKind = LabelKind.PLAIN


@dataclass(frozen=True)
class PlacedLabel:
    label: Label
    x: float  # the centre
    half_width: float
    row: int  # 0 next to the axis (or the marks), each further row one line away

    def clear_of(self, other: "PlacedLabel", gap: float) -> bool:
        return self.row != other.row or abs(self.x - other.x) >= self.half_width + other.half_width + gap


def lay_out(
    labels: Sequence[Label], position: Callable[[float], float], *, char_width: float, gap: float = 6.0
) -> list[PlacedLabel]:
    """``labels`` placed, left to right; plain ones that would overlap another are left out. A marked label tries
    each row in turn, and the n-th one placed finds a free row among the first n, so every one is placed."""
    placed: list[PlacedLabel] = []
    for label in sorted(labels, key=lambda lb: (_PLACING_ORDER.index(lb.kind), lb.memory_mb)):
        rows = range(len(placed) + 1) if label.kind is not LabelKind.PLAIN else range(PLAIN_ROWS)
        for row in rows:
            candidate = PlacedLabel(label, position(label.memory_mb), len(label.text) * char_width / 2, row)
            if all(candidate.clear_of(other, gap) for other in placed):
                placed.append(candidate)
                break
    return sorted(placed, key=lambda p: p.x)


def rows_used(placed: Sequence[PlacedLabel]) -> int:
    return max((p.row for p in placed), default=0) + 1


def axis_labels(
    series: Sequence[SeriesPoint], groups: Sequence[FailedGroup], chosen: int | None, current: int | None
) -> list[Label]:
    """The x axis's numbers: each measured size's, except that a group of failed sizes has one for the group;
    the current size's even when it was not measured."""
    grouped = {p.memory_mb for group in groups for p in group.points}
    labels = [Label(failed_axis_label(group), group.middle_mb, LabelKind.FAILED) for group in groups]
    for point in series:
        if point.memory_mb not in grouped | {chosen, current}:
            labels.append(Label(str(point.memory_mb), point.memory_mb))
    if chosen is not None:
        labels.append(Label(str(chosen), chosen, LabelKind.CHOSEN))
    if current is not None:
        labels.append(Label(str(current), current, LabelKind.CURRENT))
    return labels


def lifted_clear_of(
    labels: Sequence[PlacedLabel],
    marks: Sequence[tuple[float, float]],
    extent: Callable[[PlacedLabel], tuple[float, float]],
    *,
    reach: float,
    gap: float = 6.0,
) -> list[PlacedLabel]:
    """``labels`` each lifted a row at a time until no mark (its centre ``x``, ``y``, and ``reach`` around it) lies
    on it, nor does a label lifted before it. ``extent``: a label's lowest and highest ``y`` in the marks' units."""
    lifted: list[PlacedLabel] = []
    for label in labels:
        placed = label
        while _covered(placed, marks, extent(placed), reach) or not all(placed.clear_of(o, gap) for o in lifted):
            placed = replace(placed, row=placed.row + 1)
        lifted.append(placed)
    return lifted


def _covered(
    label: PlacedLabel, marks: Sequence[tuple[float, float]], extent: tuple[float, float], reach: float
) -> bool:
    low, high = min(extent), max(extent)
    return any(abs(x - label.x) < label.half_width + reach and low - reach < y < high + reach for x, y in marks)


def ticked_sizes(placed: Sequence[PlacedLabel], groups: Sequence[FailedGroup]) -> list[float]:
    """The sizes the axis ticks: each numbered one, and each failed size of a group (its range is numbered)."""
    numbered = {p.label.memory_mb for p in placed if p.label.kind is not LabelKind.FAILED}
    return sorted(numbered | {point.memory_mb for group in groups for point in group.points})


def failed_labels(
    groups: Sequence[FailedGroup], position: Callable[[float], float], *, char_width: float
) -> list[PlacedLabel]:
    """The failed groups' labels above their crosses, one a group in the groups' order: every one is placed,
    those that would overlap in rows going up."""
    labels = [Label(failed_label(group), group.middle_mb, LabelKind.FAILED) for group in groups]
    placed = {p.label: p for p in lay_out(labels, position, char_width=char_width)}
    return [placed[label] for label in labels]

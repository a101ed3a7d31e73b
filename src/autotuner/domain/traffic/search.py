"""Which size a traffic run measures next, one candidate at a time, and when the choice is decided.

Each candidate costs hours of production traffic, so the search spends few: from the current size it steps an
octave down (most functions are over-provisioned; the memory and timeout margins bound how far), then an octave
further while each step is cheaper, or up when down was dearer; once the cheapest size measured has a measured
size on each side, it halves the gap on the side of the cheaper neighbour. From four sizes on, the cost curve
(``search.cost_curve``) is fitted to them all, as the adaptive search does, and its cheapest size is measured next.
The search stops when the curve's cheapest size has been measured and is the choice, when the cheapest size is
hemmed in within ``CLOSE_RATIO`` on both sides (or by a bound), or after ``maxCandidates``."""

import math
from collections.abc import Sequence

from autotuner.domain.camel import CamelModel
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.curve_search import SAME_SIZE_RATIO

OCTAVE = 2.0
CLOSE_RATIO = 1.25  # neighbours this close hem the cheapest size in: the cost curve is flat between them


class SearchBounds(CamelModel):
    """The sizes a candidate may have: above the margins the baseline sets, below the deployment's largest."""

    lowest_mb: int
    highest_mb: int

    def clamp(self, memory_mb: float) -> int:
        return int(min(self.highest_mb, max(self.lowest_mb, round(memory_mb))))


class NextCandidate(CamelModel):
    memory_mb: int | None
    reason: str


def next_candidate(
    measured: Sequence[CandidateStats],
    *,
    tried: Sequence[int],
    chosen_mb: int | None,
    bounds: SearchBounds,
    curve: CostCurve | None,
    max_candidates: int,
) -> NextCandidate:
    """``measured``: every size's statistics (the current one included; a candidate routed back carries its
    failure); ``tried``: the candidate sizes measured so far; ``chosen_mb``: what the decision chooses now."""
    if len(tried) >= max_candidates:
        return NextCandidate(memory_mb=None, reason=f"traffic.maxCandidates: {max_candidates} candidates measured")
    sizes = sorted({c.memory_mb for c in measured} | set(tried))
    working = [c for c in measured if c.failure_reason is None and c.cost is not None]
    if not working:
        return NextCandidate(memory_mb=None, reason="no size measured without failing")
    best = chosen_mb if chosen_mb is not None else min(working, key=lambda c: c.cost_estimate).memory_mb
    if curve is not None and curve.fits:
        optimum = bounds.clamp(curve.optimum_mb)
        near = _nearest(sizes, optimum)
        if near is None or _ratio(near, optimum) > SAME_SIZE_RATIO:
            return NextCandidate(memory_mb=optimum, reason=f"the cost curve's cheapest size, {optimum} MB")
        if _ratio(best, optimum) <= SAME_SIZE_RATIO:
            return NextCandidate(
                memory_mb=None,
                reason=f"decided: the cost curve's cheapest size, {curve.optimum_mb} MB, is measured ({best} MB)",
            )
    return _bracket(best, sizes, measured, bounds)


def first_candidate(current_mb: int, bounds: SearchBounds) -> NextCandidate:
    """The first candidate, from the current size alone."""
    return _bracket(current_mb, [current_mb], [], bounds)


def _bracket(best: int, sizes: list[int], measured: Sequence[CandidateStats], bounds: SearchBounds) -> NextCandidate:
    below = [s for s in sizes if s < best]
    above = [s for s in sizes if s > best]
    if best < bounds.lowest_mb:
        if bounds.lowest_mb not in sizes:
            return NextCandidate(
                memory_mb=bounds.lowest_mb, reason=f"the smallest size the margins allow above {best} MB's use"
            )
        best = bounds.lowest_mb  # measured already: production is not sent to it twice, nor below it
    if not below and _ratio(best, bounds.lowest_mb) > SAME_SIZE_RATIO:
        target = bounds.clamp(best / OCTAVE)
        return NextCandidate(memory_mb=target, reason=f"an octave below {best} MB, the cheapest so far")
    if not above and _ratio(best, bounds.highest_mb) > SAME_SIZE_RATIO:
        target = bounds.clamp(min(bounds.highest_mb, best * OCTAVE))
        return NextCandidate(memory_mb=target, reason=f"an octave above {best} MB, the cheapest so far")
    cost = {c.memory_mb: c.cost_estimate for c in measured if c.failure_reason is None}
    sides = [(max(below), "below")] if below else []
    sides += [(min(above), "above")] if above else []
    # A side ends at a size that failed (routed back, or out of memory): production is not sent nearer to it.
    open_sides = [(n, side) for n, side in sides if n in cost and _ratio(best, n) > CLOSE_RATIO]
    if not open_sides:
        return NextCandidate(
            memory_mb=None, reason=f"decided: {best} MB is the cheapest, hemmed in by sizes within 25% or that failed"
        )
    neighbour, side = min(open_sides, key=lambda pair: cost[pair[0]])
    target = bounds.clamp(math.sqrt(best * neighbour))
    if any(_ratio(target, s) <= SAME_SIZE_RATIO for s in sizes):
        return NextCandidate(memory_mb=None, reason=f"decided: {best} MB is the cheapest measured")
    return NextCandidate(memory_mb=target, reason=f"between {best} MB, the cheapest so far, and {neighbour} MB {side}")


def _nearest(sizes: Sequence[int], memory_mb: int) -> int | None:
    return min(sizes, key=lambda s: _ratio(s, memory_mb), default=None)


def _ratio(a: float, b: float) -> float:
    return max(a, b) / min(a, b) if min(a, b) > 0 else math.inf

"""The adaptive search's plan per size, when no fitting cost curve steers it: probes toward a failure boundary
(a memory floor), new sizes along the curve (toward the knee for speed, where a parabola bottoms out otherwise),
and top-ups for the best and the rivals that could still change the answer."""

import math

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.margins import size_leaving_free
from autotuner.domain.search.landscape import Z_95, Kind, Landscape, Work
from autotuner.domain.search.settings import AdaptiveSettings

# Sizes nearer than this ratio to the best tell its slope apart from noise poorly.
SLOPE_MIN_RATIO = 1.2
# A memory floor is pinned to within this share of the memory margin.
FLOOR_RESOLUTION = 0.5


def boundary_work(
    settings: AdaptiveSettings, landscape: Landscape, unavailable: set[int], retired: set[int], rounds_left: int
) -> tuple[list[Work], list[Work]]:
    """Between the nearest failed size and the nearest working one (on either side of the focus), when the
    objective changes enough with memory for the floor to matter: probes while the gap is wider than worth
    resolving and rounds remain; then warm samples for the working size. Confirming earlier would be wasted when
    the floor moves, and would leave a measured size just above it for choose's speed tie-break to take. With the
    memory margin on, a memory floor is ``memory_floor_work``'s."""
    probes, confirms = memory_floor_work(settings, landscape, unavailable, retired, rounds_left)
    for blocked, working in boundaries(landscape):
        resolution = _boundary_resolution(settings, landscape, blocked)
        gap = abs(working - blocked)
        # next to a size too slow for the timeout margin, probing ends a round early: the edge is measured after
        horizon = rounds_left - 1 if _timeout_edge(landscape, blocked, working) is not None else rounds_left
        if gap > resolution and horizon > 0:
            count = _probes_needed(gap / resolution, horizon, settings.boundary_probes)
            why = f"between {blocked} MB, which failed or is excluded, and {working} MB, which worked"
            probes += [
                Work(Kind.BOUNDARY, size, settings.probe_invocations, why)
                for size in _even_points(blocked, working, count)
                if settings.allows(size) and size not in unavailable
            ]
        elif not landscape.is_confirmed(working) and working not in retired:
            confirms += _confirmation(settings, landscape, blocked, working, unavailable)
    return probes, confirms


def _confirmation(
    settings: AdaptiveSettings, landscape: Landscape, blocked: int, working: int, unavailable: set[int]
) -> list[Work]:
    """Warm samples for the nearest size to work; but next to a size too slow for the timeout margin, a size far
    enough above it for the slowest of a choice's calls to stay under the margin (``_timeout_edge``): the nearest
    probe passed on one call, and more calls there would likely find a slower one."""
    edge = _timeout_edge(landscape, blocked, working)
    if edge is None or edge <= working:
        return [Work(Kind.CONFIRM, working, settings.step_invocations, "the nearest size to work")]
    at_edge = landscape.measured.get(edge)
    confirmed = [c for c in landscape.confirmed if working < c.memory_mb <= edge]
    if confirmed or (at_edge is None and edge in unavailable) or not settings.allows(edge):
        return []
    why = "where the slowest of a choice's calls should stay under the timeout margin"
    kind = Kind.EDGE if at_edge is None else Kind.CONFIRM
    return [Work(kind, edge, settings.evidence.calls_needed(at_edge), why)]


def _timeout_edge(landscape: Landscape, blocked: int, working: int) -> int | None:
    """Above a size too slow for the timeout margin, the size where a call two standard deviations slow still
    stays under it: the calls' duration interpolated in log-log between the two sizes (durations shrink with
    memory as a power of it, at most in proportion). None when ``blocked`` is not slow, or memory does not help."""
    limit = landscape.timeout_limit_ms
    slow, fast = landscape.measured.get(blocked), landscape.measured.get(working)
    if limit is None or slow is None or fast is None or blocked >= working:
        return None
    slow_ms, fast_ms = slow.slowest_call_ms, fast.slowest_call_ms
    if slow_ms is None or fast_ms is None or slow_ms <= limit or fast_ms >= slow_ms:
        return None
    power = min(1.0, math.log(slow_ms / fast_ms) / math.log(working / blocked))
    wanted = fast_ms * math.exp(2 * landscape.noise)
    return math.ceil(working * (wanted / limit) ** (1 / power)) if wanted > limit else working


def memory_floor_work(
    settings: AdaptiveSettings, landscape: Landscape, unavailable: set[int], retired: set[int], rounds_left: int
) -> tuple[list[Work], list[Work]]:
    """Under the memory margin a size is chosen only that share above the largest size that ran out of memory, and
    with that share free over the most memory a call used. So the floor is pinned only where a failure would move
    the choice above what the memory used already asks for, and only as finely as half the margin (the choice then
    lies at least half the margin above the true floor), one invocation per probe. Then
    the smallest size the margin allows is measured, with the calls a choice needs, rather than whichever size
    happened to work: when the cost rises with memory above it (no size measured below the best), and otherwise
    with a new size's first invocations, as one more size for the curve (it stands for the smallest size of the
    first pass when the margin excludes that)."""
    if landscape.headroom <= 0:
        return [], []
    probes = _floor_probes(settings, landscape, unavailable, rounds_left)
    edge = landscape.memory_edge
    if probes or edge is None or not settings.allows(edge):
        return probes, []
    at_edge = next((c for c in landscape.eligible if c.memory_mb == edge), None)
    if (at_edge is None and edge in unavailable) or edge in retired:
        return probes, []
    why = f"the smallest size the {landscape.headroom:.0%} memory margin allows"
    if any(c.memory_mb < landscape.focus and c.memory_mb != edge for c in landscape.confirmed):
        # the cost falls with memory above it, or seems to: the edge is one more size for the curve, once
        explore = at_edge is None and all(c.memory_mb > edge for c in landscape.eligible)
        return probes, [Work(Kind.EDGE, edge, settings.initial_invocations, why)] if explore else []
    needed = settings.evidence.calls_needed(at_edge)
    return probes, [Work(Kind.EDGE if at_edge is None else Kind.CONFIRM, edge, needed, why)] if needed else []


def _floor_probes(
    settings: AdaptiveSettings, landscape: Landscape, unavailable: set[int], rounds_left: int
) -> list[Work]:
    """Probes between the largest size below the focus that ran out of memory and the next size that worked, only
    above the sizes whose failure the margin over the memory used already covers: the first right there (when it
    works, nothing below it can move the choice), the rest evenly above it, finished a round before the others so
    that the margin's edge is measured in time."""
    below = [m for m in landscape.out_of_memory if m < landscape.focus]
    above = [m for m in landscape.worked if below and m > below[-1]]
    horizon = rounds_left - 1
    if not below or not above or horizon <= 0:
        return []
    failed, working = below[-1], above[0]
    covered = math.floor(size_leaving_free(landscape.most_used_mb, landscape.headroom) / (1 + landscape.headroom))
    start = max(failed, covered)
    resolution = max(1.0, failed * landscape.headroom * FLOOR_RESOLUTION)
    if working - start <= resolution:
        return []
    count = _probes_needed((working - start) / resolution, horizon, settings.boundary_probes)
    points = _even_points(start, working, count)
    if start == covered > failed:
        points = [covered, *_even_points(start, working, count - 1)]
    why = f"between {failed} MB, which ran out of memory, and {working} MB, which worked"
    return [
        Work(Kind.BOUNDARY, size, settings.probe_invocations, why)
        for size in points
        if settings.allows(size) and size not in unavailable
    ]


def _probes_needed(ratio: float, rounds_left: int, most: int) -> int:
    """Evenly spaced probes per round that shrink a gap ``ratio`` times the resolution down to the resolution in
    ``rounds_left`` rounds (k probes cut a gap into k + 1 parts)."""
    per_round: float = ratio ** (1 / max(1, rounds_left))
    return min(max(1, math.ceil(per_round) - 1), most)


def boundaries(landscape: Landscape) -> list[tuple[int, int]]:
    """(failed or excluded size, nearest working size) pairs: below the focus and above it; not the sizes the
    memory margin decides (``memory_floor_work``)."""
    focus = landscape.focus
    working = [c.memory_mb for c in landscape.eligible]
    blocked = [b for b in landscape.blocked if b not in landscape.memory_blocked]
    pairs: list[tuple[int, int]] = []
    below = [b for b in blocked if b < focus]
    if below and any(w > below[-1] for w in working):
        pairs.append((below[-1], min(w for w in working if w > below[-1])))
    above = [b for b in blocked if b > focus]
    if above and any(w < above[0] for w in working):
        pairs.append((above[0], max(w for w in working if w < above[0])))
    return pairs


def curve_work(settings: AdaptiveSettings, landscape: Landscape, unavailable: set[int]) -> list[Work]:
    """A new size along the curve: for speed, toward the knee; otherwise where a parabola puts the minimum."""
    if landscape.rule.seeks_knee:
        return _knee_work(settings, landscape, unavailable)
    return _parabola_work(settings, landscape, unavailable)


def _knee_work(settings: AdaptiveSettings, landscape: Landscape, unavailable: set[int]) -> list[Work]:
    """For speed, choose takes the cheapest size as fast as the fastest, so what matters is where more memory stops
    helping. While the next smaller size may be as fast (not slower by the threshold plus two standard errors), it
    gets invocations; once it is clearly slower, bisect (in log memory) between it and the focus."""
    focus = landscape.focus
    lower = [c for c in landscape.confirmed if c.memory_mb < focus]
    here = landscape.objective[focus]
    if not lower or here <= 0:
        return []
    below = lower[-1]
    slower_by = landscape.objective[below.memory_mb] / here - 1
    if slower_by - settings.noise_threshold <= Z_95 * landscape.standard_error(below):
        return [Work(Kind.NEIGHBOUR, below.memory_mb, settings.step_invocations, "it might be as fast")]
    middle = round(math.sqrt(below.memory_mb * focus))
    if focus / below.memory_mb <= 1 + (SLOPE_MIN_RATIO - 1) / 4 or middle in unavailable or not settings.allows(middle):
        return []
    why = f"between {below.memory_mb} MB, which is slower, and {focus} MB, where more memory stops helping"
    return [Work(Kind.CURVE, middle, settings.initial_invocations, why)]


def _parabola_work(settings: AdaptiveSettings, landscape: Landscape, unavailable: set[int]) -> list[Work]:
    """A new size where a parabola through the focus and its confirmed neighbours bottoms out, when no failure
    lies between them."""
    focus = landscape.focus
    lower = max((c.memory_mb for c in landscape.confirmed if c.memory_mb < focus), default=None)
    upper = min((c.memory_mb for c in landscape.confirmed if c.memory_mb > focus), default=None)
    if lower is None or upper is None or any(lower < b < upper for b in landscape.blocked):
        return []
    vertex = _parabola_probe(settings, landscape, lower, upper)
    if vertex is None or not settings.allows(vertex) or vertex in unavailable:
        return []
    why = f"where a parabola through {lower}, {focus} and {upper} MB has its minimum"
    return [Work(Kind.CURVE, vertex, settings.initial_invocations, why)]


def _even_points(a: int, b: int, count: int) -> list[int]:
    """Up to ``count`` whole sizes evenly spaced strictly between ``a`` and ``b``."""
    low, high = min(a, b), max(a, b)
    points = {round(low + (high - low) * i / (count + 1)) for i in range(1, count + 1)}
    return sorted(p for p in points if low < p < high)


def _boundary_resolution(settings: AdaptiveSettings, landscape: Landscape, blocked: int) -> float:
    """How close to the failure a floor is worth pinning down, in MB: where the slope next to the focus, carried
    across the rest of the gap, adds up to a quarter of the noise threshold (at least 1 MB; 1 MB when the slope
    is unknown). A quarter, because that slope is measured over 20% or more of memory and the cost usually climbs
    more steeply right above a floor; probes cost one invocation each."""
    slope = _relative_slope(landscape, away_from=blocked)
    if not slope:
        return 1.0
    return max(1.0, settings.noise_threshold / 4 / slope)


def _relative_slope(landscape: Landscape, *, away_from: int) -> float | None:
    """Relative objective change per MB between the focus and the nearest confirmed size at least 20% away from it
    (on the side away from ``away_from``); sizes nearer than that differ mostly by noise."""
    focus = landscape.focus
    upward = away_from < focus
    far = [
        c
        for c in landscape.confirmed
        if (c.memory_mb >= focus * SLOPE_MIN_RATIO if upward else c.memory_mb * SLOPE_MIN_RATIO <= focus)
    ]
    here = landscape.objective[focus]
    if not far or here <= 0:
        return None
    reference = min(far, key=lambda c: abs(c.memory_mb - focus))
    return abs(landscape.objective[reference.memory_mb] / here - 1) / abs(reference.memory_mb - focus)


def _parabola_probe(settings: AdaptiveSettings, landscape: Landscape, lower: int, upper: int) -> int | None:
    """Where a parabola in log memory through the focus and its neighbours has its minimum, if it promises to beat
    the focus by more than half the noise threshold. Kept a fifth of the interval away from measured sizes."""
    focus = landscape.focus
    xs = (math.log(lower), math.log(focus), math.log(upper))
    ys = (landscape.objective[lower], landscape.objective[focus], landscape.objective[upper])
    curvature = ((ys[2] - ys[1]) / (xs[2] - xs[1]) - (ys[1] - ys[0]) / (xs[1] - xs[0])) / (xs[2] - xs[0])
    if curvature <= 0 or ys[1] <= 0:
        return None
    slope_at_focus = (ys[2] - ys[0]) / (xs[2] - xs[0]) - curvature * (xs[0] + xs[2] - 2 * xs[1])
    gain = slope_at_focus**2 / (4 * curvature)
    if gain / ys[1] <= settings.noise_threshold / 2:
        return None
    vertex = xs[1] - slope_at_focus / (2 * curvature)
    side = (xs[0], xs[1]) if vertex < xs[1] else (xs[1], xs[2])
    margin = (side[1] - side[0]) / 5
    size = round(math.exp(min(max(vertex, side[0] + margin), side[1] - margin)))
    return size if size not in (lower, focus, upper) else None


def top_ups(settings: AdaptiveSettings, landscape: Landscape, retired: set[int]) -> list[Work]:
    """The best first (its interval decides what choose calls tied), then the rivals: those choose would wrongly
    take, then neighbours that might be cheaper."""
    pickable = [c for c in _could_be_picked(settings, landscape) if c.memory_mb not in retired]
    better = [c for c in _could_be_better(settings, landscape) if c.memory_mb not in retired and c not in pickable]
    rivals = [
        Work(Kind.PICKABLE, c.memory_mb, settings.step_invocations, "choose would take it for speed")
        for c in pickable[: settings.max_rivals]
    ]
    rivals += [
        Work(Kind.NEIGHBOUR, c.memory_mb, settings.step_invocations, "it might be cheaper")
        for c in better[: max(0, settings.max_rivals - len(rivals))]
    ]
    if landscape.best.memory_mb in retired:
        return rivals
    return [*_best_top_up(settings, landscape, pickable, open_=bool(rivals)), *rivals]


def _could_be_picked(settings: AdaptiveSettings, landscape: Landscape) -> list[CandidateStats]:
    """Rivals choose would call tied with the best (inside its interval or the noise threshold) and prefer on its
    secondary criterion, while they may cost more than the threshold: their estimate is above it, or not yet known
    to within twice it (one standard error). The one choose would take comes first."""
    if landscape.tie_bound is None:
        return []
    threshold = settings.noise_threshold
    best = landscape.best
    bound = max(landscape.objective[best.memory_mb] * (1 + threshold), landscape.tie_bound)

    def open_(c: CandidateStats) -> bool:
        gap = landscape.gap(c)
        return gap > threshold or gap + landscape.standard_error(c) > 2 * threshold

    pickable = [
        c
        for c in landscape.eligible
        if c is not best
        and landscape.objective[c.memory_mb] <= bound
        and landscape.secondary(c) < landscape.secondary(best)
        and open_(c)
    ]
    return sorted(pickable, key=lambda c: (landscape.secondary(c), c.memory_mb))


def _could_be_better(settings: AdaptiveSettings, landscape: Landscape) -> list[CandidateStats]:
    """Neighbours of the best that, within one standard error, might beat it by more than the noise threshold.
    (Sizes further away on a flat stretch would cost dozens of invocations to rank and matter little.)"""

    def slack(c: CandidateStats) -> float:
        return landscape.standard_error(c) - landscape.gap(c) - settings.noise_threshold

    return sorted((c for c in landscape.neighbours_of_best() if slack(c) > 0), key=lambda c: (-slack(c), c.memory_mb))


def _best_top_up(
    settings: AdaptiveSettings, landscape: Landscape, pickable: list[CandidateStats], *, open_: bool
) -> list[Work]:
    """Invocations for the best: enough to shrink its interval below the gap to the rival choose would wrongly
    take, or to reach the minimum sample count; at most ``max_best_step`` per round."""
    have = landscape.samples(landscape.best)
    target = settings.min_best_samples
    kind = Kind.BEST
    if pickable:
        gap = max(landscape.gap(pickable[0]), settings.noise_threshold)
        target = max(target, math.ceil((Z_95 * landscape.noise / gap) ** 2))
        kind = Kind.PICKABLE
    if have >= target and not open_:
        return []
    count = min(max(target - have, settings.step_invocations), settings.max_best_step)
    return [Work(kind, landscape.best.memory_mb, count, "the best so far")]

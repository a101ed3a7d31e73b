"""Adaptive memory search: measure a few sizes coarsely, then spend invocations only where they can change the
answer.

A run is a series of rounds. The first measures a log-spaced grid over the allowed memory range, two invocations
per size (the first is a cold start, which the statistics leave out). Every later round first probes a failure
boundary (a memory floor) if there is one. Then, for the cost strategy, the cost curve (``curve_search``)
fitted to every size measured so far drives the search: it measures the curve's cheapest size if that is not
measured yet (a confirmation batch: a size the curve predicts is never applied unmeasured), then where the
resampled curves disagree about the cheapest size (the ends of where they put it), and stops once the
optimum's cost is known within the noise threshold at 95%. When there is no curve (another strategy, too few
sizes) or it does not fit the data, the search plans per size instead, in this order of priority:

1. boundary probes: when sizes below the best failed (out of memory, timeout) or broke a constraint and the cost
   climbs with memory, probe evenly between the failure and the nearest size that worked, one invocation each
   (a single invocation tells whether a size fails), until the floor is pinned down as closely as it is worth;
2. confirming the floor: warm invocations for the lowest size that worked, once the probing is done;
3. rivals choose would wrongly pick: ``choose`` treats every size inside the best's 95% interval as costing the
   same and takes the fastest; a faster rival that may cost more than the noise threshold gets invocations, and
   so does the best (whose interval decides the tie);
4. a parabola probe: where a parabola (in log memory) through the best and its neighbours promises a minimum
   worth more than half the noise threshold;
5. neighbours of the best that, within one standard error, might beat it by more than the noise threshold;
6. the best itself, until it has enough samples to be trusted.

With a few percent of noise per invocation, differences of 1-2% take dozens of invocations to settle, so the
search is bounded by rounds, invocations and budget and spends them in that order; it stops early when nothing is
left open. The final choice is still ``selection.choose`` over everything measured: this module only decides what
to measure next. It is deterministic: the same statistics give the same plan.
"""

import math
from collections.abc import Sequence

from autotuner.domain.costs.money import usd
from autotuner.domain.decision.candidate import CandidateStats, Constraints
from autotuner.domain.decision.strategy import Strategy, rule_for
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.curve_search import curve_driven
from autotuner.domain.search.landscape import Kind, Landscape, Work, read_landscape
from autotuner.domain.search.per_size import boundaries, boundary_work, curve_work, top_ups
from autotuner.domain.search.settings import AdaptiveSettings, SearchRound

# A retired size can never be measured again, so retiring needs a wide margin: this many standard errors, and at
# least RETIRE_THRESHOLDS times the noise threshold.
RETIRE_Z = 3.0
RETIRE_THRESHOLDS = 3


def coarse_grid(settings: AdaptiveSettings) -> list[int]:
    """``coarse_points`` whole-MB sizes spaced evenly in log memory from the minimum to the maximum."""
    low, high = settings.min_memory_mb, settings.max_memory_mb
    steps = settings.coarse_points - 1
    return sorted({round(low * (high / low) ** (i / steps)) for i in range(settings.coarse_points)})


def first_round(settings: AdaptiveSettings) -> SearchRound:
    """The coarse pass, thinned (keeping both ends) if the invocation cap cannot pay for all of it."""
    sizes = sorted(set(coarse_grid(settings)) | {s for s in settings.include_sizes if settings.allows(s)})
    per_size = settings.initial_invocations
    room = settings.search_invocations
    if room is not None:
        per_size = max(1, min(per_size, room))
        sizes = _spread(sizes, room // per_size)
    reason = (
        f"Coarse pass: {len(sizes)} sizes from {sizes[0]} to {sizes[-1]} MB, {per_size} invocations each "
        "(the first is a cold start)."
    )
    return SearchRound(add=dict.fromkeys(sizes, per_size), reason=reason)


def _spread(sizes: list[int], count: int) -> list[int]:
    """At most ``count`` of ``sizes``, evenly picked, keeping both ends."""
    if count >= len(sizes):
        return sizes
    if count <= 1:
        return sizes[:1]
    picks = {round(i * (len(sizes) - 1) / (count - 1)) for i in range(count)}
    return [sizes[i] for i in sorted(picks)]


def next_round(
    settings: AdaptiveSettings,
    candidates: Sequence[CandidateStats],
    *,
    rounds_done: int,
    invocations_done: int,
    spent_usd: float,
    retired: Sequence[int] = (),
    strategy: Strategy = Strategy.COST,
    balanced_weight: float = 0.5,
    constraints: Constraints | None = None,
    curve: CostCurve | None = None,
) -> SearchRound:
    """The next round, from the statistics of every size measured so far.

    ``candidates``: one per size, all rounds merged, retired and failed sizes included (as the Analyze step scores
    them). ``rounds_done``: rounds measured so far, the first included. ``invocations_done``: target invocations so
    far, failures included. ``spent_usd``: what they cost (the candidates' ``total_cost``, plus anything else the
    budget should cover). ``retired``: every size retired so far; none of them is planned again. ``strategy``,
    ``balanced_weight`` and ``constraints`` are the ones ``choose`` will decide with. ``curve``: the cost curve
    fitted to the same measurements (``search_curve``); it drives the search when it fits. Plan's probe
    (``settings.preflight_invocations``) is added to ``invocations_done``."""
    rule = rule_for(strategy)
    landscape = read_landscape(candidates, rule, balanced_weight, constraints or Constraints())
    if landscape is None:
        return _nothing_eligible(candidates, retired)
    invocations_done += settings.preflight_invocations
    stop = _cap_reached(settings, rounds_done, invocations_done, spent_usd)
    if stop is not None:
        return SearchRound(complete=True, reason=stop)
    unavailable = {c.memory_mb for c in candidates} | set(retired)
    # Rounds left for probing a failure boundary, this one included: the last round confirms the floor.
    probe_rounds = settings.max_rounds - rounds_done - 1
    probes, confirms = boundary_work(settings, landscape, unavailable, set(retired), probe_rounds)
    wanted = [*probes, *confirms]
    settled: str | None = None
    steering = curve is not None and curve.fits and rule.curve_decides
    if not probes and curve is not None and steering:
        curve_wanted, settled = curve_driven(settings, landscape, curve, set(retired))
        wanted += curve_wanted
    elif not probes:  # while a boundary is probed the best is likely to move: the rest waits for the next round
        wanted += curve_work(settings, landscape, unavailable) + top_ups(settings, landscape, set(retired))
    if rounds_done + 1 >= settings.max_rounds:  # a new size measured last could not be confirmed afterwards
        wanted = [w for w in wanted if not w.kind.new or w.kind is Kind.OPTIMUM]
    wanted.sort(key=lambda w: w.kind)
    planned = _fit(settings, landscape, wanted, invocations_done, spent_usd)
    retire = _retirements(settings, landscape, planned, set(retired))
    if not planned:
        reason = settled if settled and not wanted else _settled(settings, landscape, bool(wanted))
        return SearchRound(retire=retire, complete=True, reason=reason)
    return SearchRound(
        add={w.memory_mb: w.invocations for w in planned}, retire=retire, reason=_describe(landscape, planned)
    )


def _cap_reached(settings: AdaptiveSettings, rounds_done: int, invocations_done: int, spent: float) -> str | None:
    if rounds_done >= settings.max_rounds:
        return f"Stopped at the round cap ({settings.max_rounds} rounds)."
    cap = settings.max_invocations
    if cap is not None and invocations_done >= cap:
        return f"Stopped at the invocation cap ({invocations_done} of {cap} invocations used)."
    if settings.budget_usd is not None and spent >= settings.budget_usd:
        return f"Stopped at the budget ({usd(spent)} of {usd(settings.budget_usd)} spent)."
    return None


def _nothing_eligible(candidates: Sequence[CandidateStats], retired: Sequence[int]) -> SearchRound:
    """Every measured size failed or broke a constraint. The coarse pass spans the whole allowed range, so there
    is nowhere left to look."""
    return SearchRound(
        retire=sorted({c.memory_mb for c in candidates} - set(retired)),
        complete=True,
        reason="Stopped: every measured size failed or broke a constraint, so no size can be recommended.",
    )


def _fit(
    settings: AdaptiveSettings, landscape: Landscape, wanted: list[Work], invocations_done: int, spent: float
) -> list[Work]:
    """The work, in priority order, that the remaining invocations and budget pay for. Top-ups may shrink to fit;
    new sizes need all their initial invocations."""
    room = math.inf if settings.max_invocations is None else settings.max_invocations - invocations_done
    money = math.inf if settings.budget_usd is None else settings.budget_usd - spent
    planned: list[Work] = []
    for item in wanted:
        if not settings.allows(item.memory_mb) or any(w.memory_mb == item.memory_mb for w in planned):
            continue  # outside the range (measured by the caller), or already planned for a weightier reason
        price = _estimated_cost(landscape, item.memory_mb, new=item.kind.new)
        affordable = min(room, money / price if price > 0 else math.inf)
        count = item.invocations if item.kind.new else int(min(item.invocations, affordable))
        if count <= 0 or count > affordable:
            continue
        planned.append(Work(item.kind, item.memory_mb, count, item.why))
        room -= count
        money -= count * price
    return planned


def _estimated_cost(landscape: Landscape, memory_mb: int, *, new: bool) -> float:
    """USD per invocation. A measured size: its mean. A new size, an upper bound: the nearest measured size below
    it priced at the new memory (more memory never slows a function down), or else the nearest above (whose cost
    CPU-bound code at most matches), plus a share of a cold start."""
    below = [c for c in landscape.eligible if c.memory_mb <= memory_mb and c.cost]
    above = [c for c in landscape.eligible if c.memory_mb > memory_mb and c.cost]
    if below:
        near = below[-1]
        scale = memory_mb / near.memory_mb
    elif above:
        near, scale = above[0], 1.0
    else:
        return 0.0
    mean = near.cost.mean if near.cost else 0.0
    cold = (near.mean_init_duration_ms or 0.0) / max(near.duration_estimate, 1.0) if new else 0.0
    return mean * scale * (1 + cold)


def _retirements(settings: AdaptiveSettings, landscape: Landscape, planned: list[Work], retired: set[int]) -> list[int]:
    """Sizes this round does not measure and no later round will: failed or excluded ones; confirmed ones clearly
    worse than the best that choose would not call tied; probes known only by their cold start that no longer
    border a failure (a lower size worked). A probe's cold-start estimate is not comparable, so it is never judged
    'worse'."""
    edges = {working for _, working in boundaries(landscape)}
    keep = {w.memory_mb for w in planned} | {landscape.best.memory_mb, landscape.focus} | edges | retired
    bound = landscape.tie_bound
    clearly_worse = [
        c.memory_mb
        for c in landscape.confirmed
        if landscape.gap(c) > max(RETIRE_THRESHOLDS * settings.noise_threshold, RETIRE_Z * landscape.standard_error(c))
        and (bound is None or landscape.objective[c.memory_mb] > bound)
    ]
    confirmed = {c.memory_mb for c in landscape.confirmed}
    superseded = [c.memory_mb for c in landscape.eligible if c.memory_mb not in confirmed]
    return sorted(set(landscape.blocked + clearly_worse + superseded) - keep)


def _describe(landscape: Landscape, planned: list[Work]) -> str:
    new = [w for w in planned if w.kind.new]
    more = [w for w in planned if not w.kind.new]
    parts: list[str] = []
    if new:
        parts.append("probe " + ", ".join(f"{w.memory_mb} MB ({w.why})" for w in new))
    if more:
        parts.append("add " + ", ".join(f"{w.invocations} to {w.memory_mb} MB ({w.why})" for w in more))
    return f"Best so far {landscape.best.memory_mb} MB; " + "; ".join(parts) + "."


def _settled(settings: AdaptiveSettings, landscape: Landscape, wanted: bool) -> str:
    best = landscape.best.memory_mb
    if wanted:
        return (
            f"Stopped: {best} MB is the best so far; the next useful round does not fit the remaining invocations "
            "or budget."
        )
    close = [
        c.memory_mb
        for c in landscape.eligible
        if c is not landscape.best and landscape.gap(c) <= settings.noise_threshold
    ]
    if not close:
        return f"Converged: {best} MB is told apart from every other size measured."
    sizes = ", ".join(f"{m} MB" for m in close)
    return (
        f"Converged: {best} MB is the best; {sizes} differ from it by less than the {settings.noise_threshold:.0%} "
        "noise threshold, which is not worth more invocations."
    )

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

1. boundary probes: when sizes below the best failed (out of memory, timeout) or broke a constraint or a margin and
   the cost climbs with memory, probe evenly between the failure and the nearest size that worked, one invocation
   each (a single invocation tells whether a size fails), until the floor is pinned down as closely as it is
   worth (a memory floor: as closely as the memory margin needs, ``per_size.memory_floor_work``);
2. confirming the floor: the calls a choice needs at the smallest size the margins allow (the memory margin's
   edge; above a size too slow for the timeout margin, where a slow call still stays under it), or warm
   invocations for the lowest size that worked, once the probing is done;
3. rivals choose would wrongly pick: ``choose`` treats every size inside the best's 95% interval as costing the
   same and takes the fastest; a faster rival that may cost more than the noise threshold gets invocations, and
   so does the best (whose interval decides the tie);
4. a parabola probe: where a parabola (in log memory) through the best and its neighbours promises a minimum
   worth more than half the noise threshold;
5. neighbours of the best that, within one standard error, might beat it by more than the noise threshold;
6. the best itself, until it has enough samples to be trusted.

With a few percent of noise per invocation, differences of 1-2% take dozens of invocations to settle, so the
search is bounded by rounds, invocations and budget and spends them in that order; it stops early when nothing is
left open. Whatever the search stops on, the choice (``chosen_mb``) is measured up to the evidence auto-apply needs
before the search ends, within the invocation cap and the budget: invocations are kept for that all along. The
final choice is still ``selection.choose`` over everything measured: this module only decides what to measure
next. It is deterministic: the same statistics give the same plan.
"""

import math
from collections.abc import Sequence
from dataclasses import replace

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
# Rounds past the round cap that only measure the choice up to the evidence auto-apply needs.
EVIDENCE_ROUNDS = 2


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
    chosen_mb: int | None = None,
) -> SearchRound:
    """The next round, from the statistics of every size measured so far.

    ``candidates``: one per size, all rounds merged, retired and failed sizes included (as the Analyze step scores
    them). ``rounds_done``: rounds measured so far, the first included. ``invocations_done``: target invocations so
    far, failures included. ``spent_usd``: what they cost (the candidates' ``total_cost``, plus anything else the
    budget should cover). ``retired``: every size retired so far; none of them is planned again. ``strategy``,
    ``balanced_weight`` and ``constraints`` are the ones ``choose`` will decide with. ``curve``: the cost curve
    fitted to the same measurements (``search_curve``); it drives the search when it fits. ``chosen_mb``: what
    the decision over the same measurements chooses; before the search stops it is measured up to the evidence
    auto-apply needs (``settings.evidence``), within the invocation cap and the budget, past the round cap if need
    be. Plan's probe (``settings.preflight_invocations``) is added to ``invocations_done``."""
    rule = rule_for(strategy)
    landscape = read_landscape(
        candidates, rule, balanced_weight, constraints or Constraints(), timeout_ms=settings.timeout_ms
    )
    if landscape is None:
        return _nothing_eligible(candidates, retired)
    invocations_done += settings.preflight_invocations
    evidence = _evidence_work(settings, candidates, chosen_mb, set(retired))
    stop = _cap_reached(settings, rounds_done, invocations_done, spent_usd)
    if stop is not None:
        return _evidence_round(
            settings, landscape, evidence, done=invocations_done, spent=spent_usd, rounds_done=rounds_done, stopped=stop
        )
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
        wanted = [w for w in wanted if not w.kind.new or w.kind.measured_at_once]
    wanted.sort(key=lambda w: w.kind)
    reserve = _reserve(settings, evidence, chosen_mb)
    planned = _fit(settings, landscape, wanted, invocations_done, spent_usd, reserve=reserve)
    if not planned:  # the last invocations: for work that leaves its size with what a choice needs
        last = [w for w in wanted if _brings_evidence(settings, landscape, w)]
        own = (chosen_mb, reserve[1], reserve[1])
        planned = _fit(settings, landscape, last, invocations_done, spent_usd, reserve=own)
    if not planned:  # nothing left to learn: the choice still gets the calls auto-apply needs
        done = settled if settled and not wanted else _settled(settings, landscape, bool(wanted))
        return _evidence_round(
            settings, landscape, evidence, done=invocations_done, spent=spent_usd, rounds_done=rounds_done, stopped=done
        )
    if rounds_done + 1 >= settings.max_rounds:  # the last round: the choice gets its evidence now if it fits
        planned = _with_evidence(settings, landscape, planned, evidence, done=invocations_done, spent=spent_usd)
    retire = _retirements(settings, landscape, planned, set(retired), chosen_mb)
    return SearchRound(
        add={w.memory_mb: w.invocations for w in planned}, retire=retire, reason=_describe(landscape, planned)
    )


def _evidence_work(
    settings: AdaptiveSettings, candidates: Sequence[CandidateStats], chosen_mb: int | None, retired: set[int]
) -> list[Work]:
    """The calls the choice still needs before auto-apply may apply it; none when it has them."""
    if chosen_mb is None or chosen_mb in retired or not settings.allows(chosen_mb):
        return []
    chosen = next((c for c in candidates if c.memory_mb == chosen_mb), None)
    needed = settings.evidence.calls_needed(chosen)
    return [Work(Kind.EVIDENCE, chosen_mb, needed, "the choice, up to the calls auto-apply needs")] if needed else []


def _brings_evidence(settings: AdaptiveSettings, landscape: Landscape, item: Work) -> bool:
    """Whether ``item`` gives a size that lacks it the evidence a choice needs (so that, should the choice move
    there, nothing more is needed)."""
    measured = next((c for c in landscape.eligible if c.memory_mb == item.memory_mb), None)
    return 0 < settings.evidence.calls_needed(measured) <= item.invocations


def _reserve(settings: AdaptiveSettings, evidence: list[Work], chosen_mb: int | None) -> tuple[int | None, int, int]:
    """Invocations the search keeps for the choice's evidence: the choice, what it still needs, and what is kept
    in all: that, and enough for a choice that moves to a size measured once or twice (at most a fifth of the
    search's invocations, so that a small cap still searches)."""
    needed = evidence[0].invocations if evidence else 0
    room = settings.search_invocations
    moved = settings.evidence.min_calls - 1 if room is None else min(settings.evidence.min_calls - 1, room // 5)
    return chosen_mb, needed, needed + moved


def _evidence_round(
    settings: AdaptiveSettings,
    landscape: Landscape,
    evidence: list[Work],
    *,
    done: int,
    spent: float,
    rounds_done: int,
    stopped: str,
) -> SearchRound:
    """The search is over (``stopped`` says why): one more round for the choice's evidence if it fits the
    invocations and the budget left (past the round cap by at most ``EVIDENCE_ROUNDS``), else the end."""
    if not evidence or rounds_done >= settings.max_rounds + EVIDENCE_ROUNDS:
        return SearchRound(complete=True, reason=stopped)
    planned = _fit(settings, landscape, evidence, done, spent)
    if not planned or planned[0].invocations < evidence[0].invocations:
        return SearchRound(complete=True, reason=stopped)
    (work,) = planned
    return SearchRound(
        add={work.memory_mb: work.invocations},
        reason=f"{stopped.rstrip('.')}; {work.invocations} more calls at {work.memory_mb} MB, the choice, for the "
        f"evidence auto-apply needs ({settings.evidence.min_calls} calls, {settings.evidence.min_warm_calls} "
        "warm).",
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


def _with_evidence(
    settings: AdaptiveSettings,
    landscape: Landscape,
    planned: list[Work],
    evidence: list[Work],
    *,
    done: int,
    spent: float,
) -> list[Work]:
    """``planned``, with the choice's evidence added where it fits (on top of what the round already gives it)."""
    for item in evidence:
        given = sum(w.invocations for w in planned if w.memory_mb == item.memory_mb)
        if item.invocations <= given:
            continue
        priced = sum(w.invocations * _estimated_cost(landscape, w.memory_mb, new=w.kind.new) for w in planned)
        after = done + sum(w.invocations for w in planned)
        extra = _fit(settings, landscape, [replace(item, invocations=item.invocations - given)], after, spent + priced)
        for more in extra:
            same = [w for w in planned if w.memory_mb == more.memory_mb]
            planned = [w for w in planned if w.memory_mb != more.memory_mb]
            planned.append(replace(same[0], invocations=same[0].invocations + more.invocations) if same else more)
    return planned


def _fit(
    settings: AdaptiveSettings,
    landscape: Landscape,
    wanted: list[Work],
    invocations_done: int,
    spent: float,
    *,
    reserve: tuple[int | None, int, int] = (None, 0, 0),
) -> list[Work]:
    """The work, in priority order, that the remaining invocations and budget pay for, leaving ``reserve`` (the
    choice, what it still needs, and the invocations kept in all) untouched but for what work at the choice needs.
    Top-ups may shrink to fit; new sizes need all their initial invocations."""
    room = math.inf if settings.max_invocations is None else settings.max_invocations - invocations_done
    money = math.inf if settings.budget_usd is None else settings.budget_usd - spent
    reserved_for, needed, held = reserve
    planned: list[Work] = []
    for item in wanted:
        if not settings.allows(item.memory_mb) or any(w.memory_mb == item.memory_mb for w in planned):
            continue  # outside the range (measured by the caller), or already planned for a weightier reason
        price = _estimated_cost(landscape, item.memory_mb, new=item.kind.new)
        kept = held - needed if item.memory_mb == reserved_for else held
        affordable = min(room - kept, money / price if price > 0 else math.inf)
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


def _retirements(
    settings: AdaptiveSettings, landscape: Landscape, planned: list[Work], retired: set[int], chosen_mb: int | None
) -> list[int]:
    """Sizes this round does not measure and no later round will: failed or excluded ones; confirmed ones clearly
    worse than the best that choose would not call tied; probes known only by their cold start that no longer
    border a failure (a lower size worked). A probe's cold-start estimate is not comparable, so it is never judged
    'worse'."""
    edges = {working for _, working in boundaries(landscape)}
    chosen = {chosen_mb} if chosen_mb is not None else set()
    runner_up = sorted(landscape.confirmed, key=lambda c: landscape.objective[c.memory_mb])[1:2]
    keep = {w.memory_mb for w in planned} | {landscape.best.memory_mb, landscape.focus} | edges | retired
    keep |= chosen | {c.memory_mb for c in runner_up} | {landscape.memory_edge or 0}
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

"""Adaptive memory search: measure a few sizes coarsely, then spend invocations only where they can change the
answer.

A run is a series of rounds. The first measures a log-spaced grid over the allowed memory range, two invocations
per size (the first is a cold start, which the statistics leave out). Every later round first probes a failure
boundary (a memory floor) if there is one. Then, for the cost strategy, the cost curve (``domain.cost_curve``)
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
from dataclasses import dataclass
from enum import IntEnum

from pydantic import ConfigDict, Field, model_validator

from autotuner.domain.camel import CamelModel
from autotuner.domain.contracts import TuningInput
from autotuner.domain.cost_curve import MEDIAN_EFFICIENCY, CostCurve, CurvePricing, fit_cost_curve
from autotuner.domain.cost_interval import expected_cost_interval
from autotuner.domain.measurement import BatchMeasurement
from autotuner.domain.memory_sizes import MAX_MEMORY_MB, MIN_MEMORY_MB
from autotuner.domain.money import usd
from autotuner.domain.selection import (
    DEFAULT_NOISE_THRESHOLD,
    CandidateStats,
    Constraints,
    Decision,
    Strategy,
    choose,
    exclusion_reason,
)
from autotuner.domain.statistics import ConfidenceInterval

Z_95 = 1.96
# 60% of what the reference tool's default run invokes (6 sizes x 10): the search stops there unless told otherwise.
DEFAULT_MAX_INVOCATIONS = 36
# Relative noise of one invocation assumed before samples can measure it (Lambda durations typically vary by a few
# percent), pooled with what is measured as a weak prior.
PRIOR_NOISE = 0.05
PRIOR_WEIGHT = 2.0
# A retired size can never be measured again, so retiring needs a wide margin: this many standard errors, and at
# least RETIRE_THRESHOLDS times the noise threshold.
RETIRE_Z = 3.0
RETIRE_THRESHOLDS = 3
# Sizes nearer than this ratio to the best tell its slope apart from noise poorly.
SLOPE_MIN_RATIO = 1.2
# Expected range of n normal samples, in standard deviations (the control-chart constant d2), for n = 0..10.
_RANGE_IN_SIGMAS = (1.0, 1.0, 1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078)


class AdaptiveSettings(CamelModel):
    """How the adaptive search explores and when it stops."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_memory_mb: int = Field(default=MIN_MEMORY_MB, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)
    max_memory_mb: int = Field(default=MAX_MEMORY_MB, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)
    coarse_points: int = Field(default=7, ge=2, le=32, description="sizes in the first, log-spaced pass")
    initial_invocations: int = Field(
        default=2, ge=2, le=100, description="per new size; the first is a cold start, left out of the statistics"
    )
    step_invocations: int = Field(default=4, ge=1, le=100, description="added to an open rival per round")
    max_best_step: int = Field(default=10, ge=1, le=200, description="most invocations the best gets per round")
    min_best_samples: int = Field(default=6, ge=1, le=200, description="warm samples before the best is trusted")
    max_rivals: int = Field(default=3, ge=1, le=32, description="rivals topped up per round")
    boundary_probes: int = Field(
        default=5, ge=1, le=16, description="most sizes probed per round between a failure and the size that worked"
    )
    probe_invocations: int = Field(
        default=1, ge=1, le=100, description="per boundary probe: one invocation tells whether a size fails"
    )
    max_rounds: int = Field(default=5, ge=1, le=20)
    noise_threshold: float = Field(default=DEFAULT_NOISE_THRESHOLD, ge=0, le=0.5)
    max_invocations: int | None = Field(
        default=DEFAULT_MAX_INVOCATIONS, gt=0, description="cap on target invocations; None leaves only the rounds"
    )
    budget_usd: float | None = Field(default=None, gt=0, description="USD for target invocations, on estimates")
    include_sizes: list[int] = Field(default_factory=list, description="also measured in the first round")
    preflight_invocations: int = Field(
        default=0, ge=0, description="Plan's probe of the current configuration: counted against max_invocations"
    )
    confirm_invocations: int = Field(
        default=4, ge=2, le=100, description="for the cost curve's cheapest size when it was not measured"
    )
    min_optimum_samples: int = Field(default=3, ge=1, le=200, description="warm samples at the curve's optimum")

    @model_validator(mode="after")
    def _range_is_ordered(self) -> "AdaptiveSettings":
        if self.min_memory_mb > self.max_memory_mb:
            raise ValueError(f"minMemoryMb {self.min_memory_mb} exceeds maxMemoryMb {self.max_memory_mb}")
        return self

    def allows(self, memory_mb: int) -> bool:
        return self.min_memory_mb <= memory_mb <= self.max_memory_mb

    @classmethod
    def for_tuning(
        cls, tuning: TuningInput, *, current_memory_mb: int | None = None, preflight_invocations: int = 0
    ) -> "AdaptiveSettings":
        """Settings for a parsed workflow input; the current memory is measured too when the input asks for it
        (the savings are computed against it). Plan's probe counts toward the invocation cap."""
        include = [current_memory_mb] if tuning.include_current and current_memory_mb is not None else []
        return cls(
            max_memory_mb=tuning.max_memory_mb or MAX_MEMORY_MB,
            noise_threshold=tuning.noise_threshold,
            max_invocations=tuning.max_invocations or DEFAULT_MAX_INVOCATIONS,
            budget_usd=tuning.budget_usd,
            include_sizes=include,
            preflight_invocations=preflight_invocations,
        )

    @property
    def search_invocations(self) -> int | None:
        """What the rounds may spend: the cap less Plan's probe."""
        return None if self.max_invocations is None else max(0, self.max_invocations - self.preflight_invocations)


class SearchRound(CamelModel):
    """What the next round measures, what it lets go, and why."""

    add: dict[int, int] = Field(default_factory=dict, description="memory size -> invocations to add this round")
    retire: list[int] = Field(default_factory=list, description="sizes never measured again (delete their aliases)")
    complete: bool = False
    reason: str

    @property
    def invocations(self) -> int:
        return sum(self.add.values())


# ---- the first round -------------------------------------------------------------------------------------


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


# ---- what the measurements say so far --------------------------------------------------------------------


@dataclass(frozen=True)
class _Landscape:
    """The measurements in the terms the planner reasons in. The objective is what the strategy minimises (cost,
    duration or choose's balanced score); gaps and errors are relative to the best's objective. A size measured
    by its cold start alone (a boundary probe) is feasible but unconfirmed: its estimate includes the start-up."""

    eligible: list[CandidateStats]  # by memory, as choose sees them
    confirmed: list[CandidateStats]  # eligible with at least one warm sample, by memory
    blocked: list[int]  # sizes that failed or broke a constraint
    objective: dict[int, float]
    best: CandidateStats
    focus: int  # the size exploration centres on
    tie_bound: float | None  # choose calls an objective at or below this 'the same as the best'
    noise: float  # pooled relative standard deviation of one sample's objective
    strategy: Strategy

    def samples(self, candidate: CandidateStats) -> int:
        return candidate.cost.count if candidate.cost and candidate.warm_invocations else 0

    def gap(self, candidate: CandidateStats) -> float:
        best = self.objective[self.best.memory_mb]
        return self.objective[candidate.memory_mb] / best - 1 if best > 0 else 0.0

    def standard_error(self, candidate: CandidateStats) -> float:
        """Of the relative difference between ``candidate`` and the best."""
        n_best, n_other = max(1, self.samples(self.best)), max(1, self.samples(candidate))
        return self.noise * math.sqrt(1 / n_best + 1 / n_other)

    def secondary(self, candidate: CandidateStats) -> float:
        """choose's tie-break among sizes tied with the best: duration for cost, cost for speed."""
        return candidate.cost_estimate if self.strategy is Strategy.SPEED else candidate.duration_estimate

    def neighbours_of_best(self) -> list[CandidateStats]:
        position = self.confirmed.index(self.best)
        return [self.confirmed[i] for i in (position - 1, position + 1) if 0 <= i < len(self.confirmed)]

    def is_confirmed(self, memory_mb: int) -> bool:
        return any(c.memory_mb == memory_mb for c in self.confirmed)


def _landscape(
    candidates: Sequence[CandidateStats], strategy: Strategy, balanced_weight: float, constraints: Constraints
) -> _Landscape | None:
    eligible = sorted((c for c in candidates if exclusion_reason(c, constraints) is None), key=lambda c: c.memory_mb)
    if not eligible:
        return None
    confirmed = [c for c in eligible if c.warm_invocations > 0] or eligible
    objective = _objective(eligible, strategy, balanced_weight)
    best = min(confirmed, key=lambda c: (objective[c.memory_mb], c.memory_mb))
    focus = best.memory_mb
    if strategy is Strategy.SPEED:
        # choose picks the cheapest size as fast as the fastest: the knee where more memory stops helping.
        focus = choose(confirmed, strategy).chosen_memory_mb or focus
    noise = _pooled_noise(eligible, strategy)
    return _Landscape(
        eligible=eligible,
        confirmed=confirmed,
        blocked=sorted(c.memory_mb for c in candidates if exclusion_reason(c, constraints) is not None),
        objective=objective,
        best=best,
        focus=focus,
        tie_bound=_tie_bound(best, strategy),
        noise=noise,
        strategy=strategy,
    )


def _objective(eligible: list[CandidateStats], strategy: Strategy, weight: float) -> dict[int, float]:
    if strategy is Strategy.COST:
        return {c.memory_mb: c.cost_estimate for c in eligible}
    if strategy is Strategy.SPEED:
        return {c.memory_mb: c.duration_estimate for c in eligible}
    max_cost = max(c.cost_estimate for c in eligible) or 1.0
    max_duration = max(c.duration_estimate for c in eligible) or 1.0
    return {
        c.memory_mb: weight * c.cost_estimate / max_cost + (1 - weight) * c.duration_estimate / max_duration
        for c in eligible
    }


def _tie_bound(best: CandidateStats, strategy: Strategy) -> float | None:
    """The upper interval bound choose treats as 'the same as the best' (the balanced strategy has none)."""
    if strategy is Strategy.BALANCED:
        return None
    interval = best.cost_interval if strategy is Strategy.COST else best.duration_interval
    return interval.high if interval else None


def _pooled_noise(eligible: list[CandidateStats], strategy: Strategy) -> float:
    """Relative standard deviation of one sample, pooled over every size (the noise is multiplicative, so sizes
    share it) with a weak prior, so that two or three samples do not look exact."""
    weighted, weights = PRIOR_WEIGHT * PRIOR_NOISE**2, PRIOR_WEIGHT
    for c in eligible:
        sigma = _sample_noise(c, strategy)
        if sigma is not None:
            n = c.cost.count if c.cost else 0
            weighted += (n - 1) * sigma**2
            weights += n - 1
    return math.sqrt(weighted / weights)


def _sample_noise(candidate: CandidateStats, strategy: Strategy) -> float | None:
    """One size's relative spread. Small samples: the range divided by its expected value for normal data, as
    control charts do (a percentile bootstrap interval is far too narrow for two or three values). Larger ones:
    the bootstrap interval of the trimmed mean (about ±1.96 sigma / sqrt(n)), which reflects what trimming removes."""
    summary = candidate.cost if strategy is Strategy.COST else candidate.duration_ms
    interval = candidate.cost_interval if strategy is Strategy.COST else candidate.duration_interval
    if summary is None or summary.count < 2 or summary.trimmed_mean <= 0:
        return None
    n = summary.count
    if n < len(_RANGE_IN_SIGMAS) or interval is None:
        expected_range = _RANGE_IN_SIGMAS[min(n, len(_RANGE_IN_SIGMAS) - 1)]
        return (summary.maximum - summary.minimum) / expected_range / summary.trimmed_mean
    return interval.half_width / summary.trimmed_mean * math.sqrt(n) / Z_95


# ---- planning a round ------------------------------------------------------------------------------------


class _Kind(IntEnum):
    """Kinds of work, in the order the caps are spent on them."""

    BOUNDARY = 1  # a new size between a failure and the best
    CONFIRM = 2  # warm samples for the lowest size known to work above a failure
    OPTIMUM = 3  # the cost curve's cheapest size: measured before it can be chosen
    PICKABLE = 4  # a rival choose would take for speed though it may cost more
    CURVE = 5  # a new size along the curve: where it bottoms out, where resampled curves put it, or a knee
    NEIGHBOUR = 6  # a neighbour of the best that might be cheaper
    BEST = 7  # the best, up to the samples it needs

    @property
    def new(self) -> bool:
        return self in (_Kind.BOUNDARY, _Kind.OPTIMUM, _Kind.CURVE)


@dataclass(frozen=True)
class _Work:
    kind: _Kind
    memory_mb: int
    invocations: int
    why: str


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
    landscape = _landscape(candidates, strategy, balanced_weight, constraints or Constraints())
    if landscape is None:
        return _nothing_eligible(candidates, retired)
    invocations_done += settings.preflight_invocations
    stop = _cap_reached(settings, rounds_done, invocations_done, spent_usd)
    if stop is not None:
        return SearchRound(complete=True, reason=stop)
    unavailable = {c.memory_mb for c in candidates} | set(retired)
    # Rounds left for probing a failure boundary, this one included: the last round confirms the floor.
    probe_rounds = settings.max_rounds - rounds_done - 1
    probes, confirms = _boundary_work(settings, landscape, unavailable, set(retired), probe_rounds)
    wanted = [*probes, *confirms]
    settled: str | None = None
    steering = curve is not None and curve.fits and strategy is Strategy.COST
    if not probes and curve is not None and steering:
        curve_wanted, settled = _curve_driven(settings, landscape, curve, set(retired))
        wanted += curve_wanted
    elif not probes:  # while a boundary is probed the best is likely to move: the rest waits for the next round
        wanted += _curve_work(settings, landscape, unavailable) + _top_ups(settings, landscape, set(retired))
    if rounds_done + 1 >= settings.max_rounds:  # a new size measured last could not be confirmed afterwards
        wanted = [w for w in wanted if not w.kind.new or w.kind is _Kind.OPTIMUM]
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


# ---- the cost curve ------------------------------------------------------------------------------------

# Sizes within this ratio of each other tell the curve the same thing: top up the measured one, add no new one.
SAME_SIZE_RATIO = 1.05


def warm_durations(measurements: Sequence[BatchMeasurement]) -> dict[int, list[float]]:
    """Each size's warm durations (ms), for sizes without a failure: what the cost curve is fitted to. A size
    measured by its cold start alone is left out (a first invocation may run slower than the rest)."""
    durations: dict[int, list[float]] = {}
    for measurement in measurements:
        if measurement.failures:
            continue
        warm = [r.duration_ms for r in measurement.reports() if not r.is_cold_start]
        if warm:
            durations.setdefault(measurement.memory_mb, []).extend(warm)
    return durations


def curve_range(settings: AdaptiveSettings, candidates: Sequence[CandidateStats]) -> tuple[int, int] | None:
    """The sizes the curve may choose from: above the highest failure below the working sizes (a memory floor
    lies somewhere between it and the next size that worked, so nothing in between is known to work), below any
    failure above them."""
    failed = [c.memory_mb for c in candidates if c.failure_reason is not None]
    working = sorted(c.memory_mb for c in candidates if c.failure_reason is None and c.cost is not None)
    if not working:
        return None
    below = [f for f in failed if f < working[-1]]
    lowest = min(w for w in working if w > max(below)) if below else settings.min_memory_mb
    above = [f for f in failed if f > lowest]
    highest = max(w for w in working if w < min(above)) if above else settings.max_memory_mb
    return lowest, highest


def search_curve(
    settings: AdaptiveSettings,
    candidates: Sequence[CandidateStats],
    measurements: Sequence[BatchMeasurement],
    pricing: CurvePricing,
    *,
    seed: int,
    resamples: int,
) -> CostCurve | None:
    """The cost curve over the sizes the search may choose from, fitted to every size measured there; None with
    fewer than four of them. Its band is kept at every size measured in the range too (a report draws the curve
    through them)."""
    span = curve_range(settings, candidates)
    if span is None:
        return None
    lowest, highest = span
    durations = {m: d for m, d in warm_durations(measurements).items() if lowest <= m <= highest}
    return fit_cost_curve(
        durations,
        pricing,
        lowest_mb=lowest,
        highest_mb=highest,
        noise_threshold=settings.noise_threshold,
        resamples=resamples,
        seed=seed,
        band_at=[c.memory_mb for c in candidates],
    )


def _curve_driven(
    settings: AdaptiveSettings, landscape: _Landscape, curve: CostCurve, retired: set[int]
) -> tuple[list[_Work], str | None]:
    """What the fitted curve asks for: its cheapest size measured (a confirmation batch), then invocations where
    the resampled curves put the cheapest size at the ends of their 95% range (that is where a measurement most
    narrows down which size is cheapest), then the optimum again, until its cost is known within the noise
    threshold at 95%. With nothing left to ask, the reason the search is done."""
    optimum = curve.optimum_mb
    measured = {c.memory_mb: c for c in landscape.eligible}
    if optimum in retired:
        return [], None  # let go as clearly worse: the curve and the measurements disagree; the caller falls back
    work: list[_Work] = []
    have = landscape.samples(measured[optimum]) if optimum in measured else 0
    if optimum not in measured:
        work.append(_Work(_Kind.OPTIMUM, optimum, settings.confirm_invocations, "the cost curve's cheapest size"))
    elif have < settings.min_optimum_samples:
        need = settings.min_optimum_samples - have
        work.append(_Work(_Kind.BEST, optimum, need, "the cost curve's cheapest size, confirming it"))
    for edge in sorted({curve.optimum_spread_mb[0], curve.optimum_spread_mb[-1]}):
        if max(edge, optimum) / min(edge, optimum) <= SAME_SIZE_RATIO:
            continue
        work += _narrowing(settings, landscape, edge, retired)
    if work:
        return work, None
    band = f"±{curve.relative_band:.1%}"
    if curve.known_within(settings.noise_threshold):
        return [], (
            f"Converged: the cost curve puts the cheapest size at {optimum} MB, measured there, its cost known "
            f"within {band} at 95% (the noise threshold is {settings.noise_threshold:.0%})."
        )
    why = f"the cost curve's cheapest size, its cost known only within {band}"
    return [_Work(_Kind.BEST, optimum, settings.step_invocations, why)], None


def _narrowing(settings: AdaptiveSettings, landscape: _Landscape, edge: int, retired: set[int]) -> list[_Work]:
    """Invocations near ``edge``: the nearest measured size if it is close enough (and still measured), or a
    new size there."""
    near = min(landscape.confirmed, key=lambda c: abs(math.log(c.memory_mb / edge)))
    why = f"resampled cost curves put the cheapest size as far as {edge} MB"
    if max(near.memory_mb, edge) / min(near.memory_mb, edge) <= SAME_SIZE_RATIO:
        if near.memory_mb in retired:
            return []
        return [_Work(_Kind.NEIGHBOUR, near.memory_mb, settings.step_invocations, why)]
    if not settings.allows(edge) or any(c.memory_mb == edge for c in landscape.eligible):
        return []
    return [_Work(_Kind.CURVE, edge, settings.initial_invocations + 1, why)]


def curve_decision(
    curve: CostCurve | None,
    decision: Decision,
    candidates: Sequence[CandidateStats],
    pricing: CurvePricing,
    constraints: Constraints | None = None,
) -> Decision:
    """The cost strategy's choice over every MB: the curve's cheapest size when the curve fits and that size was
    measured, works, meets the constraints and measured as the curve predicted; otherwise ``decision`` (the
    choice among measured sizes), with the reason the curve was not used."""
    if curve is None or decision.strategy is not Strategy.COST:
        return decision
    optimum = curve.optimum_mb
    chosen = next((c for c in candidates if c.memory_mb == optimum), None)
    predicted = f"{optimum} MB at {usd(curve.optimum_cost)} per invocation"
    if not curve.fits:
        return _fall_back(decision, f"{curve.check.describe()}, so it was not used")
    if chosen is None or chosen.duration_ms is None or not chosen.warm_invocations:
        unmeasured = f"the cost curve predicts the cheapest at {predicted}, not yet measured"
        return _curve_ranked(curve, decision, candidates, pricing, unmeasured) or _fall_back(decision, unmeasured)
    excluded = exclusion_reason(chosen, constraints or Constraints())
    if excluded is not None:
        return _fall_back(decision, f"the cost curve's cheapest size {optimum} MB cannot be chosen: {excluded}")
    miss = _confirmation_miss(curve, chosen)
    if miss is not None:
        return _fall_back(decision, miss)
    tied = [
        c.memory_mb
        for c in sorted(candidates, key=lambda c: c.memory_mb)
        if c.memory_mb != optimum
        and exclusion_reason(c, constraints or Constraints()) is None
        and curve.cost(c.memory_mb, pricing)
        <= max(curve.optimum_band.high, curve.optimum_cost * (1 + curve.noise_threshold))
    ]
    band = curve_cost_interval(curve, chosen, candidates)
    reason = (
        f"The cost curve fitted to {len(curve.sizes)} measured sizes puts the cheapest size over every MB from "
        f"{curve.lowest_mb} to {curve.highest_mb} at {predicted} (95% interval {usd(band.low)}-{usd(band.high)}: "
        "the curve's band, widened to hold the interval measured there); "
        f"{chosen.duration_ms.count} warm invocations there measured {usd(chosen.cost_estimate)} (trimmed mean)."
    )
    ranking = [optimum] + [m for m in decision.ranking if m != optimum]
    return Decision(
        strategy=Strategy.COST,
        chosen_memory_mb=optimum,
        reason=reason,
        excluded=decision.excluded,
        indistinguishable_from_best=[optimum, *tied],
        ranking=ranking,
    )


def _curve_ranked(
    curve: CostCurve,
    decision: Decision,
    candidates: Sequence[CandidateStats],
    pricing: CurvePricing,
    unmeasured: str,
) -> Decision | None:
    """When the curve fits but its optimum was not measured: the measured size the curve ranks cheapest among
    those the choice may fall on. The curve reads each size through its median and through every other size, so
    a size whose few calls missed a slow mode by luck does not win on its mean alone. None when that is the
    measured choice anyway."""
    eligible = [
        c for c in candidates if c.memory_mb in decision.ranking and c.duration_ms is not None and c.warm_invocations
    ]
    if not eligible:
        return None
    predicted = {c.memory_mb: curve.cost(c.memory_mb, pricing) for c in eligible}
    best = min(eligible, key=lambda c: (predicted[c.memory_mb], c.memory_mb))
    if best.memory_mb == decision.chosen_memory_mb or best.duration_ms is None:
        return None
    within = predicted[best.memory_mb] * (1 + curve.noise_threshold)
    tied = [m for m in sorted(predicted) if m != best.memory_mb and predicted[m] <= within]
    reason = (
        f"{unmeasured[0].upper()}{unmeasured[1:]}; of the measured sizes it ranks {best.memory_mb} MB cheapest "
        f"(predicted {usd(predicted[best.memory_mb])} per invocation; {best.duration_ms.count} warm invocations "
        f"there measured {usd(best.cost_estimate)}, trimmed mean). The lowest measured cost, "
        f"{decision.chosen_memory_mb} MB, rests on fewer calls than the curve's reading of every size together."
    )
    return Decision(
        strategy=Strategy.COST,
        chosen_memory_mb=best.memory_mb,
        reason=reason,
        excluded=decision.excluded,
        indistinguishable_from_best=[best.memory_mb, *tied],
        ranking=[best.memory_mb, *(m for m in decision.ranking if m != best.memory_mb)],
    )


def curve_cost_interval(
    curve: CostCurve, chosen: CandidateStats, candidates: Sequence[CandidateStats]
) -> ConfidenceInterval:
    """The interval stated for the cost at the curve's optimum: the curve's band, widened to hold the measured
    interval of the mean there. The band comes from resampling a few invocations per size and from a model that
    may not fit exactly; the measured interval does not depend on the model, so the union is at least as likely
    to hold the true cost as either."""
    band = curve.optimum_band
    measured = expected_cost_interval(chosen, candidates)
    if measured is None:
        return band
    return ConfidenceInterval(low=min(band.low, measured.low), high=max(band.high, measured.high), confidence=0.95)


def _confirmation_miss(curve: CostCurve, chosen: CandidateStats) -> str | None:
    """Why the measurements at the curve's optimum contradict it, if they do: their median duration further from
    the curve's than their noise and the noise threshold allow (at 99%)."""
    assert chosen.duration_ms is not None
    measured = chosen.duration_ms.median
    predicted = curve.terms.median_duration_ms(chosen.memory_mb)
    error = curve.check.relative_noise * MEDIAN_EFFICIENCY / math.sqrt(chosen.duration_ms.count)
    allowed = 2.576 * math.hypot(error, curve.noise_threshold)
    off = measured / predicted - 1 if predicted > 0 else math.inf
    if abs(off) <= allowed:
        return None
    return (
        f"the cost curve's cheapest size {chosen.memory_mb} MB measured {off:+.1%} from the curve's prediction "
        f"(more than the ±{allowed:.1%} its noise allows), so the curve was not used"
    )


def _fall_back(decision: Decision, why: str) -> Decision:
    return decision.model_copy(update={"reason": f"{decision.reason} The choice is among measured sizes: {why}."})


# ---- exploration: new sizes ------------------------------------------------------------------------------


def _boundary_work(
    settings: AdaptiveSettings, landscape: _Landscape, unavailable: set[int], retired: set[int], rounds_left: int
) -> tuple[list[_Work], list[_Work]]:
    """Between the nearest failed size and the nearest working one (on either side of the focus), when the
    objective changes enough with memory for the floor to matter: probes while the gap is wider than worth
    resolving and rounds remain; then warm samples for the working size. Confirming earlier would be wasted when
    the floor moves, and would leave a measured size just above it for choose's speed tie-break to take."""
    probes: list[_Work] = []
    confirms: list[_Work] = []
    for blocked, working in _boundaries(landscape):
        resolution = _boundary_resolution(settings, landscape, blocked)
        gap = abs(working - blocked)
        if gap > resolution and rounds_left > 0:
            count = _probes_needed(gap / resolution, rounds_left, settings.boundary_probes)
            why = f"between {blocked} MB, which failed, and {working} MB, which worked"
            probes += [
                _Work(_Kind.BOUNDARY, size, settings.probe_invocations, why)
                for size in _even_points(blocked, working, count)
                if settings.allows(size) and size not in unavailable
            ]
        elif not landscape.is_confirmed(working) and working not in retired:
            confirms.append(_Work(_Kind.CONFIRM, working, settings.step_invocations, "the nearest size to work"))
    return probes, confirms


def _probes_needed(ratio: float, rounds_left: int, most: int) -> int:
    """Evenly spaced probes per round that shrink a gap ``ratio`` times the resolution down to the resolution in
    ``rounds_left`` rounds (k probes cut a gap into k + 1 parts)."""
    per_round: float = ratio ** (1 / max(1, rounds_left))
    return min(max(1, math.ceil(per_round) - 1), most)


def _boundaries(landscape: _Landscape) -> list[tuple[int, int]]:
    """(failed size, nearest working size) pairs: below the focus and above it."""
    focus = landscape.focus
    working = [c.memory_mb for c in landscape.eligible]
    pairs: list[tuple[int, int]] = []
    below = [b for b in landscape.blocked if b < focus]
    if below:
        pairs.append((below[-1], min(w for w in working if w > below[-1])))
    above = [b for b in landscape.blocked if b > focus]
    if above:
        pairs.append((above[0], max(w for w in working if w < above[0])))
    return pairs


def _curve_work(settings: AdaptiveSettings, landscape: _Landscape, unavailable: set[int]) -> list[_Work]:
    """A new size along the curve: for speed, toward the knee; otherwise where a parabola puts the minimum."""
    if landscape.strategy is Strategy.SPEED:
        return _knee_work(settings, landscape, unavailable)
    return _parabola_work(settings, landscape, unavailable)


def _knee_work(settings: AdaptiveSettings, landscape: _Landscape, unavailable: set[int]) -> list[_Work]:
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
        return [_Work(_Kind.NEIGHBOUR, below.memory_mb, settings.step_invocations, "it might be as fast")]
    middle = round(math.sqrt(below.memory_mb * focus))
    if focus / below.memory_mb <= 1 + (SLOPE_MIN_RATIO - 1) / 4 or middle in unavailable or not settings.allows(middle):
        return []
    why = f"between {below.memory_mb} MB, which is slower, and {focus} MB, where more memory stops helping"
    return [_Work(_Kind.CURVE, middle, settings.initial_invocations, why)]


def _parabola_work(settings: AdaptiveSettings, landscape: _Landscape, unavailable: set[int]) -> list[_Work]:
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
    return [_Work(_Kind.CURVE, vertex, settings.initial_invocations, why)]


def _even_points(a: int, b: int, count: int) -> list[int]:
    """Up to ``count`` whole sizes evenly spaced strictly between ``a`` and ``b``."""
    low, high = min(a, b), max(a, b)
    points = {round(low + (high - low) * i / (count + 1)) for i in range(1, count + 1)}
    return sorted(p for p in points if low < p < high)


def _boundary_resolution(settings: AdaptiveSettings, landscape: _Landscape, blocked: int) -> float:
    """How close to the failure a floor is worth pinning down, in MB: where the slope next to the focus, carried
    across the rest of the gap, adds up to a quarter of the noise threshold (at least 1 MB; 1 MB when the slope
    is unknown). A quarter, because that slope is measured over 20% or more of memory and the cost usually climbs
    more steeply right above a floor; probes cost one invocation each."""
    slope = _relative_slope(landscape, away_from=blocked)
    if not slope:
        return 1.0
    return max(1.0, settings.noise_threshold / 4 / slope)


def _relative_slope(landscape: _Landscape, *, away_from: int) -> float | None:
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


def _parabola_probe(settings: AdaptiveSettings, landscape: _Landscape, lower: int, upper: int) -> int | None:
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


# ---- confirming: more invocations where the answer is still open -----------------------------------------


def _top_ups(settings: AdaptiveSettings, landscape: _Landscape, retired: set[int]) -> list[_Work]:
    """The best first (its interval decides what choose calls tied), then the rivals: those choose would wrongly
    take, then neighbours that might be cheaper."""
    pickable = [c for c in _could_be_picked(settings, landscape) if c.memory_mb not in retired]
    better = [c for c in _could_be_better(settings, landscape) if c.memory_mb not in retired and c not in pickable]
    rivals = [
        _Work(_Kind.PICKABLE, c.memory_mb, settings.step_invocations, "choose would take it for speed")
        for c in pickable[: settings.max_rivals]
    ]
    rivals += [
        _Work(_Kind.NEIGHBOUR, c.memory_mb, settings.step_invocations, "it might be cheaper")
        for c in better[: max(0, settings.max_rivals - len(rivals))]
    ]
    if landscape.best.memory_mb in retired:
        return rivals
    return [*_best_top_up(settings, landscape, pickable, open_=bool(rivals)), *rivals]


def _could_be_picked(settings: AdaptiveSettings, landscape: _Landscape) -> list[CandidateStats]:
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


def _could_be_better(settings: AdaptiveSettings, landscape: _Landscape) -> list[CandidateStats]:
    """Neighbours of the best that, within one standard error, might beat it by more than the noise threshold.
    (Sizes further away on a flat stretch would cost dozens of invocations to rank and matter little.)"""

    def slack(c: CandidateStats) -> float:
        return landscape.standard_error(c) - landscape.gap(c) - settings.noise_threshold

    return sorted((c for c in landscape.neighbours_of_best() if slack(c) > 0), key=lambda c: (-slack(c), c.memory_mb))


def _best_top_up(
    settings: AdaptiveSettings, landscape: _Landscape, pickable: list[CandidateStats], *, open_: bool
) -> list[_Work]:
    """Invocations for the best: enough to shrink its interval below the gap to the rival choose would wrongly
    take, or to reach the minimum sample count; at most ``max_best_step`` per round."""
    have = landscape.samples(landscape.best)
    target = settings.min_best_samples
    kind = _Kind.BEST
    if pickable:
        gap = max(landscape.gap(pickable[0]), settings.noise_threshold)
        target = max(target, math.ceil((Z_95 * landscape.noise / gap) ** 2))
        kind = _Kind.PICKABLE
    if have >= target and not open_:
        return []
    count = min(max(target - have, settings.step_invocations), settings.max_best_step)
    return [_Work(kind, landscape.best.memory_mb, count, "the best so far")]


# ---- fitting the work into the caps ----------------------------------------------------------------------


def _fit(
    settings: AdaptiveSettings, landscape: _Landscape, wanted: list[_Work], invocations_done: int, spent: float
) -> list[_Work]:
    """The work, in priority order, that the remaining invocations and budget pay for. Top-ups may shrink to fit;
    new sizes need all their initial invocations."""
    room = math.inf if settings.max_invocations is None else settings.max_invocations - invocations_done
    money = math.inf if settings.budget_usd is None else settings.budget_usd - spent
    planned: list[_Work] = []
    for item in wanted:
        if not settings.allows(item.memory_mb) or any(w.memory_mb == item.memory_mb for w in planned):
            continue  # outside the range (measured by the caller), or already planned for a weightier reason
        price = _estimated_cost(landscape, item.memory_mb, new=item.kind.new)
        affordable = min(room, money / price if price > 0 else math.inf)
        count = item.invocations if item.kind.new else int(min(item.invocations, affordable))
        if count <= 0 or count > affordable:
            continue
        planned.append(_Work(item.kind, item.memory_mb, count, item.why))
        room -= count
        money -= count * price
    return planned


def _estimated_cost(landscape: _Landscape, memory_mb: int, *, new: bool) -> float:
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


# ---- retiring sizes --------------------------------------------------------------------------------------


def _retirements(
    settings: AdaptiveSettings, landscape: _Landscape, planned: list[_Work], retired: set[int]
) -> list[int]:
    """Sizes this round does not measure and no later round will: failed or excluded ones; confirmed ones clearly
    worse than the best that choose would not call tied; probes known only by their cold start that no longer
    border a failure (a lower size worked). A probe's cold-start estimate is not comparable, so it is never judged
    'worse'."""
    edges = {working for _, working in _boundaries(landscape)}
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


# ---- explaining ------------------------------------------------------------------------------------------


def _describe(landscape: _Landscape, planned: list[_Work]) -> str:
    new = [w for w in planned if w.kind.new]
    more = [w for w in planned if not w.kind.new]
    parts: list[str] = []
    if new:
        parts.append("probe " + ", ".join(f"{w.memory_mb} MB ({w.why})" for w in new))
    if more:
        parts.append("add " + ", ".join(f"{w.invocations} to {w.memory_mb} MB ({w.why})" for w in more))
    return f"Best so far {landscape.best.memory_mb} MB; " + "; ".join(parts) + "."


def _settled(settings: AdaptiveSettings, landscape: _Landscape, wanted: bool) -> str:
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

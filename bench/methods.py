"""The three ways of tuning the benchmark compares, each run against one simulated target.

* reference: aws-lambda-power-tuning as it ships: sizes 128, 256, 512, 1024, 1536 and 3008 MB, 10 invocations each,
  a 20% trimmed mean of billed duration, cost = ceil(that mean) x the price of one ms at 128 MB x memory / 128
  (no request charge), the cheapest wins. It fails the whole run when any invocation errors.
* sweep: every size from 128 to 10,240 MB in 64 MB steps, 10 invocations each, our statistics and ``choose``
  (with the default margins).
* adaptive: our planner's rounds, then ``choose`` over everything measured and the cost curve, as Analyze decides
  after every round (with the default margins, the choice measured up to the evidence auto-apply needs).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.cost_interval import expected_cost_interval
from autotuner.domain.decision.distinction import Distinction
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.decision.scoring import PricingContext, difference_test
from autotuner.domain.decision.selection import Decision, choose
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.inputs.memory_sizes import DEFAULT_POWER_VALUES, MAX_MEMORY_MB, MIN_MEMORY_MB
from autotuner.domain.inputs.tuning_input import DEFAULT_MAX_CONCURRENCY
from autotuner.domain.measuring.statistics import trimmed_mean
from autotuner.domain.search.adaptive import first_round, next_round
from autotuner.domain.search.batching import Batch, measure_tasks
from autotuner.domain.search.cost_curve import CostCurve
from autotuner.domain.search.curve_search import curve_cost_interval, curve_decision, search_curve
from autotuner.domain.search.settings import AdaptiveSettings, SearchRound
from bench.simulate import TRIM_FRACTION, SimulatedFunction, SimulatedTarget

REFERENCE_NUM = 10
SWEEP_STEP_MB = 64
SWEEP_NUM = 10
CURRENT_MEMORY_MB = 1024  # the configuration Plan's probe invokes (one that works: it runs in production)
CURVE_RESAMPLES = 100  # the workflow uses 200; fewer keep thousands of simulated runs affordable
CLEAR_WINNER_PROBABILITY = 0.05  # "a size more than 1% cheaper exists" with at most this probability
PARROTFISH_BUDGET = 20
DISTINCTION_RESAMPLES = 400  # Analyze draws 1,000; 400 put a 5% probability within about 1 point


@dataclass(frozen=True)
class Outcome:
    """One tuning run: what it chose and what it took."""

    chosen_mb: int | None  # for a failed reference run: what it would choose among the sizes that did not fail
    invocations: int
    target_cost: float  # USD for the target's invocations, cold starts and failures included
    rounds: int
    prepares: int  # rounds that went through Prepare: the first, and each later one that publishes or retires
    sizes: int  # distinct sizes measured: a version and an alias each
    tasks: int  # tuner Lambdas that measured: Measure tasks (a round's batches grouped), the reference's executors
    single_task_rounds: int  # our rounds of one Measure task, run by MeasureOneTask with no Map
    wall_ms: float  # time the tuner's Lambdas spent waiting for the target
    tasks_waited_ms: float  # the part of it the measuring Lambdas waited (Measure tasks; the reference's executors)
    failed: bool = False  # the method as shipped ends the run with an error
    interval: tuple[float, float] | None = None  # the 95% interval it states for the chosen size's cost
    claims_clear_winner: bool = False  # it prints a probability under 5% that a size more than 1% cheaper exists
    claim_covers: tuple[int, ...] = ()  # the sizes that claim compares the choice with
    claim_range: tuple[int, int] | None = None  # with the curve's odds, the claim covers every MB of this range
    used_curve: bool = False
    reason: str = ""  # the decision's reason, as the output prints it
    applies: bool = True  # the choice has the evidence auto-apply needs (5 calls, 4 warm); else it is recommended
    measured: tuple[int, ...] = ()  # the sizes it measured that worked, with a warm call: what it could choose from


# Called after each round of the adaptive search with what it measured, the statistics, the curve and the plan.
RoundObserver = Callable[[dict[int, int], list[CandidateStats], CostCurve | None, SearchRound], None]


def outcome(
    target: SimulatedTarget,
    chosen: int | None,
    *,
    rounds: int,
    prepares: int = 1,
    failed: bool = False,
    interval: tuple[float, float] | None = None,
    claims_clear_winner: bool = False,
    claim_covers: tuple[int, ...] = (),
    claim_range: tuple[int, int] | None = None,
    used_curve: bool = False,
    reason: str = "",
    applies: bool = True,
) -> Outcome:
    return Outcome(
        chosen_mb=chosen,
        invocations=target.all_invocations,
        target_cost=target.spent(),
        rounds=rounds,
        prepares=prepares,
        sizes=len(target.measurements),
        tasks=target.tasks,
        single_task_rounds=target.single_task_rounds,
        wall_ms=target.wall_ms(),
        tasks_waited_ms=target.tasks_waited_ms,
        failed=failed,
        interval=interval,
        claims_clear_winner=claims_clear_winner,
        claim_covers=claim_covers,
        claim_range=claim_range,
        used_curve=used_curve,
        reason=reason,
        applies=applies,
        measured=tuple(
            sorted(
                memory
                for memory, batch in target.measurements.items()
                if not batch.failures and any(not r.is_cold_start for r in batch.reports())
            )
        ),
    )


def measure_round(target: SimulatedTarget, additions: dict[int, int]) -> None:
    """A round of our workflow: a batch per size (``additions``: memory -> invocations), in size order, grouped into
    Measure tasks as the round planner groups them (serial invocations, the default maxConcurrency)."""
    batches = [_batch(memory, count) for memory, count in sorted(additions.items())]
    tasks = measure_tasks(batches, max_concurrency=DEFAULT_MAX_CONCURRENCY, parallel=False).tasks
    for task in tasks:
        target.measure_task(task)
    target.single_task_rounds += int(len(tasks) == 1)  # as Round.single_task


def _batch(memory_mb: int, invocations: int) -> Batch:
    return Batch(memory_mb=memory_mb, alias=f"at-bench-{memory_mb}", invocations=invocations, first_invocation=0)


def reference(workload: SimulatedFunction, seed: int) -> Outcome:
    """Each size's executor stops at the first error, and the run then fails; the regret is scored on what it would
    choose among the sizes that did not fail (what a user gets by re-running without them)."""
    target = SimulatedTarget(workload, seed)
    for memory in DEFAULT_POWER_VALUES:  # an Executor Lambda per size
        target.measure_task([_batch(memory, REFERENCE_NUM)])
    failed = any(m.failures for m in target.measurements.values())
    pricing = target.pricing
    price_per_ms_at_128 = pricing.prices.gb_second(pricing.architecture) * 128 / 1024 / 1000
    costs = {
        memory: math.ceil(trimmed_mean(m.billed_duration_ms, TRIM_FRACTION)) * price_per_ms_at_128 * memory / 128
        for memory, m in target.measurements.items()
        if not m.failures and m.billed_duration_ms
    }
    chosen = min(costs, key=lambda m: (costs[m], m)) if costs else None
    return outcome(target, chosen, rounds=1, failed=failed)


def sweep(workload: SimulatedFunction, seed: int) -> Outcome:
    target = SimulatedTarget(workload, seed)
    measure_round(target, dict.fromkeys(range(MIN_MEMORY_MB, MAX_MEMORY_MB + 1, SWEEP_STEP_MB), SWEEP_NUM))
    candidates = target.candidates()
    chosen = choose(candidates, Strategy.COST, timeout_ms=workload.timeout_s * 1000).chosen_memory_mb
    return outcome(target, chosen, rounds=1, applies=_has_evidence(candidates, chosen))


def decide(
    settings: AdaptiveSettings, candidates: list[CandidateStats], curve: CostCurve | None, pricing: PricingContext
) -> tuple[Decision, Decision]:
    """The choice as Analyze makes it (the margins included): among the measured sizes, then by the cost curve;
    both returned."""
    measured = choose(
        candidates, Strategy.COST, noise_threshold=settings.noise_threshold, timeout_ms=settings.timeout_ms
    )
    decision = curve_decision(curve, measured, candidates, pricing.curve_pricing, timeout_ms=settings.timeout_ms)
    return measured, decision


def _has_evidence(candidates: list[CandidateStats], chosen: int | None) -> bool:
    picked = next((c for c in candidates if c.memory_mb == chosen), None)
    return picked is not None and EvidenceRule().refusal(picked) is None


def adaptive(
    workload: SimulatedFunction,
    seed: int,
    settings: AdaptiveSettings | None = None,
    observe: RoundObserver | None = None,
) -> Outcome:
    """The workflow's loop: Plan's probe, then plan, measure (retired sizes never again), score everything, fit
    the cost curve, plan the next round; the choice is the curve's when it fits and was confirmed. ``observe``
    sees every round (``python -m bench.trace``)."""
    settings = (settings or AdaptiveSettings(preflight_invocations=1)).model_copy(
        update={"timeout_ms": workload.timeout_s * 1000}
    )
    target = SimulatedTarget(workload, seed)
    target.probe(CURRENT_MEMORY_MB)
    plan: SearchRound = first_round(settings)
    rounds, prepares, retired = 0, 1, set[int]()
    while True:
        for memory in plan.add:
            if memory in retired or not settings.allows(memory):
                raise AssertionError(f"the planner asked for {memory} MB, which it must not")
        measure_round(target, plan.add)
        measured_now = plan.add
        rounds += 1
        candidates = target.candidates()
        curve = search_curve(
            settings,
            candidates,
            list(target.measurements.values()),
            target.pricing.curve_pricing,
            seed=seed,
            resamples=CURVE_RESAMPLES,
        )
        measured, decision = decide(settings, candidates, curve, target.pricing)
        plan = next_round(
            settings,
            candidates,
            rounds_done=rounds,
            invocations_done=target.invocations,
            spent_usd=target.spent(),
            retired=sorted(retired),
            curve=curve,
            chosen_mb=decision.chosen_memory_mb,
        )
        if observe is not None:
            observe(measured_now, candidates, curve, plan)
        retired |= set(plan.retire)
        if plan.complete or not plan.add:
            break
        prepares += int(needs_prepare(plan, candidates))
    used_curve = curve is not None and not decision.reason.startswith(measured.reason)  # a fall-back appends
    interval, distinction = stated_claims(
        target, decision, candidates, curve, used_curve=used_curve, seed=seed, settings=settings
    )
    clear = distinction is not None and distinction.probability_stated < CLEAR_WINNER_PROBABILITY
    return outcome(
        target,
        decision.chosen_memory_mb,
        rounds=rounds,
        prepares=prepares,
        interval=interval,
        claims_clear_winner=clear,
        claim_covers=tuple(r.memory_mb for r in distinction.rivals) if distinction else (),
        claim_range=(distinction.curve.lowest_mb, distinction.curve.highest_mb)
        if distinction and distinction.curve
        else None,
        used_curve=used_curve,
        reason=decision.reason,
        applies=_has_evidence(candidates, decision.chosen_memory_mb),
    )


def needs_prepare(plan: SearchRound, measured: list[CandidateStats]) -> bool:
    """Whether the workflow's next round goes through Prepare: it measures a new size or retires one
    (``Round.needs_prepare``)."""
    return bool(set(plan.add) - {c.memory_mb for c in measured} or plan.retire)


def stated_claims(
    target: SimulatedTarget,
    decision: Decision,
    candidates: list[CandidateStats],
    curve: CostCurve | None,
    *,
    used_curve: bool,
    seed: int,
    settings: AdaptiveSettings,
) -> tuple[tuple[float, float] | None, Distinction | None]:
    """What the workflow's output prints about the choice: the 95% interval of its cost (the curve's, when the
    curve decided, else the measured one) and the test on the differences with the curve's odds, computed as
    Analyze computes them."""
    picked = next((c for c in candidates if c.memory_mb == decision.chosen_memory_mb), None)
    if picked is None:
        return None, None
    decided_by = curve if used_curve else None
    ci = (
        curve_cost_interval(decided_by, picked, candidates)
        if decided_by
        else expected_cost_interval(picked, candidates)
    )
    distinction = difference_test(
        decision,
        [target.measurements[c.memory_mb] for c in candidates if c.memory_mb in set(decision.ranking)],
        target.pricing,
        trim_fraction=TRIM_FRACTION,
        only_cold_starts=False,
        noise_threshold=settings.noise_threshold,
        seed=seed,
        resamples=DISTINCTION_RESAMPLES,
        curve=curve,
    )
    return ((ci.low, ci.high) if ci else None), distinction


def adaptive_capped(workload: SimulatedFunction, seed: int) -> Outcome:
    """The adaptive search held to Parrotfish's default budget: 20 invocations in all, Plan's probe included."""
    return adaptive(workload, seed, AdaptiveSettings(max_invocations=PARROTFISH_BUDGET, preflight_invocations=1))


METHODS = {"reference": reference, "sweep": sweep, "adaptive": adaptive, "adaptive-20": adaptive_capped}

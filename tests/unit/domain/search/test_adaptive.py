"""The adaptive planner, driven by the emulated workloads through the workflow's own statistics code."""

import random
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autotuner.domain.costs.pricing import Architecture, invocation_cost, prices_for_region
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.decision.scoring import PricingContext, candidate_stats
from autotuner.domain.decision.selection import Decision, choose
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.inputs.tuning_input import parse_tuning_input
from autotuner.domain.measuring.measurement import BatchMeasurement, classify
from autotuner.domain.search.adaptive import EVIDENCE_ROUNDS, coarse_grid, first_round, next_round
from autotuner.domain.search.cost_curve import CostCurve, CurvePricing
from autotuner.domain.search.curve_search import curve_decision, search_curve
from autotuner.domain.search.settings import DEFAULT_MAX_INVOCATIONS, AdaptiveSettings, SearchRound
from autotuner_local.workloads import WORKLOADS, Workload

PRICES = prices_for_region("us-east-1")
PRICING = PricingContext(region="us-east-1", architecture=Architecture.X86_64, prices=PRICES)
ARN = "arn:aws:lambda:us-east-1:123456789012:function:target"


@dataclass
class Run:
    """One simulated search: every round planned, every size measured."""

    workload: Workload
    seed: int
    settings: AdaptiveSettings
    strategy: Strategy = Strategy.COST
    plans: list[SearchRound] = field(default_factory=list)
    measurements: dict[int, BatchMeasurement] = field(default_factory=dict)
    retired: set[int] = field(default_factory=set)
    spent_before_round: list[float] = field(default_factory=list)

    def go(self) -> "Run":
        rng = random.Random(self.seed)
        plan = first_round(self.settings)
        while True:
            self.plans.append(plan)
            self.spent_before_round.append(self.spent)
            for memory, count in sorted(plan.add.items()):
                assert memory not in self.retired, f"{memory} MB was retired and planned again"
                self._measure(memory, count, rng)
            plan = next_round(
                self.settings,
                self.candidates,
                rounds_done=len(self.plans),
                invocations_done=self.invocations,
                spent_usd=self.spent,
                retired=sorted(self.retired),
                strategy=self.strategy,
                chosen_mb=self.chosen,
            )
            self.retired |= set(plan.retire)
            if plan.complete:
                self.plans.append(plan)
                return self

    def _measure(self, memory: int, count: int, rng: random.Random) -> None:
        batch = BatchMeasurement(memory_mb=memory, alias=f"at-test-{memory}")
        for _ in range(count):
            cold = memory not in self.measurements and batch.attempted == 0
            report = self.workload.sample(memory, rng, cold=cold, timeout_ms=self.workload.timeout_s * 1000)
            failure = classify(report, report.error_type, [])
            if failure is not None:
                batch.record_failure(failure, report)
                break
            batch.record(report)
        previous = self.measurements.get(memory)
        self.measurements[memory] = BatchMeasurement.merge([previous, batch]) if previous else batch

    @property
    def candidates(self) -> list[CandidateStats]:
        return [
            candidate_stats(self.measurements[m], PRICING, trim_fraction=0.2, seed=m, resamples=100)
            for m in sorted(self.measurements)
        ]

    @property
    def invocations(self) -> int:
        return sum(m.attempted for m in self.measurements.values())

    @property
    def spent(self) -> float:
        return sum(c.total_cost for c in self.candidates)

    @property
    def chosen(self) -> int | None:
        return choose(
            self.candidates,
            self.strategy,
            noise_threshold=self.settings.noise_threshold,
            timeout_ms=self.settings.timeout_ms,
        ).chosen_memory_mb

    @property
    def planned_sizes(self) -> list[int]:
        return [size for plan in self.plans for size in plan.add]


def true_cost(workload: Workload, memory: int) -> float:
    return invocation_cost(memory, workload.expected_duration_ms(memory) + 0.5, PRICES, Architecture.X86_64)


def regret(workload: Workload, memory: int | None, optimum: int) -> float:
    assert memory is not None
    return true_cost(workload, memory) / true_cost(workload, optimum) - 1


# ---- it finds the cheapest size --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "optimum", "tolerance"),
    # The cheapest size that meets the 10% memory margin: at least 10% above the largest size that runs out of
    # memory (159 and 767 MB), with 10% free over what a call uses (140 and 700 MB).
    [("io-bound", 175, 0.01), ("cpu-single-thread", 128, 0.015), ("memory-floor", 844, 0.015)],
)
def test_converges_near_the_true_optimum(name: str, optimum: int, tolerance: float) -> None:
    workload = WORKLOADS[name]
    run = Run(workload, seed=7, settings=AdaptiveSettings()).go()
    assert regret(workload, run.chosen, optimum) <= tolerance
    assert run.invocations <= DEFAULT_MAX_INVOCATIONS


def test_failures_below_a_floor_push_the_search_above_it() -> None:
    workload = WORKLOADS["memory-floor"]  # out of memory below 768 MB
    run = Run(workload, seed=3, settings=AdaptiveSettings()).go()
    coarse_failures = {m for m in run.plans[0].add if workload.runs_out_of_memory(m)}
    assert coarse_failures, "the coarse pass reaches below the floor"
    later = [size for plan in run.plans[1:] for size in plan.add]
    assert later
    assert all(size > max(coarse_failures) for size in later)
    assert any(768 <= m <= 768 * 1.05 for m in run.measurements), "the floor was found to within half the margin"
    assert run.chosen is not None
    assert 768 <= run.chosen < 1300
    failed = {m for m, batch in run.measurements.items() if batch.failures}
    assert failed <= run.retired, "failed sizes are retired (their aliases deleted)"


def test_a_memory_floor_is_pinned_only_as_finely_as_the_margin_needs_and_the_margin_edge_is_measured() -> None:
    """The demo's adaptive floor function (out of memory below 768 MB, 700 MB used) was applied at 774 MB, twelve
    MB above a size that ran out of memory, after eight probes pinned the floor to 7 MB."""
    workload = WORKLOADS["memory-floor"]
    run = Run(workload, seed=3, settings=AdaptiveSettings()).go()
    assert run.chosen is not None
    failed = [m for m, batch in run.measurements.items() if batch.failures]
    assert run.chosen >= 1.1 * max(failed), "at least 10% above the largest size that ran out of memory"
    assert run.chosen >= 700 / 0.9, "10% free over the 700 MB a call uses"
    probes = [s for plan in run.plans[1:] for s, n in plan.add.items() if n == 1]
    assert len(probes) <= 7  # 8 to 12 before the margin, to pin the floor to within a few MB
    chosen = next(c for c in run.candidates if c.memory_mb == run.chosen)
    assert (chosen.calls, chosen.warm_invocations) >= (5, 4), "measured up to what auto-apply needs"


def test_a_memory_need_that_varies_by_call_is_left_the_margin_free() -> None:
    workload = WORKLOADS["memory-per-call"]  # each call needs 600-700 MB
    for seed in (1, 2, 3):
        run = Run(workload, seed=seed, settings=AdaptiveSettings()).go()
        chosen = next(c for c in run.candidates if c.memory_mb == run.chosen)
        most = max(c.max_memory_used_mb for c in run.candidates if c.memory_mb <= chosen.memory_mb and c.calls)
        assert most <= 0.9 * chosen.memory_mb, f"seed {seed}: {most} of {chosen.memory_mb} MB used"
        assert chosen.memory_mb < 850, f"seed {seed}: {chosen.memory_mb} MB is far above the 778 MB the margin needs"


def test_near_its_timeout_the_choice_keeps_its_slowest_call_under_the_timeout_share() -> None:
    workload = WORKLOADS["near-timeout"]  # 2.6 s at 128 MB with a 3 s timeout
    settings = AdaptiveSettings(timeout_ms=3000)
    for seed in (1, 2, 3):
        run = Run(workload, seed=seed, settings=settings).go()
        chosen = next(c for c in run.candidates if c.memory_mb == run.chosen)
        assert chosen.slowest_call_ms is not None
        assert chosen.slowest_call_ms <= 2400, f"seed {seed}: {chosen.slowest_call_ms:.0f} ms at {chosen.memory_mb} MB"
        assert EvidenceRule().refusal(chosen) is None, f"seed {seed}: measured up to what auto-apply needs"


def test_failed_sizes_are_never_measured_twice() -> None:
    run = Run(WORKLOADS["io-bound"], seed=11, settings=AdaptiveSettings()).go()
    for memory, batch in run.measurements.items():
        if batch.failures:
            assert batch.attempted == 1, f"{memory} MB failed and was measured again"


# ---- it respects its limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [5, 12, 20, 30])
def test_never_plans_more_invocations_than_the_cap(cap: int) -> None:
    run = Run(WORKLOADS["cold-start-heavy"], seed=1, settings=AdaptiveSettings(max_invocations=cap)).go()
    assert sum(plan.invocations for plan in run.plans) <= cap
    assert run.invocations <= cap


def test_stops_at_the_budget() -> None:
    workload = WORKLOADS["cpu-multi-thread"]  # costly: about $0.00017 per invocation
    budget = 0.004
    run = Run(workload, seed=5, settings=AdaptiveSettings(budget_usd=budget, max_invocations=None)).go()
    assert all(spent < budget for spent in run.spent_before_round), "no round starts once the budget is spent"
    assert run.spent <= budget * 1.1, "rounds are planned to fit the budget (on estimates)"
    unlimited = Run(workload, seed=5, settings=AdaptiveSettings(max_invocations=None)).go()
    assert run.invocations < unlimited.invocations


def test_the_round_cap_ends_the_search_but_for_the_evidence_of_the_choice() -> None:
    run = Run(WORKLOADS["noisy-bimodal"], seed=2, settings=AdaptiveSettings(max_rounds=2, max_invocations=None)).go()
    measured = [p for p in run.plans if p.add]
    past_the_cap = measured[2:]
    assert 1 <= len(past_the_cap) <= EVIDENCE_ROUNDS
    assert all(len(p.add) == 1 and "for the evidence auto-apply needs" in p.reason for p in past_the_cap)
    assert run.plans[-1].complete
    chosen = next(c for c in run.candidates if c.memory_mb == run.chosen)
    assert EvidenceRule().refusal(chosen) is None, "the choice was measured up to what auto-apply needs"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    low=st.integers(min_value=128, max_value=10_240),
    span=st.integers(min_value=0, max_value=10_112),
    seed=st.integers(min_value=0, max_value=2**16),
    name=st.sampled_from(["io-bound", "memory-floor", "cpu-single-thread"]),
)
def test_never_plans_a_size_outside_the_allowed_range(low: int, span: int, seed: int, name: str) -> None:
    high = min(10_240, low + span)
    config = AdaptiveSettings(min_memory_mb=low, max_memory_mb=high, max_invocations=24)
    assert all(low <= size <= high for size in coarse_grid(config))
    run = Run(WORKLOADS[name], seed=seed, settings=config).go()
    assert all(low <= size <= high for size in run.planned_sizes)
    assert run.invocations <= 24


def test_retired_sizes_are_never_planned_again() -> None:
    run = Run(WORKLOADS["cpu-multi-thread"], seed=9, settings=AdaptiveSettings(max_invocations=60)).go()
    assert run.retired, "clearly worse sizes are let go"
    for index, plan in enumerate(run.plans):
        retired_before = {size for earlier in run.plans[:index] for size in earlier.retire}
        assert not retired_before & set(plan.add)


def test_a_retired_best_is_not_topped_up() -> None:
    run = Run(WORKLOADS["cold-start-heavy"], seed=4, settings=AdaptiveSettings(max_rounds=1)).go()
    candidates = run.candidates
    best = min((c for c in candidates if c.cost), key=lambda c: c.cost_estimate).memory_mb
    plan = next_round(
        AdaptiveSettings(), candidates, rounds_done=1, invocations_done=run.invocations, spent_usd=0, retired=[best]
    )
    assert best not in plan.add


# ---- it is predictable and explains itself ---------------------------------------------------------------


def test_the_same_inputs_give_the_same_plan() -> None:
    run = Run(WORKLOADS["cold-start-heavy"], seed=21, settings=AdaptiveSettings(max_rounds=2)).go()
    kwargs = {"rounds_done": 1, "invocations_done": run.invocations, "spent_usd": run.spent, "retired": []}
    first = next_round(AdaptiveSettings(), run.candidates, **kwargs)  # type: ignore[arg-type]
    again = next_round(AdaptiveSettings(), list(reversed(run.candidates)), **kwargs)  # type: ignore[arg-type]
    assert first.model_dump() == again.model_dump()
    replay = Run(WORKLOADS["cold-start-heavy"], seed=21, settings=AdaptiveSettings(max_rounds=2)).go()
    assert [p.model_dump() for p in replay.plans] == [p.model_dump() for p in run.plans]


def test_a_flat_cost_curve_stops_on_the_noise_threshold() -> None:
    # CPU-bound below one vCPU with no noise: every size costs the same, so nothing is worth more invocations.
    flat = replace(WORKLOADS["cpu-single-thread"], io_ms=0.0, noise_sigma=0.0)
    config = AdaptiveSettings(max_memory_mb=1769, max_invocations=None)
    run = Run(flat, seed=0, settings=config).go()
    final = run.plans[-1]
    assert final.complete
    assert "noise threshold" in final.reason
    assert len(run.plans) < config.max_rounds + 1, "stopped before the round cap"


def test_everything_failing_ends_the_search_with_a_reason() -> None:
    doomed = replace(WORKLOADS["memory-floor"], memory_floor_mb=20_000)
    run = Run(doomed, seed=0, settings=AdaptiveSettings()).go()
    assert run.plans[-1].complete
    assert "failed" in run.plans[-1].reason
    assert run.invocations == len(coarse_grid(AdaptiveSettings()))  # one invocation each, then it stopped
    assert run.retired == set(run.measurements)


def test_the_first_round_is_thinned_to_fit_a_small_cap() -> None:
    plan = first_round(AdaptiveSettings(max_invocations=7))
    assert plan.invocations <= 7
    assert (min(plan.add), max(plan.add)) == (128, 10_240), "both ends of the range are kept"


def test_speed_strategy_searches_toward_fast_sizes() -> None:
    workload = WORKLOADS["cpu-single-thread"]  # no faster past one vCPU (1,769 MB)
    run = Run(workload, seed=8, settings=AdaptiveSettings(), strategy=Strategy.SPEED).go()
    assert run.chosen is not None
    assert run.chosen >= 1769
    assert run.invocations <= DEFAULT_MAX_INVOCATIONS


def test_settings_and_rounds_serialise_in_camel_case() -> None:
    config = AdaptiveSettings(max_invocations=40, budget_usd=0.5)
    dumped = config.model_dump()
    assert dumped["maxInvocations"] == 40
    assert dumped["coarsePoints"] == 7
    assert AdaptiveSettings.model_validate(dumped) == config
    plan = first_round(config)
    assert SearchRound.model_validate(plan.model_dump(mode="json")) == plan


def test_settings_follow_the_workflow_input() -> None:
    tuning = parse_tuning_input(
        {"lambdaARN": ARN, "search": "adaptive", "noiseThreshold": 0.02, "budgetUsd": 1.0, "maxMemoryMb": 3008}
    )
    config = AdaptiveSettings.for_tuning(tuning, current_memory_mb=512)
    assert (config.max_memory_mb, config.noise_threshold, config.budget_usd) == (3008, 0.02, 1.0)
    assert config.max_invocations == DEFAULT_MAX_INVOCATIONS
    assert 512 in first_round(config).add


# ---- the cost curve drives the search --------------------------------------------------------------------

CURVE_PRICING = CurvePricing(prices=PRICES, architecture=Architecture.X86_64)


def curve_run(workload: Workload, seed: int, config: AdaptiveSettings) -> tuple[Run, Decision, CostCurve | None]:
    """A run whose rounds are planned with the cost curve, as the workflow's Analyze step plans them."""
    run = Run(workload, seed=seed, settings=config)
    rng = random.Random(seed)
    plan = first_round(config)
    while True:
        run.plans.append(plan)
        for memory, count in sorted(plan.add.items()):
            run._measure(memory, count, rng)
        curve = search_curve(
            config, run.candidates, list(run.measurements.values()), CURVE_PRICING, seed=seed, resamples=60
        )
        plan = next_round(
            config, run.candidates, rounds_done=len(run.plans), invocations_done=run.invocations, spent_usd=run.spent,
            retired=sorted(run.retired), curve=curve,
        )  # fmt: skip
        run.retired |= set(plan.retire)
        if plan.complete:
            run.plans.append(plan)
            break
    measured = choose(run.candidates, Strategy.COST, noise_threshold=config.noise_threshold)
    return run, curve_decision(curve, measured, run.candidates, CURVE_PRICING), curve


KNEE = Workload(
    name="knee",
    description="one thread under memory pressure below 400 MB",
    cpu_ms=600.0,
    io_ms=20.0,
    pressure_mb=400,
    pressure_factor=1.0,
)


def test_the_curve_finds_an_optimum_off_the_grid_and_measures_it_before_choosing_it() -> None:
    optimum = min(range(128, 10_241), key=lambda m: true_cost(KNEE, m))
    config = AdaptiveSettings(preflight_invocations=1)
    run, decision, curve = curve_run(KNEE, seed=3, config=config)
    assert curve is not None
    assert curve.fits
    assert decision.chosen_memory_mb == curve.optimum_mb
    assert decision.chosen_memory_mb not in coarse_grid(config)
    assert decision.chosen_memory_mb in run.measurements, "a predicted size is measured before it is chosen"
    assert "cost curve" in decision.reason
    assert regret(KNEE, decision.chosen_memory_mb, optimum) <= 0.01
    assert run.invocations + 1 <= DEFAULT_MAX_INVOCATIONS, "Plan's probe counts toward the cap"


def test_plans_probe_counts_toward_the_cap() -> None:
    with_probe = first_round(AdaptiveSettings(max_invocations=9, preflight_invocations=3))
    assert with_probe.invocations <= 6
    run, _, _ = curve_run(WORKLOADS["io-bound"], seed=2, config=AdaptiveSettings(preflight_invocations=2))
    assert run.invocations + 2 <= DEFAULT_MAX_INVOCATIONS


def test_a_curve_that_does_not_fit_falls_back_to_the_measured_choice_and_says_so() -> None:
    run = Run(WORKLOADS["cpu-single-thread"], seed=1, settings=AdaptiveSettings(max_rounds=1)).go()
    measured = choose(run.candidates, Strategy.COST)
    curve = search_curve(
        AdaptiveSettings(), run.candidates, list(run.measurements.values()), CURVE_PRICING, seed=1, resamples=20
    )
    assert curve is not None
    unfit = curve.model_copy(update={"check": curve.check.model_copy(update={"fits": False})})
    decision = curve_decision(unfit, measured, run.candidates, CURVE_PRICING)
    assert decision.chosen_memory_mb == measured.chosen_memory_mb
    assert "does not fit" in decision.reason
    unmeasured = curve.model_copy(update={"optimum_mb": 1000})
    decision = curve_decision(unmeasured, measured, run.candidates, CURVE_PRICING)
    assert decision.chosen_memory_mb == measured.chosen_memory_mb
    assert "not yet measured" in decision.reason


def test_with_its_optimum_unmeasured_a_fitting_curve_picks_the_measured_size_it_ranks_cheapest() -> None:
    """A few calls that missed a slow mode can make a dear size's mean the lowest; the curve reads every size
    together, so with its own optimum unmeasured the choice is the measured size it ranks cheapest, said as such."""
    run = Run(WORKLOADS["io-bound"], seed=1, settings=AdaptiveSettings(max_rounds=2)).go()
    curve = search_curve(
        AdaptiveSettings(), run.candidates, list(run.measurements.values()), CURVE_PRICING, seed=1, resamples=20
    )
    assert curve is not None
    assert curve.fits, curve.check.describe()
    measured = choose(run.candidates, Strategy.COST)
    lucky = max(measured.ranking)  # as if the dearest measured size had looked cheapest
    fooled = measured.model_copy(update={"chosen_memory_mb": lucky})
    unmeasured = curve.model_copy(update={"optimum_mb": 1000})
    decision = curve_decision(unmeasured, fooled, run.candidates, CURVE_PRICING)
    ranked = min(measured.ranking, key=lambda m: (curve.cost(m, CURVE_PRICING), m))
    assert ranked != lucky
    assert decision.chosen_memory_mb == ranked
    assert decision.ranking[0] == ranked
    assert f"of the measured sizes it ranks {ranked} MB cheapest" in decision.reason
    assert f"The lowest measured cost, {lucky} MB" in decision.reason

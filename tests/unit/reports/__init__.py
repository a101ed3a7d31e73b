"""Tuning outputs for the report tests, built through the domain functions so they cannot drift from the model.

``tuned_output`` is a CPU-bound function measured at eight sizes: 128 MB ran out of memory, 256 MB breaks a p95
limit, the rest are measured, the choice was applied and saves money against the current 3008 MB.
``io_bound_output`` is a recommendation for a function whose duration does not shrink with memory;
``failed_output`` is a run in which no size could be chosen; ``crowded_output`` is what an adaptive search leaves:
128 MB and five sizes from 704 to 768 MB ran out of memory, 832 and 896 MB were measured by one cold invocation
each, and the current 1088 MB sits beside the chosen 1024 MB. ``applied_ledger`` is the savings ledger of two
applied runs, of a function CloudWatch counted 2.5 million invocations of and of one it has no data of.
``adaptive_output`` is an adaptive run with its cost curve: 128 MB ran out of memory, seven sizes from 256 to
10,240 MB were measured five times each; the durations follow Lambda's CPU model with memory pressure, so the
curve fits and puts the cheapest size between two measured ones, or (``fitting=False``) a sawtooth nothing in the
model follows, so it does not fit.
"""

import math
import random
from datetime import UTC, datetime

from autotuner.domain.automation.savings_ledger import SavingsLedger, ledger_entry, savings_by_function
from autotuner.domain.costs.pricing import Architecture, prices_for_region
from autotuner.domain.costs.run_cost import RunCost
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.decision.scoring import PricingContext, candidate_stats, difference_test
from autotuner.domain.decision.selection import Decision, choose, with_margins, with_trade_offs
from autotuner.domain.inputs.tuning_input import SearchMode, Trigger, TriggerSource, TuningInput, parse_tuning_input
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.measurement import BatchMeasurement, InvocationFailure
from autotuner.domain.run.output import AppliedChange, SearchSummary, TuningOutput, build_output, curve_summary
from autotuner.domain.search.cost_curve import CostCurve, CurvePricing
from autotuner.domain.search.curve_search import curve_decision, search_curve
from autotuner.domain.search.duration_model import cpu_share
from autotuner.domain.search.settings import AdaptiveSettings

REGION = "us-east-1"
PRICING = PricingContext(region=REGION, architecture=Architecture.X86_64, prices=prices_for_region(REGION))
CURVE_PRICING = CurvePricing(prices=PRICING.prices, architecture=PRICING.architecture)
VISUALIZATION = "https://lambda-power-tuning.show/"
INVOCATIONS = 20
TIMEOUT_MS = 30_000.0


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:123456789012:function:{name}"


def measured(
    memory: int, typical_ms: float, *, seed: int, cold_start_ms: float = 350.0, count: int = INVOCATIONS
) -> BatchMeasurement:
    """``count`` invocations around ``typical_ms`` with a long tail; the first one is a cold start."""
    rng = random.Random(seed)
    batch = BatchMeasurement(memory_mb=memory, alias=f"at-r-{memory}")
    for i in range(count):
        duration = typical_ms * rng.uniform(0.94, 1.06) * (1.25 if rng.random() < 0.1 else 1.0)
        init = cold_start_ms if i == 0 else None
        batch.record(
            InvocationReport(
                request_id=str(i),
                duration_ms=duration,
                billed_duration_ms=int(duration) + 1,
                memory_size_mb=memory,
                max_memory_used_mb=min(memory - 8, 180),
                init_duration_ms=init,
            )
        )
    return batch


def out_of_memory(memory: int) -> BatchMeasurement:
    batch = measured(memory, 2900.0, seed=memory)
    batch.record_failure(InvocationFailure(status=InvocationStatus.OUT_OF_MEMORY), None)
    batch.stopped_early = True
    return batch


def statistics(batches: list[BatchMeasurement]) -> list[CandidateStats]:
    return [candidate_stats(b, PRICING, trim_fraction=0.2, resamples=200) for b in batches]


def decide(
    tuning: TuningInput,
    batches: list[BatchMeasurement],
    candidates: list[CandidateStats],
    current_memory_mb: int,
    curve: CostCurve | None = None,
) -> Decision:
    """The decision as Analyze makes it: the choice (refined by the cost curve, if any), the test on its
    differences, its trade-offs, its margins (for a function with a 30 s timeout)."""
    decision = choose(candidates, tuning.strategy, constraints=tuning.constraints, timeout_ms=TIMEOUT_MS)
    decision = curve_decision(curve, decision, candidates, CURVE_PRICING, tuning.constraints, timeout_ms=TIMEOUT_MS)
    distinction = difference_test(
        decision,
        batches,
        PRICING,
        trim_fraction=0.2,
        only_cold_starts=False,
        noise_threshold=tuning.noise_threshold,
        seed=1,
        resamples=200,
        curve=curve,
    )
    traded = with_trade_offs(
        decision.with_distinction(distinction),
        candidates,
        current_memory_mb=current_memory_mb,
        max_slowdown=tuning.constraints.max_slowdown,
        applies=tuning.applies,
    )
    return with_margins(
        traded,
        candidates,
        candidates,
        tuning.constraints,
        timeout_ms=TIMEOUT_MS,
        evidence=EvidenceRule(),
        applies=tuning.applies,
    )


def run_cost(candidates: list[CandidateStats]) -> RunCost:
    target = sum(c.total_cost for c in candidates)
    invocations = sum(c.invocations for c in candidates)
    return RunCost(
        target_invocations=invocations,
        target_cost=target,
        tuner_lambda_cost=4.1e-5,
        transitions=45,
        transitions_cost=45 * 0.000025,
    )


def tuned_output(function_name: str = "image-resizer") -> TuningOutput:
    tuning = parse_tuning_input(
        {
            "lambdaARN": arn(function_name),
            "num": INVOCATIONS,
            "autoOptimize": True,
            "autoOptimizeAlias": "live",
            "constraints": {"maxP95DurationMs": 1500},
        }
    )
    # CPU-bound: duration halves as memory doubles, until the single thread stops getting faster.
    typical = {256: 1560.0, 512: 790.0, 1024: 396.0, 1536: 268.0, 2048: 230.0, 3008: 205.0, 10240: 190.0}
    batches = [out_of_memory(128)] + [measured(m, ms, seed=m) for m, ms in typical.items()]
    candidates = statistics(batches)
    decision = decide(tuning, batches, candidates, 3008)
    assert decision.chosen_memory_mb is not None
    return build_output(
        tuning,
        candidates,
        decision,
        current_memory_mb=3008,
        run_cost=run_cost(candidates),
        visualization_base_url=VISUALIZATION,
        region=REGION,
        applied=AppliedChange(target="live", memory_mb=decision.chosen_memory_mb, previous_memory_mb=3008, version="7"),
        trigger=Trigger(source=TriggerSource.ALARM, alarm_name="image-resizer-cost", reason="cost rose 40% in a week"),
        warnings=["the first invocation at each size was a cold start and is reported separately"],
    )


def recommendation(tuning: TuningInput, batches: list[BatchMeasurement], current_memory_mb: int) -> TuningOutput:
    """The output of a run that applied nothing, from its measurements."""
    candidates = statistics(batches)
    return build_output(
        tuning,
        candidates,
        decide(tuning, batches, candidates, current_memory_mb),
        current_memory_mb=current_memory_mb,
        run_cost=run_cost(candidates),
        visualization_base_url=VISUALIZATION,
        region=REGION,
    )


def io_bound_output(function_name: str = "orders-api") -> TuningOutput:
    tuning = parse_tuning_input({"lambdaARN": arn(function_name), "num": INVOCATIONS})
    typical = {128: 118.0, 256: 96.0, 512: 88.0, 1024: 85.0, 2048: 84.0}
    return recommendation(tuning, [measured(m, ms, seed=m, cold_start_ms=220.0) for m, ms in typical.items()], 1024)


def failed_output(function_name: str = "pdf-renderer") -> TuningOutput:
    tuning = parse_tuning_input({"lambdaARN": arn(function_name), "num": INVOCATIONS})
    return recommendation(tuning, [out_of_memory(128), out_of_memory(256)], 256)


FLOOR_FAILURES = [256, 272, 288, 304, 320, 336]


def memory_floor_output(function_name: str = "memory-floor") -> TuningOutput:
    """Six sizes close together ran out of memory; the size just above them is measured and cheap, so its cost
    sits right where the group's label would go above its cross."""
    tuning = parse_tuning_input({"lambdaARN": arn(function_name), "num": INVOCATIONS})
    warm = {352: 700.0, 512: 500.0, 1024: 260.0, 10240: 200.0}
    batches = [out_of_memory(m) for m in FLOOR_FAILURES] + [measured(m, ms, seed=m) for m, ms in warm.items()]
    return recommendation(tuning, batches, 1024)


CROWDED_FAILURES = [704, 720, 736, 752, 768]
CROWDED_COLD_ONLY = [832, 896]


def crowded_output(function_name: str = "ml-inference") -> TuningOutput:
    tuning = parse_tuning_input({"lambdaARN": arn(function_name), "num": INVOCATIONS})
    warm = {1024: 1200.0, 1088: 1300.0, 2048: 700.0, 4096: 650.0}
    batches = [out_of_memory(m) for m in [128, *CROWDED_FAILURES]]
    batches += [measured(m, 1500.0, seed=m, count=1) for m in CROWDED_COLD_ONLY]
    batches += [measured(m, ms, seed=m) for m, ms in warm.items()]
    return recommendation(tuning, batches, 1088)


ADAPTIVE_SIZES = [256, 512, 768, 1536, 2048, 4096, 10240]


def _pressured(memory_mb: float) -> float:
    """One thread of 400 ms, 30 ms of I/O, and memory pressure that fades as memory grows."""
    return 30 + 400 * (1 + 0.8 * (160 / memory_mb) ** 2) / cpu_share(memory_mb)


def _sawtooth(memory_mb: float) -> float:
    """Slower at every other size: nothing in Lambda's CPU model."""
    return 300 * (1.5 if round(math.log2(memory_mb) * 2) % 2 else 1.0)


def adaptive_output(function_name: str = "ml-inference-adaptive", *, fitting: bool = True) -> TuningOutput:
    tuning = parse_tuning_input({"lambdaARN": arn(function_name), "search": "adaptive"})
    duration = _pressured if fitting else _sawtooth
    batches = [out_of_memory(128)] + [measured(m, duration(m), seed=m + 1, count=5) for m in ADAPTIVE_SIZES]
    candidates = statistics(batches)
    settings = AdaptiveSettings.for_tuning(tuning, current_memory_mb=1024)
    curve = search_curve(settings, candidates, batches, CURVE_PRICING, seed=1, resamples=100)
    assert curve is not None
    assert curve.fits is fitting, curve.check.describe()
    invocations = sum(c.invocations for c in candidates)
    return build_output(
        tuning,
        candidates,
        decide(tuning, batches, candidates, 1024, curve),
        current_memory_mb=1024,
        run_cost=run_cost(candidates),
        visualization_base_url=VISUALIZATION,
        region=REGION,
        search=SearchSummary(
            mode=SearchMode.ADAPTIVE,
            rounds=1,
            invocations=invocations,
            log=[f"Coarse pass: {len(batches)} sizes from 128 to 10240 MB, 5 invocations each."],
            curve=curve_summary(curve, CURVE_PRICING),
        ),
    )


def applied_ledger() -> SavingsLedger:
    entries, costs = [], {}
    for output in (tuned_output("resize"), tuned_output("thumbnails")):
        entry = ledger_entry(output, f"run-of-{output.function_arn}", datetime(2026, 11, 1, tzinfo=UTC))
        assert entry is not None
        entries.append(entry)
        costs[entry.function] = output.state_machine.total_cost
    functions = savings_by_function(entries, {entries[0].function: 2_500_000}, costs)
    return SavingsLedger(looked_through=100, functions=functions)

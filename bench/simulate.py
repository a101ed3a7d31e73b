"""The simulated target and the ground truth every method is scored against.

Invocations come from the workload model (``autotuner_local.workloads``) or from a function someone measured
(``bench.real_workloads``), with a seeded ``random.Random``; they go through the same classification and
statistics code the workflow uses, priced in the function's region and architecture. The first invocation on each new
memory size is a cold start, as a freshly published version's is in Lambda; later rounds on the same size find
it warm (a tuning round takes minutes, well inside the time Lambda keeps an idle environment).

The ground truth is what a careful person would pick knowing the function: the cheapest size that meets the
margins the workflow keeps by default, on the function's true figures: 10% of memory free over the most any call
uses, 10% above the largest size where any call runs out of memory, and the 99th percentile of a call's duration
under 80% of the timeout.
"""

import functools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from autotuner.domain.costs.pricing import Architecture, invocation_cost, prices_for_region
from autotuner.domain.decision.candidate import DEFAULT_MAX_TIMEOUT_SHARE, DEFAULT_MIN_MEMORY_HEADROOM, CandidateStats
from autotuner.domain.decision.margins import size_above, size_leaving_free
from autotuner.domain.decision.scoring import PricingContext, candidate_stats
from autotuner.domain.inputs.memory_sizes import MAX_MEMORY_MB, MIN_MEMORY_MB
from autotuner.domain.measuring.lambda_logs import InvocationReport
from autotuner.domain.measuring.measurement import BatchMeasurement, classify
from autotuner.domain.search.batching import Batch
from bench.real_workloads import RealWorkload

REGION = "us-east-1"  # the model families'
PRICES = prices_for_region(REGION)
PRICING = PricingContext(region=REGION, architecture=Architecture.X86_64, prices=PRICES)
TRIM_FRACTION = 0.2  # the reference tool's default, and ours
RESAMPLES = 200  # bootstrap resamples per interval: enough for a 95% interval, cheap enough for 1,000s of runs
ROUNDING_BIAS_MS = 0.5  # billing rounds each invocation up to the next ms: on average half a ms more
HEADROOM = DEFAULT_MIN_MEMORY_HEADROOM
TIMEOUT_SHARE = DEFAULT_MAX_TIMEOUT_SHARE
SLOWEST_QUANTILE = 0.99  # a function's "slowest call", known from its truth


class SimulatedFunction(Protocol):
    """What the benchmark invokes and scores against: a model family's draw or a measured function, with the
    figures the margins read on its truth."""

    @property
    def name(self) -> str: ...

    @property
    def timeout_s(self) -> int: ...

    @property
    def most_memory_used_mb(self) -> int:
        """The most memory a call that does not run out uses."""
        ...

    @property
    def never_out_of_memory_mb(self) -> int:
        """The smallest size no call runs out of memory at."""
        ...

    def sample(self, memory_mb: int, rng: random.Random, *, cold: bool, timeout_ms: float) -> InvocationReport: ...

    def expected_duration_ms(self, memory_mb: int) -> float: ...

    def duration_quantile_ms(self, memory_mb: int, quantile: float) -> float:
        """The ``quantile`` of one warm call's duration (INIT left out)."""
        ...

    def __hash__(self) -> int: ...  # the truth is cached per function


def pricing_for(workload: SimulatedFunction) -> PricingContext:
    """A measured function is priced where it was measured; the model families in us-east-1 on x86_64."""
    if isinstance(workload, RealWorkload):
        prices = prices_for_region(workload.region)
        return PricingContext(region=workload.region, architecture=workload.architecture, prices=prices)
    return PRICING


def true_cost(workload: SimulatedFunction, memory_mb: int) -> float | None:
    """Expected cost of one warm invocation at ``memory_mb``; None where some calls run out of memory, or more than
    one in a hundred time out."""
    if memory_mb < workload.never_out_of_memory_mb:
        return None
    if workload.duration_quantile_ms(memory_mb, SLOWEST_QUANTILE) >= workload.timeout_s * 1000:
        return None
    billed = workload.expected_duration_ms(memory_mb) + ROUNDING_BIAS_MS
    pricing = pricing_for(workload)
    return invocation_cost(memory_mb, billed, pricing.prices, pricing.architecture)


def broken_margin(workload: SimulatedFunction, memory_mb: int, *, kept: float = 1.0) -> str | None:
    """The margin ``memory_mb`` breaks on the function's true figures, in a word; None when it keeps them. With
    ``kept`` under 1, only that share of each margin is asked for (0.5: 5% of memory free, 5% above the largest
    size that runs out of memory, the 99th percentile under 90% of the timeout)."""
    headroom = HEADROOM * kept
    if memory_mb < size_leaving_free(workload.most_memory_used_mb, headroom):
        return "memory free"
    never_out = workload.never_out_of_memory_mb
    if never_out > MIN_MEMORY_MB and memory_mb < size_above(never_out - 1, headroom):
        return "out-of-memory distance"
    share = 1 - (1 - TIMEOUT_SHARE) * kept
    if workload.duration_quantile_ms(memory_mb, SLOWEST_QUANTILE) > share * workload.timeout_s * 1000:
        return "timeout"
    return None


@functools.cache
def true_optimum(workload: SimulatedFunction) -> tuple[int, float]:
    """The careful choice: the cheapest size over every MB Lambda allows that works and keeps the margins, and its
    cost."""
    feasible = {
        m: c
        for m in range(MIN_MEMORY_MB, MAX_MEMORY_MB + 1)
        if (c := true_cost(workload, m)) is not None and broken_margin(workload, m) is None
    }
    best = min(feasible, key=lambda m: (feasible[m], m))
    return best, feasible[best]


def regret(workload: SimulatedFunction, memory_mb: int | None) -> float:
    """How much more the chosen size costs than the careful choice (relative); infinite when nothing was chosen or
    the choice fails. Only a size inside a margin can cost less: that is no gain (it is a risk a careful person
    does not take, counted apart), so its regret is 0."""
    cost = true_cost(workload, memory_mb) if memory_mb is not None else None
    return float("inf") if cost is None else max(0.0, cost / true_optimum(workload)[1] - 1)


def explored_regret(workload: SimulatedFunction, sizes: Iterable[int]) -> float:
    """The regret of the truly cheapest of ``sizes`` (the sizes a run measured): what a perfect choice among them
    would get. A run's regret beyond it is its choice's; up to it, the sizes it never measured."""
    return min((regret(workload, size) for size in sizes), default=float("inf"))


@dataclass
class SimulatedTarget:
    """One function under tuning: every size it has run at so far, and what each invocation reported."""

    workload: SimulatedFunction
    seed: int
    rng: random.Random = field(init=False)
    pricing: PricingContext = field(init=False)
    warm: set[int] = field(default_factory=set)
    measurements: dict[int, BatchMeasurement] = field(default_factory=dict)
    probes: list[InvocationReport] = field(default_factory=list)  # Plan's probe: invoked, not measured
    tasks: int = 0  # tuner Lambdas that measured (Measure tasks; the reference tool's executors)
    tasks_waited_ms: float = 0.0  # what they waited for the target, each for its longest batch
    single_task_rounds: int = 0  # our rounds measured by one task: MeasureOneTask, with no Map

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.pricing = pricing_for(self.workload)

    def probe(self, memory_mb: int) -> None:
        """Plan's probe: one invocation of the function as it is configured (a cold start), before any round."""
        self.probes.append(
            self.workload.sample(memory_mb, self.rng, cold=True, timeout_ms=self.workload.timeout_s * 1000)
        )

    def measure(self, memory_mb: int, count: int, *, stop_at_failure: bool = True) -> BatchMeasurement:
        """Invoke ``count`` times at ``memory_mb`` serially, as a Measure task does (stopping at a failure)."""
        batch = BatchMeasurement(memory_mb=memory_mb, alias=f"at-bench-{memory_mb}")
        for _ in range(count):
            report = self.workload.sample(
                memory_mb, self.rng, cold=memory_mb not in self.warm, timeout_ms=self.workload.timeout_s * 1000
            )
            self.warm.add(memory_mb)
            failure = classify(report, report.error_type, [])
            if failure is None:
                batch.record(report)
                continue
            batch.record_failure(failure, report)
            if stop_at_failure:
                batch.stopped_early = batch.attempted < count
                break
        previous = self.measurements.get(memory_mb)
        self.measurements[memory_mb] = BatchMeasurement.merge([previous, batch]) if previous else batch
        return batch

    @property
    def invocations(self) -> int:
        """Invocations the rounds made (Plan's probe not included)."""
        return sum(m.attempted for m in self.measurements.values())

    @property
    def all_invocations(self) -> int:
        return self.invocations + len(self.probes)

    def candidates(self) -> list[CandidateStats]:
        """Statistics of every size measured so far, through the workflow's own code path."""
        return [
            candidate_stats(
                self.measurements[size],
                self.pricing,
                trim_fraction=TRIM_FRACTION,
                seed=self.seed ^ size,
                resamples=RESAMPLES,
            )
            for size in sorted(self.measurements)
        ]

    def measure_task(self, batches: Sequence[Batch]) -> None:
        """One tuner Lambda measuring ``batches`` at once, each serially, as a Measure task does: it waits for its
        longest batch (start-ups included)."""
        measured = [self.measure(batch.memory_mb, batch.invocations) for batch in batches]
        waits = [_waited_ms([*m.reports(), *m.failed_reports]) for m in measured]
        self.tasks += 1
        self.tasks_waited_ms += max(waits, default=0.0)

    def wall_ms(self) -> float:
        """How long the tuner's Lambdas waited for the target: Plan for its probe, each task for its longest batch."""
        return _waited_ms(self.probes) + self.tasks_waited_ms

    def spent(self) -> float:
        """What the target's invocations cost so far (Plan's probe, cold starts and failures included)."""
        return sum(self._batch_cost(m) for m in self.measurements.values()) + sum(map(self.pricing.cost, self.probes))

    def _batch_cost(self, measurement: BatchMeasurement) -> float:
        return sum(self.pricing.cost(r) for r in [*measurement.reports(), *measurement.failed_reports])


def _waited_ms(reports: Sequence[InvocationReport]) -> float:
    """How long invoking these one after another takes, start-ups included."""
    return sum(r.duration_ms + (r.init_duration_ms or 0.0) for r in reports)

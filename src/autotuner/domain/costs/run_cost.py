"""What a tuning run itself costs: the target's invocations, the tuner's own Lambdas, the state transitions.

Transitions follow the structure of statemachine/tuner.asl.json, and only this module counts them (tests compare
the count with the states executed runs entered, canaries included): Receive, Plan and MeasuredBy, then per round
a measuring state, Analyze and MoreRounds, Prepare before them unless the round only adds calls to sizes already
prepared. The measuring state is MeasureOneTask (a Task) when the round's calls fit one Measure task, else the
Measure Map and one MeasureBatches per task (a task measures up to maxConcurrency batches at once; see
domain/search/batching.py). A traffic run has instead a RouteCandidate per candidate and each check's
WaitForTraffic, CheckTraffic and TrafficDecided (the last MoreRounds or TrafficDecided also decides whether to
apply); then Apply and CanaryStarted (when applying), each canary check's WaitForCanary, CheckCanary and
CanaryDecided, Cleanup, and Notify, which ends the run."""

import math

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture, PriceSheet, invocation_cost, step_functions_cost

FIXED_TRANSITIONS = 5  # Receive, Plan, MeasuredBy, Cleanup, Notify
TRANSITIONS_PER_ROUND = 3  # MeasureOneTask or Measure, Analyze, MoreRounds; and Prepare when the round needs it
TRANSITIONS_PER_CANDIDATE = 1  # RouteCandidate
TRANSITIONS_PER_TRAFFIC_CHECK = 3  # WaitForTraffic, CheckTraffic, TrafficDecided
TRANSITIONS_TO_APPLY = 2  # Apply, CanaryStarted
TRANSITIONS_PER_CANARY_CHECK = 3  # WaitForCanary, CheckCanary, CanaryDecided
LAMBDAS_BEFORE_ROUNDS = 1  # Plan
LAMBDAS_PER_ROUND = 1  # Analyze; each Measure task and each Prepare add one
LAMBDAS_AFTER_ANALYZE = 2  # Cleanup, Notify; Apply and each canary check add one
# Rough wall time of the tuner's steps that do not invoke the target, for estimates before a run.
ESTIMATED_STEP_MS = 800.0
ESTIMATED_ALIAS_MS = 3000.0  # update, wait, publish and alias one memory size


class RunCost(CamelModel):
    target_invocations: int
    target_cost: float
    tuner_lambda_cost: float
    transitions: int
    transitions_cost: float
    breakdown: dict[str, float] = Field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.target_cost + self.tuner_lambda_cost + self.transitions_cost


def transitions(
    rounds: int,
    tasks: int,
    applied: bool,
    canary_checks: int = 0,
    *,
    single_task_rounds: int,
    prepares: int | None = None,
    candidates: int = 0,
    traffic_checks: int = 0,
) -> int:
    """States entered by a run of ``rounds`` rounds, ``prepares`` of them through Prepare (every one unless told),
    and ``tasks`` Measure tasks in all, ``single_task_rounds`` of them a round's only task, run by MeasureOneTask
    (the others each a MeasureBatches in the Map); or, on traffic, of ``candidates`` and their ``traffic_checks``;
    and a canary's checks."""
    return (
        FIXED_TRANSITIONS
        + TRANSITIONS_PER_ROUND * rounds
        + (rounds if prepares is None else prepares)
        + tasks
        - single_task_rounds
        + TRANSITIONS_PER_CANDIDATE * candidates
        + TRANSITIONS_PER_TRAFFIC_CHECK * traffic_checks
        + TRANSITIONS_TO_APPLY * int(applied)
        + TRANSITIONS_PER_CANARY_CHECK * canary_checks
    )


def lambdas_per_round(tasks: int, *, prepared: bool = True) -> int:
    """The tuner's Lambda invocations in a round of ``tasks`` Measure tasks, through Prepare or not."""
    return LAMBDAS_PER_ROUND + tasks + int(prepared)


def lambdas_in_run(
    rounds: int, tasks: int, applied: bool, canary_checks: int = 0, *, prepares: int | None = None
) -> int:
    """The tuner's Lambda invocations in a whole run (``tasks``: Measure tasks of every round together;
    ``prepares``: rounds through Prepare, every one unless told)."""
    prepared = rounds if prepares is None else prepares
    return (
        LAMBDAS_BEFORE_ROUNDS
        + rounds * LAMBDAS_PER_ROUND
        + prepared
        + tasks
        + lambdas_after_analyze(applied, canary_checks)
    )


def lambdas_after_analyze(applied: bool, canary_checks: int) -> int:
    """The tuner's Lambda invocations after the last Analyze: Apply, each canary check, Cleanup and Notify."""
    return LAMBDAS_AFTER_ANALYZE + int(applied) + canary_checks


def tuner_cost(gb_s: float, invocations: int, architecture: Architecture, prices: PriceSheet) -> float:
    """The tuner's own Lambdas: each one's wall time at its own memory (``gb_s`` in all), plus a request each."""
    return gb_s * prices.gb_second(architecture) + invocations * prices.request


def run_cost(
    *,
    target_invocations: int,
    target_cost: float,
    tuner_gb_seconds: float,
    tuner_invocations: int,
    tuner_architecture: Architecture,
    transition_count: int,
    prices: PriceSheet,
) -> RunCost:
    tuner = tuner_cost(tuner_gb_seconds, tuner_invocations, tuner_architecture, prices)
    transitions_cost = step_functions_cost(transition_count, prices)
    return RunCost(
        target_invocations=target_invocations,
        target_cost=target_cost,
        tuner_lambda_cost=tuner,
        transitions=transition_count,
        transitions_cost=transitions_cost,
        breakdown={"target": target_cost, "tunerLambdas": tuner, "stateTransitions": transitions_cost},
    )


def estimate_target_cost(
    sizes: list[int],
    invocations_per_size: int,
    *,
    observed_billed_ms: float,
    observed_memory_mb: int,
    cold_start_ms: float,
    cold_starts_per_size: int,
    prices: PriceSheet,
    architecture: Architecture,
    ephemeral_storage_mb: int = 512,
) -> float:
    """An upper-bound estimate from one invocation observed at the current memory.

    A CPU-bound function costs about the same at any memory (duration shrinks as memory grows); an I/O-bound one
    costs in proportion to memory (duration does not shrink). Taking the larger of the two bounds each size.
    """
    total = 0.0
    for size in sizes:
        scale = max(1.0, size / observed_memory_mb)
        warm = invocation_cost(
            observed_memory_mb, observed_billed_ms, prices, architecture, ephemeral_storage_mb=ephemeral_storage_mb
        )
        cold_extra = invocation_cost(size, cold_start_ms, prices, architecture) - prices.request
        total += invocations_per_size * warm * scale + cold_starts_per_size * cold_extra
    return total


DURATION_HISTORY_DAYS = 7  # how far back a budget check looks at the Duration metric before probing the target


class DurationBound(CamelModel):
    """What one invocation is assumed to bill before the target has been invoked, and what that rests on."""

    billed_ms: int
    basis: str


def duration_bound(recent_max_ms: float | None, timeout_s: int, days: int = DURATION_HISTORY_DAYS) -> DurationBound:
    """The Maximum of the function's recent Duration metric, rounded up to a billed millisecond; without
    datapoints, its timeout, which no invocation outlasts."""
    if recent_max_ms is None:
        basis = f"its timeout of {timeout_s} s, its Duration metric having no datapoints in the last {days} days"
        return DurationBound(billed_ms=timeout_s * 1000, basis=basis)
    billed = max(1, math.ceil(recent_max_ms))
    basis = f"{billed} ms, the Maximum of its Duration metric over the last {days} days"
    return DurationBound(billed_ms=billed, basis=basis)

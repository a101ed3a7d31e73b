"""A tuning run's world in memory (one target, its account, the tables) and the steps wired as the handlers wire
them (handlers/wiring.py), so that each test reads as the workflow runs."""

from dataclasses import dataclass, field
from typing import Any

from autotuner.domain.decision.selection import Decision
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.measurement import MeasuredTask
from autotuner.domain.run.documents import Analysis, CleanupReport, Plan, Prepared, Round, RunDocument
from autotuner.domain.run.output import AppliedChange
from autotuner.domain.run.record import AliasSnapshot
from autotuner.domain.traffic.window import TrafficCheck
from autotuner.workflow.analyze import AnalyzeRequest, analyze_round
from autotuner.workflow.apply import ApplyRequest, apply_choice
from autotuner.workflow.cleanup import clean_up_run
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.measure import MeasureRequest, measure_and_store
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run
from autotuner.workflow.prepare import PrepareRequest, prepare_round
from autotuner.workflow.traffic import TrafficRouteRequest, route_candidate
from autotuner.workflow.traffic_check import TrafficCheckRequest, TrafficPorts, check_traffic
from tests.unit.workflow.memory_ports import (
    Functions,
    MemoryCanaryWatch,
    MemoryDurations,
    MemoryFunction,
    MemoryInvoker,
    MemoryMeasurements,
    MemoryNotifier,
    MemoryPayloads,
    MemoryProductionLogs,
    MemoryRegistry,
    MemoryRunRecords,
    function_arn,
)

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:lambda-autotuner-tuner:run-1"  # events/ names it
TARGET = function_arn("orders")
SWEEP = {"lambdaARN": TARGET, "num": 5, "powerValues": [256, 512]}
RESAMPLES = 50  # bootstraps of a unit test: enough to exercise them, few enough to be fast
STEP_MEMORY_MB = 256  # what Lambda bills each step at (the template's default memory)

# A traffic run on alias live: a candidate takes 10% of its calls until it has 20; the baseline is the last 2 h.
LIVE = f"{TARGET}:live"
LOG_GROUP = "/aws/lambda/orders"
NOW = 1_800_000_000.0  # when Plan reads the baseline (2027-01-15T08:00:00Z)
TRAFFIC = {"weight": 0.1, "invocationsPerSize": 20, "baselineHours": 2, "maxCandidates": 3}
ON_TRAFFIC = {"lambdaARN": LIVE, "measure": "traffic", "traffic": TRAFFIC}


def with_decision(analysis: Analysis, memory_mb: int) -> Analysis:
    decision = Decision(strategy=Strategy.COST, chosen_memory_mb=memory_mb, reason="chosen by the test")
    return analysis.model_copy(update={"decision": decision})


@dataclass
class World:
    function: MemoryFunction = field(
        default_factory=lambda: MemoryFunction(TARGET, memory_mb=1024, description="release 9")
    )
    records: MemoryRunRecords = field(default_factory=MemoryRunRecords)
    registry: MemoryRegistry = field(default_factory=MemoryRegistry)
    payloads: MemoryPayloads = field(default_factory=MemoryPayloads)
    durations: MemoryDurations = field(default_factory=MemoryDurations)
    notifier: MemoryNotifier = field(default_factory=MemoryNotifier)
    measurements: MemoryMeasurements = field(default_factory=MemoryMeasurements)
    logs: MemoryProductionLogs = field(default_factory=MemoryProductionLogs)
    watch: MemoryCanaryWatch = field(default_factory=MemoryCanaryWatch)
    now: float = NOW  # the clock of the steps that read one

    def __post_init__(self) -> None:
        self.functions = Functions(self.function)
        self.invoker = MemoryInvoker(self.functions)

    def plan(
        self, tuning_input: object, settings: PlanSettings | None = None, *, execution: str = EXECUTION
    ) -> RunDocument:
        return plan_run(
            PlanRequest(input=tuning_input, execution_id=execution, started_at="2026-11-27T10:00:00+00:00"),
            settings or PlanSettings(),
            function_for=self.functions,
            invoker_for=lambda _region, _through: self.invoker,  # every region's and account's invoker is the same
            payloads=self.payloads,
            records=self.records,
            registry=self.registry,
            durations=self.durations,
            logs=self.logs,
            clock=lambda: self.now,
        )

    def planned(self, tuning_input: Any = None, *, execution: str = EXECUTION) -> tuple[Plan, Round]:
        document = self.plan(tuning_input or SWEEP, execution=execution)
        assert document.plan is not None
        assert document.round is not None
        return document.plan, document.round

    def in_production(self) -> None:
        """Version 1 (the code $LATEST runs, at 1024 MB) behind alias live, which served a call a minute for the
        last 2 h: 120 calls of 100 ms using 100 MB at most, none failed."""
        self.function.publish_version("release 9")
        self.function.restore_alias(AliasSnapshot(name="live", version="1"))
        self.serve("1", 1024, 120, from_s=NOW - 7200, every_s=60)

    def serve(
        self,
        version: str,
        memory_mb: int,
        calls: int,
        *,
        from_s: float,
        every_s: float,
        failing: int = 0,
        duration_ms: float = 100.0,
    ) -> None:
        """``calls`` production calls of ``version`` logged from ``from_s`` on, one every ``every_s``; the first
        ``failing`` of them raised an error."""
        for number in range(calls):
            status = InvocationStatus.ERROR if number < failing else InvocationStatus.SUCCESS
            report = InvocationReport(
                request_id=f"{version}-{from_s:.0f}-{number}", duration_ms=duration_ms,
                billed_duration_ms=round(duration_ms), memory_size_mb=memory_mb, max_memory_used_mb=100, status=status,
                error_type="Runtime.HandlerError" if status is InvocationStatus.ERROR else None,
            )  # fmt: skip
            self.logs.put(LOG_GROUP, version, from_s + number * every_s, report)

    def on_traffic(self, tuning_input: Any = None) -> RunDocument:
        """Plan of a traffic run: the plan, its analysis so far, and the first candidate to route."""
        document = self.plan(tuning_input or ON_TRAFFIC)
        assert document.plan is not None
        assert document.traffic_check is not None
        return document

    def route(self, plan: Plan, check: TrafficCheck) -> TrafficCheck:
        request = TrafficRouteRequest(plan=plan, traffic_check=check)
        return route_candidate(
            request, self.function, self.guard(plan), memory_mb=STEP_MEMORY_MB, clock=lambda: self.now
        )

    def check(self, plan: Plan, analysis: Analysis, check: TrafficCheck) -> RunDocument:
        """CheckTraffic, wired as its handler wires it (logs settle 60 s)."""
        ports = TrafficPorts(
            logs=self.logs, watch=self.watch, control=self.function, guard=self.guard(plan), records=self.records,
            store=self.measurements,
        )  # fmt: skip
        request = TrafficCheckRequest(execution_id=plan.execution_id, plan=plan, analysis=analysis, traffic_check=check)
        return check_traffic(request, ports, memory_mb=STEP_MEMORY_MB, clock=lambda: self.now, resamples=RESAMPLES)

    def guard(self, plan: Plan) -> ChangeGuard:
        """As wiring.change_guard: the undo is a clean-up from the run record, ``again``."""
        return ChangeGuard(
            self.records,
            plan.execution_id,
            undo=lambda: clean_up_run(plan.execution_id, self.records, self.functions, None, again=True),
        )

    def prepare(self, plan: Plan, round_: Round) -> Prepared:
        return prepare_round(PrepareRequest(plan=plan, round=round_), self.function, self.guard(plan))

    def measure(self, plan: Plan, round_: Round) -> list[MeasuredTask]:
        """Every task of the round, as the Measure Map runs them (each batch's reports kept in the run's storage)."""
        return [
            measure_and_store(
                MeasureRequest(measure=plan.measure, batches=batches), self.invoker, self.payloads, self.measurements,
                sleep=lambda _: None,
            )
            for batches in round_.tasks
        ]  # fmt: skip

    def analyze(self, plan: Plan, round_: Round, prepared: Prepared, analysis: Analysis | None = None) -> RunDocument:
        request = AnalyzeRequest(
            plan=plan,
            round=round_,
            analysis=analysis or Analysis(),
            prepared=prepared,
            measurements=self.measure(plan, round_),
        )
        return analyze_round(request, self.measurements, memory_mb=STEP_MEMORY_MB, resamples=RESAMPLES)

    def measure_and_analyze(self, plan: Plan, round_: Round, prepared: Prepared) -> Analysis:
        return self.analyze(plan, round_, prepared).analysis

    def apply(self, plan: Plan, memory_mb: int) -> AppliedChange:
        request = ApplyRequest(plan=plan, analysis=with_decision(Analysis(), memory_mb))
        return apply_choice(request, self.function, self.guard(plan))

    def clean_up(self, execution: str = EXECUTION, *, again: bool = False) -> CleanupReport:
        return clean_up_run(execution, self.records, self.functions, self.registry, again=again)

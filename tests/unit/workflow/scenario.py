"""A tuning run's world in memory (one target, its account, the tables) and the steps wired as the handlers wire
them (handlers/wiring.py), so that each test reads as the workflow runs."""

from dataclasses import dataclass, field
from typing import Any

from autotuner.domain.decision.selection import Decision
from autotuner.domain.decision.strategy import Strategy
from autotuner.domain.measuring.measurement import MeasuredTask
from autotuner.domain.run.documents import Analysis, CleanupReport, Plan, Prepared, Round, RunDocument
from autotuner.domain.run.output import AppliedChange
from autotuner.workflow.analyze import AnalyzeRequest, analyze_round
from autotuner.workflow.apply import ApplyRequest, apply_choice
from autotuner.workflow.cleanup import clean_up_run
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.measure import MeasureRequest, measure_and_store
from autotuner.workflow.plan import PlanRequest, PlanSettings, plan_run
from autotuner.workflow.prepare import PrepareRequest, prepare_round
from tests.unit.workflow.memory_ports import (
    Functions,
    MemoryDurations,
    MemoryFunction,
    MemoryInvoker,
    MemoryMeasurements,
    MemoryNotifier,
    MemoryPayloads,
    MemoryRegistry,
    MemoryRunRecords,
    function_arn,
)

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:lambda-autotuner-tuner:run-1"  # events/ names it
TARGET = function_arn("orders")
SWEEP = {"lambdaARN": TARGET, "num": 5, "powerValues": [256, 512]}
RESAMPLES = 50  # bootstraps of a unit test: enough to exercise them, few enough to be fast


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
        )

    def planned(self, tuning_input: Any = None, *, execution: str = EXECUTION) -> tuple[Plan, Round]:
        document = self.plan(tuning_input or SWEEP, execution=execution)
        assert document.plan is not None
        assert document.round is not None
        return document.plan, document.round

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
        return analyze_round(request, self.measurements, resamples=RESAMPLES)

    def measure_and_analyze(self, plan: Plan, round_: Round, prepared: Prepared) -> Analysis:
        return self.analyze(plan, round_, prepared).analysis

    def apply(self, plan: Plan, memory_mb: int) -> AppliedChange:
        request = ApplyRequest(plan=plan, analysis=with_decision(Analysis(), memory_mb))
        return apply_choice(request, self.function, self.guard(plan))

    def clean_up(self, execution: str = EXECUTION, *, again: bool = False) -> CleanupReport:
        return clean_up_run(execution, self.records, self.functions, self.registry, again=again)

"""The savings ledger read from the tuner's own history: the state machine's succeeded runs, each applied one's
measured costs before and after, worth each function's Invocations of the last 30 days.

One reading serves `autotuner savings` and the dashboard's savings widget, so both show the same figures."""

from pydantic import Field, ValidationError

from autotuner.domain.automation.savings_ledger import (
    INVOCATION_WINDOW_DAYS,
    LedgerEntry,
    SavingsLedger,
    ledger_entry,
    savings_by_function,
)
from autotuner.domain.camel import CamelModel
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.run.output import TuningOutput
from autotuner.workflow.ports import InvocationCounts, PastRun, RunHistory

DEFAULT_RUNS_READ = 100
MAX_RUNS_READ = 1000  # ListExecutions' largest page


class SavingsWidgetRequest(CamelModel):
    """What the dashboard sends its custom widget: ``describe`` when the console asks for the widget's
    documentation; the widget's own parameters (``limit``) beside the ``widgetContext`` every call carries, which
    the ledger does not read (its window is the last 30 days, whatever the dashboard's time range)."""

    describe: bool = False
    limit: int = Field(default=DEFAULT_RUNS_READ, ge=1, le=MAX_RUNS_READ)


def read_savings(history: RunHistory, counts: InvocationCounts, *, limit: int) -> SavingsLedger:
    """The ledger of the latest ``limit`` runs: every succeeded run's cost counts towards its function's tuning
    cost; every applied one is a line of the ledger; Invocations are read once, for the functions in it."""
    entries: list[LedgerEntry] = []
    tuning_costs: dict[str, float] = {}
    for row in history.recent(limit):
        if row.status != "SUCCEEDED":
            continue
        run = history.describe(row.arn)
        output = tuning_output(run)
        if output is None:
            continue
        function = parse_function_arn(output.function_arn).unqualified
        tuning_costs[function] = tuning_costs.get(function, 0.0) + output.state_machine.total_cost
        if entry := ledger_entry(output, run.arn, run.stopped or run.started):
            entries.append(entry)
    if not entries:
        return SavingsLedger(looked_through=limit, functions=[])
    functions = [parse_function_arn(f) for f in sorted({e.function for e in entries})]
    invocations = counts.invocations(functions, INVOCATION_WINDOW_DAYS)
    return SavingsLedger(looked_through=limit, functions=savings_by_function(entries, invocations, tuning_costs))


def tuning_output(run: PastRun) -> TuningOutput | None:
    """A run's output, or None for one that is not a tuning output (an older format, or another machine's)."""
    try:
        return TuningOutput.model_validate(run.output)
    except ValidationError:
        return None

"""What tuning saved: each applied run's measured cost per invocation before and after, worth the function's
real invocation count of the last 30 days per month.

A run measures the function's current memory beside the candidates (``includeCurrent``), so both costs are
measured in the same run; nothing here is estimated from a model.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.run.output import MonthlySaving, Outcome, Savings, TuningOutput

INVOCATION_WINDOW_DAYS = 30  # the month the saving is counted over: CloudWatch's Invocations sum of these days
PER_MILLION = 1_000_000


class LedgerEntry(BaseModel):
    """One applied run: the function, its memory before and after, and the measured cost per invocation of both."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    function: str  # unqualified ARN: the Invocations metric counts every version and alias of it
    execution: str
    finished_at: datetime
    memory_before_mb: int
    memory_after_mb: int
    cost_before_usd: float  # per invocation
    cost_after_usd: float  # per invocation

    @property
    def saving_per_invocation_usd(self) -> float:
        return self.cost_before_usd - self.cost_after_usd


class FunctionSavings(BaseModel):
    """A function's applied runs, in the order they finished, and what they are worth over the window."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    function: str
    entries: list[LedgerEntry]
    invocations: int | None  # AWS/Lambda Invocations, summed over INVOCATION_WINDOW_DAYS days; None: no datapoints
    tuning_cost_usd: float  # every succeeded run of the function found, applied or not

    @property
    def memory_before_mb(self) -> int:
        return self.entries[0].memory_before_mb

    @property
    def memory_after_mb(self) -> int:
        return self.entries[-1].memory_after_mb

    @property
    def saving_per_invocation_usd(self) -> float:
        """Each run's step from the memory it found to the one it applied, measured in that run, added up."""
        return sum(entry.saving_per_invocation_usd for entry in self.entries)

    @property
    def monthly_saving_usd(self) -> float | None:
        """None when CloudWatch had no Invocations of the function to count: unknown, not nothing."""
        return None if self.invocations is None else self.saving_per_invocation_usd * self.invocations

    @property
    def has_invocations(self) -> bool:
        """Whether CloudWatch holds Invocations of the window: Lambda publishes the metric only when the function
        is invoked, and the tuner's account holds none for a function in another account. Without them the
        monthly saving is unknown, not zero."""
        return self.invocations is not None


class SavingsLedger(BaseModel):
    """What the applied runs among the last ``looked_through`` runs save, per function and in total."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    looked_through: int  # how many of the latest runs were read
    functions: list[FunctionSavings]  # largest monthly saving first

    @property
    def applied_runs(self) -> int:
        return sum(len(row.entries) for row in self.functions)

    @property
    def counted(self) -> list[FunctionSavings]:
        """The functions whose monthly saving is known (they have Invocations in the window)."""
        return [row for row in self.functions if row.has_invocations]

    @property
    def monthly_saving_usd(self) -> float:
        return sum(row.monthly_saving_usd or 0.0 for row in self.counted)

    @property
    def tuning_cost_usd(self) -> float:
        return sum(row.tuning_cost_usd for row in self.functions)


def monthly_saving(savings: Savings, invocations: int | None) -> MonthlySaving:
    """What the run's saving per invocation is worth a month at the function's invocations of the window;
    unknown when CloudWatch had none to count."""
    if invocations is None:
        return MonthlySaving(invocations_last_30_days=None, usd=None)
    return MonthlySaving(
        invocations_last_30_days=invocations, usd=savings.savings_per_million / PER_MILLION * invocations
    )


def ledger_entry(output: TuningOutput, execution: str, finished_at: datetime) -> LedgerEntry | None:
    """The run's line in the ledger, or None when it applied nothing or measured no current cost."""
    if output.outcome is not Outcome.APPLIED or output.applied is None or output.savings is None:
        return None
    savings = output.savings
    return LedgerEntry(
        function=parse_function_arn(output.function_arn).unqualified,
        execution=execution,
        finished_at=finished_at,
        memory_before_mb=output.applied.previous_memory_mb,
        memory_after_mb=output.applied.memory_mb,
        cost_before_usd=savings.current_cost_per_million / PER_MILLION,
        cost_after_usd=savings.chosen_cost_per_million / PER_MILLION,
    )


def savings_by_function(
    entries: Iterable[LedgerEntry], invocations: Mapping[str, int], tuning_costs: Mapping[str, float]
) -> list[FunctionSavings]:
    """Per function, largest monthly saving first and those of unknown worth last; ``invocations`` (only of the
    functions CloudWatch has datapoints of) and ``tuning_costs`` by unqualified ARN."""
    grouped: dict[str, list[LedgerEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.finished_at):
        grouped.setdefault(entry.function, []).append(entry)
    rows = [
        FunctionSavings(
            function=function,
            entries=runs,
            invocations=invocations.get(function),
            tuning_cost_usd=tuning_costs.get(function, 0.0),
        )
        for function, runs in grouped.items()
    ]
    return sorted(rows, key=_largest_saving_first)


def _largest_saving_first(row: FunctionSavings) -> tuple[bool, float]:
    monthly = row.monthly_saving_usd
    return monthly is None, -(monthly or 0.0)

"""The savings ledger as a table: one header, one row a function, a total and the notes, which `autotuner savings`
prints and the HTML report shows, so the two cannot disagree about a figure or its words.

Every figure is what was measured (the costs before and after, in each applied run) or read (CloudWatch's
Invocations); where the metric had no datapoints the table says so rather than print a saving of $0.
"""

from collections.abc import Sequence

from autotuner.domain.arn import parse_function_arn
from autotuner.domain.money import usd
from autotuner.domain.savings_ledger import INVOCATION_WINDOW_DAYS, FunctionSavings

NO_DATA = "no data"
UNKNOWN = "unknown"

SAVINGS_HEADER = (
    "Function",
    "Memory",
    "Runs",
    "Saves / invocation",
    f"Invocations ({INVOCATION_WINDOW_DAYS} d)",
    "Saves / month",
    "Tuning cost",
)

SAVINGS_NOTE = (
    "Saves / month: the cost per invocation before minus after, as each applied run measured it, times the "
    f"function's Invocations of the last {INVOCATION_WINDOW_DAYS} days (CloudWatch AWS/Lambda, every version "
    "and alias). Tuning cost: what its succeeded runs cost."
)


def savings_row(row: FunctionSavings) -> tuple[str, ...]:
    monthly = row.monthly_saving_usd
    return (
        parse_function_arn(row.function).name,
        f"{row.memory_before_mb} → {row.memory_after_mb} MB",
        str(len(row.entries)),
        usd(row.saving_per_invocation_usd),
        NO_DATA if row.invocations is None else f"{row.invocations:,}",
        UNKNOWN if monthly is None else usd(monthly),
        usd(row.tuning_cost_usd),
    )


def savings_total(rows: Sequence[FunctionSavings]) -> tuple[str, ...]:
    """The runs, monthly savings and tuning costs added up; a function of unknown worth is counted, not guessed."""
    known = [row.monthly_saving_usd for row in rows if row.monthly_saving_usd is not None]
    unknown = len(rows) - len(known)
    monthly = usd(sum(known)) if known else UNKNOWN
    if known and unknown:
        monthly += f" ({unknown} {UNKNOWN})"
    tuning = usd(sum(row.tuning_cost_usd for row in rows))
    return ("Total", "", str(sum(len(row.entries) for row in rows)), "", "", monthly, tuning)


def savings_notes(rows: Sequence[FunctionSavings]) -> list[str]:
    """What the figures are and, when any is unknown, which and why."""
    names = [parse_function_arn(row.function).name for row in rows if row.invocations is None]
    if not names:
        return [SAVINGS_NOTE]
    return [
        SAVINGS_NOTE,
        f"No Invocations data ({INVOCATION_WINDOW_DAYS} d): {', '.join(names)}. CloudWatch has no datapoints of "
        "the metric, so the saving per month is unknown, not $0 (Lambda publishes it, in the function's own account "
        "and region, only when the function is invoked).",
    ]

"""The savings ledger as people read it: one set of rows and notes, laid out as a text table by `autotuner
savings` and as an HTML table by the dashboard's custom widget, so the two never say different things."""

from html import escape

from autotuner.domain.automation.savings_ledger import INVOCATION_WINDOW_DAYS, FunctionSavings, SavingsLedger
from autotuner.domain.costs.money import usd
from autotuner.domain.inputs.arn import parse_function_arn

SAVINGS_HEADER = (
    "Function",
    "Memory",
    "Runs",
    "Saves / invocation",
    f"Invocations ({INVOCATION_WINDOW_DAYS} d)",
    "Saves / month",
    "Tuning cost",
)
NUMERIC_COLUMNS = frozenset({2, 3, 4, 5, 6})
NO_INVOCATIONS = "none recorded"
UNKNOWN = "unknown"  # a monthly saving without Invocations is unknown, never $0

WIDGET_DOCUMENTATION = f"""## Lambda Autotuner: savings

What tuning saves, per function and in total, next to what the tuning runs cost. For every applied run among the
tuner state machine's latest runs: the cost per invocation before minus after, both measured in that run, times
the function's `Invocations` of the last {INVOCATION_WINDOW_DAYS} days (CloudWatch `AWS/Lambda`, every version and
alias), whatever the dashboard's time range. The same ledger as `autotuner savings`.

### Widget parameters
Param | Description
---|---
**limit** | How many of the latest runs to read (1 to 1000; default 100)

### Example parameters
``` yaml
limit: 200
```
"""


def nothing_applied(ledger: SavingsLedger) -> str:
    return (
        f"No applied runs among the last {ledger.looked_through}: nothing saved yet (only runs that apply their "
        "choice save: autoOptimize in the input, --apply on the command line)."
    )


def savings_rows(ledger: SavingsLedger) -> list[tuple[str, ...]]:
    """One row per function, then the total; cells as SAVINGS_HEADER names them."""
    return [*(_row(row) for row in ledger.functions), _total(ledger)]


def savings_notes(ledger: SavingsLedger) -> list[str]:
    """How the figures were found, and which functions have no monthly figure and why."""
    notes = [
        "Saves / month: the cost per invocation before minus after, as each applied run measured it, times the "
        f"function's Invocations of the last {INVOCATION_WINDOW_DAYS} days (CloudWatch AWS/Lambda, every version "
        "and alias). Tuning cost: what its succeeded runs cost."
    ]
    missing = [row for row in ledger.functions if not row.has_invocations]
    if missing:
        names = ", ".join(_name(row) for row in missing)
        notes.append(
            f"No Invocations recorded in the last {INVOCATION_WINDOW_DAYS} days for {names}: the monthly saving is "
            "unknown and not in the total (Lambda publishes the metric only when a function is invoked, and the "
            "tuner's account holds none for a function in another account)."
        )
    return notes


def render_savings_html(ledger: SavingsLedger) -> str:
    """The widget's HTML: the table and its notes (the dashboard styles tables; it strips scripts anyway)."""
    if not ledger.functions:
        return f"<p>{escape(nothing_applied(ledger))}</p>"
    head = "".join(f"<th{_align(i)}>{escape(cell)}</th>" for i, cell in enumerate(SAVINGS_HEADER))
    *rows, total = savings_rows(ledger)
    body = "".join(
        f'<tr title="{escape(function.function)}">' + _cells(row, "td") + "</tr>"
        for function, row in zip(ledger.functions, rows, strict=True)
    )
    notes = "".join(f"<p>{escape(note)}</p>" for note in savings_notes(ledger))
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        f"<tfoot><tr>{_cells(total, 'th')}</tr></tfoot></table>{notes}"
    )


def _cells(row: tuple[str, ...], tag: str) -> str:
    return "".join(f"<{tag}{_align(i)}>{escape(cell)}</{tag}>" for i, cell in enumerate(row))


def _align(column: int) -> str:
    return ' style="text-align:right"' if column in NUMERIC_COLUMNS else ""


def _name(row: FunctionSavings) -> str:
    return parse_function_arn(row.function).name


def _row(row: FunctionSavings) -> tuple[str, ...]:
    return (
        _name(row),
        f"{row.memory_before_mb} → {row.memory_after_mb} MB",
        str(len(row.entries)),
        usd(row.saving_per_invocation_usd),
        NO_INVOCATIONS if row.invocations is None else f"{row.invocations:,}",
        UNKNOWN if row.monthly_saving_usd is None else usd(row.monthly_saving_usd),
        usd(row.tuning_cost_usd),
    )


def _total(ledger: SavingsLedger) -> tuple[str, ...]:
    monthly = usd(ledger.monthly_saving_usd) if ledger.counted else UNKNOWN
    return ("Total", "", str(ledger.applied_runs), "", "", monthly, usd(ledger.tuning_cost_usd))

"""The savings ledger's table, which `autotuner savings` prints and the HTML report shows."""

from datetime import UTC, datetime

from autotuner.domain.money import usd
from autotuner.domain.savings_ledger import LedgerEntry, savings_by_function
from autotuner.reports.savings import SAVINGS_HEADER, savings_notes, savings_row, savings_total

ORDERS = "arn:aws:lambda:us-east-1:123456789012:function:orders"
RESIZE = "arn:aws:lambda:us-east-1:123456789012:function:resize"


def entry(function: str, before: float, after: float, memory: tuple[int, int]) -> LedgerEntry:
    return LedgerEntry(
        function=function,
        execution=f"{function}-run",
        finished_at=datetime(2026, 11, 1, tzinfo=UTC),
        memory_before_mb=memory[0],
        memory_after_mb=memory[1],
        cost_before_usd=before,
        cost_after_usd=after,
    )


LEDGER = [entry(ORDERS, 4e-6, 3e-6, (1024, 768)), entry(RESIZE, 9e-6, 1e-6, (512, 256))]


def test_a_row_gives_each_figure_as_measured_and_read() -> None:
    (orders,) = savings_by_function(LEDGER[:1], {ORDERS: 2_500_000}, {ORDERS: 0.004})
    assert dict(zip(SAVINGS_HEADER, savings_row(orders), strict=True)) == {
        "Function": "orders",
        "Memory": "1024 → 768 MB",
        "Runs": "1",
        "Saves / invocation": usd(1e-6),
        "Invocations (30 d)": "2,500,000",
        "Saves / month": "$2.50",
        "Tuning cost": "$0.00400",
    }
    assert savings_total([orders]) == ("Total", "", "1", "", "", "$2.50", "$0.00400")
    assert len(savings_notes([orders])) == 1


def test_without_invocations_data_the_month_is_unknown_not_zero() -> None:
    rows = savings_by_function(LEDGER, {ORDERS: 2_500_000}, {ORDERS: 0.004, RESIZE: 0.002})
    resize = dict(zip(SAVINGS_HEADER, savings_row(rows[1]), strict=True))
    assert resize["Function"] == "resize"
    assert resize["Saves / invocation"] == usd(8e-6)  # measured in the run, whatever the traffic
    assert (resize["Invocations (30 d)"], resize["Saves / month"]) == ("no data", "unknown")
    assert savings_total(rows)[5] == "$2.50 (1 unknown)"  # what is known, and how much is not
    assert savings_total(rows[1:])[5] == "unknown"
    notes = savings_notes(rows)
    assert notes[1].startswith("No Invocations data (30 d): resize.")
    assert "unknown, not $0" in notes[1]

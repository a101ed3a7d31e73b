"""The savings ledger's rows and notes, and the dashboard widget's HTML made of them."""

from datetime import UTC, datetime

from autotuner.domain.automation.savings_ledger import LedgerEntry, SavingsLedger, savings_by_function
from autotuner.reports.savings import nothing_applied, render_savings_html, savings_notes, savings_rows
from tests.html_table import parsed
from tests.unit.reports import arn

FINISHED = datetime(2026, 11, 1, tzinfo=UTC)


def entry(name: str, before: float, after: float, memory: tuple[int, int]) -> LedgerEntry:
    return LedgerEntry(
        function=arn(name),
        execution=f"run-{name}",
        finished_at=FINISHED,
        memory_before_mb=memory[0],
        memory_after_mb=memory[1],
        cost_before_usd=before,
        cost_after_usd=after,
    )


def ledger(invocations: dict[str, int]) -> SavingsLedger:
    entries = [entry("orders", 4e-6, 3e-6, (1024, 512)), entry("resize", 2e-6, 1e-6, (2048, 1024))]
    costs = {arn("orders"): 0.01, arn("resize"): 0.02}
    return SavingsLedger(looked_through=100, functions=savings_by_function(entries, invocations, costs))


def test_each_function_its_monthly_saving_and_the_total_next_to_the_tuning_cost() -> None:
    cells = parsed(render_savings_html(ledger({arn("orders"): 3_000_000, arn("resize"): 1_000_000})))

    assert cells.rows["thead"][0][0] == "Function"
    assert cells.rows["tbody"] == [
        ["orders", "1024 → 512 MB", "1", "$0.00000100", "3,000,000", "$3.00", "$0.01"],
        ["resize", "2048 → 1024 MB", "1", "$0.00000100", "1,000,000", "$1.00", "$0.02"],
    ]
    assert cells.rows["tfoot"] == [["Total", "", "2", "", "", "$4.00", "$0.03"]]
    (note,) = cells.paragraphs  # every function has its Invocations: nothing is left out
    assert "Invocations of the last 30 days" in note


def test_a_function_without_invocations_has_an_unknown_saving_left_out_of_the_total() -> None:
    rows = savings_rows(ledger({arn("orders"): 3_000_000}))

    assert rows[1][4:6] == ("none recorded", "unknown")  # not "$0": CloudWatch holds no datapoints
    assert rows[-1][5] == "$3.00"
    (_, missing) = savings_notes(ledger({arn("orders"): 3_000_000}))
    assert "for resize: the monthly saving is unknown and not in the total" in missing


def test_with_no_invocations_at_all_the_total_is_unknown_too() -> None:
    cells = parsed(render_savings_html(ledger({})))

    assert [row[5] for row in cells.rows["tbody"]] == ["unknown", "unknown"]
    assert cells.rows["tfoot"][0][5] == "unknown"
    assert "No Invocations recorded in the last 30 days for orders, resize" in cells.paragraphs[1]


def test_without_an_applied_run_it_says_so() -> None:
    empty = SavingsLedger(looked_through=50, functions=[])
    assert parsed(render_savings_html(empty)).paragraphs == [nothing_applied(empty)]
    assert nothing_applied(empty).startswith("No applied runs among the last 50:")

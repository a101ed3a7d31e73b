"""The savings ledger: an applied run's measured costs before and after, worth the real invocation count."""

from datetime import UTC, datetime, timedelta

import pytest

from autotuner.domain.automation.savings_ledger import LedgerEntry, ledger_entry, savings_by_function
from autotuner.domain.inputs.arn import parse_function_arn
from tests.unit.reports import io_bound_output, tuned_output

FINISHED = datetime(2026, 11, 1, tzinfo=UTC)


def test_an_applied_run_records_its_memory_and_measured_costs_before_and_after() -> None:
    output = tuned_output("resize")
    entry = ledger_entry(output, "execution-1", FINISHED)
    assert entry is not None
    assert output.savings is not None
    assert output.applied is not None
    assert entry.function == parse_function_arn(output.function_arn).unqualified
    assert (entry.memory_before_mb, entry.memory_after_mb) == (3008, output.applied.memory_mb)
    assert entry.cost_before_usd == pytest.approx(output.savings.current_cost_per_million / 1e6)
    assert entry.cost_after_usd == pytest.approx(output.savings.chosen_cost_per_million / 1e6)
    assert entry.saving_per_invocation_usd == pytest.approx(output.savings.savings_per_million / 1e6)


def test_a_run_that_applied_nothing_is_not_in_the_ledger() -> None:
    assert ledger_entry(io_bound_output(), "execution-2", FINISHED) is None  # a recommendation only


def entry(function: str, before: float, after: float, *, memory: tuple[int, int], days_ago: int) -> LedgerEntry:
    return LedgerEntry(
        function=f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
        execution=f"{function}-{days_ago}",
        finished_at=FINISHED - timedelta(days=days_ago),
        memory_before_mb=memory[0],
        memory_after_mb=memory[1],
        cost_before_usd=before,
        cost_after_usd=after,
    )


def test_each_functions_runs_add_up_and_are_worth_its_invocations() -> None:
    orders = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    resize = "arn:aws:lambda:us-east-1:123456789012:function:resize"
    entries = [
        entry("orders", 4e-6, 3e-6, memory=(1024, 768), days_ago=2),  # the later run, listed first
        entry("orders", 6e-6, 4e-6, memory=(2048, 1024), days_ago=20),
        entry("resize", 2e-6, 1.5e-6, memory=(512, 256), days_ago=5),
    ]
    rows = savings_by_function(entries, {orders: 2_000_000}, {orders: 0.004})  # resize: no datapoints
    assert [row.function for row in rows] == [orders, resize]
    first = rows[0]
    assert (first.memory_before_mb, first.memory_after_mb) == (2048, 768)  # from the first run to the last
    assert first.saving_per_invocation_usd == pytest.approx(3e-6)
    assert first.monthly_saving_usd == pytest.approx(6.0)
    assert first.tuning_cost_usd == 0.004
    assert rows[1].monthly_saving_usd is None
    assert (rows[0].has_invocations, rows[1].has_invocations) == (True, False)  # the reports say "unknown"
    assert rows[1].tuning_cost_usd == 0.0


def test_a_function_without_invocations_data_is_of_unknown_worth_not_zero() -> None:
    orders = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    resize = "arn:aws:lambda:us-east-1:123456789012:function:resize"
    entries = [
        entry("resize", 9e-6, 1e-6, memory=(512, 256), days_ago=5),  # the larger saving per invocation
        entry("orders", 4e-6, 3e-6, memory=(1024, 768), days_ago=2),
    ]
    rows = savings_by_function(entries, {orders: 10}, {})
    assert [row.function for row in rows] == [orders, resize]  # the known figure first
    assert rows[1].invocations is None
    assert rows[1].monthly_saving_usd is None
    assert rows[1].saving_per_invocation_usd == pytest.approx(8e-6)  # measured, whatever the traffic

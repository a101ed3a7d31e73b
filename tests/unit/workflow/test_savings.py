"""Reading the savings ledger from the tuner's history: which runs count, and what is read for them."""

from datetime import UTC, datetime, timedelta

import pytest

from autotuner.domain.automation.savings_ledger import INVOCATION_WINDOW_DAYS
from autotuner.workflow.savings import read_savings
from tests.unit.reports import arn, io_bound_output, tuned_output
from tests.unit.workflow.memory_ports import MemoryInvocationCounts, MemoryRun, MemoryRunHistory

STARTED = datetime(2026, 11, 1, tzinfo=UTC)
MACHINE_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:autotuner-tuner:"


def run(name: str, status: str, output: dict[str, object] | None, *, hours_ago: int) -> MemoryRun:
    started = STARTED - timedelta(hours=hours_ago)
    return MemoryRun(MACHINE_EXECUTION + name, status, started, started + timedelta(minutes=3), output)


def test_applied_runs_are_the_ledger_and_every_succeeded_run_of_a_function_is_its_tuning_cost() -> None:
    applied, recommended = tuned_output("resize"), io_bound_output("resize")
    history = MemoryRunHistory(
        [
            run("applied", "SUCCEEDED", applied.model_dump(mode="json"), hours_ago=1),
            run("recommended", "SUCCEEDED", recommended.model_dump(mode="json"), hours_ago=2),
            run("failed", "FAILED", None, hours_ago=3),
            run("other-machine", "SUCCEEDED", {"not": "a tuning output"}, hours_ago=4),
            run("orders", "SUCCEEDED", io_bound_output("orders").model_dump(mode="json"), hours_ago=5),
        ]
    )
    counts = MemoryInvocationCounts({arn("resize"): 1_000_000})

    ledger = read_savings(history, counts, limit=100)

    assert [row.function for row in ledger.functions] == [arn("resize")]  # orders applied nothing
    (row,) = ledger.functions
    assert [entry.execution for entry in row.entries] == [MACHINE_EXECUTION + "applied"]
    assert row.entries[0].finished_at == STARTED - timedelta(hours=1) + timedelta(minutes=3)
    assert row.invocations == 1_000_000
    cost = applied.state_machine.total_cost + recommended.state_machine.total_cost
    assert row.tuning_cost_usd == pytest.approx(cost)
    assert counts.windows == [INVOCATION_WINDOW_DAYS]  # one read, for the functions in the ledger
    assert MACHINE_EXECUTION + "failed" not in history.described  # only succeeded runs are read
    assert (ledger.looked_through, ledger.applied_runs) == (100, 1)


def test_the_latest_runs_only_and_no_metric_read_without_an_applied_run() -> None:
    history = MemoryRunHistory(
        [
            run("recommended", "SUCCEEDED", io_bound_output("resize").model_dump(mode="json"), hours_ago=1),
            run("applied-earlier", "SUCCEEDED", tuned_output("resize").model_dump(mode="json"), hours_ago=2),
        ]
    )
    counts = MemoryInvocationCounts()

    ledger = read_savings(history, counts, limit=1)

    assert ledger.functions == []
    assert history.described == [MACHINE_EXECUTION + "recommended"]
    assert counts.windows == []

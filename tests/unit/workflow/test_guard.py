"""The change guard: an intent is written before a change; a closed record means undo and stop."""

from collections.abc import Callable

import pytest

from autotuner.domain.errors import RunStoppedError
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.run.output import LATEST, AppliedChange
from autotuner.domain.run.record import Intent, RunRecord
from autotuner.workflow.guard import ChangeGuard
from tests.unit.workflow.memory_ports import MemoryRunRecords
from tests.unit.workflow.scenario import EXECUTION, TARGET

INTENT = Intent(step="apply", action="apply 512 MB to $LATEST", memory_mb=512)
APPLIED = AppliedChange(target=LATEST, memory_mb=512, previous_memory_mb=1024)


def opened(records: MemoryRunRecords) -> MemoryRunRecords:
    assert records.open(
        RunRecord(
            execution_id=EXECUTION, run_id="0123456789", function=parse_function_arn(TARGET), original_memory_mb=1024
        )
    )
    return records


def guard_with_undos(records: MemoryRunRecords) -> tuple[ChangeGuard, list[str]]:
    undos: list[str] = []
    return ChangeGuard(records, EXECUTION, undo=lambda: undos.append("undone")), undos


def test_an_open_record_takes_the_intent_the_confirmation_and_the_applied_change() -> None:
    records = opened(MemoryRunRecords())
    guard, undos = guard_with_undos(records)
    guard.intend(INTENT)
    guard.confirm("applied 512 MB")
    guard.keep(APPLIED)
    record = records.read(EXECUTION)
    assert record is not None
    assert (record.intents, record.applied, undos) == ([INTENT], APPLIED, [])


def test_a_closed_record_refuses_the_intent_and_there_is_nothing_to_undo() -> None:
    records = opened(MemoryRunRecords())
    records.close(EXECUTION)
    guard, undos = guard_with_undos(records)
    with pytest.raises(RunStoppedError, match=r"stopped before it could apply 512 MB to \$LATEST; that was not done"):
        guard.intend(INTENT)
    assert undos == []
    record = records.read(EXECUTION)
    assert record is not None
    assert record.intents == []


def test_an_intent_without_any_record_is_refused() -> None:
    guard, _ = guard_with_undos(MemoryRunRecords())
    with pytest.raises(RunStoppedError):
        guard.intend(INTENT)


@pytest.mark.parametrize("step", ["confirm", "keep"])
def test_a_record_closed_after_the_change_makes_the_step_undo_it(step: str) -> None:
    records = opened(MemoryRunRecords())
    guard, undos = guard_with_undos(records)
    guard.intend(INTENT)
    records.close(EXECUTION)
    steps: dict[str, Callable[[], None]] = {
        "confirm": lambda: guard.confirm("published 512 MB behind alias at-0123456789-512"),
        "keep": lambda: guard.keep(APPLIED),
    }
    with pytest.raises(RunStoppedError, match="; the change was undone"):
        steps[step]()
    assert undos == ["undone"]
    record = records.read(EXECUTION)
    assert record is not None
    assert record.applied is None

"""The in-memory ports behave as the services do, for what the workflow relies on."""

from autotuner.domain.run_record import Intent, RunRecord
from tests.unit.workflow.memory_ports import MemoryFunction, MemoryRunRecords
from tests.unit.workflow.scenario import EXECUTION, TARGET


def test_version_numbers_are_never_reused_and_an_unchanged_latest_publishes_nothing() -> None:
    function = MemoryFunction(TARGET)
    assert function.publish_version("a").version == "1"
    assert function.publish_version("b").version == "1"  # nothing changed: Lambda returns the latest version
    function.update(memory_mb=512, description="b")
    assert function.publish_version("b").version == "2"
    assert function.delete_version("2")
    function.update(memory_mb=256, description="c")
    assert function.publish_version("c").version == "3"
    assert not function.delete_version("2")


def test_a_closed_record_takes_no_more_writes_and_closing_an_absent_one_leaves_a_stub() -> None:
    records = MemoryRunRecords()
    record = RunRecord(execution_id=EXECUTION, run_id="0123456789", function_arn=TARGET, original_memory_mb=1024)
    assert records.close(EXECUTION) is None
    assert not records.open(record)  # the stub keeps a late Plan out
    assert records.read(EXECUTION) is None

    other = record.model_copy(update={"execution_id": "other"})
    assert records.open(other)
    closed = records.close("other")
    assert closed is not None
    assert closed.closed
    assert not records.note_intent("other", Intent(step="prepare", action="publish"))
    assert not records.still_open("other")

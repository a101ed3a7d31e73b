"""The in-memory ports behave as the services do, for what the workflow relies on."""

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.adapters.executions import ExecutionAlreadyStartedError
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.run.record import Intent, RunRecord
from tests.unit.workflow.memory_ports import MemoryFunction, MemoryRegistry, MemoryRunRecords, MemoryStarter
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
    record = RunRecord(
        execution_id=EXECUTION, run_id="0123456789", function=parse_function_arn(TARGET), original_memory_mb=1024
    )
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


def test_step_functions_refuses_names_it_would_refuse_and_a_name_used_before() -> None:
    starter = MemoryStarter("arn:aws:states:us-east-1:123456789012:stateMachine:tuner")
    for bad in ("fleet-orders-2026-11-27T10:05", "alarm orders", "x" * 81, ""):
        with pytest.raises(AwsError, match="InvalidName"):
            starter.start({}, bad)
    assert starter.start({}, "fleet-orders-2026-11-27T1005").endswith(":execution:tuner:fleet-orders-2026-11-27T1005")
    with pytest.raises(ExecutionAlreadyStartedError):
        starter.start({}, "fleet-orders-2026-11-27T1005")


def test_an_automatic_claim_needs_a_profile_and_waits_out_runs_claims_and_the_cooldown() -> None:
    now = [1000.0]
    profiles = MemoryRegistry(clock=lambda: now[0])
    assert not profiles.claim_automatic(TARGET, cooldown_s=60, claimant="a"), "no profile"
    profiles.set_user_profile(TARGET, {"num": 5})
    assert profiles.claim_automatic(TARGET, cooldown_s=60, claimant="a")
    assert not profiles.claim_automatic(TARGET, cooldown_s=60, claimant="b")
    profiles.release_automatic(TARGET, "b")  # not b's claim: it stays
    assert not profiles.claim_automatic(TARGET, cooldown_s=60, claimant="b")
    now[0] += 61
    assert profiles.claim_automatic(TARGET, cooldown_s=60, claimant="b")

"""The run record: clean-up works from it alone, and whether the run set out to change the target decides what
clean-up must restore."""

import pytest

from autotuner.domain.inputs.arn import FunctionRef
from autotuner.domain.run.record import AliasSnapshot, Intent, RunRecord

ORDERS = FunctionRef(partition="aws", region="us-east-1", account="123456789012", name="orders")


def record(*intents: Intent) -> RunRecord:
    return RunRecord(
        execution_id="arn:aws:states:us-east-1:123456789012:execution:tuner:abc",
        run_id="r-abc",
        function=ORDERS,
        original_memory_mb=512,
        intents=list(intents),
    )


def test_a_run_that_recorded_nothing_changed_nothing() -> None:
    assert not record().changed_target


def test_plan_taking_the_lock_is_not_a_change_to_the_target() -> None:
    assert not record(Intent(step="plan", action="lock")).changed_target


@pytest.mark.parametrize(
    "intent",
    [
        Intent(step="prepare", action="create alias", memory_mb=1024, alias="at-r-abc-1024"),
        Intent(step="apply", action="set memory", memory_mb=1024),
        Intent(step="apply", action="move alias", alias="live"),
    ],
    ids=["prepare", "apply-memory", "apply-alias"],
)
def test_any_intent_past_plan_means_the_run_set_out_to_change_the_target(intent: Intent) -> None:
    assert record(Intent(step="plan", action="lock"), intent).changed_target


def test_the_record_reads_back_from_its_stored_json_as_it_was_written() -> None:
    written = record(Intent(step="prepare", action="create alias", memory_mb=1024)).model_copy(
        update={"alias": AliasSnapshot(name="live", version="7", routing={"8": 0.1})}
    )
    stored = written.model_dump(mode="json")
    assert stored["originalMemoryMb"] == 512
    assert stored["alias"] == {"name": "live", "version": "7", "routing": {"8": 0.1}}
    assert RunRecord.model_validate(stored) == written
    assert RunRecord.model_validate(stored).changed_target


def test_an_alias_snapshot_without_a_version_says_the_alias_did_not_exist() -> None:
    missing = AliasSnapshot(name="live")
    assert (missing.version, missing.routing) == (None, {})

"""A record write that took effect but whose answer never reached the step, not even on botocore's retries (the
fault matrix's "unanswered" kind, one cell at a time, with what each step must then say): Step Functions retries
the step, which finds its write done."""

import pytest

from autotuner.adapters.profiles import ProfileStore
from autotuner.adapters.run_records import RunRecords
from autotuner_local.stack import LocalStack
from tests.conftest import load_event
from tests.emulator import MakeTarget, raise_alarm
from tests.faults import Fault, injecting
from tests.integration.test_fault_matrix import fast_retries, make, problems_after, tune
from tests.integration.test_retune_and_warmer import ORDERS, invoke, wait_for_runs

pytestmark = pytest.mark.slow
__all__ = ["fast_retries"]  # a fixture the tests below use


@pytest.mark.parametrize("mode", ["latest", "alias"])
def test_an_apply_whose_confirming_write_goes_unanswered_succeeds_and_says_applied(
    stack: LocalStack, make_target: MakeTarget, fast_retries: None, mode: str
) -> None:
    """The audit: the answer to Apply's confirming write on the run record was lost (the write took effect); the
    run FAILED with the function left at the applied size, and its output did not say applied."""
    target = make(make_target, "orders", mode)
    with injecting(stack.name) as injector:
        injector.arm(Fault("ApplyFunction", "dynamodb.UpdateItem", 2, "unanswered"))
        run = tune(stack, target, mode, "confirm-unanswered")
    assert len(injector.injected) == 1, "the confirming write was the one left unanswered"

    assert run.status == "SUCCEEDED", run.cause
    record = RunRecords(stack.tables["RunsTable"]).read(run.arn)
    assert record is not None
    assert record.applied is not None
    assert (run.output["outcome"], run.output["applied"]["memoryMb"]) == ("applied", record.applied.memory_mb)
    assert run.output["applied"]["previousMemoryMb"] == 1024, "what Plan found, not what a first attempt left"
    assert problems_after(stack, target, run) == []


def test_a_run_whose_end_goes_unanswered_is_found_recorded_without_a_warning(
    stack: LocalStack, make_target: MakeTarget, fast_retries: None
) -> None:
    target = make(make_target, "orders", "none")
    with injecting(stack.name) as injector:
        injector.arm(Fault("NotifyFunction", "dynamodb.UpdateItem", 1, "unanswered"))
        run = tune(stack, target, "none", "end-unanswered")
    assert len(injector.injected) == 1

    assert run.status == "SUCCEEDED", run.cause
    assert run.output["warnings"] == [], "the write took effect: no sentence may say it did not"
    stored = ProfileStore(stack.tables["ProfilesTable"]).get(target.arn)
    assert stored is not None
    assert stored.last_run_execution == run.arn


def test_an_alarms_claim_whose_answer_was_lost_still_starts_its_run(
    stack: LocalStack, make_target: MakeTarget, fast_retries: None
) -> None:
    """botocore retries the claim after its lost answer; the retry must find its own claim, not skip the alarm as
    'claimed within the cooldown' while that claim holds the function for hours."""
    make_target("orders", "io-bound")
    ProfileStore(stack.tables["ProfilesTable"]).set_user_profile(ORDERS, {"num": 5, "powerValues": [256, 512]})
    event = raise_alarm(load_event("alarm-state-change.json"))
    with injecting(stack.name) as injector:
        injector.arm(Fault("AlarmSubscriberFunction", "dynamodb.UpdateItem", 1, "lost"))
        result = invoke(stack, "AlarmSubscriberFunction", event)
    assert len(injector.injected) == 1

    assert (len(result["started"]), result["skipped"]) == (1, []), result
    wait_for_runs(stack)  # the run ends inside this test

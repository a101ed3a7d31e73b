"""Prepare and Measure handlers: what they return to the state machine, and the errors it retries by name."""

import pytest

from autotuner.adapters.errors import TargetThrottledError, UpdateConflictError
from autotuner.domain.errors import RunStoppedError
from autotuner.handlers import measure, prepare
from autotuner.workflow.measure import RunTimedOutError
from tests.unit.handlers.conftest import Deployment, TunerRun, emitted_metrics
from tests.unit.handlers.states import TUNER, retried_errors
from tests.unit.workflow.memory_ports import Invocation, Reply
from tests.unit.workflow.scenario import EXECUTION, SWEEP


def test_prepare_returns_the_aliases_it_published_and_puts_latest_back(
    run: TunerRun, deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run.until("Prepare", SWEEP)
    capsys.readouterr()

    prepared = deployment.call(prepare.handler, run.event("Prepare", document))

    function = deployment.world.function
    assert {a["alias"]: a["version"] for a in prepared["aliases"]} == function.aliases()
    assert sorted(a["memoryMb"] for a in prepared["aliases"]) == [256, 512, 1024]
    assert (function.latest.memory_mb, function.latest.description) == (1024, "release 9")
    record = deployment.world.records.read(EXECUTION)
    assert record is not None
    in_order = sorted(prepared["aliases"], key=lambda a: (a["memoryMb"], a["alias"]))
    assert [i.action for i in record.intents if i.step == "prepare"] == [
        f"publish {a['memoryMb']} MB behind alias {a['alias']}" for a in in_order
    ], "each change recorded before it was made"
    assert emitted_metrics(capsys.readouterr().out) == {"AliasesPrepared": 3}


def test_an_update_conflict_is_raised_by_the_name_prepare_retries_and_the_retry_finishes_the_job(
    run: TunerRun, deployment: Deployment
) -> None:
    document = run.until("Prepare", SWEEP)
    deployment.world.function.fail("update", UpdateConflictError("updating orders: ResourceConflictException"), times=1)

    with pytest.raises(UpdateConflictError) as raised:
        deployment.call(prepare.handler, run.event("Prepare", document))
    assert type(raised.value).__name__ in retried_errors(TUNER["Prepare"])

    prepared = deployment.call(prepare.handler, run.event("Prepare", document))
    assert len(prepared["aliases"]) == 3
    assert len(deployment.world.function.published) == 3, "the retry published each size once"


def test_prepare_of_a_stopped_run_changes_nothing_and_is_not_retried(run: TunerRun, deployment: Deployment) -> None:
    document = run.until("Prepare", SWEEP)
    deployment.world.clean_up()  # the janitor closed the record
    with pytest.raises(RunStoppedError) as raised:
        deployment.call(prepare.handler, run.event("Prepare", document))
    assert type(raised.value).__name__ not in retried_errors(TUNER["Prepare"])
    assert deployment.world.function.changes == []


def test_measure_returns_every_batch_of_its_task_measured_with_the_deployment_throttle_delay(
    run: TunerRun, deployment: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("THROTTLE_BASE_DELAY_MS", "50")
    (task,) = run.task_events(run.until("Measure", SWEEP))  # three sizes, maxConcurrency 10: one task
    deployment.invokers.clear()
    deployment.world.invoker.throttles = 2  # what the invoker retried while measuring
    capsys.readouterr()

    measured = deployment.call(measure.handler, task)

    batches = task["batches"]
    assert [(b["memoryMb"], b["attempted"], b["failed"]) for b in measured["batches"]] == [
        (b["memoryMb"], b["invocations"], 0) for b in batches
    ]
    assert measured["elapsedMs"] > 0
    stored = deployment.world.measurements.load(EXECUTION)
    assert sorted((m.alias, m.attempted, len(m.duration_ms)) for m in stored) == sorted(
        (b["alias"], b["invocations"], b["invocations"]) for b in batches
    ), "each batch's reports go to the run's storage, under the execution; the state carries only counts"
    assert deployment.invokers == [("us-east-1", 50.0)]
    assert emitted_metrics(capsys.readouterr().out) == {"TargetInvocations": 15, "TargetThrottles": 2}


def test_a_target_still_throttled_is_raised_by_the_name_measure_retries_after_the_other_batches_are_stored(
    run: TunerRun, deployment: Deployment
) -> None:
    (task,) = run.task_events(run.until("Measure", SWEEP))
    respond = deployment.world.invoker.respond

    def throttled_at_512(call: Invocation) -> Reply:
        if call.memory_mb == 512:
            raise TargetThrottledError("invoking orders: TooManyRequestsException after 5 attempts")
        return respond(call)

    deployment.world.invoker.respond = throttled_at_512
    with pytest.raises(TargetThrottledError) as raised:
        deployment.call(measure.handler, task)
    assert type(raised.value).__name__ in retried_errors(TUNER["MeasureBatches"])
    stored = deployment.world.measurements.load(EXECUTION)
    assert sorted((m.memory_mb, m.attempted) for m in stored) == [(256, 5), (1024, 5)], "the others ended and stayed"

    deployment.world.invoker.respond = respond  # Step Functions retries the whole task
    retried = deployment.call(measure.handler, task)
    assert [b["attempted"] for b in retried["batches"]] == [5, 5, 5]
    stored = deployment.world.measurements.load(EXECUTION)
    assert sorted((m.memory_mb, m.attempted) for m in stored) == [(256, 5), (512, 5), (1024, 5)], (
        "each batch overwrote its own key: nothing measured twice is counted twice"
    )


def test_measuring_past_the_run_deadline_fails_without_invoking(run: TunerRun, deployment: Deployment) -> None:
    (task,) = run.task_events(run.until("Measure", SWEEP))
    task["measure"]["deadlineEpochS"] = 1_000_000.0
    calls_before = len(deployment.world.invoker.calls)
    with pytest.raises(RunTimedOutError, match="passed its time limit"):
        deployment.call(measure.handler, task)
    assert RunTimedOutError.__name__ not in retried_errors(TUNER["MeasureBatches"])
    assert len(deployment.world.invoker.calls) == calls_before


@pytest.mark.parametrize("memory_mb", [128, 256, 1024])
def test_prepare_and_measure_bill_their_wall_time_at_their_own_memory(
    run: TunerRun, deployment: Deployment, memory_mb: int
) -> None:
    """What Lambda bills each step, for the run's own cost: its wall time at the memory its function has."""
    document = run.until("Prepare", SWEEP)
    prepared = deployment.call(prepare.handler, run.event("Prepare", document), memory_mb=memory_mb)
    (task,) = run.task_events(run.until("Measure", SWEEP))
    measured = deployment.call(measure.handler, task, memory_mb=memory_mb)

    for step in (prepared, measured):
        assert step["elapsedMs"] > 0
        assert step["gbSeconds"] == pytest.approx(step["elapsedMs"] / 1000 * memory_mb / 1024)

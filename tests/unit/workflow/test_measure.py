"""Measure: every REPORT read; the first real failure stops a size; the run's deadline is honoured; a task's
batches run at once, never more than maxConcurrency, and each is stored whatever happens to the others."""

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from autotuner.domain.measuring.lambda_logs import InvocationStatus
from autotuner.domain.run.documents import Plan
from autotuner.domain.run.naming import alias_name
from autotuner.domain.search.batching import Batch
from autotuner.workflow.invocation import ProcessorFailedError
from autotuner.workflow.measure import MeasureRequest, RunTimedOutError, measure_and_store, measure_batch
from tests.unit.workflow.memory_ports import (
    Invocation,
    MemoryFunction,
    Reply,
    Respond,
    cpu_bound,
    function_arn,
    raising,
)
from tests.unit.workflow.scenario import SWEEP, TARGET, World


def prepared_512(world: World, **tuning: object) -> tuple[Plan, Batch]:
    plan, round_ = world.planned({**SWEEP, "powerValues": [512], **tuning})
    world.prepare(plan, round_)
    world.invoker.calls.clear()  # the payload probe of Plan
    return plan, Batch(memory_mb=512, alias=alias_name(plan.run_id, 512), invocations=5, first_invocation=0)


def test_a_batch_reads_every_report_of_its_alias(world: World) -> None:
    plan, batch = prepared_512(world, sleepBetweenRunsMs=50)
    sleeps: list[float] = []

    measured = measure_batch(plan.measure, batch, world.invoker, world.payloads, sleep=sleeps.append)

    assert {call.function for call in world.invoker.calls} == {f"{TARGET}:{batch.alias}"}
    assert (measured.attempted, measured.failures, measured.stopped_early) == (5, [], False)
    assert measured.duration_ms == [800.0] * 5  # cpu_bound: 400 ms at 1024 MB
    assert measured.init_duration_ms == [250.0, None, None, None, None]  # the new version's first is cold
    assert sleeps == [0.05] * 4


def test_the_first_failure_stops_a_size(world: World) -> None:
    plan, batch = prepared_512(world)
    world.invoker.respond = raising("ValueError", "bad order", when=lambda _: len(world.invoker.calls) == 1)

    measured = measure_batch(plan.measure, batch, world.invoker, world.payloads)

    assert len(world.invoker.calls) == 2
    assert (measured.attempted, measured.stopped_early, len(measured.duration_ms)) == (2, True, 1)
    assert [(f.status, f.error_type, f.request_id) for f in measured.failures] == [
        (InvocationStatus.ERROR, "ValueError", "request-2")
    ]
    assert len(measured.failed_reports) == 1  # billed too


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (Reply(0.0, status=InvocationStatus.TIMEOUT), InvocationStatus.TIMEOUT),
        (
            Reply(
                90.0, error_type="Runtime.OutOfMemory", status=InvocationStatus.OUT_OF_MEMORY, max_memory_used_mb=512
            ),
            InvocationStatus.OUT_OF_MEMORY,
        ),
    ],
)
def test_timeouts_and_running_out_of_memory_fail_a_size_whatever_is_allowed(
    world: World, reply: Reply, status: InvocationStatus
) -> None:
    plan, batch = prepared_512(world, allowedExceptions=["Sandbox.Timedout", "Runtime.OutOfMemory"])
    world.invoker.respond = lambda _: reply
    measured = measure_batch(plan.measure, batch, world.invoker, world.payloads)
    assert (measured.attempted, measured.stopped_early) == (1, True)
    assert [f.status for f in measured.failures] == [status]


def test_an_allowed_exception_is_a_measurement(world: World) -> None:
    plan, batch = prepared_512(world, allowedExceptions=["NotFound"])
    world.invoker.respond = raising("NotFound", "no such order")
    measured = measure_batch(plan.measure, batch, world.invoker, world.payloads)
    assert (measured.attempted, measured.failures, len(measured.duration_ms)) == (5, [], 5)


def test_a_failure_on_the_last_invocation_does_not_count_as_stopping_early(world: World) -> None:
    plan, batch = prepared_512(world)
    world.invoker.respond = raising("ValueError", "late", when=lambda _: len(world.invoker.calls) == 4)
    measured = measure_batch(plan.measure, batch, world.invoker, world.payloads)
    assert (measured.attempted, measured.stopped_early, len(measured.failures)) == (5, False, 1)


def test_parallel_invocations_all_run_even_when_one_fails(world: World) -> None:
    plan, batch = prepared_512(world, parallelInvocation=True)
    started = itertools.count()  # atomic under the GIL: exactly one invocation is the first
    world.invoker.respond = raising("ValueError", "first", when=lambda _: next(started) == 0)
    measured = measure_batch(plan.measure, batch, world.invoker, world.payloads)
    assert (len(world.invoker.calls), measured.attempted, measured.stopped_early) == (5, 5, False)
    assert len(measured.failures) == 1
    assert len(measured.duration_ms) == 4


def test_a_passed_deadline_stops_before_invoking(world: World) -> None:
    plan, batch = prepared_512(world)
    late = plan.measure.model_copy(update={"deadline_epoch_s": time.time() - 1})
    with pytest.raises(RunTimedOutError, match="while measuring 512 MB; raise ExecutionTimeoutSeconds"):
        measure_batch(late, batch, world.invoker, world.payloads)
    assert world.invoker.calls == []


def test_weighted_payloads_follow_the_plans_schedule(world: World) -> None:
    payload = [{"payload": {"kind": "small"}, "weight": 4}, {"payload": {"kind": "large"}, "weight": 1}]
    plan, batch = prepared_512(world, payload=payload)
    measure_batch(plan.measure, batch, world.invoker, world.payloads)
    sent = [json.loads(call.payload)["kind"] for call in world.invoker.calls]
    assert plan.measure.payload_schedule is not None
    assert sent == [["small", "large"][i] for i in plan.measure.payload_schedule]


def test_a_payload_from_s3_and_a_pre_processor_shape_what_is_sent(world: World) -> None:
    world.payloads.objects["s3://payloads/order.json"] = {"order": 7}
    world.functions.add(MemoryFunction(function_arn("pre")))

    def respond(call: Invocation) -> Reply:
        if call.function == function_arn("pre"):
            return Reply(5.0, payload=json.dumps({"order": 7, "enriched": True}).encode())
        return cpu_bound()(call)

    world.invoker.respond = respond
    plan, batch = prepared_512(world, payloadS3="s3://payloads/order.json", preProcessorARN=function_arn("pre"))
    measure_batch(plan.measure, batch, world.invoker, world.payloads)
    assert [json.loads(c.payload) for c in world.invoker.targets("orders")] == [{"order": 7, "enriched": True}] * 5
    assert [json.loads(c.payload) for c in world.invoker.targets("pre")] == [{"order": 7}] * 5


def test_a_failing_post_processor_stops_the_run(world: World) -> None:
    world.functions.add(MemoryFunction(function_arn("post")))
    plan, batch = prepared_512(world, postProcessorARN=function_arn("post"))
    world.invoker.respond = raising("KeyError", "result", when=lambda call: call.function == function_arn("post"))
    with pytest.raises(
        ProcessorFailedError, match=r"postProcessorARN: .*:function:post raised KeyError; .*/aws/lambda/post$"
    ):
        measure_batch(plan.measure, batch, world.invoker, world.payloads)
    assert len(world.invoker.targets("orders")) == 1


def test_each_alias_runs_at_the_memory_prepare_published_behind_it(world: World) -> None:
    plan, round_ = world.planned()
    prepared = world.prepare(plan, round_)
    for alias in prepared.aliases:
        batch = Batch(memory_mb=alias.memory_mb, alias=alias.alias, invocations=1, first_invocation=0)
        measured = measure_batch(plan.measure, batch, world.invoker, world.payloads)
        assert measured.duration_ms == [400.0 * 1024 / alias.memory_mb]  # cpu_bound, at the alias's memory


@dataclass
class InFlight:
    """Counts the target's invocations under way at once; each lasts long enough for the others to start."""

    respond: Respond
    hold_s: float = 0.02
    now: int = 0
    most: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, call: Invocation) -> Reply:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(self.hold_s)
            return self.respond(call)
        finally:
            with self._lock:
                self.now -= 1


@contextmanager
def watched(world: World) -> Iterator[InFlight]:
    in_flight = InFlight(world.invoker.respond)
    world.invoker.respond = in_flight
    yield in_flight


def test_a_task_measures_its_batches_at_once_and_stores_each(world: World) -> None:
    plan, round_ = world.planned({**SWEEP, "num": 5})  # 256, 512 and the current 1024 MB: one task of three
    world.prepare(plan, round_)
    (batches,) = round_.tasks

    with watched(world) as in_flight:
        measured = measure_and_store(
            MeasureRequest(measure=plan.measure, batches=batches), world.invoker, world.payloads, world.measurements
        )

    assert in_flight.most == 3, "one invocation of each batch under way at once"
    assert [(b.memory_mb, b.attempted, b.failed) for b in measured.batches] == [(256, 5, 0), (512, 5, 0), (1024, 5, 0)]
    assert measured.elapsed_ms < sum(b.elapsed_ms for b in measured.batches), "billed once, for the longest"
    stored = world.measurements.load(plan.execution_id)
    assert sorted((m.memory_mb, m.attempted) for m in stored) == [(256, 5), (512, 5), (1024, 5)]


def test_a_task_never_has_more_than_max_concurrency_invocations_in_flight(world: World) -> None:
    plan, round_ = world.planned({**SWEEP, "maxConcurrency": 2})
    world.prepare(plan, round_)
    too_many = round_.batches  # three batches in one task, one more than the plan allows at once

    with watched(world) as in_flight:
        measured = measure_and_store(
            MeasureRequest(measure=plan.measure, batches=too_many), world.invoker, world.payloads, world.measurements
        )

    assert in_flight.most == 2
    assert [b.attempted for b in measured.batches] == [5, 5, 5]


def test_a_failing_batch_lets_the_others_end_and_raises_the_first_failure_in_the_tasks_order(world: World) -> None:
    plan, round_ = world.planned(SWEEP)
    world.prepare(plan, round_)
    (batches,) = round_.tasks
    normal = world.invoker.respond

    def respond(call: Invocation) -> Reply:
        if call.memory_mb == 512:
            raise ProcessorFailedError("preProcessorARN: pre raised KeyError")
        if call.memory_mb == 1024:
            raise RunTimedOutError("the run passed its time limit")
        return normal(call)

    world.invoker.respond = respond
    with pytest.raises(ProcessorFailedError):
        measure_and_store(
            MeasureRequest(measure=plan.measure, batches=batches), world.invoker, world.payloads, world.measurements
        )
    stored = world.measurements.load(plan.execution_id)
    assert [(m.memory_mb, m.attempted) for m in stored] == [(256, 5)], "the batch that ended is kept"

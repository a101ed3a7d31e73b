"""Measure: one task invokes its batches' aliases at once (one thread per batch), reads every REPORT, stops a
size's batch at its first real failure, and stores each batch's reports as that batch ends."""

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.errors import DomainError
from autotuner.domain.inputs.payload import S3Payload
from autotuner.domain.measuring.measurement import BatchMeasurement, MeasuredBatch, MeasuredTask, batch_key
from autotuner.domain.run.documents import MeasureSpec
from autotuner.domain.search.batching import Batch
from autotuner.workflow.invocation import InvocationOutcome, InvocationRunner, payload_for
from autotuner.workflow.ports import Invoker, MeasurementStore, PayloadSource


class RunTimedOutError(DomainError):
    """The run passed its time limit (the stack's ExecutionTimeoutSeconds) while measuring."""


class MeasureRequest(CamelModel):
    measure: MeasureSpec
    batches: list[Batch] = Field(min_length=1, description="one Measure task: batches measured at once")


def measure_and_store(
    request: MeasureRequest,
    invoker: Invoker,
    payloads: PayloadSource,
    store: MeasurementStore,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> MeasuredTask:
    """Measure the task's batches at once and keep each batch's reports in the run's storage as it ends; only
    their counts go back to the state.

    At most ``maxConcurrency`` batches run at once (the round planner gives a task no more, so the target sees
    no more invocations in flight than the Map's concurrency allowed when every batch was its own task). A batch
    that fails does not stop the others: they end and are stored, then the first failure (in the task's order)
    is raised and Step Functions retries the whole task, each batch overwriting its own key."""
    started = time.monotonic()
    spec = request.measure
    encoded = payloads_of(spec, payloads)
    runner = InvocationRunner.for_measuring(spec, invoker)

    def measure_one(batch: Batch) -> MeasuredBatch:
        measurement = _measure(spec, batch, runner, encoded, sleep)
        key = batch_key(batch.memory_mb, batch.alias, batch.first_invocation)
        store.save(spec.execution_id, key, measurement)
        return measurement.summary(key)

    if len(request.batches) == 1:
        summaries = [measure_one(request.batches[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(len(request.batches), spec.max_concurrency)) as pool:
            futures = [pool.submit(measure_one, batch) for batch in request.batches]
        summaries = _results(futures)
    return MeasuredTask(batches=summaries, elapsed_ms=(time.monotonic() - started) * 1000)


def _results(futures: list[Future[MeasuredBatch]]) -> list[MeasuredBatch]:
    """Every batch's summary once all have ended; the first failure, in the task's order, if any failed."""
    for future in futures:
        if (error := future.exception()) is not None:
            raise error
    return [future.result() for future in futures]


def measure_batch(
    spec: MeasureSpec,
    batch: Batch,
    invoker: Invoker,
    payloads: PayloadSource,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchMeasurement:
    """One batch on its own: its alias invoked ``batch.invocations`` times."""
    encoded = payloads_of(spec, payloads)
    return _measure(spec, batch, InvocationRunner.for_measuring(spec, invoker), encoded, sleep)


def payloads_of(spec: MeasureSpec, payloads: PayloadSource) -> list[str]:
    """The distinct encoded payloads: as Plan encoded them, or read from S3 (the source may keep what it read)."""
    if spec.payloads is not None:
        return spec.payloads
    assert spec.payload_s3 is not None, "Plan gives a Measure task its payloads or their S3 location"
    return S3Payload(spec.payload_s3).resolve(payloads.fetch).encoded()


def _measure(
    spec: MeasureSpec, batch: Batch, runner: InvocationRunner, encoded: list[str], sleep: Callable[[float], None]
) -> BatchMeasurement:
    started = time.monotonic()
    target = spec.function.qualified(batch.alias)
    indices = range(batch.first_invocation, batch.first_invocation + batch.invocations)
    measurement = BatchMeasurement(memory_mb=batch.memory_mb, alias=batch.alias, architecture=batch.architecture)

    def invoke(index: int) -> InvocationOutcome:
        _check_deadline(spec, batch)
        return runner.run(target, payload_for(encoded, spec.payload_schedule, index))

    if spec.parallel_invocation:
        with ThreadPoolExecutor(max_workers=len(indices)) as pool:
            outcomes = list(pool.map(invoke, indices))
        for outcome in outcomes:
            _record(measurement, outcome)
    else:
        for position, index in enumerate(indices):
            if position and spec.sleep_between_runs_ms:
                sleep(spec.sleep_between_runs_ms / 1000)
            if not _record(measurement, invoke(index)):
                measurement.stopped_early = position + 1 < len(indices)
                break
    measurement.elapsed_ms = (time.monotonic() - started) * 1000
    return measurement


def _check_deadline(spec: MeasureSpec, batch: Batch) -> None:
    if spec.deadline_epoch_s is not None and time.time() > spec.deadline_epoch_s:
        raise RunTimedOutError(
            f"the run passed its time limit (the stack's ExecutionTimeoutSeconds) while measuring {batch.memory_mb} MB;"
            " raise ExecutionTimeoutSeconds, or lower num or the number of sizes"
        )


def _record(measurement: BatchMeasurement, outcome: InvocationOutcome) -> bool:
    """Record one outcome; False when it is a failure that disqualifies the size."""
    if outcome.failure is None and outcome.report is not None:
        measurement.record(outcome.report)
        return True
    if outcome.failure is None:  # an allowed error without a report: nothing to measure, not a failure
        measurement.attempted += 1
        return True
    measurement.record_failure(outcome.failure, outcome.report)
    return False

"""Measure: invoke one alias a batch of times, read every REPORT, stop a size at its first real failure."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from autotuner.domain.batching import Batch
from autotuner.domain.camel import CamelModel
from autotuner.domain.errors import DomainError
from autotuner.domain.measurement import BatchMeasurement, MeasuredBatch, batch_key
from autotuner.domain.run import Plan
from autotuner.workflow.invocation import InvocationOutcome, InvocationRunner, payload_for
from autotuner.workflow.ports import Invoker, MeasurementStore, PayloadSource


class RunTimedOutError(DomainError):
    """The run passed its time limit (the stack's ExecutionTimeoutSeconds) while measuring."""


class MeasureRequest(CamelModel):
    plan: Plan
    batch: Batch


def measure_and_store(
    request: MeasureRequest,
    invoker: Invoker,
    payloads: PayloadSource,
    store: MeasurementStore,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> MeasuredBatch:
    """Measure the batch and keep its reports in the run's storage; only their counts go back to the state."""
    measurement = measure_batch(request, invoker, payloads, sleep=sleep)
    batch = request.batch
    key = batch_key(batch.memory_mb, batch.alias, batch.first_invocation)
    store.save(request.plan.execution_id, key, measurement)
    return measurement.summary(key)


def measure_batch(
    request: MeasureRequest,
    invoker: Invoker,
    payloads: PayloadSource,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchMeasurement:
    started = time.monotonic()
    plan, batch = request.plan, request.batch
    tuning = plan.tuning
    encoded = tuning.payload_model.resolve(payloads.fetch).encoded()
    runner = InvocationRunner.for_tuning(tuning, invoker)
    target = f"{plan.function_arn}:{batch.alias}"
    indices = range(batch.first_invocation, batch.first_invocation + batch.invocations)
    measurement = BatchMeasurement(memory_mb=batch.memory_mb, alias=batch.alias)

    def invoke(index: int) -> InvocationOutcome:
        _check_deadline(plan, batch)
        return runner.run(target, payload_for(encoded, plan.payload_schedule, index))

    if tuning.parallel_invocation:
        with ThreadPoolExecutor(max_workers=len(indices)) as pool:
            outcomes = list(pool.map(invoke, indices))
        for outcome in outcomes:
            _record(measurement, outcome)
    else:
        for position, index in enumerate(indices):
            if position and tuning.sleep_between_runs_ms:
                sleep(tuning.sleep_between_runs_ms / 1000)
            if not _record(measurement, invoke(index)):
                measurement.stopped_early = position + 1 < len(indices)
                break
    measurement.elapsed_ms = (time.monotonic() - started) * 1000
    return measurement


def _check_deadline(plan: Plan, batch: Batch) -> None:
    if plan.deadline_epoch_s is not None and time.time() > plan.deadline_epoch_s:
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

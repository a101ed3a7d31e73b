"""What one batch of a Measure task measures: the reports of its invocations, compactly, and the failures.

The reports never travel through Step Functions state (capped at 256 KB): Measure stores each batch's
measurement in the run's own table (as columns of numbers) and returns a ``MeasuredBatch`` of a fixed size per
batch; Analyze reads the stored batches back. So a run's state does not grow with its invocations.
"""

from typing import Self

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.target_text import shown_error_type, shown_request_id


class InvocationFailure(CamelModel):
    """How an invocation failed, in what the tuner may repeat of it (domain/measuring/target_text.py): never the
    target's message (measurements stored before it was dropped are read without it)."""

    status: InvocationStatus
    error_type: str | None = Field(default=None, description="the error type's class name, when it reads as one")
    request_id: str | None = Field(default=None, description="where the target's log holds its message")

    def describe(self) -> str:
        if self.status is InvocationStatus.TIMEOUT:
            return "timed out"
        if self.status is InvocationStatus.OUT_OF_MEMORY:
            return "ran out of memory"
        return f"raised {shown_error_type(self.error_type) or 'an error'}"


class MeasuredBatch(CamelModel):
    """What Measure returns through the state: a fixed handful of numbers, however many invocations it made."""

    key: str = Field(description="where the batch's measurement is stored, within the run")
    memory_mb: int
    attempted: int
    failed: int
    elapsed_ms: float


class MeasuredTask(CamelModel):
    """What one Measure task returns: each of its batches' summaries, and its own wall time (its batches run at
    once, so the task's Lambda is billed for this, not for the sum of theirs)."""

    batches: list[MeasuredBatch]
    elapsed_ms: float
    gb_seconds: float = Field(default=0.0, description="what Lambda bills the task: its wall time at its memory")


def batch_key(memory_mb: int, alias: str, first_invocation: int) -> str:
    """A batch's key within its run; the same for every retry of that batch, so a retry overwrites its own."""
    return f"{alias}#{memory_mb}#{first_invocation:06d}"


class BatchMeasurement(CamelModel):
    memory_mb: int
    alias: str
    architecture: Architecture | None = Field(default=None, description="its lane, in a run measuring more than one")
    attempted: int = 0
    duration_ms: list[float] = Field(default_factory=list)
    billed_duration_ms: list[int] = Field(default_factory=list)
    max_memory_used_mb: list[int] = Field(default_factory=list)
    init_duration_ms: list[float | None] = Field(default_factory=list)
    restore_duration_ms: list[float | None] = Field(default_factory=list)
    billed_restore_duration_ms: list[int | None] = Field(default_factory=list)
    failures: list[InvocationFailure] = Field(default_factory=list)
    failed_reports: list[InvocationReport] = Field(
        default_factory=list, description="reports of failed invocations, which are billed too"
    )
    stopped_early: bool = Field(default=False, description="a failure ended the batch before all invocations")
    elapsed_ms: float = Field(default=0.0, description="wall time of the measuring task itself")

    def record(self, report: InvocationReport) -> None:
        self.attempted += 1
        self.duration_ms.append(report.duration_ms)
        self.billed_duration_ms.append(report.billed_duration_ms)
        self.max_memory_used_mb.append(report.max_memory_used_mb)
        self.init_duration_ms.append(report.init_duration_ms)
        self.restore_duration_ms.append(report.restore_duration_ms)
        self.billed_restore_duration_ms.append(report.billed_restore_duration_ms)

    def record_failure(self, failure: InvocationFailure, report: InvocationReport | None) -> None:
        self.attempted += 1
        self.failures.append(failure)
        if report is not None:
            self.failed_reports.append(report)

    def summary(self, key: str) -> MeasuredBatch:
        return MeasuredBatch(
            key=key,
            memory_mb=self.memory_mb,
            attempted=self.attempted,
            failed=len(self.failures),
            elapsed_ms=self.elapsed_ms,
        )

    def reports(self) -> list[InvocationReport]:
        """The successful (or allowed-error) invocations, as reports again."""
        columns = zip(
            self.duration_ms,
            self.billed_duration_ms,
            self.max_memory_used_mb,
            self.init_duration_ms,
            self.restore_duration_ms,
            self.billed_restore_duration_ms,
            strict=True,
        )
        return [
            InvocationReport(
                request_id="",
                duration_ms=duration,
                billed_duration_ms=billed,
                memory_size_mb=self.memory_mb,
                max_memory_used_mb=max_memory,
                init_duration_ms=init,
                restore_duration_ms=restore,
                billed_restore_duration_ms=billed_restore,
            )
            for duration, billed, max_memory, init, restore, billed_restore in columns
        ]

    @classmethod
    def merge(cls, batches: list[Self]) -> Self:
        """One measurement of all ``batches`` (same memory size, same architecture)."""
        if not batches:
            raise ValueError("nothing to merge")
        sizes = {batch.memory_mb for batch in batches}
        if len(sizes) > 1:
            raise ValueError(f"cannot merge measurements of different sizes: {sorted(sizes)}")
        lanes = {batch.architecture for batch in batches}
        if len(lanes) > 1:
            raise ValueError(f"cannot merge measurements of different architectures: {sorted(map(str, lanes))}")
        return cls(
            memory_mb=batches[0].memory_mb,
            alias=batches[0].alias,
            architecture=batches[0].architecture,
            attempted=sum(b.attempted for b in batches),
            duration_ms=[v for b in batches for v in b.duration_ms],
            billed_duration_ms=[v for b in batches for v in b.billed_duration_ms],
            max_memory_used_mb=[v for b in batches for v in b.max_memory_used_mb],
            init_duration_ms=[v for b in batches for v in b.init_duration_ms],
            restore_duration_ms=[v for b in batches for v in b.restore_duration_ms],
            billed_restore_duration_ms=[v for b in batches for v in b.billed_restore_duration_ms],
            failures=[f for b in batches for f in b.failures],
            failed_reports=[r for b in batches for r in b.failed_reports],
            stopped_early=any(b.stopped_early for b in batches),
            elapsed_ms=sum(b.elapsed_ms for b in batches),
        )


def classify(report: InvocationReport | None, error_type: str | None, allowed: list[str]) -> InvocationFailure | None:
    """None when the invocation counts as a measurement; otherwise the failure to record.

    Timeouts and out-of-memory endings always fail the size. A function error counts as a measurement only if
    its type is in ``allowed`` (aws-lambda-power-tuning's allowedExceptions).
    """
    request_id = shown_request_id(report.request_id) if report is not None else None
    if report is not None and report.status in {InvocationStatus.TIMEOUT, InvocationStatus.OUT_OF_MEMORY}:
        return _failure(report.status, report.error_type or error_type, request_id)
    if error_type is None and (report is None or report.succeeded):
        return None
    if error_type is not None and error_type in allowed:
        return None
    if error_type is not None and "OutOfMemory" in error_type:
        return _failure(InvocationStatus.OUT_OF_MEMORY, error_type, request_id)
    if error_type is not None and "Timeout" in error_type:
        return _failure(InvocationStatus.TIMEOUT, error_type, request_id)
    return _failure(InvocationStatus.ERROR, error_type, request_id)


def _failure(status: InvocationStatus, error_type: str | None, request_id: str | None) -> InvocationFailure:
    return InvocationFailure(status=status, error_type=shown_error_type(error_type), request_id=request_id)

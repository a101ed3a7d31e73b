"""Production calls as a traffic run reads them back, for the traffic domain's tests."""

from collections.abc import Sequence

from autotuner.domain.costs.pricing import Architecture, prices_for_region
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.scoring import PricingContext, candidate_stats
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.measurement import BatchMeasurement, classify

PRICING = PricingContext(region="us-east-1", architecture=Architecture.X86_64, prices=prices_for_region("us-east-1"))


def call(
    memory: int,
    duration: float,
    *,
    status: InvocationStatus = InvocationStatus.SUCCESS,
    used: int = 100,
    init_ms: float | None = None,
    request_id: str = "req",
) -> InvocationReport:
    """One call's REPORT, billed as Lambda bills it (Duration rounded up to the millisecond)."""
    return InvocationReport(
        request_id=request_id,
        duration_ms=duration,
        billed_duration_ms=int(-(-duration // 1)),
        memory_size_mb=memory,
        max_memory_used_mb=used,
        init_duration_ms=init_ms,
        status=status,
    )


def measurement(memory: int, reports: Sequence[InvocationReport], *, alias: str = "") -> BatchMeasurement:
    """``reports`` stored as a window's slice is: the ones that failed as failures, with their reports."""
    batch = BatchMeasurement(memory_mb=memory, alias=alias or f"at-{memory}")
    for report in reports:
        failure = classify(report, None, [])
        if failure is None:
            batch.record(report)
        else:
            batch.record_failure(failure, report)
    return batch


def warm(memory: int, durations: Sequence[float], *, alias: str = "", used: int = 100) -> BatchMeasurement:
    return measurement(memory, [call(memory, d, used=used) for d in durations], alias=alias)


def stats(memory: int, durations: Sequence[float], *, used: int = 100) -> CandidateStats:
    return candidate_stats(warm(memory, durations, used=used), PRICING, trim_fraction=0.2, resamples=100)


def spread(centre: float, count: int, *, width: float = 0.05) -> list[float]:
    """``count`` durations evenly within ±``width`` (relative) of ``centre``."""
    if count == 1:
        return [centre]
    return [centre * (1 + width * (2 * i / (count - 1) - 1)) for i in range(count)]


def partly_parallel(memory: int) -> float:
    """20 ms of waiting, 80 ms of CPU at 1,024 MB, and memory pressure below 256 MB: GB-ms are lowest near 600 MB."""
    return 20 + 80 * 1024 / memory + 1000 * (128 / memory) ** 3

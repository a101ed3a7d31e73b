"""Sizes measured as Analyze scores them, for the advice's tests."""

from collections.abc import Sequence

from autotuner.domain.costs.pricing import Architecture, prices_for_region
from autotuner.domain.decision.candidate import CandidateStats
from autotuner.domain.decision.scoring import PricingContext, candidate_stats
from autotuner.domain.measuring.lambda_logs import InvocationReport
from autotuner.domain.measuring.measurement import BatchMeasurement

PRICES = prices_for_region("us-east-1")


def measured(
    memory: int,
    durations: Sequence[float],
    *,
    architecture: Architecture = Architecture.X86_64,
    init_ms: float | None = 400.0,
) -> CandidateStats:
    """``memory`` measured once per duration, the first call a cold start with ``init_ms`` of INIT."""
    batch = BatchMeasurement(memory_mb=memory, alias=f"at-m-{memory}")
    for i, duration in enumerate(durations):
        batch.record(
            InvocationReport(
                request_id=str(i),
                duration_ms=duration,
                billed_duration_ms=int(duration) + 1,
                memory_size_mb=memory,
                max_memory_used_mb=100,
                init_duration_ms=init_ms if i == 0 else None,
            )
        )
    pricing = PricingContext(region="us-east-1", architecture=architecture, prices=PRICES)
    return candidate_stats(batch, pricing, trim_fraction=0.2, resamples=200)

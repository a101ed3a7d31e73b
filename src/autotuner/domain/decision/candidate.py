"""What was measured at one memory size, and whether it may be chosen: the constraints a caller sets and the
reason a size is excluded."""

from pydantic import ConfigDict, Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.measuring.statistics import ConfidenceInterval, Summary


class Constraints(CamelModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_p95_duration_ms: float | None = Field(default=None, gt=0)
    max_cost_per_invocation: float | None = Field(default=None, gt=0)
    min_memory_headroom: float | None = Field(
        default=None, ge=0, lt=1, description="share of Memory Size that Max Memory Used must leave free"
    )
    max_slowdown: float | None = Field(
        default=None,
        ge=1,
        description="auto-apply refuses a choice whose p95 duration exceeds this multiple of the current "
        "configuration's (e.g. 1.5); the choice is still reported",
    )


class CandidateStats(CamelModel):
    """Everything measured at one memory size."""

    memory_mb: int
    invocations: int
    cold_starts: int = 0
    failures: int = 0
    failure_reason: str | None = None
    duration_ms: Summary | None = None
    duration_interval: ConfidenceInterval | None = None
    cost: Summary | None = None
    cost_interval: ConfidenceInterval | None = None
    max_memory_used_mb: int = 0
    mean_init_duration_ms: float | None = None
    total_cost: float = 0.0

    @property
    def warm_invocations(self) -> int:
        """Successful invocations that were not cold starts: the steady-state sample, unless there are none."""
        return max(0, self.invocations - self.failures - self.cold_starts)

    @property
    def cost_estimate(self) -> float:
        return self.cost.trimmed_mean if self.cost else float("inf")

    @property
    def duration_estimate(self) -> float:
        return self.duration_ms.trimmed_mean if self.duration_ms else float("inf")


class Exclusion(CamelModel):
    memory_mb: int
    reason: str


def exclusion_reason(candidate: CandidateStats, constraints: Constraints) -> str | None:
    """Why ``candidate`` cannot be chosen, or None when it can."""
    if candidate.failure_reason is not None:
        return f"failed: {candidate.failure_reason}"
    if candidate.duration_ms is None or candidate.cost is None:
        return "no successful invocation was measured"
    p95_limit = constraints.max_p95_duration_ms
    if p95_limit is not None and candidate.duration_ms.p95 > p95_limit:
        return f"p95 duration {candidate.duration_ms.p95:.0f} ms exceeds the maximum of {p95_limit:.0f} ms"
    cost_limit = constraints.max_cost_per_invocation
    if cost_limit is not None and candidate.cost_estimate > cost_limit:
        return f"cost {usd(candidate.cost_estimate)} per invocation exceeds the maximum of {usd(cost_limit)}"
    headroom_limit = constraints.min_memory_headroom
    if headroom_limit is not None:
        headroom = 1 - candidate.max_memory_used_mb / candidate.memory_mb
        if headroom < headroom_limit:
            return (
                f"memory headroom {headroom:.0%} ({candidate.max_memory_used_mb} of {candidate.memory_mb} MB used)"
                f" is below the minimum of {headroom_limit:.0%}"
            )
    return None

"""What was measured at one memory size, and whether it may be chosen: the constraints a caller sets and the
reason a size is excluded on its own figures (the margins, which read other sizes too, are in ``margins``)."""

from typing import Any

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.measuring.statistics import ConfidenceInterval, Summary

DEFAULT_MIN_MEMORY_HEADROOM = 0.10
DEFAULT_MAX_TIMEOUT_SHARE = 0.8
_DEFAULTS = {"min_memory_headroom": DEFAULT_MIN_MEMORY_HEADROOM, "max_timeout_share": DEFAULT_MAX_TIMEOUT_SHARE}


class Constraints(CamelModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    max_p95_duration_ms: float | None = Field(default=None, gt=0)
    max_cost_per_invocation: float | None = Field(default=None, gt=0)
    min_memory_headroom: float = Field(
        default=DEFAULT_MIN_MEMORY_HEADROOM,
        ge=0,
        lt=1,
        description="the memory margin: the share of a chosen size left free over the most memory used there or at "
        "a smaller size that worked, and how far above the largest size that ran out of memory it must be; 0 turns "
        "it off",
    )
    max_timeout_share: float = Field(
        default=DEFAULT_MAX_TIMEOUT_SHARE,
        gt=0,
        le=1,
        description="the timeout margin: the slowest call measured at a chosen size stays under this share of the "
        "function's timeout",
    )
    max_slowdown: float | None = Field(
        default=None,
        ge=1,
        description="auto-apply refuses a choice whose p95 duration exceeds this multiple of the current "
        "configuration's (e.g. 1.5); the choice is still reported",
    )

    @field_validator("min_memory_headroom", "max_timeout_share", mode="before")
    @classmethod
    def _null_is_the_default(cls, value: Any, info: ValidationInfo) -> Any:
        """A profile stored before the margins were on by default holds null here, which meant 'not set'."""
        if value is None:
            return _DEFAULTS[str(info.field_name)]
        return value


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
    out_of_memory: bool = Field(default=False, description="an invocation ran out of memory")
    slowest_duration_ms: float | None = Field(
        default=None, description="the slowest successful call, warm or cold (Duration, without INIT)"
    )
    mean_init_duration_ms: float | None = None
    total_cost: float = 0.0

    @property
    def calls(self) -> int:
        """Invocations that did not fail."""
        return max(0, self.invocations - self.failures)

    @property
    def slowest_call_ms(self) -> float | None:
        """The slowest call; for statistics stored before it was kept, the slowest in the steady-state sample."""
        if self.slowest_duration_ms is not None:
            return self.slowest_duration_ms
        return self.duration_ms.maximum if self.duration_ms else None

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
    return None

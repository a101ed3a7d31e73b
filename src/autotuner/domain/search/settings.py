"""How the adaptive search explores and when it stops (its settings from the input), and what a round plans."""

from pydantic import ConfigDict, Field, model_validator

from autotuner.domain.camel import CamelModel
from autotuner.domain.decision.evidence import EvidenceRule
from autotuner.domain.decision.selection import DEFAULT_NOISE_THRESHOLD
from autotuner.domain.inputs.memory_sizes import MAX_MEMORY_MB, MIN_MEMORY_MB
from autotuner.domain.inputs.tuning_input import TuningInput

# 60% of what the reference tool's default run invokes (6 sizes x 10): the search stops there unless told otherwise.
DEFAULT_MAX_INVOCATIONS = 36


class AdaptiveSettings(CamelModel):
    """How the adaptive search explores and when it stops."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    min_memory_mb: int = Field(default=MIN_MEMORY_MB, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)
    max_memory_mb: int = Field(default=MAX_MEMORY_MB, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)
    coarse_points: int = Field(default=7, ge=2, le=32, description="sizes in the first, log-spaced pass")
    initial_invocations: int = Field(
        default=2, ge=2, le=100, description="per new size; the first is a cold start, left out of the statistics"
    )
    step_invocations: int = Field(default=4, ge=1, le=100, description="added to an open rival per round")
    max_best_step: int = Field(default=10, ge=1, le=200, description="most invocations the best gets per round")
    min_best_samples: int = Field(default=6, ge=1, le=200, description="warm samples before the best is trusted")
    max_rivals: int = Field(default=3, ge=1, le=32, description="rivals topped up per round")
    boundary_probes: int = Field(
        default=5, ge=1, le=16, description="most sizes probed per round between a failure and the size that worked"
    )
    probe_invocations: int = Field(
        default=1, ge=1, le=100, description="per boundary probe: one invocation tells whether a size fails"
    )
    max_rounds: int = Field(default=5, ge=1, le=20)
    noise_threshold: float = Field(default=DEFAULT_NOISE_THRESHOLD, ge=0, le=0.5)
    max_invocations: int | None = Field(
        default=DEFAULT_MAX_INVOCATIONS, gt=0, description="cap on target invocations; None leaves only the rounds"
    )
    budget_usd: float | None = Field(default=None, gt=0, description="USD for target invocations, on estimates")
    include_sizes: list[int] = Field(default_factory=list, description="also measured in the first round")
    preflight_invocations: int = Field(
        default=0, ge=0, description="Plan's probe of the current configuration: counted against max_invocations"
    )
    confirm_invocations: int = Field(
        default=5, ge=2, le=100, description="for the cost curve's cheapest size when it was not measured"
    )
    min_optimum_samples: int = Field(default=4, ge=1, le=200, description="warm samples at the curve's optimum")
    timeout_ms: float | None = Field(default=None, gt=0, description="the function's timeout, for its margin")
    evidence: EvidenceRule = Field(
        default_factory=EvidenceRule, description="what the choice needs to be applied: measured up to it last"
    )

    @model_validator(mode="after")
    def _range_is_ordered(self) -> "AdaptiveSettings":
        if self.min_memory_mb > self.max_memory_mb:
            raise ValueError(f"minMemoryMb {self.min_memory_mb} exceeds maxMemoryMb {self.max_memory_mb}")
        return self

    def allows(self, memory_mb: int) -> bool:
        return self.min_memory_mb <= memory_mb <= self.max_memory_mb

    @classmethod
    def for_tuning(
        cls,
        tuning: TuningInput,
        *,
        current_memory_mb: int | None = None,
        preflight_invocations: int = 0,
        timeout_s: float | None = None,
        payload_schedule: list[int] | None = None,
    ) -> "AdaptiveSettings":
        """Settings for a parsed workflow input; the current memory is measured too when the input asks for it
        (the savings are computed against it). Plan's probe counts toward the invocation cap. ``timeout_s`` and
        ``payload_schedule``: the function's timeout and the plan's payloads, for the margins and the evidence."""
        include = [current_memory_mb] if tuning.include_current and current_memory_mb is not None else []
        return cls(
            max_memory_mb=tuning.max_memory_mb or MAX_MEMORY_MB,
            noise_threshold=tuning.noise_threshold,
            max_invocations=tuning.max_invocations or DEFAULT_MAX_INVOCATIONS,
            budget_usd=tuning.budget_usd,
            include_sizes=include,
            preflight_invocations=preflight_invocations,
            timeout_ms=timeout_s * 1000 if timeout_s else None,
            evidence=EvidenceRule(payload_schedule=payload_schedule, only_cold_starts=tuning.only_cold_starts),
        )

    @property
    def search_invocations(self) -> int | None:
        """What the rounds may spend: the cap less Plan's probe."""
        return None if self.max_invocations is None else max(0, self.max_invocations - self.preflight_invocations)


class SearchRound(CamelModel):
    """What the next round measures, what it lets go, and why."""

    add: dict[int, int] = Field(default_factory=dict, description="memory size -> invocations to add this round")
    retire: list[int] = Field(default_factory=list, description="sizes never measured again (delete their aliases)")
    complete: bool = False
    reason: str

    @property
    def invocations(self) -> int:
        return sum(self.add.values())

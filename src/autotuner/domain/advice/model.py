"""The output's ``advice``: one entry per setting, each what to set, why, and its monthly figure."""

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.inputs.portability import ArchitectureRefusal

MONTH_DAYS = 30


class AdviceEntry(CamelModel):
    """One piece of advice."""

    setting: str = Field(description="what to set, as the Lambda setting names it (or what to keep)")
    change: bool = Field(description="whether the advice is to change the setting")
    why: str = Field(description="why, in words, with the figures")
    monthly_usd: float | None = Field(
        description="what acting on it saves a month (negative: what it costs); null when no figure can be given"
    )
    monthly_basis: str = Field(description="what the monthly figure rests on, or why there is none")
    applied: bool = Field(default=False, description="this run applied it")


class ArchitectureAdvice(AdviceEntry):
    current: Architecture
    recommended: Architecture
    memory_mb: int | None = Field(default=None, description="the size chosen on the recommended architecture")
    saving_per_million: float | None = Field(default=None, description="USD per million invocations")
    saving_share: float | None = None
    refused: list[ArchitectureRefusal] = Field(default_factory=list, description="architectures that cannot switch")


class TimeoutAdvice(AdviceEntry):
    current_s: int
    recommended_s: int
    slowest_ms: float = Field(description="the slowest call measured at the chosen size (Duration, without INIT)")
    p99_ms: float | None = Field(default=None, description="the p99 of the chosen size's warm calls")
    baseline_ms: float | None = Field(default=None, description="the slowest call outside the run, scaled to it")
    baseline_source: str | None = None
    margin: float = Field(description="the recommended timeout is at least the tail times this")
    max_timeout_share: float = Field(description="and keeps the slowest call under this share of it")
    behind_api_gateway: bool | None = Field(default=None, description="None: the resource policy was not read")
    hung_call_usd_current: float = Field(description="what a call that hangs costs at the current timeout")
    hung_call_usd_recommended: float


class ProvisionedFigures(CamelModel):
    environments: int
    usd_per_month: float = Field(description="kept ready, plus the duration of the calls it serves")
    on_demand_usd_per_month: float = Field(description="the same calls on demand, their INIT included")
    utilisation: float = Field(description="average concurrency over the environments provisioned")
    break_even_utilisation: float


class ReservedFigures(CamelModel):
    account_limit: int
    account_limit_source: str
    unreserved: int | None = None
    reserved: int | None = Field(default=None, description="the function's reserved concurrency, if any")
    peak: float


class ConcurrencyAdvice(AdviceEntry):
    days: int
    invocations: int
    peak_concurrency: float
    average_concurrency: float
    cold_starts: int = Field(description="estimated from ConcurrentExecutions (Lambda publishes no cold-start metric)")
    cold_start_share: float
    init_ms: float | None = Field(default=None, description="INIT measured by the run at the chosen size")
    init_usd_per_month: float | None = None
    provisioned: ProvisionedFigures | None = None
    snap_start_supported: bool = False
    warmer_usd_per_month: float | None = None
    reserved: ReservedFigures | None = None


class Advice(CamelModel):
    architecture: ArchitectureAdvice | None = None
    timeout: TimeoutAdvice | None = None
    concurrency: ConcurrencyAdvice | None = None
    notes: list[str] = Field(default_factory=list, description="advice that could not be given, and why")

    def entries(self) -> list[AdviceEntry]:
        return [e for e in (self.architecture, self.timeout, self.concurrency) if e is not None]

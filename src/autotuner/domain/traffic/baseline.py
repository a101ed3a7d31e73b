"""The baseline a traffic run starts from: what the version the alias runs showed over its recent production calls
(their REPORT lines), whether that traffic can measure the candidates within the run's time, and the sizes its
figures leave to try."""

import math
from collections.abc import Sequence

from pydantic import Field, computed_field

from autotuner.domain.camel import CamelModel
from autotuner.domain.decision.candidate import CandidateStats, Constraints
from autotuner.domain.decision.margins import size_above, size_leaving_free
from autotuner.domain.inputs.memory_sizes import MIN_MEMORY_MB
from autotuner.domain.inputs.traffic import TrafficOptions
from autotuner.domain.measuring.lambda_logs import InvocationStatus
from autotuner.domain.measuring.log_events import LoggedCall
from autotuner.domain.measuring.statistics import Summary, summarize
from autotuner.domain.search.duration_model import vcpus

MIN_OBSERVED_S = 60.0  # a rate is not read off less than a minute of calls
HOUR_S = 3600.0


class ProductionFigures(CamelModel):
    """What one version's production calls showed over a stretch of time, from their REPORT lines."""

    version: str
    memory_mb: int
    since_epoch_s: float = Field(description="the start of the stretch read")
    until_epoch_s: float = Field(description="the end of what was read (earlier than asked when a read was capped)")
    first_call_epoch_s: float | None = None
    calls: int = 0
    cold_starts: int = 0
    errors: int = 0
    timeouts: int = 0
    out_of_memory: int = 0
    duration_ms: Summary | None = Field(default=None, description="warm calls, Duration without INIT")
    mean_billed_ms: float | None = None
    max_memory_used_mb: int = 0
    slowest_duration_ms: float | None = None
    unreadable: int = Field(default=0, description="REPORT lines that could not be read")
    capped: bool = Field(default=False, description="the read stopped at its cap before the end of the stretch")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def observed_hours(self) -> float:
        """From the first call seen (or the stretch's start) to the end of what was read."""
        start = max(self.since_epoch_s, self.first_call_epoch_s or self.since_epoch_s)
        return max(self.until_epoch_s - start, MIN_OBSERVED_S) / HOUR_S

    @computed_field  # type: ignore[prop-decorator]
    @property
    def calls_per_hour(self) -> float:
        return self.calls / self.observed_hours

    @property
    def failures(self) -> int:
        return self.errors + self.timeouts + self.out_of_memory

    def describe(self) -> str:
        if not self.calls:
            return f"no call of version {self.version} ({self.memory_mb} MB) in its logs"
        duration = self.duration_ms
        spread = f"median {duration.median:,.0f} ms, p95 {duration.p95:,.0f} ms" if duration else "no warm call"
        failed = f"{self.errors} errors, {self.timeouts} time-outs, {self.out_of_memory} out of memory"
        return (
            f"{self.calls:,} calls of version {self.version} ({self.memory_mb} MB) over {self.observed_hours:.1f} h "
            f"({self.calls_per_hour:,.0f} an hour): {spread}, {self.cold_starts / self.calls:.1%} cold starts, "
            f"at most {self.max_memory_used_mb} MB used, {failed}"
        )


def production_figures(
    calls: Sequence[LoggedCall],
    *,
    version: str,
    memory_mb: int,
    since_epoch_s: float,
    until_epoch_s: float,
    trim_fraction: float,
    unreadable: int = 0,
    capped: bool = False,
) -> ProductionFigures:
    reports = [c.report for c in calls]
    worked = [r for r in reports if r.succeeded]
    warm = [r.duration_ms for r in worked if not r.is_cold_start] or [r.duration_ms for r in worked]
    return ProductionFigures(
        version=version,
        memory_mb=memory_mb,
        since_epoch_s=since_epoch_s,
        until_epoch_s=until_epoch_s,
        first_call_epoch_s=min(c.timestamp_ms for c in calls) / 1000 if calls else None,
        calls=len(reports),
        cold_starts=sum(r.is_cold_start for r in reports),
        errors=sum(r.status is InvocationStatus.ERROR for r in reports),
        timeouts=sum(r.status is InvocationStatus.TIMEOUT for r in reports),
        out_of_memory=sum(r.status is InvocationStatus.OUT_OF_MEMORY for r in reports),
        duration_ms=summarize(warm, trim_fraction) if warm else None,
        mean_billed_ms=math.fsum(r.billed_duration_ms for r in reports) / len(reports) if reports else None,
        max_memory_used_mb=max((r.max_memory_used_mb for r in reports), default=0),
        slowest_duration_ms=max((r.duration_ms for r in worked), default=None),
        unreadable=unreadable,
        capped=capped,
    )


def hours_per_candidate(figures: ProductionFigures, options: TrafficOptions) -> float:
    """How long a candidate takes to get its calls at the alias's recent pace (infinite without calls)."""
    rate = figures.calls_per_hour * options.weight
    return options.invocations_per_size / rate if rate > 0 else math.inf


def too_little_traffic(figures: ProductionFigures, options: TrafficOptions, max_hours: float) -> str | None:
    """Why the alias's traffic cannot measure the candidates within ``max_hours``, with the figures; None when it
    can."""
    if figures.calls == 0:
        return (
            f"traffic: the logs hold no call of version {figures.version} over the last {options.baseline_hours:g} h; "
            "a traffic run needs production calls to measure (raise traffic.baselineHours if they are older)"
        )
    each = hours_per_candidate(figures, options)
    needed = each * options.max_candidates
    if needed <= max_hours:
        return None
    return (
        f"traffic: version {figures.version} served {figures.calls:,} calls over {figures.observed_hours:.1f} h "
        f"({figures.calls_per_hour:,.1f} an hour); at weight {options.weight:.0%} a candidate takes about "
        f"{each:,.1f} h to get its {options.invocations_per_size} calls, {needed:,.1f} h for up to "
        f"{options.max_candidates} candidates, more than the {max_hours:g} h the run may take; raise "
        "traffic.weight (at most 50%), lower traffic.invocationsPerSize or traffic.maxCandidates, or raise "
        "traffic.maxHours"
    )


def lowest_size(
    figures: ProductionFigures,
    constraints: Constraints,
    timeout_s: float,
    measured: Sequence[CandidateStats] = (),
) -> int:
    """The smallest size a candidate may have: the memory margin over the most memory a production call used, at the
    current size or any size measured (above the largest that ran out of memory, the current one included), and a
    size whose slowest call, were the function all parallel CPU work (the slowest a smaller size can get), stays
    under the timeout margin, judged from the smallest size that worked."""
    headroom = constraints.min_memory_headroom
    used = max([figures.max_memory_used_mb, *(c.max_memory_used_mb for c in measured if not c.out_of_memory)])
    memory = size_leaving_free(used, headroom) if headroom > 0 else MIN_MEMORY_MB
    ran_out = [c.memory_mb for c in measured if c.out_of_memory] + (
        [figures.memory_mb] if figures.out_of_memory else []
    )
    if ran_out:
        memory = max(memory, size_above(max(ran_out), headroom))
    floor = max(MIN_MEMORY_MB, memory)
    references = [(c.memory_mb, c.slowest_call_ms) for c in measured if c.failure_reason is None and c.slowest_call_ms]
    if figures.slowest_duration_ms is not None:
        references.append((figures.memory_mb, figures.slowest_duration_ms))
    if not references or timeout_s <= 0:
        return floor
    at_mb, slowest = min(references)
    allowed_ms = constraints.max_timeout_share * timeout_s * 1000
    return max(floor, slowest_safe_size(slowest, at_mb, allowed_ms))


def slowest_safe_size(slowest_ms: float, at_mb: int, allowed_ms: float) -> int:
    """The smallest size at which a call that took ``slowest_ms`` at ``at_mb`` still takes at most ``allowed_ms``, if
    its duration grows as its CPU share shrinks (the worst case for any function)."""
    if slowest_ms > allowed_ms:
        return at_mb + 1  # already over the margin at its own size: nothing smaller
    low, high = MIN_MEMORY_MB, at_mb
    while low < high:
        middle = (low + high) // 2
        if slowest_ms * vcpus(at_mb) / vcpus(middle) <= allowed_ms:
            high = middle
        else:
            low = middle + 1
    return low

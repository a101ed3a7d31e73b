"""What each candidate's window measured: both versions' calls over the same moments, the paired comparison of
the two, and every window's calls put on one footing for the decision.

Production's mix of calls drifts (hours of the day, campaigns, a slow dependency), so a candidate measured in one
window is never compared with another window's calls as they are: each window's calls are scaled by how the
current version ran in it against how it ran over every window (its trimmed mean duration over all windows over
its trimmed mean in that one), which leaves what the candidate's size changed."""

import math
import random
from collections import defaultdict
from collections.abc import Sequence

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.decision.scoring import PricingContext
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus
from autotuner.domain.measuring.measurement import BatchMeasurement, classify
from autotuner.domain.measuring.statistics import ConfidenceInterval, percentile, trimmed_mean
from autotuner.domain.traffic.window import LogReads, Tally, WindowEnd

CANDIDATE = "candidate"
CURRENT = "current"
CONFIDENCE = 0.95


def window_alias(number: int, role: str) -> str:
    """How a window's stored calls are labelled (``BatchMeasurement.alias``): its number and whose calls they are."""
    return f"window-{number}/{role}"


def window_of(alias: str) -> tuple[int, str] | None:
    if not alias.startswith("window-") or "/" not in alias:
        return None
    number, role = alias.removeprefix("window-").split("/", 1)
    return (int(number), role) if number.isdigit() else None


class PairedComparison(CamelModel):
    """A candidate against the current version over the same window: their warm calls' durations and costs."""

    candidate_calls: int
    current_calls: int
    candidate_mean_ms: float
    current_mean_ms: float
    candidate_p95_ms: float
    current_p95_ms: float
    candidate_cost: float = Field(description="mean USD per warm call")
    current_cost: float
    cost_ratio: float = Field(description="the candidate's trimmed mean cost over the current version's")
    cost_ratio_interval: ConfidenceInterval | None = Field(
        default=None, description="95% bootstrap interval of the ratio (both samples resampled)"
    )

    def describe(self) -> str:
        change = self.cost_ratio - 1
        interval = self.cost_ratio_interval
        band = f" (95% interval {interval.low - 1:+.1%} to {interval.high - 1:+.1%})" if interval else ""
        return (
            f"{change:+.1%} cost per call{band} against the current version over the same moments: "
            f"{self.candidate_mean_ms:,.1f} ms and {usd(self.candidate_cost)} a call over {self.candidate_calls} warm "
            f"calls, against {self.current_mean_ms:,.1f} ms and {usd(self.current_cost)} over {self.current_calls}"
        )


class Trial(CamelModel):
    """One candidate's window, as the output reports it."""

    number: int
    memory_mb: int
    version: str
    started_epoch_s: float
    ended_epoch_s: float = Field(description="both versions' calls were read up to here")
    checks: int
    ended: WindowEnd
    reason: str
    candidate: Tally
    current: Tally
    comparison: PairedComparison | None = None
    scale: float = Field(default=1.0, description="what the candidate's durations were scaled by for the decision")
    reads: LogReads = Field(default_factory=LogReads)


def by_window(measurements: Sequence[BatchMeasurement]) -> dict[int, dict[str, BatchMeasurement]]:
    """The stored calls of each window, merged per version (a window is stored a slice per check)."""
    slices: dict[tuple[int, str], list[BatchMeasurement]] = defaultdict(list)
    for measurement in measurements:
        found = window_of(measurement.alias)
        if found is not None:
            slices[found].append(measurement)
    windows: dict[int, dict[str, BatchMeasurement]] = defaultdict(dict)
    for (number, role), parts in sorted(slices.items()):
        windows[number][role] = BatchMeasurement.merge(parts)
    return dict(windows)


def warm_durations(measurement: BatchMeasurement) -> list[float]:
    return [r.duration_ms for r in measurement.reports() if not r.is_cold_start]


def paired_comparison(
    candidate: BatchMeasurement,
    current: BatchMeasurement,
    pricing: PricingContext,
    *,
    trim_fraction: float,
    seed: int,
    resamples: int = 400,
) -> PairedComparison | None:
    """None until both versions have a warm call in the window."""
    mine = [r for r in candidate.reports() if not r.is_cold_start]
    theirs = [r for r in current.reports() if not r.is_cold_start]
    if not mine or not theirs:
        return None
    my_costs, their_costs = [pricing.cost(r) for r in mine], [pricing.cost(r) for r in theirs]
    ratio = trimmed_mean(my_costs, trim_fraction) / trimmed_mean(their_costs, trim_fraction)
    return PairedComparison(
        candidate_calls=len(mine),
        current_calls=len(theirs),
        candidate_mean_ms=trimmed_mean([r.duration_ms for r in mine], trim_fraction),
        current_mean_ms=trimmed_mean([r.duration_ms for r in theirs], trim_fraction),
        candidate_p95_ms=percentile([r.duration_ms for r in mine], 95),
        current_p95_ms=percentile([r.duration_ms for r in theirs], 95),
        candidate_cost=math.fsum(my_costs) / len(my_costs),
        current_cost=math.fsum(their_costs) / len(their_costs),
        cost_ratio=ratio,
        cost_ratio_interval=_ratio_interval(my_costs, their_costs, trim_fraction, seed, resamples),
    )


def _ratio_interval(
    mine: list[float], theirs: list[float], trim_fraction: float, seed: int, resamples: int
) -> ConfidenceInterval | None:
    if len(mine) < 3 or len(theirs) < 3:
        return None
    rng = random.Random(seed)
    ratios = sorted(
        trimmed_mean(rng.choices(mine, k=len(mine)), trim_fraction)
        / trimmed_mean(rng.choices(theirs, k=len(theirs)), trim_fraction)
        for _ in range(resamples)
    )
    tail = (1 - CONFIDENCE) / 2 * 100
    return ConfidenceInterval(low=percentile(ratios, tail), high=percentile(ratios, 100 - tail), confidence=CONFIDENCE)


def on_one_footing(
    windows: dict[int, dict[str, BatchMeasurement]], *, trim_fraction: float
) -> tuple[list[BatchMeasurement], dict[int, float]]:
    """Every size's calls for the decision: the current version's over every window together, and each candidate's
    scaled by its window's drift (module docstring); and the scale each window got."""
    currents = [w[CURRENT] for w in windows.values() if CURRENT in w]
    current = BatchMeasurement.merge(currents) if currents else None
    overall = _typical(current, trim_fraction) if current is not None else None
    sizes: list[BatchMeasurement] = [current] if current is not None else []
    scales: dict[int, float] = {}
    for number, window in sorted(windows.items()):
        candidate = window.get(CANDIDATE)
        if candidate is None:
            continue
        here = _typical(window[CURRENT], trim_fraction) if CURRENT in window else None
        scale = overall / here if overall and here else 1.0
        scales[number] = scale
        sizes.append(scaled(candidate, scale))
    merged: dict[int, list[BatchMeasurement]] = defaultdict(list)
    for measurement in sizes:
        merged[measurement.memory_mb].append(measurement)
    return [BatchMeasurement.merge(parts) for _, parts in sorted(merged.items())], scales


def _typical(measurement: BatchMeasurement, trim_fraction: float) -> float | None:
    warm = warm_durations(measurement)
    return trimmed_mean(warm, trim_fraction) if warm else None


def scaled(measurement: BatchMeasurement, scale: float) -> BatchMeasurement:
    """``measurement`` with every successful call's duration times ``scale``, billed as Lambda would bill it."""
    if scale == 1.0:
        return measurement
    durations = [d * scale for d in measurement.duration_ms]
    billed = [
        b - math.ceil(d) + math.ceil(s) for b, d, s in zip(measurement.billed_duration_ms, measurement.duration_ms,
                                                           durations, strict=True)
    ]  # fmt: skip
    return measurement.model_copy(update={"duration_ms": durations, "billed_duration_ms": billed})


def slice_of(
    number: int, role: str, memory_mb: int, reports: Sequence[InvocationReport], *, keep: int, seed: str
) -> BatchMeasurement:
    """One check's calls of one version as stored: every call that failed (with its report: it is billed too), and
    at most ``keep`` of the rest drawn at random (a busy alias's current version can serve tens of thousands of
    calls between two checks; a random sample keeps their distribution, and an item of the measurements table holds
    400 KB)."""
    measurement = BatchMeasurement(memory_mb=memory_mb, alias=window_alias(number, role))
    ended = [(r, classify(r, None, [])) for r in reports]
    worked = [r for r, failure in ended if failure is None]
    if len(worked) > keep:
        worked = random.Random(seed).sample(worked, keep)
    for report in worked:
        measurement.record(report)
    for report, failure in ended:
        if failure is not None:
            measurement.record_failure(failure, report)
    return measurement


def for_decision(measurement: BatchMeasurement) -> BatchMeasurement:
    """A size's calls as the decision reads them. Production's errors and time-outs are the traffic's as much as the
    size's: the guard has held each candidate's rates against the current version's (and routed back a candidate
    whose were worse), so they no longer fail the size here; their reports stay, billed. Running out of memory
    still does: the memory margin reads it."""
    kept = [f for f in measurement.failures if f.status is InvocationStatus.OUT_OF_MEMORY]
    dropped = len(measurement.failures) - len(kept)
    return measurement.model_copy(update={"failures": kept, "attempted": measurement.attempted - dropped})

"""One candidate's window: the candidate version takes ``weight`` of the alias's calls while each check reads both
versions' calls over the same stretch of time. The guard routes the candidate's traffic back at the first sign it
is worse than the current version (an alarm, or its error, throttle, time-out or out-of-memory rate above the
current version's beyond chance); the window ends once the candidate has its calls, or the run's time is up.

The document's ``trafficCheck`` slot carries the window's counts only; the calls themselves are stored in the run's
measurements table, as Measure's are."""

import math
from collections.abc import Sequence
from enum import StrEnum

from pydantic import Field

from autotuner.domain.automation.canary import VersionFigures
from autotuner.domain.camel import CamelModel
from autotuner.domain.inputs.traffic import TrafficOptions
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus

MIN_WAIT_S = 10
SIGNIFICANCE = 0.01  # a candidate's failures are routed back on when chance explains them less than 1% of the time
PACE_MARGIN = 1.1  # a check is planned a little after the calls are expected


class Verdict(StrEnum):
    WATCHING = "watching"  # the window goes on: wait, then check again
    NEXT = "next"  # the window ended: route the next candidate
    DONE = "done"  # the search is over: decide, apply if asked


class WindowEnd(StrEnum):
    MEASURED = "measured"
    ROLLED_BACK = "rolled-back"
    OUT_OF_TIME = "out-of-time"


class Tally(CamelModel):
    """How one version's calls ended, counted."""

    calls: int = 0
    errors: int = 0
    timeouts: int = 0
    out_of_memory: int = 0

    def add(self, reports: Sequence[InvocationReport]) -> "Tally":
        return Tally(
            calls=self.calls + len(reports),
            errors=self.errors + sum(r.status is InvocationStatus.ERROR for r in reports),
            timeouts=self.timeouts + sum(r.status is InvocationStatus.TIMEOUT for r in reports),
            out_of_memory=self.out_of_memory + sum(r.status is InvocationStatus.OUT_OF_MEMORY for r in reports),
        )

    def plus(self, other: "Tally") -> "Tally":
        return Tally(
            calls=self.calls + other.calls,
            errors=self.errors + other.errors,
            timeouts=self.timeouts + other.timeouts,
            out_of_memory=self.out_of_memory + other.out_of_memory,
        )


class LogReads(CamelModel):
    """What reading the logs took: FilterLogEvents requests, the events they returned, and their bytes."""

    requests: int = 0
    events: int = 0
    bytes: int = 0

    def plus(self, requests: int, events: int, size: int) -> "LogReads":
        return LogReads(requests=self.requests + requests, events=self.events + events, bytes=self.bytes + size)


class TrafficWindow(CamelModel):
    number: int = Field(ge=1, description="the candidate's place in the run")
    memory_mb: int
    version: str = Field(description="the candidate version, published by the run")
    current_version: str
    started_epoch_s: float = Field(description="when the alias began routing to it")
    read_until_epoch_s: float = Field(description="both versions' calls are read up to here")
    checks: int = 0
    candidate: Tally = Field(default_factory=Tally)
    current: Tally = Field(default_factory=Tally)
    reads: LogReads = Field(default_factory=LogReads)
    route_gb_seconds: float = Field(
        default=0.0, description="what Lambda billed RouteCandidate (its wall time at its memory): the run's own cost"
    )


class TrafficCheck(CamelModel):
    """The document's ``trafficCheck`` slot: the window in progress (or the one that just ended), what comes
    next, and the figures that decided it."""

    verdict: Verdict
    reason: str
    next_memory_mb: int | None = Field(default=None, description="the candidate RouteCandidate publishes next")
    window: TrafficWindow | None = None
    ended: WindowEnd | None = Field(default=None, description="how the last window ended")
    wait_seconds: int = Field(default=MIN_WAIT_S, ge=1, description="the Wait before the next check")
    alarms_in_alarm: list[str] = Field(default_factory=list)


def judge(
    window: TrafficWindow,
    *,
    alarms: list[str],
    candidate_metrics: VersionFigures,
    current_metrics: VersionFigures,
    reference: Tally,
    options: TrafficOptions,
    now_s: float,
    deadline_s: float,
) -> tuple[WindowEnd | None, str]:
    """How the window ends now, and why; (None, why it goes on) while it does. ``reference``: the current version's
    calls the candidate is held against (its baseline and its calls in the window); the metrics add what REPORT
    lines do not show (throttled calls, errors of runtimes that do not report them)."""
    who = f"{window.memory_mb} MB (version {window.version})"
    if alarms:
        return WindowEnd.ROLLED_BACK, f"alarm {', '.join(alarms)} in ALARM while {who} took its share of the traffic"
    worse = _worse_than_current(window, candidate_metrics, current_metrics, reference, options.error_rate_tolerance)
    if worse is not None:
        return WindowEnd.ROLLED_BACK, f"{who}: {worse}"
    if window.candidate.calls >= options.invocations_per_size:
        return WindowEnd.MEASURED, f"{who} served {window.candidate.calls} production calls"
    if now_s >= deadline_s:
        return WindowEnd.OUT_OF_TIME, (
            f"the run reached its traffic.maxHours with {window.candidate.calls} of the "
            f"{options.invocations_per_size} calls {who} needed"
        )
    return (
        None,
        f"check {window.checks}: {window.candidate.calls} of {options.invocations_per_size} calls, no sign of harm",
    )


def _worse_than_current(
    window: TrafficWindow,
    candidate_metrics: VersionFigures,
    current_metrics: VersionFigures,
    reference: Tally,
    tolerance: float,
) -> str | None:
    """Running out of memory and timing out are held against the current version's own rate (no tolerance: each
    is a call that failed a user); errors and throttles against its rate plus the tolerance. Either only once
    chance no longer explains the difference."""
    mine = window.candidate
    calls = max(mine.calls, int(candidate_metrics.invocations))
    reference_calls = max(reference.calls, int(current_metrics.invocations), 1)
    errors = max(mine.errors, int(candidate_metrics.errors))
    kinds = (
        ("ran out of memory", mine.out_of_memory, reference.out_of_memory / reference_calls, 0.0),
        ("timed out", mine.timeouts, reference.timeouts / reference_calls, 0.0),
        ("raised an error", errors, max(reference.errors, int(current_metrics.errors)) / reference_calls, tolerance),
    )
    for what, count, base, allowed in kinds:
        if count and calls and significant(count, calls, min(1.0, base + allowed)):
            return (
                f"{count} of its {calls} calls {what} ({count / calls:.1%}), against {base:.2%} of the current "
                f"version's{f' and a tolerance of {allowed:.1%}' if allowed else ''}"
            )
    throttled = int(candidate_metrics.throttles)
    requests = calls + throttled
    base = current_metrics.throttle_rate
    if throttled and significant(throttled, requests, min(1.0, base + tolerance)):
        return f"{throttled} of its {requests} requests were throttled, against {base:.2%} of the current version's"
    return None


def significant(count: int, trials: int, rate: float) -> bool:
    """Whether ``count`` or more of ``trials`` would happen less than ``SIGNIFICANCE`` of the time at ``rate``."""
    return binomial_tail(count, trials, rate) < SIGNIFICANCE


def binomial_tail(count: int, trials: int, rate: float) -> float:
    """P(X >= count) for X ~ Binomial(trials, rate)."""
    if count <= 0:
        return 1.0
    if rate <= 0:
        return 0.0
    if rate >= 1 or count > trials:
        return 1.0 if rate >= 1 and count <= trials else 0.0
    below = math.fsum(math.exp(_log_pmf(k, trials, rate)) for k in range(count))
    return max(0.0, 1.0 - below)


def _log_pmf(k: int, n: int, p: float) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)


def wait_seconds(window: TrafficWindow, options: TrafficOptions, alias_calls_per_hour: float, now_s: float) -> int:
    """The pace of the checks: every ``checkEverySeconds``, or sooner when the candidate's remaining calls are
    expected sooner (at the pace it has shown, else the alias's pace times the weight); never under 10 s."""
    remaining = max(0, options.invocations_per_size - window.candidate.calls)
    elapsed = now_s - window.started_epoch_s
    per_second = (
        window.candidate.calls / elapsed
        if window.candidate.calls and elapsed > 0
        else alias_calls_per_hour * options.weight / 3600
    )
    expected = remaining / per_second * PACE_MARGIN if per_second > 0 else math.inf
    return max(MIN_WAIT_S, math.ceil(min(options.check_every_seconds, expected)))  # ceil(inf) would raise

"""What an alarm's own definition means for a re-tune: the constraint it adds, or why memory is not the answer.

- ``Duration`` (any statistic or percentile) with threshold T: the run keeps p95 under T x margin, so the new size
  does not fire the alarm again (a p95 under the threshold also keeps the average and lower percentiles under it).
- ``Errors``: memory helps only when invocations time out or run out of memory; the function's recent REPORT lines
  decide, and then the run keeps memory headroom.
- ``Throttles`` and anything else: concurrency or code, not memory; no run, and the skip says why.
"""

from pydantic import BaseModel, Field

from autotuner.domain.automation.alarms import LAMBDA_NAMESPACE, AlarmChange
from autotuner.domain.errors import DomainError
from autotuner.domain.measuring.lambda_logs import InvocationStatus, parse_log_tail

DEFAULT_DURATION_MARGIN = 0.8
FAILURE_HEADROOM = 0.2  # a share of memory left free, as minMemoryHeadroom
TIMEOUT_MARKER = "Task timed out after"


class AlarmMeaning(BaseModel):
    metric: str | None = Field(default=None, description="the Lambda metric that decides")
    constraints: dict[str, float] = Field(default_factory=dict, description="added to the profile's constraints")
    constraint: str | None = Field(default=None, description="the constraint, in words")
    needs_failure_evidence: bool = False
    skip_code: str | None = None
    skip_reason: str | None = None


class FailureCounts(BaseModel):
    reports: int = 0
    timeouts: int = 0
    out_of_memory: int = 0

    def describe(self) -> str:
        return (
            f"{self.timeouts} time-outs and {self.out_of_memory} out-of-memory endings in {self.reports} recent "
            "REPORT lines"
        )


def alarm_meaning(change: AlarmChange, *, duration_margin: float) -> AlarmMeaning:
    names = sorted({m.name for m in change.metrics if m.namespace == LAMBDA_NAMESPACE})
    if "Errors" in names:
        return AlarmMeaning(metric="Errors", needs_failure_evidence=True)
    if names == ["Duration"]:
        if change.threshold is None:
            reason = "watches Duration but its threshold could not be read; no constraint could keep it quiet"
            return AlarmMeaning(metric="Duration", skip_code="NoThreshold", skip_reason=reason)
        limit = round(change.threshold * duration_margin, 1)
        words = (
            f"maxP95DurationMs {limit:g} (the alarm's {change.statistic or 'Duration'} threshold "
            f"{change.threshold:g} ms x {duration_margin:g})"
        )
        return AlarmMeaning(metric="Duration", constraints={"maxP95DurationMs": limit}, constraint=words)
    if "Throttles" in names:
        reason = "watches Throttles: concurrency, not memory, decides throttling; memory left unchanged"
        return AlarmMeaning(metric="Throttles", skip_code="Throttles", skip_reason=reason)
    metric = ", ".join(names) or "no Lambda metric"
    reason = f"watches {metric}, which a memory size does not decide; memory left unchanged"
    return AlarmMeaning(metric=names[0] if names else None, skip_code="MetricNotMemory", skip_reason=reason)


def with_failure_evidence(meaning: AlarmMeaning, failures: FailureCounts) -> AlarmMeaning:
    """An Errors alarm re-tunes only when the function's recent invocations time out or run out of memory."""
    if not (failures.timeouts or failures.out_of_memory):
        reason = f"watches Errors, but the function's logs show {failures.describe()}; more memory would not help"
        return meaning.model_copy(update={"skip_code": "ErrorsNotMemory", "skip_reason": reason})
    words = f"minMemoryHeadroom {FAILURE_HEADROOM:g} (the logs show {failures.describe()})"
    return meaning.model_copy(update={"constraints": {"minMemoryHeadroom": FAILURE_HEADROOM}, "constraint": words})


def count_failures(messages: list[str]) -> FailureCounts:
    """Time-outs and out-of-memory endings in log events: REPORT lines (text or JSON platform.report) and the
    runtime's own time-out line, which older text REPORT lines do not repeat."""
    counts = FailureCounts()
    timeout_lines = 0
    for message in messages:
        if TIMEOUT_MARKER in message and "REPORT" not in message:
            timeout_lines += 1
            continue
        try:
            report = parse_log_tail(message)
        except DomainError:
            continue  # not a report: other log lines come through the filter too
        counts.reports += 1
        counts.timeouts += report.status is InvocationStatus.TIMEOUT
        counts.out_of_memory += report.status is InvocationStatus.OUT_OF_MEMORY
    counts.timeouts = max(counts.timeouts, timeout_lines)
    return counts


def merged_constraints(profile_constraints: object, added: dict[str, float]) -> dict[str, float]:
    """The profile's constraints with the alarm's; where both set one, the stricter holds."""
    merged = dict(profile_constraints) if isinstance(profile_constraints, dict) else {}
    for name, value in added.items():
        current = merged.get(name)
        if not isinstance(current, int | float):
            merged[name] = value
        elif name == "minMemoryHeadroom":
            merged[name] = max(float(current), value)
        else:
            merged[name] = min(float(current), value)
    return merged

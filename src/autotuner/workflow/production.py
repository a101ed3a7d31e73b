"""Reading a version's production calls over a stretch of time (shared by Plan, for the baseline, and by
CheckTraffic, for each window): the log read, and its events read back as calls."""

from dataclasses import dataclass

from autotuner.domain.measuring.log_events import LoggedCall, LogRead, VersionLogs, calls_from_events
from autotuner.workflow.ports import ProductionLogs


@dataclass(frozen=True)
class VersionCalls:
    calls: list[LoggedCall]
    unreadable: int
    read: LogRead

    @property
    def covered_until_s(self) -> float:
        return self.read.covered_until_ms / 1000


def version_calls(
    logs: ProductionLogs, where: VersionLogs, *, since_s: float, until_s: float, cap: int
) -> VersionCalls:
    read = logs.read(where, int(since_s * 1000), int(until_s * 1000), cap)
    logged = calls_from_events(read.events)
    return VersionCalls(calls=logged.calls, unreadable=logged.unreadable, read=read)

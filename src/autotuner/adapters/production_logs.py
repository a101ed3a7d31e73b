"""A version's production calls, read from its function's log group: FilterLogEvents over the version's streams
(``logStreamNamePrefix`` per day, see domain/measuring/log_events.py), paged, from the oldest event up to a cap.

FilterLogEvents has no charge of its own on CloudWatch's price list (Logs Insights queries are billed by the GB they
scan; this API is not): what a read costs is the time the tuner's Lambda spends on it, which the run's cost counts.
It is throttled at a few requests a second per account and region: botocore's adaptive retries pace it."""

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AccessDeniedError, AwsError, describe, is_code
from autotuner.domain.inputs.arn import FunctionRef
from autotuner.domain.measuring.log_events import LogEvent, LogRead, VersionLogs, report_filter, stream_prefixes

PAGE_EVENTS = 10_000  # FilterLogEvents' most per page


class CloudWatchProductionLogs:
    def __init__(self, logs: Any = None, *, clients: Callable[[str], Any] | None = None) -> None:
        """``logs``: a CloudWatch Logs client (the project pins no type stubs for it)."""
        self._logs = logs
        self._clients = clients or (lambda region: client("logs", region))

    def read(self, where: VersionLogs, since_ms: int, until_ms: int, cap: int) -> LogRead:
        """The endings of the version's calls logged in [since_ms, until_ms), oldest first, at most about ``cap``
        per stream prefix: a read that reaches it covers the stretch up to the last event it kept, and says so."""
        api = self._logs or self._clients(where.function.region)
        covered, events, requests, size = until_ms, [], 0, 0
        for prefix in stream_prefixes(where.version, since_ms / 1000, until_ms / 1000):
            if covered <= since_ms:
                break
            found, stopped_at, made = self._prefix(api, where, prefix, (since_ms, covered), cap)
            events += found
            requests += made
            size += sum(len(e.message.encode()) for e in found)
            if stopped_at is not None:
                covered = min(covered, stopped_at)
        kept = [e for e in events if e.timestamp_ms < covered]
        return LogRead(events=kept, covered_until_ms=covered, requests=requests, bytes=size)

    @staticmethod
    def _prefix(
        api: Any, where: VersionLogs, prefix: str, stretch: tuple[int, int], cap: int
    ) -> tuple[list[LogEvent], int | None, int]:
        """One prefix's events, and the timestamp the read stopped at when it reached ``cap`` (None: it read all)."""
        since_ms, until_ms = stretch
        arguments: dict[str, Any] = {
            "logGroupName": where.log_group,
            "logStreamNamePrefix": prefix,
            "startTime": since_ms,
            "endTime": until_ms - 1,  # endTime is inclusive; a stretch ends before until_ms
            "filterPattern": report_filter(where.log_format),
            "limit": PAGE_EVENTS,
        }
        events: list[LogEvent] = []
        requests = 0
        while True:
            try:
                page = api.filter_log_events(**arguments)
            except ClientError as error:
                if is_code(error, "ResourceNotFoundException"):
                    return events, None, requests + 1  # no such group (never invoked, or logging elsewhere)
                raise _error(error, where.function, where.log_group) from error
            requests += 1
            events += [
                LogEvent(timestamp_ms=int(e["timestamp"]), message=str(e.get("message", "")))
                for e in page.get("events", [])
            ]
            token = page.get("nextToken")
            if len(events) >= cap and token:
                last = max(e.timestamp_ms for e in events)
                if last > since_ms:  # events sharing the last millisecond are read again from there next time
                    return events, last, requests
            if not token:
                return events, None, requests
            arguments["nextToken"] = token


def _error(error: ClientError, function: FunctionRef, log_group: str) -> Exception:
    what = f"reading log group {log_group} of {function.name}"
    if is_code(error, *ACCESS_DENIED_CODES):
        return AccessDeniedError(
            f"{what}: access denied ({describe(error)}); the tuner reads only the log groups its "
            "TargetLogGroupArnPattern parameter names"
        )
    return AwsError(f"{what}: {describe(error)}")

"""Reading a function's calls back from its log group, as Lambda writes them there: one stream per execution
environment, named ``YYYY/MM/DD/[VERSION]<id>`` after the day (UTC) the environment started and the version it runs,
holding its START, END and REPORT lines (text format) or platform records (JSON format).

What is read of each call is its REPORT line (``lambda_logs`` parses both formats). In the text format a time-out is
also told by the runtime's ``<request id> Task timed out after N seconds`` line, which the REPORT line may not
repeat; the reading pairs them by request id.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from autotuner.domain.errors import MalformedReportError, ReportNotFoundError
from autotuner.domain.inputs.arn import FunctionRef
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus, parse_log_tail

TEXT = "Text"
JSON = "JSON"
# An environment lives for hours at most, so streams started the day before a window can still write into it.
LOOKBACK_DAYS = 1
_TIMED_OUT = re.compile(r"(?P<request>[0-9a-fA-F-]{8,})\s+Task timed out after [\d.]+ seconds")


def default_log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def report_filter(log_format: str) -> str:
    """The filter pattern that keeps a call's endings: REPORT lines and the runtime's time-out lines (text), or the
    platform.report records (JSON)."""
    if log_format.upper() == JSON.upper():
        return '{ $.type = "platform.report" }'
    return '?REPORT ?"Task timed out"'


def stream_prefixes(version: str, start_s: float, end_s: float) -> list[str]:
    """The stream name prefixes of ``version`` that can hold calls between two instants: one per day (UTC) from the
    day before ``start_s`` to the day of ``end_s``."""
    first = datetime.fromtimestamp(start_s, UTC).date() - timedelta(days=LOOKBACK_DAYS)
    last = datetime.fromtimestamp(max(start_s, end_s), UTC).date()
    days = (last - first).days
    return [f"{first + timedelta(days=n):%Y/%m/%d}/[{version}]" for n in range(days + 1)]


@dataclass(frozen=True)
class VersionLogs:
    """Where one version's calls are logged: its function's log group, in its format, under its streams."""

    function: FunctionRef
    log_group: str
    log_format: str
    version: str


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    message: str


@dataclass(frozen=True)
class LoggedCall:
    """One call as its log tells it, and when it ended."""

    timestamp_ms: int
    report: InvocationReport


@dataclass(frozen=True)
class LoggedCalls:
    calls: list[LoggedCall]
    unreadable: int  # REPORT lines or records that could not be read (left out, counted)


def calls_from_events(events: Sequence[LogEvent]) -> LoggedCalls:
    """Every call whose REPORT line or platform.report record is among ``events``, in time order; a text REPORT
    line whose request timed out (by the runtime's line) is read as a time-out."""
    timed_out = {m.group("request") for e in events if (m := _TIMED_OUT.search(e.message))}
    calls: list[LoggedCall] = []
    unreadable = 0
    for event in sorted(events, key=lambda e: e.timestamp_ms):
        if "REPORT" not in event.message and "platform.report" not in event.message:
            continue
        try:
            report = parse_log_tail(event.message)
        except ReportNotFoundError:
            continue  # a line that mentions the word, not a report
        except MalformedReportError:
            unreadable += 1
            continue
        if report.request_id in timed_out and report.status is InvocationStatus.SUCCESS:
            report = report.model_copy(update={"status": InvocationStatus.TIMEOUT})
        calls.append(LoggedCall(timestamp_ms=event.timestamp_ms, report=report))
    return LoggedCalls(calls=calls, unreadable=unreadable)


@dataclass(frozen=True)
class LogRead:
    """What one read of a version's log streams returned: its events up to ``covered_until_ms`` (a read that
    reached its cap covers less than it was asked for), and what reading them took."""

    events: list[LogEvent]
    covered_until_ms: int
    requests: int
    bytes: int

"""Reading a version's production calls back from its log group, against moto (with the emulator's FilterLogEvents,
which honours stream prefixes and the filter patterns as CloudWatch Logs does)."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from autotuner.adapters import production_logs
from autotuner.adapters.production_logs import CloudWatchProductionLogs
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.measuring.lambda_logs import InvocationReport, format_platform_report, format_report_line
from autotuner.domain.measuring.log_events import JSON, TEXT, VersionLogs, calls_from_events
from autotuner_local.runtime import InProcessRuntime

GROUP = "/aws/lambda/payments"
FUNCTION = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:payments:live")
# 06:00 to 07:00 UTC yesterday: one day's streams, within the two weeks CloudWatch Logs takes events from.
SINCE = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=1)
SINCE_MS = int(SINCE.timestamp() * 1000)
UNTIL_MS = SINCE_MS + 3_600_000


def stream(day: datetime, version: str, environment: str) -> str:
    return f"{day:%Y/%m/%d}/[{version}]{environment}"


def report(request_id: str, duration_ms: float, memory_mb: int = 512) -> InvocationReport:
    return InvocationReport(
        request_id=request_id, duration_ms=duration_ms, billed_duration_ms=int(duration_ms) + 1,
        memory_size_mb=memory_mb, max_memory_used_mb=90,
    )  # fmt: skip


def put_calls(name: str, calls: list[tuple[int, InvocationReport]], *, log_format: str = TEXT) -> None:
    """Each call's lines, as Lambda writes them, at ``offset_ms`` after SINCE."""
    logs = boto3.client("logs")
    logs.create_log_stream(logGroupName=GROUP, logStreamName=name)
    events = []
    for offset_ms, call in calls:
        at = SINCE_MS + offset_ms
        if log_format == JSON:
            start = {"time": "t", "type": "platform.start", "record": {"requestId": call.request_id}}
            lines = [json.dumps(start), format_platform_report(call, "t")]
        else:
            lines = [f"START RequestId: {call.request_id} Version: 7", f"END RequestId: {call.request_id}"]
            lines.append(format_report_line(call))
        events += [{"timestamp": at, "message": line} for line in lines]
    logs.put_log_events(logGroupName=GROUP, logStreamName=name, logEvents=events)


def version_7(log_format: str = TEXT) -> VersionLogs:
    return VersionLogs(function=FUNCTION, log_group=GROUP, log_format=log_format, version="7")


@pytest.fixture
def group(runtime: InProcessRuntime) -> str:
    boto3.client("logs").create_log_group(logGroupName=GROUP)
    return GROUP


def test_reads_the_version_s_report_lines_of_the_stretch_from_the_day_before_on(group: str) -> None:
    day_before, two_days_before = SINCE - timedelta(days=1), SINCE - timedelta(days=2)
    put_calls(stream(SINCE, "7", "a"), [(1_000, report("r-1", 100.0)), (5_000, report("r-3", 120.0))])
    put_calls(stream(day_before, "7", "b"), [(3_000, report("r-2", 110.0))])  # an environment started yesterday
    put_calls(stream(SINCE, "8", "c"), [(2_000, report("other-version", 50.0, memory_mb=1024))])
    put_calls(stream(two_days_before, "7", "d"), [(4_000, report("too-old-a-stream", 90.0))])
    put_calls(stream(SINCE, "7", "e"), [(-1, report("before", 90.0)), (3_600_000, report("at-the-end", 90.0))])

    read = CloudWatchProductionLogs().read(version_7(), SINCE_MS, UNTIL_MS, cap=1_000)

    calls = calls_from_events(read.events)
    assert [c.report.request_id for c in calls.calls] == ["r-1", "r-2", "r-3"]
    assert [c.report.duration_ms for c in calls.calls] == [100.0, 110.0, 120.0]
    assert all("REPORT" in e.message for e in read.events)  # START and END lines are filtered out
    assert read.covered_until_ms == UNTIL_MS
    assert read.requests == 2  # a page for each day's prefix
    assert read.bytes == sum(len(e.message.encode()) for e in read.events)


def test_reads_platform_reports_in_the_json_format(group: str) -> None:
    put_calls(stream(SINCE, "7", "a"), [(1_000, report("r-1", 100.0)), (2_000, report("r-2", 200.0))], log_format=JSON)

    read = CloudWatchProductionLogs().read(version_7(JSON), SINCE_MS, UNTIL_MS, cap=1_000)

    assert len(read.events) == 2
    assert [c.report.duration_ms for c in calls_from_events(read.events).calls] == [100.0, 200.0]


def test_a_read_that_reaches_its_cap_covers_up_to_its_last_whole_millisecond(
    group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(production_logs, "PAGE_EVENTS", 2)
    put_calls(stream(SINCE, "7", "a"), [(i * 1_000, report(f"r-{i}", 100.0 + i)) for i in range(1, 7)])

    read = CloudWatchProductionLogs().read(version_7(), SINCE_MS, UNTIL_MS, cap=3)

    # Two pages of two reached the cap: the stretch is covered up to the fourth call, which the next read takes.
    assert read.covered_until_ms == SINCE_MS + 4_000
    assert [c.report.request_id for c in calls_from_events(read.events).calls] == ["r-1", "r-2", "r-3"]
    assert read.requests == 3  # the day before's prefix, and two pages of today's

    rest = CloudWatchProductionLogs().read(version_7(), read.covered_until_ms, UNTIL_MS, cap=1_000)
    assert [c.report.request_id for c in calls_from_events(rest.events).calls] == ["r-4", "r-5", "r-6"]


def test_a_missing_log_group_reads_as_no_calls(runtime: InProcessRuntime) -> None:
    read = CloudWatchProductionLogs().read(version_7(), SINCE_MS, UNTIL_MS, cap=1_000)
    assert (read.events, read.covered_until_ms, read.requests) == ([], UNTIL_MS, 2)

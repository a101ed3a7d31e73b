"""Reading a version's calls back from its log group: the streams to read, the filter, and the calls the events
hold, in both log formats."""

import json
from datetime import UTC, datetime

import pytest

from autotuner.domain.measuring.lambda_logs import (
    InvocationReport,
    InvocationStatus,
    format_platform_report,
    format_report_line,
)
from autotuner.domain.measuring.log_events import (
    JSON,
    TEXT,
    LogEvent,
    calls_from_events,
    default_log_group,
    report_filter,
    stream_prefixes,
)

REQUEST = "6f0e9d8c-7b6a-4594-8372-61504f3e2d1c"
OTHER = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def epoch_s(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def report(request_id: str, duration_ms: float, **changes: object) -> InvocationReport:
    fields: dict[str, object] = {
        "request_id": request_id,
        "duration_ms": duration_ms,
        "billed_duration_ms": int(duration_ms) + 1,
        "memory_size_mb": 512,
        "max_memory_used_mb": 90,
        **changes,
    }
    return InvocationReport.model_validate(fields)


def test_streams_are_read_from_the_day_before_the_window_to_its_last_day() -> None:
    prefixes = stream_prefixes("7", epoch_s("2026-03-02T23:30:00"), epoch_s("2026-03-03T00:10:00"))
    assert prefixes == ["2026/03/01/[7]", "2026/03/02/[7]", "2026/03/03/[7]"]


def test_a_window_within_one_day_reads_that_day_and_the_day_before() -> None:
    prefixes = stream_prefixes("12", epoch_s("2026-03-01T08:00:00"), epoch_s("2026-03-01T09:00:00"))
    assert prefixes == ["2026/02/28/[12]", "2026/03/01/[12]"]


def test_a_window_ending_before_it_starts_still_reads_its_start_day() -> None:
    prefixes = stream_prefixes("3", epoch_s("2026-01-01T00:05:00"), epoch_s("2025-12-30T00:00:00"))
    assert prefixes == ["2025/12/31/[3]", "2026/01/01/[3]"]


def test_the_days_are_utc_days_whatever_the_instant_s_offset() -> None:
    # 2026-03-02T01:00 at UTC+05:00 is 2026-03-01T20:00 UTC: the first of March's streams hold it.
    start = datetime.fromisoformat("2026-03-02T01:00:00+05:00").timestamp()
    assert stream_prefixes("1", start, start) == ["2026/02/28/[1]", "2026/03/01/[1]"]


def test_the_filter_keeps_report_and_time_out_lines_or_platform_reports() -> None:
    assert report_filter(TEXT) == '?REPORT ?"Task timed out"'
    assert report_filter(JSON) == '{ $.type = "platform.report" }'
    assert report_filter("json") == report_filter(JSON)


def test_the_default_log_group_is_lambda_s() -> None:
    assert default_log_group("payments") == "/aws/lambda/payments"


def test_text_report_lines_become_calls_in_time_order() -> None:
    events = [
        LogEvent(2_000, format_report_line(report(OTHER, 80.5))),
        LogEvent(1_000, format_report_line(report(REQUEST, 120.25, init_duration_ms=300.0))),
        LogEvent(1_500, f"END RequestId: {REQUEST}"),
    ]
    read = calls_from_events(events)
    assert read.unreadable == 0
    assert [(c.timestamp_ms, c.report.request_id) for c in read.calls] == [(1_000, REQUEST), (2_000, OTHER)]
    first, second = (c.report for c in read.calls)
    assert (first.duration_ms, first.billed_duration_ms, first.is_cold_start) == (120.25, 121, True)
    assert (second.duration_ms, second.max_memory_used_mb, second.status) == (80.5, 90, InvocationStatus.SUCCESS)


def test_json_platform_reports_become_calls_and_other_records_are_passed_over() -> None:
    events = [
        LogEvent(5_000, format_platform_report(report(REQUEST, 250.0), "2026-03-02T10:15:05.000Z")),
        LogEvent(
            4_900,
            json.dumps(
                {"time": "2026-03-02T10:15:04.900Z", "type": "platform.runtimeDone", "record": {"requestId": REQUEST}}
            ),
        ),
        LogEvent(
            6_000,
            format_platform_report(report(OTHER, 3000.0, status=InvocationStatus.TIMEOUT), "2026-03-02T10:15:06.000Z"),
        ),
    ]
    read = calls_from_events(events)
    assert [(c.report.request_id, c.report.status) for c in read.calls] == [
        (REQUEST, InvocationStatus.SUCCESS),
        (OTHER, InvocationStatus.TIMEOUT),
    ]
    assert read.calls[0].report.duration_ms == 250.0
    assert read.unreadable == 0


def test_a_text_time_out_line_makes_its_own_request_s_report_a_time_out_and_no_other() -> None:
    events = [
        LogEvent(3_000, f"2026-03-02T10:20:03.021Z {REQUEST} Task timed out after 3.00 seconds\n"),
        LogEvent(3_001, format_report_line(report(REQUEST, 3000.0))),
        LogEvent(3_002, format_report_line(report(OTHER, 2999.0))),
    ]
    statuses = {c.report.request_id: c.report.status for c in calls_from_events(events).calls}
    assert statuses == {REQUEST: InvocationStatus.TIMEOUT, OTHER: InvocationStatus.SUCCESS}


def test_a_time_out_line_read_after_its_report_still_pairs_with_it() -> None:
    events = [
        LogEvent(3_001, format_report_line(report(REQUEST, 3000.0))),
        LogEvent(3_500, f"2026-03-02T10:20:03.021Z {REQUEST} Task timed out after 3.00 seconds"),
    ]
    [call] = calls_from_events(events).calls
    assert call.report.status is InvocationStatus.TIMEOUT


def test_an_error_report_is_not_turned_into_a_time_out() -> None:
    events = [
        LogEvent(1, f"{REQUEST} Task timed out after 3.00 seconds"),
        LogEvent(2, format_report_line(report(REQUEST, 10.0, status=InvocationStatus.ERROR, error_type="Boom"))),
    ]
    [call] = calls_from_events(events).calls
    assert call.report.status is InvocationStatus.ERROR


def test_an_unreadable_report_is_counted_and_left_out() -> None:
    events = [
        LogEvent(1, f"REPORT RequestId: {REQUEST}\tDuration: 12.00 ms\tBilled Duration: 13 ms"),
        LogEvent(2, '{"time":"x","type":"platform.report","record":{"requestId":"r","metrics":{"durationMs":1}}}'),
        LogEvent(3, format_report_line(report(OTHER, 40.0))),
    ]
    read = calls_from_events(events)
    assert read.unreadable == 2
    assert [c.report.request_id for c in read.calls] == [OTHER]


@pytest.mark.parametrize(
    "message",
    [
        "[INFO]\t2026-03-02T10:15:01.102Z\tabc\tbuilding the REPORT for March",
        '{"level":"INFO","message":"no platform.report here"}',
        "",
    ],
)
def test_a_line_that_only_mentions_a_report_is_neither_a_call_nor_unreadable(message: str) -> None:
    read = calls_from_events([LogEvent(1, message)])
    assert (read.calls, read.unreadable) == ([], 0)

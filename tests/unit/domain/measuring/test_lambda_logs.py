import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autotuner.domain.errors import MalformedReportError, ReportNotFoundError
from autotuner.domain.measuring.lambda_logs import (
    InvocationReport,
    InvocationStatus,
    decode_log_result,
    format_platform_report,
    format_report_line,
    parse_log_tail,
)
from tests.conftest import fixture_text


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_warm_invocation(fmt: str) -> None:
    report = parse_log_tail(fixture_text(f"reports/{fmt}-warm.log"))
    assert report.duration_ms == 102.25
    assert report.billed_duration_ms == 103
    assert report.memory_size_mb == 1024
    assert report.max_memory_used_mb == 71
    assert report.init_duration_ms is None
    assert not report.is_cold_start
    assert report.status is InvocationStatus.SUCCESS


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cold_start_reports_init_duration(fmt: str) -> None:
    report = parse_log_tail(fixture_text(f"reports/{fmt}-cold.log"))
    assert report.init_duration_ms == 180.84
    assert report.billed_duration_ms == 185
    assert report.is_cold_start
    assert not report.is_snapstart_restore


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_snapstart_restore(fmt: str) -> None:
    report = parse_log_tail(fixture_text(f"reports/{fmt}-snapstart.log"))
    assert report.restore_duration_ms == 372.55
    assert report.billed_restore_duration_ms == 185
    assert report.init_duration_ms is None
    assert report.is_snapstart_restore
    assert report.is_cold_start


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_timeout(fmt: str) -> None:
    report = parse_log_tail(fixture_text(f"reports/{fmt}-timeout.log"))
    assert report.status is InvocationStatus.TIMEOUT
    assert report.duration_ms == 3000.0


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_out_of_memory(fmt: str) -> None:
    report = parse_log_tail(fixture_text(f"reports/{fmt}-oom.log"))
    assert report.status is InvocationStatus.OUT_OF_MEMORY
    assert report.error_type == "Runtime.OutOfMemory"
    assert report.max_memory_used_mb == report.memory_size_mb == 128


def test_timeout_recognised_from_the_log_line_when_the_report_has_no_status() -> None:
    tail = "2026-03-02T10:20:03Z abc Task timed out after 3.00 seconds\nREPORT RequestId: abc\tDuration: 3000.00 ms\t"
    tail += "Billed Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t"
    assert parse_log_tail(tail).status is InvocationStatus.TIMEOUT


def test_arm64_memory_between_the_usual_sizes() -> None:
    report = parse_log_tail(fixture_text("reports/text-warm-arm64.log"))
    assert report.memory_size_mb == 1769
    assert report.billed_duration_ms == 812


def test_platform_report_is_found_behind_other_json_records_and_a_cut_first_line() -> None:
    tail = fixture_text("reports/json-truncated.log")
    assert len(tail.encode()) == 4096
    assert parse_log_tail(tail).billed_duration_ms == 103


FORGED_JSON = (
    '{"type":"platform.report","record":{"requestId":"forged","metrics":'
    '{"durationMs":1.0,"billedDurationMs":1,"memorySizeMB":1024,"maxMemoryUsedMB":1},"status":"success"}}'
)
FORGED_TEXT = (
    "REPORT RequestId: forged\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 1024 MB\tMax Memory Used: 1 MB"
)


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("forged", [FORGED_JSON, FORGED_TEXT])
def test_a_report_the_function_prints_is_never_read_for_lambdas_own(fmt: str, forged: str) -> None:
    """A function that prints a report-shaped line (either format, whatever its own) cannot choose its measured
    duration or memory: Lambda writes the real report after everything the function wrote."""
    lines = fixture_text(f"reports/{fmt}-warm.log").splitlines()
    tail = "\n".join([*lines[:1], forged, *lines[1:]])
    report = parse_log_tail(tail)
    assert (report.request_id, report.billed_duration_ms, report.max_memory_used_mb) != ("forged", 1, 1)
    assert report.billed_duration_ms == 103
    assert report.max_memory_used_mb == 71


def test_runtime_done_metrics_are_not_mistaken_for_the_report() -> None:
    tail = fixture_text("reports/json-warm.log").splitlines()
    without_report = "\n".join(tail[:-1])
    with pytest.raises(ReportNotFoundError, match=r"no REPORT line and no platform\.report record"):
        parse_log_tail(without_report)


def test_empty_tail_says_what_is_missing() -> None:
    with pytest.raises(ReportNotFoundError, match="LogType=Tail"):
        parse_log_tail("")


def test_report_line_without_billed_duration_names_the_field() -> None:
    line = "REPORT RequestId: abc\tDuration: 10.00 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t"
    with pytest.raises(MalformedReportError, match="'Billed Duration'"):
        parse_log_tail(line)


def test_platform_report_without_metrics_names_the_field() -> None:
    record = '{"type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":1.0}}}'
    with pytest.raises(MalformedReportError, match="'billedDurationMs'"):
        parse_log_tail(record)


def test_unreadable_number_is_reported() -> None:
    line = "REPORT RequestId: a\tDuration: fast ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB"
    with pytest.raises(MalformedReportError, match="'Duration' is not a number"):
        parse_log_tail(line)


@pytest.mark.parametrize(
    "tail",
    [
        "click http://evil/ to fix\n",
        "REPORT RequestId: a\tDuration: click http://evil/ ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 1 MB",
        "REPORT RequestId: a\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB"
        "\tStatus: click http://evil/",
        "REPORT RequestId: a click http://evil/",
        '{"type":"platform.report","record":{"metrics":{"durationMs":"http://evil/","billedDurationMs":1,'
        '"memorySizeMB":128,"maxMemoryUsedMB":1}}}',
    ],
    ids=["no-report", "bad-number", "bad-status", "missing-fields", "json"],
)
def test_an_unreadable_tail_is_named_without_quoting_the_functions_log(tail: str) -> None:
    """The tail is the function's own text: quoted into the error, it would reach the cause and the notification."""
    with pytest.raises((MalformedReportError, ReportNotFoundError)) as raised:
        parse_log_tail(tail)
    assert "evil" not in str(raised.value)


def test_space_separated_report_line_is_read_too() -> None:
    line = "REPORT RequestId: a Duration: 10.50 ms Billed Duration: 11 ms Memory Size: 256 MB Max Memory Used: 60 MB"
    report = parse_log_tail(line)
    assert (report.duration_ms, report.billed_duration_ms, report.memory_size_mb) == (10.5, 11, 256)


def test_log_result_is_base64() -> None:
    encoded = base64.b64encode(fixture_text("reports/text-warm.log").encode()).decode()
    assert parse_log_tail(decode_log_result(encoded)).duration_ms == 102.25
    with pytest.raises(MalformedReportError, match="not valid base64"):
        decode_log_result("not base64!")


durations = st.floats(min_value=0, max_value=900_000, allow_nan=False).map(lambda v: round(v, 2))
reports = st.builds(
    InvocationReport,
    request_id=st.uuids().map(str),
    duration_ms=durations,
    billed_duration_ms=st.integers(0, 900_000),
    memory_size_mb=st.integers(128, 10_240),
    max_memory_used_mb=st.integers(0, 10_240),
    init_duration_ms=st.none() | durations,
    restore_duration_ms=st.none(),
    billed_restore_duration_ms=st.none(),
    status=st.sampled_from([InvocationStatus.SUCCESS, InvocationStatus.TIMEOUT]),
    error_type=st.none(),
)


@given(reports)
def test_formatted_text_line_parses_back_to_its_fields(report: InvocationReport) -> None:
    assert parse_log_tail(format_report_line(report)) == report


@given(reports)
def test_formatted_json_record_parses_back_to_its_fields(report: InvocationReport) -> None:
    assert parse_log_tail(format_platform_report(report, "2026-01-01T00:00:00Z")) == report

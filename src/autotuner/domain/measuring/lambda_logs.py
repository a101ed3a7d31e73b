"""Reading what Lambda says about one invocation: the REPORT line (text logs) or platform.report (JSON logs).

``Invoke(LogType="Tail")`` returns the last 4 KB of the invocation's log, base64-encoded. The report is the last
thing Lambda writes, so it survives truncation; the first line of the tail may be cut and is ignored.

The tail is the function's own log, which it writes: an error here names what is missing or wrong, never quotes
the log (it would carry the function's text into a failure's cause and notification).
"""

import base64
import binascii
import json
import math
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from autotuner.domain.errors import MalformedReportError, ReportNotFoundError


class InvocationStatus(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"


class InvocationReport(BaseModel):
    """The platform's account of one invocation."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    request_id: str
    duration_ms: float = Field(ge=0)
    billed_duration_ms: int = Field(ge=0)
    memory_size_mb: int = Field(gt=0)
    max_memory_used_mb: int = Field(ge=0)
    init_duration_ms: float | None = Field(default=None, ge=0)
    restore_duration_ms: float | None = Field(default=None, ge=0)
    billed_restore_duration_ms: int | None = Field(default=None, ge=0)
    status: InvocationStatus = InvocationStatus.SUCCESS
    error_type: str | None = None

    @property
    def is_cold_start(self) -> bool:
        return self.init_duration_ms is not None or self.is_snapstart_restore

    @property
    def is_snapstart_restore(self) -> bool:
        return self.restore_duration_ms is not None

    @property
    def succeeded(self) -> bool:
        return self.status is InvocationStatus.SUCCESS


# Keys of the text REPORT line. Longer keys first where one ends with another ("Billed Duration", "Duration"),
# so the left-to-right scan consumes the whole key.
_TEXT_KEYS = (
    "RequestId",
    "Billed Restore Duration",
    "Restore Duration",
    "Billed Duration",
    "Init Duration",
    "Duration",
    "Memory Size",
    "Max Memory Used",
    "Status",
    "Error Type",
)
_KEY_ALTERNATION = "|".join(re.escape(key) for key in _TEXT_KEYS)
_TEXT_FIELD = re.compile(rf"({_KEY_ALTERNATION}):\s*(.*?)\s*(?=\t|\s+(?:{_KEY_ALTERNATION}):|$)")
_UNIT = re.compile(r"\s*(ms|MB)$")
_REQUIRED_TEXT_KEYS = ("Duration", "Billed Duration", "Memory Size", "Max Memory Used")
_TIMEOUT_MARKER = re.compile(r"Task timed out after [\d.]+ seconds")
_OUT_OF_MEMORY_MARKERS = ("Runtime.OutOfMemory", "MemoryError", "JavaScript heap out of memory")


def decode_log_result(log_result: str) -> str:
    """Decode the base64 ``LogResult`` of an Invoke response."""
    try:
        return base64.b64decode(log_result, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as error:
        raise MalformedReportError(f"LogResult is not valid base64: {error}") from error


def parse_log_tail(tail: str) -> InvocationReport:
    """Find the invocation's report in a log tail, in either log format: the last REPORT line or platform.report
    record. Lambda writes it after everything the function wrote, so a report-shaped line the function printed
    (in either format, whatever the function's own format) comes before it and is never read."""
    for line in reversed(tail.splitlines()):
        if line.startswith("REPORT "):
            return _report_from_text(line, tail)
        if (record := _platform_report(line)) is not None:
            return _report_from_record(record, tail)
    raise ReportNotFoundError(
        f"the log tail ({len(tail)} characters) holds no REPORT line and no platform.report record; "
        "was the function invoked synchronously with LogType=Tail?"
    )


def _platform_report(line: str) -> dict[str, Any] | None:
    candidate = line.strip()
    if not candidate.startswith("{"):
        return None
    try:
        parsed = json.loads(candidate)
    except json.JSONDecodeError:
        return None  # the first line of a 4 KB tail is often cut short
    return parsed if isinstance(parsed, dict) and parsed.get("type") == "platform.report" else None


def _report_from_text(line: str, tail: str) -> InvocationReport:
    fields = {key: _UNIT.sub("", value) for key, value in _TEXT_FIELD.findall(line)}
    missing = [key for key in _REQUIRED_TEXT_KEYS if key not in fields]
    if missing:
        raise MalformedReportError(f"the REPORT line lacks {', '.join(repr(k) for k in missing)}")
    error_type = fields.get("Error Type")
    where = "the REPORT line"
    memory_size = _integer(fields["Memory Size"], "Memory Size", where)
    max_memory = _integer(fields["Max Memory Used"], "Max Memory Used", where)
    return InvocationReport(
        request_id=fields.get("RequestId", ""),
        duration_ms=_number(fields["Duration"], "Duration", where),
        billed_duration_ms=_integer(fields["Billed Duration"], "Billed Duration", where),
        memory_size_mb=memory_size,
        max_memory_used_mb=max_memory,
        init_duration_ms=_optional_number(fields, "Init Duration", where),
        restore_duration_ms=_optional_number(fields, "Restore Duration", where),
        billed_restore_duration_ms=_optional_integer(fields, "Billed Restore Duration", where),
        status=_status(fields.get("Status"), error_type, tail, memory_size, max_memory),
        error_type=error_type,
    )


def _report_from_record(record: dict[str, Any], tail: str) -> InvocationReport:
    body = record.get("record")
    if not isinstance(body, dict):
        raise MalformedReportError("platform.report has no 'record' object")
    metrics = body.get("metrics")
    if not isinstance(metrics, dict):
        raise MalformedReportError("platform.report has no 'record.metrics' object")
    where = "platform.report record.metrics"
    missing = [k for k in ("durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB") if k not in metrics]
    if missing:
        raise MalformedReportError(f"{where} lacks {', '.join(repr(k) for k in missing)}")
    error_type = body.get("errorType")
    memory_size = _integer(metrics["memorySizeMB"], "memorySizeMB", where)
    max_memory = _integer(metrics["maxMemoryUsedMB"], "maxMemoryUsedMB", where)
    return InvocationReport(
        request_id=str(body.get("requestId", "")),
        duration_ms=_number(metrics["durationMs"], "durationMs", where),
        billed_duration_ms=_integer(metrics["billedDurationMs"], "billedDurationMs", where),
        memory_size_mb=memory_size,
        max_memory_used_mb=max_memory,
        init_duration_ms=_optional_number(metrics, "initDurationMs", where),
        restore_duration_ms=_optional_number(metrics, "restoreDurationMs", where),
        billed_restore_duration_ms=_optional_integer(metrics, "billedRestoreDurationMs", where),
        status=_status(body.get("status"), error_type, tail, memory_size, max_memory),
        error_type=error_type if isinstance(error_type, str) else None,
    )


def _status(
    declared: object, error_type: object, tail: str, memory_size_mb: int, max_memory_used_mb: int
) -> InvocationStatus:
    """The ending of an invocation, from the declared status and what the tail shows."""
    declared_text = str(declared or "").lower()
    out_of_memory = any(marker in str(error_type or "") for marker in _OUT_OF_MEMORY_MARKERS)
    if declared_text == "timeout" or _TIMEOUT_MARKER.search(tail):
        return InvocationStatus.TIMEOUT
    if out_of_memory or (declared_text in {"error", "failure"} and max_memory_used_mb >= memory_size_mb):
        return InvocationStatus.OUT_OF_MEMORY
    if any(marker in tail for marker in _OUT_OF_MEMORY_MARKERS) and max_memory_used_mb >= memory_size_mb:
        return InvocationStatus.OUT_OF_MEMORY
    if declared_text in {"error", "failure"}:
        return InvocationStatus.ERROR
    if declared_text in {"", "success"}:
        return InvocationStatus.SUCCESS
    raise MalformedReportError(f"the report's status ({len(declared_text)} characters) is not one Lambda writes")


def _number(raw: object, name: str, where: str) -> float:
    try:
        value = float(str(raw))
    except ValueError:
        raise MalformedReportError(f"{name!r} is not a number in {where}") from None
    if not math.isfinite(value) or value < 0:
        raise MalformedReportError(f"{name!r} must be a finite, non-negative number in {where} (got {value})")
    return value


def _integer(raw: object, name: str, where: str) -> int:
    value = _number(raw, name, where)
    if value != int(value):
        raise MalformedReportError(f"{name!r} must be a whole number in {where} (got {value})")
    return int(value)


def _optional_number(fields: dict[str, Any], name: str, where: str) -> float | None:
    return _number(fields[name], name, where) if fields.get(name) is not None else None


def _optional_integer(fields: dict[str, Any], name: str, where: str) -> int | None:
    return _integer(fields[name], name, where) if fields.get(name) is not None else None


def format_report_line(report: InvocationReport) -> str:
    """The text REPORT line Lambda would write for ``report`` (emulated targets and tests use it)."""
    parts = [
        f"REPORT RequestId: {report.request_id}",
        f"Duration: {report.duration_ms:.2f} ms",
        f"Billed Duration: {report.billed_duration_ms} ms",
        f"Memory Size: {report.memory_size_mb} MB",
        f"Max Memory Used: {report.max_memory_used_mb} MB",
    ]
    if report.init_duration_ms is not None:
        parts.append(f"Init Duration: {report.init_duration_ms:.2f} ms")
    if report.restore_duration_ms is not None:
        parts.append(f"Restore Duration: {report.restore_duration_ms:.2f} ms")
        parts.append(f"Billed Restore Duration: {report.billed_restore_duration_ms or 0} ms")
    if report.status is not InvocationStatus.SUCCESS:
        status = "timeout" if report.status is InvocationStatus.TIMEOUT else "error"
        parts.append(f"Status: {status}")
        if report.error_type:
            parts.append(f"Error Type: {report.error_type}")
    return "\t".join(parts) + "\t"


def format_platform_report(report: InvocationReport, time: str) -> str:
    """The JSON platform.report record Lambda would write for ``report`` in the JSON log format."""
    metrics: dict[str, float | int] = {
        "durationMs": report.duration_ms,
        "billedDurationMs": report.billed_duration_ms,
        "memorySizeMB": report.memory_size_mb,
        "maxMemoryUsedMB": report.max_memory_used_mb,
    }
    if report.init_duration_ms is not None:
        metrics["initDurationMs"] = report.init_duration_ms
    if report.restore_duration_ms is not None:
        metrics["restoreDurationMs"] = report.restore_duration_ms
        metrics["billedRestoreDurationMs"] = report.billed_restore_duration_ms or 0
    status = {
        InvocationStatus.SUCCESS: "success",
        InvocationStatus.TIMEOUT: "timeout",
        InvocationStatus.ERROR: "error",
        InvocationStatus.OUT_OF_MEMORY: "error",
    }[report.status]
    record: dict[str, Any] = {"requestId": report.request_id, "metrics": metrics, "status": status}
    if report.error_type:
        record["errorType"] = report.error_type
    return json.dumps({"time": time, "type": "platform.report", "record": record})

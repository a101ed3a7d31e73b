"""What Lambda does around an emulated invocation that moto does not: an alias's weighted routing, and the lines each
call writes into its function's log group.

- ``Invoke`` on an alias whose RoutingConfig gives another version a weight sends that share of the calls there (moto
  always runs the alias's main version).
- Every call of an emulated target writes START, END and REPORT lines (or, in the JSON log format, platform.start and
  platform.report records) into its function's log group (``/aws/lambda/<name>``, or the group its LoggingConfig
  names), under a stream per execution environment named ``YYYY/MM/DD/[VERSION]<id>``, as Lambda does. The function's
  LoggingConfig is the emulated target's AUTOTUNER_LOG_FORMAT and AUTOTUNER_LOG_GROUP variables (moto keeps none).
- FilterLogEvents honours ``logStreamNamePrefix`` (moto searches every stream) and always interleaves by time.
- A call of an emulated target through an alias that routes a weight to another version (a canary's, a traffic
  candidate's) publishes the AWS/Lambda metrics Lambda publishes by FunctionName, Resource (``name:alias``) and
  ExecutedVersion: Invocations, Errors and Duration, which a canary reads to judge the version it routes a share to.
  Lambda publishes them for every call, and by more dimension sets; here only what something reads is published:
  every call's datums made each later metric query of a deployment scan thousands more (the fault matrix ran 40%
  slower), and what tests put by FunctionName alone stays the only figure there.

moto's logs backend is not thread-safe: writes and filtered reads take one lock."""

import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.exceptions import JsonRESTError
from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.logs.models import logs_backends
from moto.logs.responses import LogsResponse

from autotuner.domain.inputs.arn import parse_function_reference
from autotuner.domain.measuring.lambda_logs import (
    InvocationReport,
    InvocationStatus,
    format_platform_report,
    format_report_line,
)
from autotuner.domain.measuring.log_events import default_log_group

LOG_FORMAT_VARIABLE = "AUTOTUNER_LOG_FORMAT"
LOG_GROUP_VARIABLE = "AUTOTUNER_LOG_GROUP"
WORKLOAD_VARIABLE = "AUTOTUNER_WORKLOAD"
LAMBDA_NAMESPACE = "AWS/Lambda"
# The alias the call being served was made through, when it routes a weight to another version, for its metrics.
INVOKED_ALIAS: ContextVar[str | None] = ContextVar("invoked_alias", default=None)


class LambdaLogs:
    """The log groups of emulated functions, and the routing of calls to an alias."""

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._routing = random.Random(f"{seed}:routing")

    @contextmanager
    def installed(self) -> Iterator["LambdaLogs"]:
        original_invoke = LambdaBackend.invoke
        original_configuration = LambdaFunction.get_configuration
        original_filter = LogsResponse.filter_log_events
        logs = self

        def invoke(backend: LambdaBackend, function_name: str, qualifier: str | None, *args: Any) -> Any:
            name, routed, weighted = logs.route(backend, function_name, qualifier)
            alias = INVOKED_ALIAS.set(weighted)
            try:
                return original_invoke(backend, name, routed, *args)
            finally:
                INVOKED_ALIAS.reset(alias)

        def get_configuration(function: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
            configuration = original_configuration(function, on_create)
            if WORKLOAD_VARIABLE in (function.environment_vars or {}):
                configuration["LoggingConfig"] = {
                    "LogFormat": log_format(function),
                    "LogGroup": log_group(function),
                }
            return configuration

        def filter_log_events(response: LogsResponse) -> Any:
            with logs._lock:
                return logs.filter(response, original_filter)

        with ExitStack() as patches:
            patches.enter_context(mock.patch.object(LambdaBackend, "invoke", invoke))
            patches.enter_context(mock.patch.object(LambdaFunction, "get_configuration", get_configuration))
            patches.enter_context(mock.patch.object(LogsResponse, "filter_log_events", filter_log_events))
            yield self

    def route(
        self, backend: LambdaBackend, function_name: str, qualifier: str | None
    ) -> tuple[str, str | None, str | None]:
        """The function and version a call to ``function_name`` (maybe ``name:alias``) runs, drawing by the alias's
        weights as Lambda does; and the alias when it routes a weight to another version (else None)."""
        try:
            reference = parse_function_reference(function_name)
        except ValueError:
            return function_name, qualifier, None
        alias = reference.qualifier or qualifier
        if alias is None or alias == "$LATEST" or alias.isdigit():
            return function_name, qualifier, None
        try:
            found = backend.get_alias(alias, reference.name)
        except JsonRESTError:
            return function_name, qualifier, None
        routing: Any = found.routing_config or {}  # moto keeps the request's RoutingConfig (typed as a str)
        weights = routing.get("AdditionalVersionWeights") or {}
        if not weights:
            return function_name, qualifier, None
        with self._lock:
            draw = self._routing.random()
        for version, weight in sorted(weights.items()):
            if draw < float(weight):
                return reference.unqualified, str(version), alias
            draw -= float(weight)
        return reference.unqualified, str(found.function_version), alias

    def write(self, function: LambdaFunction, environment_id: str, report: InvocationReport) -> None:
        """The call's lines, into its function's log group, under its execution environment's stream."""
        now = datetime.now(UTC)
        version = "$LATEST" if str(function.version).upper() == "$LATEST" else str(function.version)
        stream = f"{now:%Y/%m/%d}/[{version}]{environment_id}"
        group = log_group(function)
        millis = int(now.timestamp() * 1000)
        events = [{"timestamp": millis, "message": line} for line in _lines(report, version, log_format(function), now)]
        backend = logs_backends[str(function.account_id)][str(function.region)]
        with self._lock:
            if group not in backend.groups:
                backend.create_log_group(group, tags={})
            with suppress(ResourceAlreadyExistsException):
                backend.create_log_stream(group, stream)
            backend.put_log_events(group, stream, events)

    def publish_metrics(self, function: LambdaFunction, report: InvocationReport) -> None:
        """The call's Invocations, Errors and Duration by FunctionName, Resource and ExecutedVersion, when it came
        through an alias that routes a weight to another version (CloudWatch stamps them now)."""
        alias = INVOKED_ALIAS.get()
        if alias is None:
            return
        dimensions = [
            {"Name": "FunctionName", "Value": str(function.function_name)},
            {"Name": "Resource", "Value": f"{function.function_name}:{alias}"},
            {"Name": "ExecutedVersion", "Value": str(function.version)},
        ]
        failed = report.status is not InvocationStatus.SUCCESS
        data: list[dict[str, Any]] = [
            {"MetricName": "Invocations", "Value": 1, "Unit": "Count", "Dimensions": dimensions},
            {"MetricName": "Errors", "Value": int(failed), "Unit": "Count", "Dimensions": dimensions},
            {"MetricName": "Duration", "Value": report.duration_ms, "Unit": "Milliseconds", "Dimensions": dimensions},
        ]
        cloudwatch_backends[str(function.account_id)][str(function.region)].put_metric_data(LAMBDA_NAMESPACE, data)

    def filter(self, response: LogsResponse, original: Callable[[LogsResponse], Any]) -> Any:
        """FilterLogEvents as CloudWatch Logs answers it: the streams a prefix names (or all), the events of the time
        range that match the pattern, interleaved by time, paged."""
        group_name = response._get_param("logGroupName")
        group = response.logs_backend.groups.get(group_name)
        names = response._get_param("logStreamNames") or []
        prefix = response._get_param("logStreamNamePrefix")
        if group is None or (names and prefix is not None):
            return original(response)  # moto's ResourceNotFoundException, or its refusal of both
        streams = [n for n in group.streams if (n in names if names else n.startswith(prefix or ""))]
        start, end = response._get_param("startTime"), response._get_param("endTime")
        matches = pattern_matcher(response._get_param("filterPattern") or "")
        found = sorted(
            (event.timestamp, event.event_id, name, event.message)
            for name in streams
            for event in list(group.streams[name].events)
            if (start is None or event.timestamp >= start) and (end is None or event.timestamp <= end)
            and matches(event.message)
        )  # fmt: skip
        first = int(response._get_param("nextToken") or 0)
        last = first + int(response._get_param("limit") or 10_000)
        page = [
            {"logStreamName": name, "timestamp": timestamp, "message": message, "eventId": str(event_id),
             "ingestionTime": timestamp}
            for timestamp, event_id, name, message in found[first:last]
        ]  # fmt: skip
        token = str(last) if last < len(found) else None
        searched = [{"logStreamName": name, "searchedCompletely": True} for name in streams]
        return json.dumps({"events": page, "nextToken": token, "searchedLogStreams": searched})


def pattern_matcher(pattern: str) -> Callable[[str], bool]:
    """The filter patterns a traffic run uses, as CloudWatch Logs reads them: terms (``REPORT``, ``"a phrase"``), any
    of several (``?REPORT ?"Task timed out"``), a JSON field's value (``{ $.type = "platform.report" }``); an empty
    pattern matches everything."""
    pattern = pattern.strip()
    json_field = re.fullmatch(r'\{\s*\$\.(\w+)\s*=\s*"([^"]*)"\s*\}', pattern)
    if json_field:
        key, value = json_field.groups()

        def field_is(message: str) -> bool:
            try:
                parsed = json.loads(message)
            except json.JSONDecodeError:
                return False
            return isinstance(parsed, dict) and parsed.get(key) == value

        return field_is
    terms = [t.strip('"') for t in re.findall(r'\??("[^"]*"|\S+)', pattern)]
    if pattern.startswith("?"):
        return lambda message: any(term in message for term in terms)
    return lambda message: all(term in message for term in terms)


def log_format(function: LambdaFunction) -> str:
    return str((function.environment_vars or {}).get(LOG_FORMAT_VARIABLE, "Text"))


def log_group(function: LambdaFunction) -> str:
    return str((function.environment_vars or {}).get(LOG_GROUP_VARIABLE) or default_log_group(function.function_name))


def _lines(report: InvocationReport, version: str, form: str, now: datetime) -> list[str]:
    if form.upper() == "JSON":
        time = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        start = {"time": time, "type": "platform.start", "record": {"requestId": report.request_id, "version": version}}
        return [json.dumps(start), format_platform_report(report, time)]
    lines = [f"START RequestId: {report.request_id} Version: {version}"]
    if report.status.value == "timeout":
        lines.append(
            f"{now.isoformat()} {report.request_id} Task timed out after {report.duration_ms / 1000:.2f} seconds"
        )
    return [*lines, f"END RequestId: {report.request_id}", format_report_line(report)]

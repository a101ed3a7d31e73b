"""CloudWatch reads for canaries and alarm re-tuning: the alarms the stack watches, each version's metrics behind
an alias (Lambda publishes them with the ExecutedVersion dimension), and one alarm as CloudWatch holds it (what
re-tuning believes, never a message's copy of it)."""

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.discovery import alarm_tags
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AccessDeniedError, AwsError, describe, is_code
from autotuner.domain.automation.alarms import (
    LAMBDA_NAMESPACE,
    AlarmDefinition,
    alarm_definition,
    composite_alarm_definition,
    opted_in,
    watches_function,
)
from autotuner.domain.automation.canary import VersionFigures
from autotuner.domain.inputs.arn import FunctionRef

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

MINUTE_S = 60
LATE_DATAPOINTS_S = 60  # Lambda's metrics arrive up to a minute late; the window reaches past now to take them


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CloudWatchAlarms:
    """The stack's alarms (by name prefix or tag, as re-tuning) and the metrics of versions behind an alias."""

    def __init__(
        self,
        *,
        name_prefix: str,
        tag_key: str,
        cloudwatch: "CloudWatchClient | None" = None,
        tags_of: Callable[[str], dict[str, str]] = alarm_tags,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._name_prefix = name_prefix
        self._tag_key = tag_key
        self._cloudwatch = cloudwatch
        self._tags_of = tags_of
        self._now = now

    def alarms_in_alarm(self, function: FunctionRef) -> list[str]:
        """The names of the opted-in alarms on ``function`` that are in ALARM now."""
        prefix = self._name_prefix if self._name_prefix and not self._tag_key else None
        firing = [a for a in self._describe(function, state="ALARM", prefix=prefix)
                  if watches_function(a, function.unqualified)]  # fmt: skip
        return sorted(alarm.name for alarm in firing if self._opted_in(alarm))

    def _opted_in(self, alarm: AlarmDefinition) -> bool:
        tags = self._tags_of(alarm.arn) if self._tag_key else None
        return opted_in(alarm.name, tags, name_prefix=self._name_prefix, tag_key=self._tag_key)

    def alarm(self, name: str) -> AlarmDefinition | None:
        """The alarm of this name in this account and region, metric or composite, as CloudWatch holds it now;
        None when there is none. (Composite alarms are listed only to a DescribeAlarms grant on "*".)"""
        try:
            found = self._api(None).describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        except ClientError as error:
            raise _error(error, f"reading alarm {name}") from error
        alarms = [alarm_definition(dict(a)) for a in found.get("MetricAlarms", [])]
        alarms += [composite_alarm_definition(dict(a)) for a in found.get("CompositeAlarms", [])]
        return next((alarm for alarm in alarms if alarm.name == name), None)

    def tags(self, alarm_arn: str) -> dict[str, str]:
        return self._tags_of(alarm_arn)

    def version_figures(self, function: FunctionRef, alias: str, version: str, since_epoch_s: float) -> VersionFigures:
        end = self._now()
        start = datetime.fromtimestamp(math.floor(since_epoch_s / MINUTE_S) * MINUTE_S, UTC)
        period = max(MINUTE_S, math.ceil(((end - start).total_seconds() + LATE_DATAPOINTS_S) / MINUTE_S) * MINUTE_S)
        dimensions: list[DimensionTypeDef] = [
            {"Name": "FunctionName", "Value": function.name},
            {"Name": "Resource", "Value": f"{function.name}:{alias}"},
            {"Name": "ExecutedVersion", "Value": version},
        ]

        def read(metric: str, **statistics: Any) -> list[dict[str, Any]]:
            try:
                response = self._api(function.region).get_metric_statistics(
                    Namespace=LAMBDA_NAMESPACE, MetricName=metric, Dimensions=dimensions, StartTime=start,
                    EndTime=start + timedelta(seconds=period), Period=period, **statistics,
                )  # fmt: skip
            except ClientError as error:
                raise _error(error, f"reading {metric} of {function.name} version {version}") from error
            return [dict(point) for point in response["Datapoints"]]

        def total(metric: str) -> float:
            return sum(float(point.get("Sum", 0.0)) for point in read(metric, Statistics=["Sum"]))

        p95 = [float(p["ExtendedStatistics"]["p95"]) for p in read("Duration", ExtendedStatistics=["p95"])
               if "p95" in p.get("ExtendedStatistics", {})]  # fmt: skip
        return VersionFigures(version=version, invocations=total("Invocations"), errors=total("Errors"),
                              throttles=total("Throttles"), p95_duration_ms=max(p95, default=None))  # fmt: skip

    def _describe(self, function: FunctionRef, *, state: str, prefix: str | None) -> list[AlarmDefinition]:
        api = self._api(function.region)
        arguments: dict[str, Any] = {"StateValue": state, "AlarmTypes": ["MetricAlarm"]}
        if prefix:
            arguments["AlarmNamePrefix"] = prefix
        try:
            pages = api.get_paginator("describe_alarms").paginate(**arguments)
            found = [alarm_definition(dict(alarm)) for page in pages for alarm in page["MetricAlarms"]]
        except ClientError as error:
            raise _error(error, f"listing the alarms of {function.name}") from error
        return [alarm for alarm in found if alarm.state == state]  # not every implementation filters on both

    def _api(self, region: str | None) -> "CloudWatchClient":
        return self._cloudwatch or client("cloudwatch", region)


def _error(error: ClientError, what: str) -> Exception:
    if is_code(error, *ACCESS_DENIED_CODES):
        return AccessDeniedError(f"{what}: access denied ({describe(error)})")
    return AwsError(f"{what}: {describe(error)}")

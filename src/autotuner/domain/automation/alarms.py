"""CloudWatch alarm state changes, as EventBridge and SNS deliver them, and the Lambda functions they are about.

Powertools ships envelopes for EventBridge and SNS but no model of the alarm itself; these are ours. Both
delivery formats are reduced to one ``AlarmChange``.
"""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from autotuner.domain.inputs.arn import (
    Arn,
    FunctionRef,
    FunctionReference,
    parse_arn,
    parse_function_reference,
)

LAMBDA_NAMESPACE = "AWS/Lambda"


# ---- EventBridge: "CloudWatch Alarm State Change" (detail) --------------------------------------------------


class MetricStat(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    metric: dict[str, Any]
    period: int | None = None
    stat: str | None = None


class AlarmMetric(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    id: str | None = None
    metric_stat: MetricStat | None = Field(default=None, alias="metricStat")
    expression: str | None = None


class AlarmState(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    value: str
    reason: str = ""
    reason_data: str = Field(default="", alias="reasonData", description="a JSON string with the threshold")
    timestamp: str = ""


class AlarmConfiguration(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    description: str | None = None
    metrics: list[AlarmMetric] = Field(default_factory=list)
    alarm_rule: str | None = Field(default=None, alias="alarmRule")


class AlarmStateChangeDetail(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    alarm_name: str = Field(alias="alarmName")
    state: AlarmState
    previous_state: AlarmState | None = Field(default=None, alias="previousState")
    configuration: AlarmConfiguration = Field(default_factory=AlarmConfiguration)


# ---- SNS: the alarm notification message (Records[].Sns.Message, a JSON string) ----------------------------


class SnsDimension(BaseModel):
    name: str
    value: str


class SnsMetric(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    id: str | None = Field(default=None, alias="Id")
    metric_stat: dict[str, Any] | None = Field(default=None, alias="MetricStat")
    expression: str | None = Field(default=None, alias="Expression")


class SnsTrigger(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    metric_name: str | None = Field(default=None, alias="MetricName")
    namespace: str | None = Field(default=None, alias="Namespace")
    dimensions: list[SnsDimension] = Field(default_factory=list, alias="Dimensions")
    metrics: list[SnsMetric] = Field(default_factory=list, alias="Metrics")
    statistic: str | None = Field(default=None, alias="Statistic")
    extended_statistic: str | None = Field(default=None, alias="ExtendedStatistic")
    threshold: float | None = Field(default=None, alias="Threshold")


class SnsAlarmMessage(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    alarm_name: str = Field(alias="AlarmName")
    alarm_arn: str = Field(alias="AlarmArn")
    new_state_value: str = Field(alias="NewStateValue")
    new_state_reason: str = Field(default="", alias="NewStateReason")
    state_change_time: str = Field(default="", alias="StateChangeTime")
    trigger: SnsTrigger = Field(default_factory=SnsTrigger, alias="Trigger")


# ---- one model for both --------------------------------------------------------------------------------------


class MetricRef(BaseModel):
    namespace: str
    name: str
    dimensions: dict[str, str]


class AlarmChange(BaseModel):
    alarm_name: str
    alarm_arn: str
    state: str
    reason: str
    time: str
    metrics: list[MetricRef]
    statistic: str | None = None
    threshold: float | None = None

    @property
    def arn(self) -> Arn:
        return parse_arn(self.alarm_arn, service="cloudwatch")

    @property
    def region(self) -> str:
        return self.arn.region

    @property
    def account(self) -> str:
        return self.arn.account


def from_eventbridge(detail: AlarmStateChangeDetail, *, alarm_arn: str, time: datetime) -> AlarmChange:
    metrics = [
        MetricRef(
            namespace=str(m.metric_stat.metric.get("namespace", "")),
            name=str(m.metric_stat.metric.get("name", "")),
            dimensions={str(k): str(v) for k, v in (m.metric_stat.metric.get("dimensions") or {}).items()},
        )
        for m in detail.configuration.metrics
        if m.metric_stat is not None
    ]
    reason_data = _json_object(detail.state.reason_data)
    stats = [m.metric_stat.stat for m in detail.configuration.metrics if m.metric_stat is not None]
    threshold = reason_data.get("threshold")
    return AlarmChange(
        alarm_name=detail.alarm_name,
        alarm_arn=alarm_arn,
        state=detail.state.value,
        reason=detail.state.reason,
        time=detail.state.timestamp or time.isoformat(),
        metrics=metrics,
        statistic=reason_data.get("statistic") or next((s for s in stats if s), None),
        threshold=float(threshold) if isinstance(threshold, int | float) else None,
    )


def _json_object(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def from_sns(message: SnsAlarmMessage) -> AlarmChange:
    trigger = message.trigger
    metrics: list[MetricRef] = []
    if trigger.namespace:
        metrics.append(
            MetricRef(
                namespace=trigger.namespace,
                name=trigger.metric_name or "",
                dimensions={d.name: d.value for d in trigger.dimensions},
            )
        )
    for metric in trigger.metrics:
        stat = (metric.metric_stat or {}).get("Metric") or {}
        if stat:
            metrics.append(
                MetricRef(
                    namespace=str(stat.get("Namespace", "")),
                    name=str(stat.get("MetricName", "")),
                    dimensions={str(d["name"]): str(d["value"]) for d in stat.get("Dimensions", [])},
                )
            )
    return AlarmChange(
        alarm_name=message.alarm_name,
        alarm_arn=message.alarm_arn,
        state=message.new_state_value,
        reason=message.new_state_reason,
        time=message.state_change_time,
        metrics=metrics,
        statistic=trigger.extended_statistic or trigger.statistic,
        threshold=trigger.threshold,
    )


class WatchedFunction(BaseModel):
    """A function an alarm watches (unqualified) and, for a ``Resource`` dimension, the alias."""

    function: FunctionRef
    alias: str | None = None

    @property
    def function_arn(self) -> str:
        return self.function.unqualified

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def target(self) -> FunctionRef:
        """The function as a run tunes it: qualified by the alias, when the alarm named one."""
        return self.function.model_copy(update={"qualifier": self.alias})


def watched_functions(change: AlarmChange) -> list[WatchedFunction]:
    """The Lambda functions the alarm's metrics are about, each once (metric-math alarms list several metrics)."""
    found: dict[str, WatchedFunction] = {}
    for metric in change.metrics:
        if metric.namespace != LAMBDA_NAMESPACE:
            continue
        watched = _function_and_alias(metric.dimensions)
        if watched is None:
            continue
        name, alias = watched
        alarm = change.arn  # the function is in the alarm's partition, region and account
        function = FunctionRef(partition=alarm.partition, region=alarm.region, account=alarm.account, name=name)
        current = found.get(function.unqualified)
        if current is None or (alias and not current.alias):
            found[function.unqualified] = WatchedFunction(function=function, alias=alias)
    return list(found.values())


def _function_and_alias(dimensions: dict[str, str]) -> tuple[str, str | None] | None:
    """The function a Lambda metric is about (its ``FunctionName``, else its ``Resource``), and the alias of a
    ``Resource`` (``name:alias``); None when neither names a valid function (account-wide metrics name none)."""
    by_name = _function_reference(dimensions.get("FunctionName", ""))
    by_resource = _function_reference(dimensions.get("Resource", ""))
    function = by_name or by_resource
    if function is None:
        return None
    return function.name, by_resource.qualifier if by_resource else None


def _function_reference(dimension: str) -> FunctionReference | None:
    try:
        return parse_function_reference(dimension) if dimension else None
    except ValueError:  # not a function name: nothing this alarm could re-tune
        return None


def opted_in(alarm_name: str, alarm_tags: dict[str, str] | None, *, name_prefix: str, tag_key: str) -> bool:
    """An alarm takes part when its name has the prefix, or it carries the tag set to true."""
    if name_prefix and alarm_name.startswith(name_prefix):
        return True
    if tag_key and alarm_tags is not None:
        return alarm_tags.get(tag_key, "").strip().lower() in {"true", "yes", "1"}
    return False


# ---- an alarm's own definition (DescribeAlarms), for what it watches and where its threshold is -------------


class AlarmDefinition(BaseModel):
    """An alarm as CloudWatch describes it: the metric (or metric-math inputs) and the threshold of a metric alarm;
    a composite alarm watches other alarms, never a metric, so it names no function."""

    name: str
    arn: str
    state: str
    reason: str = ""
    updated: str = Field(default="", description="when it entered its state (StateUpdatedTimestamp, ISO 8601)")
    metrics: list[MetricRef]
    statistic: str | None = Field(default=None, description="e.g. Average, Maximum, p95 (ExtendedStatistic)")
    threshold: float | None = None
    comparison: str | None = None
    composite: bool = False

    @property
    def metric_names(self) -> list[str]:
        return sorted({m.name for m in self.metrics if m.namespace == LAMBDA_NAMESPACE})

    def as_change(self) -> AlarmChange:
        """The alarm's state change as CloudWatch holds it: what re-tuning reads instead of a message's copy."""
        return AlarmChange(alarm_name=self.name, alarm_arn=self.arn, state=self.state, reason=self.reason,
                           time=self.updated, metrics=self.metrics, statistic=self.statistic,
                           threshold=self.threshold)  # fmt: skip


def alarm_definition(raw: dict[str, Any]) -> AlarmDefinition:
    """One ``MetricAlarms`` entry of DescribeAlarms: a single metric, or the metrics of a metric-math alarm."""
    metrics: list[MetricRef] = []
    if raw.get("MetricName"):
        metrics.append(_metric_ref(raw.get("Namespace", ""), raw["MetricName"], raw.get("Dimensions", [])))
    statistics: list[str] = []
    for query in raw.get("Metrics", []):
        stat = query.get("MetricStat") or {}
        metric = stat.get("Metric") or {}
        if metric:
            metrics.append(_metric_ref(metric.get("Namespace", ""), metric.get("MetricName", ""),
                                       metric.get("Dimensions", [])))  # fmt: skip
            statistics.append(str(stat.get("Stat", "")))
    statistic = raw.get("ExtendedStatistic") or raw.get("Statistic") or (statistics[0] if statistics else None)
    return AlarmDefinition(
        name=raw["AlarmName"], arn=raw["AlarmArn"], state=raw.get("StateValue", ""),
        reason=raw.get("StateReason", ""), updated=_iso(raw.get("StateUpdatedTimestamp")), metrics=metrics,
        statistic=statistic, threshold=raw.get("Threshold"), comparison=raw.get("ComparisonOperator"),
    )  # fmt: skip


def composite_alarm_definition(raw: dict[str, Any]) -> AlarmDefinition:
    """One ``CompositeAlarms`` entry of DescribeAlarms: its rule combines alarms, so it watches no metric."""
    return AlarmDefinition(
        name=raw["AlarmName"], arn=raw["AlarmArn"], state=raw.get("StateValue", ""),
        reason=raw.get("StateReason", ""), updated=_iso(raw.get("StateUpdatedTimestamp")), metrics=[],
        composite=True,
    )  # fmt: skip


def _iso(timestamp: object) -> str:
    return timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp or "")


def _metric_ref(namespace: str, name: str, dimensions: list[dict[str, str]]) -> MetricRef:
    return MetricRef(namespace=namespace, name=name, dimensions={d["Name"]: d["Value"] for d in dimensions})


def watches_function(alarm: AlarmDefinition, function_arn: str) -> bool:
    return any(watched.function_arn == function_arn for watched in watched_functions(alarm.as_change()))

import json
from datetime import UTC, datetime

from autotuner.domain.automation.alarms import (
    AlarmStateChangeDetail,
    SnsAlarmMessage,
    alarm_definition,
    composite_alarm_definition,
    from_eventbridge,
    from_sns,
    opted_in,
    watched_functions,
)
from tests.conftest import load_event


def eventbridge(name: str):  # type: ignore[no-untyped-def]
    event = load_event(name)
    detail = AlarmStateChangeDetail.model_validate(event["detail"])
    return from_eventbridge(detail, alarm_arn=event["resources"][0], time=datetime.now(UTC))


def sns(name: str):  # type: ignore[no-untyped-def]
    message = load_event(name)["Records"][0]["Sns"]["Message"]
    return from_sns(SnsAlarmMessage.model_validate(json.loads(message)))


ORDERS = "arn:aws:lambda:us-east-1:123456789012:function:orders"


def test_a_duration_alarm_watches_its_function() -> None:
    change = eventbridge("alarm-state-change.json")
    assert (change.state, change.alarm_name, change.region) == ("ALARM", "autotuner-orders-p95-duration", "us-east-1")
    assert change.reason.startswith("Threshold Crossed")
    assert [(f.function_arn, f.alias) for f in watched_functions(change)] == [(ORDERS, None)]


def test_a_metric_math_alarm_names_its_function_once() -> None:
    change = eventbridge("alarm-state-change-metric-math.json")
    assert len(change.metrics) == 2  # the expression has no metric of its own
    assert [f.function_arn for f in watched_functions(change)] == [ORDERS]


def test_the_resource_dimension_carries_the_alias() -> None:
    (function,) = watched_functions(eventbridge("alarm-state-change-alias.json"))
    assert (function.function_arn, function.alias, function.name) == (ORDERS, "live", "orders")


def test_sns_delivered_alarms_read_the_same() -> None:
    assert watched_functions(sns("alarm-via-sns.json")) == watched_functions(eventbridge("alarm-state-change.json"))
    change = sns("alarm-via-sns-metric-math.json")
    assert [f.function_arn for f in watched_functions(change)] == [ORDERS]
    assert change.time == "2026-11-27T10:04:40.989+0000"


def test_alarms_on_other_services_watch_no_function() -> None:
    assert watched_functions(eventbridge("alarm-state-change-not-lambda.json")) == []


def test_opt_in_by_name_prefix_or_tag() -> None:
    assert opted_in("autotuner-x", None, name_prefix="autotuner-", tag_key="")
    assert not opted_in("orders-latency", None, name_prefix="autotuner-", tag_key="")
    assert opted_in(
        "orders-latency", {"autotuner:retune": "true"}, name_prefix="autotuner-", tag_key="autotuner:retune"
    )
    assert not opted_in("orders-latency", {"autotuner:retune": "no"}, name_prefix="", tag_key="autotuner:retune")
    assert not opted_in("anything", {}, name_prefix="", tag_key="")


def test_the_function_is_in_the_alarms_partition_and_dimensions_that_name_none_are_passed_over() -> None:
    change = eventbridge("alarm-state-change-alias.json")
    china = change.model_copy(
        update={"alarm_arn": change.alarm_arn.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1")}
    )
    (function,) = watched_functions(china)
    assert (function.function_arn, function.alias) == (
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders",
        "live",
    )
    metric = change.metrics[0]
    not_functions = [
        metric.model_copy(update={"dimensions": {"Resource": "orders:live:extra"}}),
        metric.model_copy(update={"dimensions": {"FunctionName": "not a function"}}),
    ]
    assert watched_functions(change.model_copy(update={"metrics": not_functions})) == []
    by_resource = [metric.model_copy(update={"dimensions": {"Resource": "orders:live"}})]
    (function,) = watched_functions(change.model_copy(update={"metrics": by_resource}))
    assert (function.function_arn, function.alias, function.name) == (ORDERS, "live", "orders")


def test_describe_alarms_answers_are_read_with_their_state_time_and_composite_alarms_watch_no_metric() -> None:
    updated = datetime(2026, 11, 27, 10, 4, 40, tzinfo=UTC)
    metric = alarm_definition({
        "AlarmName": "autotuner-orders-p95", "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a",
        "StateValue": "ALARM", "StateReason": "Threshold Crossed", "StateUpdatedTimestamp": updated,
        "MetricName": "Duration", "Namespace": "AWS/Lambda", "ExtendedStatistic": "p95", "Threshold": 800.0,
        "Dimensions": [{"Name": "FunctionName", "Value": "orders"}],
    })  # fmt: skip
    change = metric.as_change()
    assert (change.state, change.time, change.statistic, change.threshold) == (
        "ALARM", "2026-11-27T10:04:40+00:00", "p95", 800.0,
    )  # fmt: skip
    assert [w.function_arn for w in watched_functions(change)] == [ORDERS]

    composite = composite_alarm_definition({
        "AlarmName": "autotuner-all", "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:autotuner-all",
        "StateValue": "ALARM", "AlarmRule": 'ALARM("autotuner-orders-p95")',
    })  # fmt: skip
    assert (composite.composite, watched_functions(composite.as_change())) == (True, [])

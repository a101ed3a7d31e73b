"""A function's recent durations, invocation counts and concurrency, read from CloudWatch's AWS/Lambda metrics (no
invocation of the function)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AccessDeniedError, AwsError, describe, is_code
from autotuner.domain.advice.concurrency import TRAFFIC_PERIOD_S, Traffic, traffic_from_series
from autotuner.domain.inputs.arn import FunctionRef

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef

DAY_S = 86_400


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CloudWatchDurations:
    """The Maximum of the ``Duration`` metric (FunctionName dimension: every version and alias together)."""

    def __init__(self, cloudwatch: "CloudWatchClient | None" = None, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._cloudwatch = cloudwatch
        self._now = now

    def max_duration_ms(self, function: FunctionRef, days: int) -> float | None:
        """The longest invocation of the last ``days`` days, in ms; None when the metric has no datapoints."""
        api: CloudWatchClient = self._cloudwatch or client("cloudwatch", function.region)
        end = self._now()
        try:
            response = api.get_metric_statistics(
                Namespace="AWS/Lambda",
                MetricName="Duration",
                Dimensions=[{"Name": "FunctionName", "Value": function.name}],
                StartTime=end - timedelta(days=days),
                EndTime=end,
                Period=DAY_S,  # one datapoint a day: well within the 1,440 a request may return
                Statistics=["Maximum"],
            )
        except ClientError as error:
            what = f"reading the Duration metric of {function.name} in {function.region}"
            if is_code(error, *ACCESS_DENIED_CODES):
                raise AccessDeniedError(f"{what}: access denied ({describe(error)})") from error
            raise AwsError(f"{what}: {describe(error)}") from error
        return max((point["Maximum"] for point in response["Datapoints"] if "Maximum" in point), default=None)


MAX_QUERIES_PER_REQUEST = 500  # GetMetricData's limit on MetricDataQueries


class CloudWatchInvocations:
    """The Sum of the ``Invocations`` metric per function (FunctionName dimension: every version and alias), read
    with GetMetricData: one request per region and batch of 500 functions."""

    def __init__(self, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._now = now

    def invocations(self, functions: list[FunctionRef], days: int) -> dict[str, int]:
        """Invocations of the last ``days`` days by unqualified ARN, for the functions the metric has datapoints
        of: one without is left out, for the caller to say so (Lambda publishes the metric only when a function
        is invoked, so none may mean no invocation, or the wrong account or region)."""
        counts: dict[str, int] = {}
        by_region: dict[str, list[FunctionRef]] = {}
        for function in functions:
            by_region.setdefault(function.region, []).append(function)
        for region, in_region in by_region.items():
            for start in range(0, len(in_region), MAX_QUERIES_PER_REQUEST):
                counts |= self._batch(region, in_region[start : start + MAX_QUERIES_PER_REQUEST], days)
        return counts

    def _batch(self, region: str, functions: list[FunctionRef], days: int) -> dict[str, int]:
        api: CloudWatchClient = client("cloudwatch", region)
        end = self._now()
        queries: list[MetricDataQueryTypeDef] = [
            {
                "Id": f"f{index}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Lambda",
                        "MetricName": "Invocations",
                        "Dimensions": [{"Name": "FunctionName", "Value": function.name}],
                    },
                    "Period": days * DAY_S,
                    "Stat": "Sum",
                },
            }
            for index, function in enumerate(functions)
        ]
        totals: dict[int, float] = {}
        try:
            for page in api.get_paginator("get_metric_data").paginate(
                MetricDataQueries=queries, StartTime=end - timedelta(days=days), EndTime=end
            ):
                for result in page["MetricDataResults"]:
                    if values := result.get("Values"):
                        index = int(result["Id"][1:])
                        totals[index] = totals.get(index, 0.0) + sum(values)
        except ClientError as error:
            what = f"reading the Invocations metric in {region}"
            if is_code(error, *ACCESS_DENIED_CODES):
                raise AccessDeniedError(f"{what}: access denied ({describe(error)})") from error
            raise AwsError(f"{what}: {describe(error)}") from error
        return {functions[index].unqualified: round(total) for index, total in totals.items()}


class CloudWatchTraffic:
    """A function's Invocations (Sum) and ConcurrentExecutions (Maximum) in 5-minute periods, read with one
    GetMetricData request (14 days are 4,032 datapoints a metric, well within the 100,800 a request returns)."""

    def __init__(self, cloudwatch: "CloudWatchClient | None" = None, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._cloudwatch = cloudwatch
        self._now = now

    def traffic(self, function: FunctionRef, days: int) -> Traffic | None:
        """None when CloudWatch has no Invocations of the function in the window."""
        api: CloudWatchClient = self._cloudwatch or client("cloudwatch", function.region)
        end = self._now()
        queries: list[MetricDataQueryTypeDef] = [
            _query(id_, metric, stat, function.name) for id_, metric, stat in _TRAFFIC_METRICS
        ]
        series: dict[str, list[tuple[float, float]]] = {"invocations": [], "concurrency": []}
        try:
            for page in api.get_paginator("get_metric_data").paginate(
                MetricDataQueries=queries, StartTime=end - timedelta(days=days), EndTime=end
            ):
                for result in page["MetricDataResults"]:
                    points = zip(result.get("Timestamps", []), result.get("Values", []), strict=True)
                    series[result["Id"]] += [(moment.timestamp(), value) for moment, value in points]
        except ClientError as error:
            what = f"reading the traffic metrics of {function.name} in {function.region}"
            if is_code(error, *ACCESS_DENIED_CODES):
                raise AccessDeniedError(f"{what}: access denied ({describe(error)})") from error
            raise AwsError(f"{what}: {describe(error)}") from error
        if not series["invocations"]:
            return None
        return traffic_from_series(series["invocations"], series["concurrency"], days=days, period_s=TRAFFIC_PERIOD_S)


_TRAFFIC_METRICS = (("invocations", "Invocations", "Sum"), ("concurrency", "ConcurrentExecutions", "Maximum"))


def _query(id_: str, metric: str, stat: str, function_name: str) -> "MetricDataQueryTypeDef":
    return {
        "Id": id_,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
            },
            "Period": TRAFFIC_PERIOD_S,
            "Stat": stat,
        },
    }

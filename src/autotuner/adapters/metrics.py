"""A function's recent durations, read from CloudWatch's AWS/Lambda metrics (no invocation of the function)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AccessDeniedError, AwsError, describe, is_code
from autotuner.domain.arn import FunctionArn

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

DAY_S = 86_400


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CloudWatchDurations:
    """The Maximum of the ``Duration`` metric (FunctionName dimension: every version and alias together)."""

    def __init__(self, cloudwatch: "CloudWatchClient | None" = None, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._cloudwatch = cloudwatch
        self._now = now

    def max_duration_ms(self, function: FunctionArn, days: int) -> float | None:
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

"""Creating emulated target functions in the local emulator, and their traffic as CloudWatch would count it."""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from autotuner_local.log_groups import LOG_FORMAT_VARIABLE, WORKLOAD_VARIABLE
from autotuner_local.stack import placeholder_code
from autotuner_local.workloads import WORKLOADS

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDatumTypeDef
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.literals import RuntimeType

TARGET_ROLE = "autotuner-emulated-target"


def create_target(
    lambda_client: "LambdaClient",
    iam_client: "IAMClient",
    name: str,
    workload: str,
    *,
    memory_mb: int = 1024,
    timeout_s: int = 30,
    architecture: Literal["x86_64", "arm64"] = "x86_64",
    log_format: str = "Text",
    description: str = "emulated target",
    tags: dict[str, str] | None = None,
    code: bytes | None = None,
    layers: list[str] | None = None,
    runtime: "RuntimeType" = "python3.13",
) -> str:
    """An emulated function of ``workload`` (see local.workloads); returns its ARN. ``code``: the zip package it
    ships (its native binaries decide which architecture it loads on); ``layers``: layer version ARNs."""
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; known: {sorted(WORKLOADS)}")
    try:
        role = iam_client.get_role(RoleName=TARGET_ROLE)["Role"]["Arn"]
    except iam_client.exceptions.NoSuchEntityException:
        role = iam_client.create_role(RoleName=TARGET_ROLE, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    response = lambda_client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code if code is not None else placeholder_code()},
        Layers=layers or [],
        MemorySize=memory_mb,
        Timeout=timeout_s,
        Architectures=[architecture],
        Description=description,
        Environment={"Variables": {WORKLOAD_VARIABLE: workload, LOG_FORMAT_VARIABLE: log_format}},
        Tags=tags or {},
    )
    return response["FunctionArn"]


def record_traffic(cloudwatch: "CloudWatchClient", name: str, periods: list[tuple[datetime, int, int]]) -> None:
    """Traffic as Lambda publishes it, per 5-minute period (its start, the calls, the most at once): the AWS/Lambda
    Invocations and ConcurrentExecutions metrics by FunctionName, which the concurrency advice reads."""
    data: list[MetricDatumTypeDef] = []
    for start, calls, concurrency in periods:
        for metric, value in (("Invocations", calls), ("ConcurrentExecutions", concurrency)):
            data.append(
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "FunctionName", "Value": name}],
                    "Timestamp": start,
                    "Value": value,
                    "Unit": "Count",
                }
            )
    for first in range(0, len(data), 1000):  # PutMetricData takes at most 1,000 datums a request
        cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=data[first : first + 1000])


def record_invocations(cloudwatch: "CloudWatchClient", name: str, count: int) -> None:
    """``count`` invocations of the function ``name`` an hour ago, as Lambda publishes them: the AWS/Lambda
    Invocations metric by FunctionName, which the savings ledger and Notify read."""
    cloudwatch.put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "FunctionName", "Value": name}],
                "Timestamp": datetime.now(UTC) - timedelta(hours=1),
                "Value": count,
                "Unit": "Count",
            }
        ],
    )

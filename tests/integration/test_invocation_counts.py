"""Invocation counts from CloudWatch (moto): the Sum of AWS/Lambda Invocations per function in the window."""

from datetime import UTC, datetime, timedelta

import boto3

from autotuner.adapters.metrics import MAX_QUERIES_PER_REQUEST, CloudWatchInvocations
from autotuner.domain.inputs.arn import parse_function_arn


def put_invocations(
    function: str, count: float, *, age: timedelta = timedelta(hours=1), region: str = "us-east-1"
) -> None:
    boto3.client("cloudwatch", region_name=region).put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Timestamp": datetime.now(UTC) - age,
                "Value": count,
                "Unit": "Count",
            }
        ],
    )


def arn(name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:lambda:{region}:123456789012:function:{name}"


def test_each_function_gets_its_own_sum_within_the_window(aws: None) -> None:
    put_invocations("orders", 1200)
    put_invocations("orders", 300, age=timedelta(days=12))
    put_invocations("orders", 5000, age=timedelta(days=31))  # before the window
    put_invocations("billing", 40)
    put_invocations("orders", 7, region="eu-west-1")  # another function of the same name, elsewhere
    functions = [parse_function_arn(arn(name)) for name in ("orders", "billing", "idle")]
    functions.append(parse_function_arn(arn("orders", "eu-west-1")))

    counts = CloudWatchInvocations().invocations(functions, days=30)

    assert counts == {arn("orders"): 1500, arn("billing"): 40, arn("orders", "eu-west-1"): 7}  # no datapoints of idle


def test_more_functions_than_one_request_holds_are_read_in_batches(aws: None) -> None:
    names = [f"f{index}" for index in range(MAX_QUERIES_PER_REQUEST + 3)]
    put_invocations(names[0], 1)
    put_invocations(names[-1], 2)
    counts = CloudWatchInvocations().invocations([parse_function_arn(arn(n)) for n in names], days=30)
    assert counts == {arn(names[0]): 1, arn(names[-1]): 2}  # one from each batch

"""Finding functions by tag and reading what the warmer must respect, without spending Lambda's
control-plane quota (15 requests per second per account and region) where another API can answer. The Lambda
calls it does make wait for their turn in the stack's shared budget (adapters/control_plane_budget.py), as every
Lambda client's do."""

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client, lambda_client
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AwsError, describe, is_code
from autotuner.domain.inputs.arn import function_name_of, parse_arn
from autotuner.domain.inputs.scope import is_stack_function

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_resourcegroupstaggingapi import ResourceGroupsTaggingAPIClient


class FunctionDirectory:
    def __init__(
        self,
        tagging: "ResourceGroupsTaggingAPIClient | None" = None,
        lambdas: "LambdaClient | None" = None,
        *,
        own_stack_id: str = "",
    ) -> None:
        self._own_stack_id = own_stack_id
        self._tagging: ResourceGroupsTaggingAPIClient = tagging or client("resourcegroupstaggingapi")
        self._lambda = lambdas or lambda_client()

    def tagged(self, key: str) -> dict[str, str]:
        """Function ARN -> value of tag ``key``, through the tagging API (its own quota, 100 per page); the tuner's
        own functions (tagged with its stack's id by CloudFormation) are left out, whatever their tags say."""
        found: dict[str, str] = {}
        paginator = self._tagging.get_paginator("get_resources")
        try:
            for page in paginator.paginate(ResourceTypeFilters=["lambda:function"], TagFilters=[{"Key": key}]):
                for mapping in page["ResourceTagMappingList"]:
                    tags = {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}
                    if not is_stack_function(tags, self._own_stack_id):
                        found[mapping["ResourceARN"]] = tags.get(key, "")
        except ClientError as error:
            raise AwsError(f"listing functions tagged {key}: {describe(error)}") from error
        return found

    def provisioned_concurrency(self, function: str) -> int | None:
        """Provisioned environments on any alias or version (a warmer must step aside where there are some);
        None when they cannot be read (no permission, or an emulator without the API)."""
        name = function_name_of(function)
        try:
            configs = self._lambda.list_provisioned_concurrency_configs(FunctionName=name)
        except ClientError as error:
            if is_code(error, "ResourceNotFoundException"):
                raise AwsError(f"function {name} not found") from error
            return None
        return sum(
            c.get("RequestedProvisionedConcurrentExecutions", 0) for c in configs["ProvisionedConcurrencyConfigs"]
        )


def read_function_tags(function_arn: str, lambdas: "LambdaClient | None" = None) -> dict[str, str] | None:
    """A function's tags (ListTags); {} for a function that does not exist, None when they cannot be read."""
    api = lambdas or lambda_client(parse_arn(function_arn, service="lambda").region)
    try:
        return dict(api.list_tags(Resource=function_arn)["Tags"])
    except ClientError as error:
        if is_code(error, "ResourceNotFoundException"):
            return {}
        if is_code(error, *ACCESS_DENIED_CODES):
            return None
        raise AwsError(f"reading the tags of {function_arn}: {describe(error)}") from error


def alarm_tags(alarm_arn: str, cloudwatch: "CloudWatchClient | None" = None) -> dict[str, str]:
    api: CloudWatchClient = cloudwatch or client("cloudwatch", parse_arn(alarm_arn, service="cloudwatch").region)
    try:
        tags = api.list_tags_for_resource(ResourceARN=alarm_arn)["Tags"]
    except ClientError as error:
        raise AwsError(f"reading the tags of {alarm_arn}: {describe(error)}") from error
    return {t["Key"]: t["Value"] for t in tags}

"""Finding a deployed stack's outputs (the state machine, the topic) by stack name."""

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AccessDeniedError, AwsError, describe, is_code

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient


class StackNotFoundError(AwsError):
    pass


def stack_outputs(stack_name: str, cloudformation: "CloudFormationClient | None" = None) -> dict[str, str]:
    api: CloudFormationClient = cloudformation or client("cloudformation")
    try:
        stacks = api.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if is_code(error, "ValidationError"):
            raise StackNotFoundError(
                f"stack {stack_name!r} not found in this region; deploy it with `sam deploy --guided`, or pass "
                "--stack-name / --region"
            ) from error
        if is_code(error, *ACCESS_DENIED_CODES):
            raise AccessDeniedError(f"reading stack {stack_name}: access denied ({describe(error)})") from error
        raise AwsError(f"reading stack {stack_name}: {describe(error)}") from error
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

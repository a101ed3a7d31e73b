"""One DynamoDB conditional write, shared by the profiles table and the run records.

Each claim, release and record step is a single UpdateItem whose condition DynamoDB checks atomically, so it holds
under races in AWS; a retried write whose first response was lost finds its own effect and still succeeds,
because every condition here accepts the writer's own earlier write. A write that gets no answer even after
botocore's retries raises WriteUnconfirmedError: the step's own retry (Step Functions') writes it again.
"""

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autotuner.adapters.errors import NO_ANSWER, is_code, write_failed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def conditional_update(
    db: "DynamoDBClient",
    table: str,
    key: dict[str, Any],
    expression: str,
    *,
    condition: str | None,
    values: dict[str, Any],
    what: str,
) -> dict[str, Any] | None:
    """Apply ``expression`` if ``condition`` holds (always, without one): the item as it is afterwards, or None when
    it does not hold."""
    arguments: dict[str, Any] = {
        "TableName": table,
        "Key": key,
        "UpdateExpression": expression,
        "ExpressionAttributeValues": values,
        "ReturnValues": "ALL_NEW",
    }
    if condition is not None:
        arguments["ConditionExpression"] = condition
    try:
        response = db.update_item(**arguments)
    except (ClientError, *NO_ANSWER) as error:
        if is_code(error, "ConditionalCheckFailedException"):
            return None
        raise write_failed(error, what) from error
    return dict(response.get("Attributes", {}))


def number(value: float) -> dict[str, str]:
    return {"N": repr(round(value, 3))}

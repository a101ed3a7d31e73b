"""What each Measure task measured, stored in the run's own DynamoDB table (one item per batch, expiring).

The state machine carries only each batch's key and counts; Analyze reads every batch of the execution back.
Items expire through the table's TTL, so a run leaves nothing behind for longer than ``RETENTION_S``.
"""

import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.errors import NO_ANSWER, AwsError, describe, write_failed
from autotuner.domain.measuring.measurement import BatchMeasurement

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RETENTION_S = 2 * 24 * 3600  # a run ends within a day (Step Functions' longest ExecutionTimeoutSeconds here)


class MeasurementTable:
    def __init__(
        self, table_name: str, dynamodb: "DynamoDBClient | None" = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.table_name = table_name
        self._db: DynamoDBClient = dynamodb or client("dynamodb")
        self._clock = clock

    def save(self, execution_id: str, key: str, measurement: BatchMeasurement) -> None:
        """One item per batch; compressed, since a batch of a few hundred invocations is tens of KB of JSON and
        an item holds at most 400 KB."""
        item: dict[str, Any] = {
            "executionId": {"S": execution_id},
            "batch": {"S": key},
            "measurement": {"B": zlib.compress(measurement.model_dump_json().encode())},
            "expiresAt": {"N": str(int(self._clock() + RETENTION_S))},
        }
        try:  # a retried task rewrites its own item: storing it twice is storing it once
            self._db.put_item(TableName=self.table_name, Item=item)
        except (ClientError, *NO_ANSWER) as error:
            raise write_failed(error, f"storing the measurement of batch {key}") from error

    def load(self, execution_id: str) -> list[BatchMeasurement]:
        """Every batch the execution stored, in key order (strongly consistent: Measure has just written)."""
        arguments: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "executionId = :execution",
            "ExpressionAttributeValues": {":execution": {"S": execution_id}},
            "ConsistentRead": True,
        }
        measurements: list[BatchMeasurement] = []
        while True:
            try:
                page = self._db.query(**arguments)
            except ClientError as error:
                raise AwsError(f"reading the measurements of {execution_id}: {describe(error)}") from error
            measurements += [_measurement(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return measurements
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _measurement(item: dict[str, Any]) -> BatchMeasurement:
    return BatchMeasurement.model_validate_json(zlib.decompress(item["measurement"]["B"]))

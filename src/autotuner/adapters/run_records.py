"""Run records in DynamoDB, one item per execution (see domain/run/record.py for what they hold and why).

The record is written before the run's first change and closed by the first clean-up; every later write is
conditional on it still being open, so a step cannot change the target after a clean-up has started.
"""

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.conditional_writes import conditional_update, number
from autotuner.adapters.errors import AwsError, describe
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.run.documents import CleanupReport
from autotuner.domain.run.output import AppliedChange
from autotuner.domain.run.record import AliasSnapshot, Intent, RunRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = "executionId"
RETENTION_S = 30 * 24 * 3600  # long enough to read a failed run's record; the table's TTL removes it after
_OPEN = "isClosed = :false"
# A sparse index of the records whose clean-up has not completed: the attribute is set when a record is opened and
# removed when a clean-up completes, so the hourly sweep reads those few, not the whole table (its records stay 30
# days). One key value: the open runs of a deployment are few.
PENDING_INDEX = "PendingCleanup"
_PENDING = {":pending": {"S": "pending"}}


class RunRecords:
    def __init__(
        self, table_name: str, dynamodb: "DynamoDBClient | None" = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.table_name = table_name
        self._db: DynamoDBClient = dynamodb or client("dynamodb")
        self._clock = clock

    def open(self, record: RunRecord) -> bool:
        """Write the record of a run about to change things; False when a clean-up has already closed it (the
        execution was stopped while planning). A retried Plan rewrites its own open record."""
        kept = {
            "execution_id",
            "run_id",
            "function",
            "target_role",
            "original_memory_mb",
            "original_description",
            "original_timeout_s",
            "original_architecture",
            "original_code_sha256",  # a run measuring another architecture puts $LATEST's code back to it
            "alias",
        }
        snapshot = record.model_dump(mode="json", include=kept)
        written = conditional_update(
            self._db, self.table_name, _key(record.execution_id),
            "SET foundAs = :snapshot, intents = :intents, isClosed = :false, expiresAt = :expires, "
            "cleanupPending = :pending",
            condition=f"attribute_not_exists({KEY}) OR {_OPEN}",
            values={
                ":snapshot": {"S": json.dumps(snapshot)},
                ":intents": {"L": [_intent(i) for i in record.intents]},
                ":false": {"BOOL": False},
                ":expires": number(int(self._clock() + RETENTION_S)),
            } | _PENDING,
            what=f"writing the run record of {record.execution_id}",
        )  # fmt: skip
        return written is not None

    def note_intent(self, execution_id: str, intent: Intent) -> bool:
        """Append what a step is about to change; False when the record is closed (the step must not change it)."""
        return self._while_open(
            execution_id, "SET intents = list_append(intents, :intent)", {":intent": {"L": [_intent(intent)]}}
        )

    def still_open(self, execution_id: str) -> bool:
        """After a change: False when a clean-up closed the record meanwhile (the step must undo its change)."""
        return self._while_open(execution_id, "SET confirmedAt = :now", {":now": number(self._clock())})

    def record_applied(self, execution_id: str, applied: AppliedChange) -> bool:
        """The applied choice took effect; False when the record was closed before it could be kept."""
        applied_value = {":applied": {"S": applied.model_dump_json()}}
        return self._while_open(execution_id, "SET appliedChange = :applied", applied_value)

    def close(self, execution_id: str) -> RunRecord | None:
        """Close the record (no step may change the target after this) and return it; None when the run never
        wrote one, which means it changed nothing. Closing an absent record leaves a closed stub, so a Plan still
        in flight for a stopped execution cannot open it afterwards."""
        item = conditional_update(
            self._db, self.table_name, _key(execution_id),
            "SET isClosed = :true, expiresAt = if_not_exists(expiresAt, :expires)",
            condition=None,
            values={":true": {"BOOL": True}, ":expires": number(int(self._clock() + RETENTION_S))},
            what=f"closing the run record of {execution_id}",
        )  # fmt: skip
        return _record(item) if item is not None else None

    def save_cleanup(self, execution_id: str, report: CleanupReport) -> None:
        conditional_update(
            self._db, self.table_name, _key(execution_id), "SET cleanupReport = :cleanup REMOVE cleanupPending",
            condition=f"attribute_exists({KEY})", values={":cleanup": {"S": report.model_dump_json()}},
            what=f"saving the clean-up of {execution_id}",
        )  # fmt: skip

    def pending_cleanups(self) -> list[str]:
        """The executions whose run record holds no completed clean-up (open runs among them)."""
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table_name, IndexName=PENDING_INDEX, KeyConditionExpression="cleanupPending = :pending",
            ExpressionAttributeValues=_PENDING,
        )  # fmt: skip
        try:
            return [item[KEY]["S"] for page in pages for item in page["Items"]]
        except ClientError as error:
            raise AwsError(f"listing the runs awaiting clean-up: {describe(error)}") from error

    def read(self, execution_id: str) -> RunRecord | None:
        try:
            item = self._db.get_item(TableName=self.table_name, Key=_key(execution_id), ConsistentRead=True)
        except ClientError as error:
            raise AwsError(f"reading the run record of {execution_id}: {describe(error)}") from error
        return _record(item["Item"]) if "Item" in item else None

    def _while_open(self, execution_id: str, expression: str, values: dict[str, Any]) -> bool:
        written = conditional_update(
            self._db, self.table_name, _key(execution_id), expression,
            condition=_OPEN, values=values | {":false": {"BOOL": False}},
            what=f"updating the run record of {execution_id}",
        )  # fmt: skip
        return written is not None


def _key(execution_id: str) -> dict[str, Any]:
    return {KEY: {"S": execution_id}}


def _intent(intent: Intent) -> dict[str, str]:
    return {"S": intent.model_dump_json(exclude_none=True)}


def _record(item: dict[str, Any]) -> RunRecord | None:
    """The record in an item; None for the closed stub of a run that never wrote one."""
    if "foundAs" not in item:
        return None
    snapshot = json.loads(item["foundAs"]["S"])
    alias = snapshot.pop("alias", None)
    if "functionArn" in snapshot:  # written before the record held the target as its parts: a run across a deploy
        snapshot["function"] = parse_function_arn(snapshot.pop("functionArn"))
    return RunRecord(
        **snapshot,
        alias=AliasSnapshot.model_validate(alias) if alias else None,
        intents=[Intent.model_validate_json(entry["S"]) for entry in item.get("intents", {}).get("L", [])],
        applied=AppliedChange.model_validate_json(item["appliedChange"]["S"]) if "appliedChange" in item else None,
        closed=bool(item.get("isClosed", {}).get("BOOL", False)),
        cleanup=CleanupReport.model_validate_json(item["cleanupReport"]["S"]) if "cleanupReport" in item else None,
    )

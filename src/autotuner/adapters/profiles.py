"""Tuning profiles and run claims, in one DynamoDB table keyed by function ARN.

Every claim is a single conditional write, so it holds under races in AWS: of many concurrent claimants
exactly one succeeds (no read-then-write check anywhere).
- run lock: any run (manual, alarm, schedule) holds it from Plan to Cleanup, so one function never has two
  runs changing it at once;
- automatic claim: alarm- and schedule-started runs also respect a cooldown since the last run.
"""

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from autotuner.adapters.clients import client
from autotuner.adapters.conditional_writes import conditional_update, number
from autotuner.adapters.errors import AwsError, describe

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = "functionArn"


class StoredProfile(BaseModel):
    function_arn: str
    user_profile: dict[str, Any] | None = None
    last_run_input: dict[str, Any] | None = None
    last_run_at: float | None = None
    last_run_power: int | None = None
    last_run_execution: str | None = None
    running_execution: str | None = None
    running_until: float | None = None
    auto_claimed_until: float | None = None

    @property
    def profile(self) -> dict[str, Any] | None:
        """The input automatic runs use: the one the user stored, else the last successful run's."""
        return self.user_profile if self.user_profile is not None else self.last_run_input

    @property
    def source(self) -> str:
        return "user" if self.user_profile is not None else "last successful run"


class ProfileStore:
    def __init__(
        self, table_name: str, dynamodb: "DynamoDBClient | None" = None, *, clock: Callable[[], float] = time.time
    ):
        self.table_name = table_name
        self._db: DynamoDBClient = dynamodb or client("dynamodb")
        self._clock = clock

    def get(self, function_arn: str) -> StoredProfile | None:
        try:
            item = self._db.get_item(TableName=self.table_name, Key=_key(function_arn), ConsistentRead=True).get("Item")
        except ClientError as error:
            raise AwsError(f"reading the profile of {function_arn}: {describe(error)}") from error
        if item is None:
            return None
        return StoredProfile(
            function_arn=function_arn,
            user_profile=_json(item, "userProfile"),
            last_run_input=_json(item, "lastRunInput"),
            last_run_at=_number(item, "lastRunAt"),
            last_run_power=int(p) if (p := _number(item, "lastRunPower")) is not None else None,
            last_run_execution=item.get("lastRunExecution", {}).get("S"),
            running_execution=item.get("runningExecution", {}).get("S"),
            running_until=_number(item, "runningUntil"),
            auto_claimed_until=_number(item, "autoClaimedUntil"),
        )

    def set_user_profile(self, function_arn: str, profile: dict[str, Any]) -> None:
        self._update(
            function_arn,
            "SET userProfile = :profile, userProfileUpdatedAt = :now",
            {":profile": {"S": json.dumps(profile)}, ":now": number(self._clock())},
        )

    def record_run(self, function_arn: str, tuning_input: dict[str, Any], power: int | None, execution: str) -> None:
        """Remember a successful run: its input becomes the profile of later automatic runs (unless the user
        stored one) and its end starts the cooldown."""
        values: dict[str, Any] = {
            ":input": {"S": json.dumps(tuning_input)},
            ":now": number(self._clock()),
            ":execution": {"S": execution},
        }
        expression = "SET lastRunInput = :input, lastRunAt = :now, lastRunExecution = :execution"
        if power is not None:
            expression += ", lastRunPower = :power"
            values[":power"] = number(power)
        self._update(function_arn, expression, values)

    def claim_run(self, function_arn: str, execution: str, until: float) -> str | None:
        """Hold the function's run lock until ``until``; None when claimed, else the execution holding it."""
        claimed = self._conditional_update(
            function_arn,
            "SET runningExecution = :execution, runningUntil = :until",
            condition="attribute_not_exists(runningUntil) OR runningUntil < :now OR runningExecution = :execution",
            values={":execution": {"S": execution}, ":until": number(until), ":now": number(self._clock())},
            what="claiming the run lock",
        )
        if claimed:
            return None
        held = self.get(function_arn)
        return (held.running_execution if held else None) or "another run"

    def release_run(self, function_arn: str, execution: str) -> bool:
        """Release the run lock if this execution holds it (a failed Plan must not free another run's lock)."""
        return self._conditional_update(
            function_arn,
            "REMOVE runningExecution, runningUntil",
            condition="runningExecution = :execution",
            values={":execution": {"S": execution}},
            what="releasing the run lock",
        )

    def claim_automatic(self, function_arn: str, *, cooldown_s: float, claimant: str) -> bool:
        """Claim an automatic run: the function has a profile, no run is going on, and none started or ended
        within the cooldown. Exactly one of many concurrent claimants gets True."""
        now = self._clock()
        return self._conditional_update(
            function_arn,
            "SET autoClaimedUntil = :until, autoClaimedBy = :claimant",
            condition=(
                "(attribute_exists(userProfile) OR attribute_exists(lastRunInput))"
                " AND (attribute_not_exists(autoClaimedUntil) OR autoClaimedUntil < :now)"
                " AND (attribute_not_exists(lastRunAt) OR lastRunAt < :cutoff)"
                " AND (attribute_not_exists(runningUntil) OR runningUntil < :now)"
            ),
            values={
                ":until": number(now + cooldown_s),
                ":claimant": {"S": claimant},
                ":now": number(now),
                ":cutoff": number(now - cooldown_s),
            },
            what="claiming an automatic run",
        )

    def release_automatic(self, function_arn: str, claimant: str) -> None:
        """Give a claim back when the run could not be started, so the next alarm may try."""
        self._conditional_update(
            function_arn,
            "REMOVE autoClaimedUntil, autoClaimedBy",
            condition="autoClaimedBy = :claimant",
            values={":claimant": {"S": claimant}},
            what="releasing the claim",
        )

    def _conditional_update(
        self, function_arn: str, expression: str, *, condition: str, values: dict[str, Any], what: str
    ) -> bool:
        """One atomic conditional write; False when the condition does not hold."""
        written = conditional_update(
            self._db, self.table_name, _key(function_arn), expression,
            condition=condition, values=values, what=f"{what} of {function_arn}",
        )  # fmt: skip
        return written is not None

    def _update(self, function_arn: str, expression: str, values: dict[str, Any]) -> None:
        try:
            self._db.update_item(
                TableName=self.table_name,
                Key=_key(function_arn),
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            raise AwsError(f"writing the profile of {function_arn}: {describe(error)}") from error


def _key(function_arn: str) -> dict[str, Any]:
    return {KEY: {"S": function_arn}}


def _number(item: dict[str, Any], name: str) -> float | None:
    return float(item[name]["N"]) if name in item else None


def _json(item: dict[str, Any], name: str) -> dict[str, Any] | None:
    if name not in item:
        return None
    parsed = json.loads(item[name]["S"])
    return parsed if isinstance(parsed, dict) else None

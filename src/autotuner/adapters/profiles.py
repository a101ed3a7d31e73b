"""Tuning profiles, run history and run claims, in one DynamoDB table keyed by function ARN.

Every claim is a single conditional write, so it holds under races in AWS: of many concurrent claimants
exactly one succeeds (no read-then-write check anywhere).
- run lock: any run (manual, alarm, schedule) holds it from Plan to Cleanup, so one function never has two
  runs changing it at once;
- automatic claim: alarm- and schedule-started runs also respect a cooldown since the last run.

A profile (``userProfile``) is stored only when the operator asks (see domain/automation/automatic_runs.py), with
when (``userProfileUpdatedAt``) and through what (``userProfileStoredBy``). The run history (``lastRunAt``,
``lastRunPower``, ``lastRunExecution``) is what the cooldown and ``profile show`` read; it holds no input.
Items written by versions that kept every successful run's input (``lastRunInput``) are read without it: that
input is never a profile, and the function's next run removes it.
"""

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from autotuner.adapters.clients import client
from autotuner.adapters.conditional_writes import conditional_update, number
from autotuner.adapters.errors import NO_ANSWER, AwsError, WriteUnconfirmedError, describe, write_failed
from autotuner.domain.automation.automatic_runs import STORED_BY_CLI, ProfileToStore, profile_of_input

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = "functionArn"
LEGACY_RUN_INPUT = "lastRunInput"  # written by versions that made every run's input the profile; never read


class StoredProfile(BaseModel):
    function_arn: str
    profile: dict[str, Any] | None = None
    stored_at: float | None = None
    stored_by: str | None = None
    legacy_run_input: bool = False
    last_run_at: float | None = None
    last_run_power: int | None = None
    last_run_execution: str | None = None
    running_execution: str | None = None
    running_until: float | None = None
    auto_claimed_until: float | None = None


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
        profile = _json(item, "userProfile")
        return StoredProfile(
            function_arn=function_arn,
            profile=profile,
            stored_at=_number(item, "userProfileUpdatedAt"),
            # Only `autotuner profile set` wrote a profile before the time and the writer were recorded.
            stored_by=item.get("userProfileStoredBy", {}).get("S") or (STORED_BY_CLI if profile is not None else None),
            legacy_run_input=LEGACY_RUN_INPUT in item,
            last_run_at=_number(item, "lastRunAt"),
            last_run_power=int(p) if (p := _number(item, "lastRunPower")) is not None else None,
            last_run_execution=item.get("lastRunExecution", {}).get("S"),
            running_execution=item.get("runningExecution", {}).get("S"),
            running_until=_number(item, "runningUntil"),
            auto_claimed_until=_number(item, "autoClaimedUntil"),
        )

    def set_user_profile(self, function_arn: str, profile: dict[str, Any], *, stored_by: str = STORED_BY_CLI) -> None:
        """Store the profile automatic runs of the function start from (an operator's explicit act)."""
        values = _profile_values(ProfileToStore(profile=profile, stored_by=stored_by), self._clock())
        self._update(function_arn, f"SET {_PROFILE_SET}", values)

    def record_run(
        self, function_arn: str, power: int | None, execution: str, profile: ProfileToStore | None = None
    ) -> None:
        """Remember a successful run (its end starts the cooldown) and, when its input asked for it, store its
        profile in the same write. The input of a run is kept only so; an older version's copy of it goes."""
        now = self._clock()
        values: dict[str, Any] = {":now": number(now), ":execution": {"S": execution}}
        assignments = ["lastRunAt = :now", "lastRunExecution = :execution"]
        if power is not None:
            assignments.append("lastRunPower = :power")
            values[":power"] = number(power)
        if profile is not None:
            assignments.append(_PROFILE_SET)
            values |= _profile_values(profile, now)
        try:
            self._update(function_arn, f"SET {', '.join(assignments)} REMOVE {LEGACY_RUN_INPUT}", values)
        except WriteUnconfirmedError:
            if not self._holds_run(function_arn, execution, float(values[":now"]["N"])):
                raise

    def _holds_run(self, function_arn: str, execution: str, at: float) -> bool:
        """Whether the item holds this very write of a run's end (one atomic write: its profile too), read back
        when the write's answer was lost."""
        found = self.get(function_arn)
        return found is not None and (found.last_run_execution, found.last_run_at) == (execution, at)

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
        within the cooldown. Exactly one of many concurrent claimants gets True. The claim carries a token of this
        call, so that botocore's retry of it, after an answer that was lost, finds its own claim and gets True."""
        now = self._clock()
        return self._conditional_update(
            function_arn,
            "SET autoClaimedUntil = :until, autoClaimedBy = :claimant, autoClaimToken = :token",
            condition=(
                "autoClaimToken = :token OR (attribute_exists(userProfile)"
                " AND (attribute_not_exists(autoClaimedUntil) OR autoClaimedUntil < :now)"
                " AND (attribute_not_exists(lastRunAt) OR lastRunAt < :cutoff)"
                " AND (attribute_not_exists(runningUntil) OR runningUntil < :now))"
            ),
            values={
                ":until": number(now + cooldown_s),
                ":claimant": {"S": claimant},
                ":token": {"S": uuid.uuid4().hex},
                ":now": number(now),
                ":cutoff": number(now - cooldown_s),
            },
            what="claiming an automatic run",
        )

    def release_automatic(self, function_arn: str, claimant: str) -> None:
        """Give a claim back when the run could not be started, so the next alarm may try."""
        self._conditional_update(
            function_arn,
            "REMOVE autoClaimedUntil, autoClaimedBy, autoClaimToken",
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
        except (ClientError, *NO_ANSWER) as error:
            raise write_failed(error, f"writing the profile of {function_arn}") from error


_PROFILE_SET = "userProfile = :profile, userProfileUpdatedAt = :stored_at, userProfileStoredBy = :stored_by"


def _profile_values(stored: ProfileToStore, now: float) -> dict[str, Any]:
    return {
        ":profile": {"S": json.dumps(profile_of_input(stored.profile))},
        ":stored_at": number(now),
        ":stored_by": {"S": stored.stored_by},
    }


def _key(function_arn: str) -> dict[str, Any]:
    return {KEY: {"S": function_arn}}


def _number(item: dict[str, Any], name: str) -> float | None:
    return float(item[name]["N"]) if name in item else None


def _json(item: dict[str, Any], name: str) -> dict[str, Any] | None:
    if name not in item:
        return None
    parsed = json.loads(item[name]["S"])
    return parsed if isinstance(parsed, dict) else None

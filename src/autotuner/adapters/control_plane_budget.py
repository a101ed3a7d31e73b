"""One budget of Lambda control-plane calls per account and region, shared by every Lambda of the stack.

Lambda allows 15 control-plane requests per second per account and region, across every caller and every API but
GetFunction (100/s) and Invoke, and the quota cannot be raised. Fleet tuning runs many tuning runs at once, each in
Lambdas of its own, so no one process sees the others' calls: the limit is kept in one DynamoDB item per account
and region, holding the theoretical arrival time of the generic cell rate algorithm (domain/pacing.py). A call
computes when it may go and the next state from the state its process last saw, writes that only if the stored
state is still that one (a conditional write; one that fails returns the state it found, to compute again from),
then sleeps until its turn. Every attempt botocore makes goes through it (the hook is on ``before-send``), so
retries spend the budget too.

The budget never fails a run: if its table cannot be read or written, the call is paced by a token bucket of this
process at the same rate for a while (a warning is logged), and botocore's adaptive retries absorb what the other
processes' calls add.

``wall_clock`` and ``pause`` are read at each call, not bound at import: the local emulator replaces them to run
the budget on its scaled time (``backoff``, the pause between colliding writes, stays on the store's real time).
"""

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.errors import NO_ANSWER, describe, is_code
from autotuner.domain.pacing import TokenBucket, full_jitter_delays, schedule_call

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

wall_clock: Callable[[], float] = time.time  # epoch seconds, as every Lambda of the stack reads them
pause: Callable[[float], None] = time.sleep  # waiting for a turn, on wall_clock's time
# Backing off after a collision, on the store's time: a read and a write take real milliseconds, in AWS and in the
# emulator alike, however fast the emulator runs wall_clock.
backoff: Callable[[float], None] = time.sleep

TABLE_VARIABLE = "CONTROL_PLANE_BUDGET_TABLE"  # unset (the CLI, tests calling adapters directly): no budget
RATE_VARIABLE = "CONTROL_PLANE_RATE"
ACCOUNT_VARIABLE = "TUNER_ACCOUNT_ID"  # the account of the stack's own clients; an assumed role names its own
DEFAULT_RATE = 10.0
# One call at a time, spaced by 1/rate: at most 1 + rate * W turns in any W seconds (15 in a second at 14/s).
BURST = 1
# Calls Lambda does not count against the 15/s (GetFunction has its own 100/s). GetPolicy has its own 15/s too, but
# takes a turn here: a fleet's Plans, starting together, would otherwise call it at once.
UNCOUNTED_OPERATIONS = frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream", "GetFunction"})

# A call that wakes up more than half a turn after its own takes a new one, at most LATE_RETAKES times (then it
# goes): calls then go within half a turn of theirs, at most 1.5 + rate * W in any W seconds (11 in a second at
# 10/s, 15 at 14).
LATE_TURNS = 0.5
late_turns = LATE_TURNS  # read at each call: an emulator whose clock outruns its sleeps' precision turns it off
LATE_RETAKES = 5
WRITE_ATTEMPTS = 10  # a collision means another process just took a turn; reading again costs milliseconds
COLLISION_BASE_S, COLLISION_CAP_S = 0.005, 0.2
UNAVAILABLE_FOR_S = 60.0  # after the table failed, this process paces itself this long before trying it again
IDLE_KEY_EXPIRES_S = 3600.0  # DynamoDB's TTL removes keys nobody called for an hour past their state

KEY = "budgetKey"
STATE = "tat"
EXPIRES = "expiresAt"
GRANTS = "grants"  # calls granted since the key was created: what the emulator's counts check

logger = logging.getLogger(__name__)


def budget_key(account: str, region: str) -> str:
    return f"lambda:{region}:{account}"


class SharedBudget:
    """Grants calls for any key at ``rate`` calls per second between every process that uses ``table``."""

    def __init__(self, table: str, rate: float, dynamodb: "DynamoDBClient | None" = None, *, seed: int | None = None):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.table, self.rate = table, rate
        self._db: DynamoDBClient = dynamodb or client("dynamodb", config=_store_config())
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._reserving = threading.Lock()  # this process's threads take turns one at a time: they never collide
        self._unavailable_until = float("-inf")
        self._local: dict[str, TokenBucket] = {}
        self._seen: dict[str, _State | None] = {}  # per key, the state this process last wrote or found

    def acquire(self, key: str) -> float:
        """Wait for this call's turn under ``key``; returns how long it waited.

        A call that wakes up later than its turn allows (a process starved of CPU, a paused sandbox) takes a new
        turn rather than go late: gone late, it would fall among the calls of the turns after its own, and turns
        bound the rate only if calls go in them."""
        waited = 0.0
        for _ in range(LATE_RETAKES):
            waited_now, late = self._take_turn(key)
            waited += waited_now
            if not late:
                break
        return waited

    def _take_turn(self, key: str) -> tuple[float, bool]:
        """Wait for one turn: how long, and whether the call woke up too late to go in it."""
        if wall_clock() >= self._unavailable_until:
            try:
                with self._reserving:
                    go_at = self._reserve(key)
            except _TableUnavailableError as error:
                self._unavailable_until = wall_clock() + UNAVAILABLE_FOR_S
                logger.warning(
                    "control-plane budget %s unavailable (%s): pacing this process alone for %.0f s",
                    self.table,
                    error,
                    UNAVAILABLE_FOR_S,
                )
            except _ContendedError:
                logger.warning("control-plane budget %s: %d writes in a row collided", self.table, WRITE_ATTEMPTS)
            else:
                wait = max(0.0, go_at - wall_clock())
                if wait:
                    pause(wait)
                return wait, wall_clock() - go_at > late_turns / self.rate
        return self._local_bucket(key).acquire(), False

    def _reserve(self, key: str) -> float:
        """Take the next turn under ``key`` in the table: when this call may go.

        One conditional write per turn, no read: the write assumes the state this process last saw, and a write
        that finds another state (another process took a turn since) fails with that state, from which the next
        attempt computes its turn. So a process alone on a key makes one call per turn, and a collision one more."""
        delays = full_jitter_delays(COLLISION_BASE_S, COLLISION_CAP_S, WRITE_ATTEMPTS, self._rng)
        seen = self._seen.get(key)
        for attempt in range(WRITE_ATTEMPTS):
            if attempt >= 2:  # the first retry goes at once: it knows the state; a second collision is contention
                backoff(next(delays))
            call = schedule_call(float(seen.tat) if seen else None, wall_clock(), self.rate, BURST)
            written, seen = self._write(key, seen, call.tat)
            self._seen[key] = seen
            if written:
                return call.go_at
        raise _ContendedError  # this call alone is paced by this process; the next one tries the table again

    def _write(self, key: str, seen: "_State | None", tat: float) -> "tuple[bool, _State | None]":
        """Store ``tat`` if the state is still ``seen``: whether it was, and the state stored now. A whole-item put
        (moto parses an update expression at four times a put's cost, which every emulated run would pay); the
        state identifies the item, since every write moves it on."""
        new = _State(repr(round(tat, 6)), (seen.grants if seen else 0) + 1)
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                KEY: {"S": key},
                STATE: {"N": new.tat},
                EXPIRES: {"N": str(int(tat + IDLE_KEY_EXPIRES_S))},
                GRANTS: {"N": str(new.grants)},
            },
            "ConditionExpression": f"attribute_not_exists({STATE})" if seen is None else f"{STATE} = :seen",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if seen is not None:
            arguments["ExpressionAttributeValues"] = {":seen": {"N": seen.tat}}
        try:
            self._db.put_item(**arguments)
        except ClientError as error:
            if is_code(error, "ConditionalCheckFailedException"):
                found: Any = error.response.get("Item", {})  # ALL_OLD: the item as the write found it
                return False, _State.of(found)
            raise _TableUnavailableError(describe(error)) from error
        except NO_ANSWER as error:
            raise _TableUnavailableError(f"{type(error).__name__}: {error}") from error
        return True, new

    def _local_bucket(self, key: str) -> TokenBucket:
        with self._lock:
            if key not in self._local:
                self._local[key] = TokenBucket(self.rate, BURST, clock=_now, sleep=_pause)
            return self._local[key]


@cache
def _store_config() -> Config:
    """Short time-outs and few retries: a table that does not answer within seconds is worth less than the call
    waiting on it, which then paces itself (botocore's default would wait a minute per attempt)."""
    return Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=2)


def _now() -> float:
    return wall_clock()  # looked up at each call: the emulator replaces it


def _pause(seconds: float) -> None:
    pause(seconds)


@dataclass(frozen=True)
class _State:
    tat: str  # DynamoDB's decimal text, which the next write's condition compares
    grants: int

    @classmethod
    def of(cls, item: dict[str, Any]) -> "_State | None":
        if STATE not in item:
            return None
        return cls(item[STATE]["N"], int(item.get(GRANTS, {}).get("N", "0")))


class _TableUnavailableError(Exception):
    pass


class _ContendedError(Exception):
    pass


def configured_budget() -> SharedBudget | None:
    """The budget this function's environment names (read at each call: the emulator gives every call its own
    environment), or None without one."""
    table = os.environ.get(TABLE_VARIABLE, "")
    if not table:
        return None
    return _budget(table, _configured_rate(os.environ.get(RATE_VARIABLE, "")), os.environ.get("AWS_ENDPOINT_URL"))


def _configured_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = 0.0
    if not 0 < rate < float("inf"):
        logger.warning("%s=%r is not a positive rate: using %s calls/s", RATE_VARIABLE, text, DEFAULT_RATE)
        return DEFAULT_RATE
    return rate


@cache
def _budget(table: str, rate: float, _endpoint: str | None) -> SharedBudget:
    """One per process and table (and emulator endpoint, so that a new emulator gets a new one)."""
    return SharedBudget(table, rate)


def forget_budgets() -> None:
    _budget.cache_clear()


def pace_lambda_calls(events: Any, region: str, account: str | None) -> None:
    """Make every call of a Lambda client (each attempt) wait for its turn in the shared budget of ``account``
    (None: the stack's own, from the environment) and ``region``, unless Lambda does not count it."""

    def before_send(event_name: str, **_: Any) -> None:
        if event_name.rsplit(".", 1)[-1] in UNCOUNTED_OPERATIONS:
            return
        budget = configured_budget()
        if budget is not None:
            budget.acquire(budget_key(account or os.environ.get(ACCOUNT_VARIABLE, ""), region))

    # First among the client's handlers, so the wait comes before anything that sends or answers the request.
    events.register_first("before-send.lambda", before_send)

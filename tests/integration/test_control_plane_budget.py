"""The shared control-plane budget against moto: turns granted at the rate across threads, collisions on the
conditional write, a missing table, one budget per account. Time is the budget's injected clock, frozen unless a
test moves it: every assertion is on the turns computed, none on how long anything took."""

import logging
import threading
from typing import Any

import boto3
import pytest

from autotuner.adapters import control_plane_budget
from autotuner.adapters.clients import lambda_client, lambda_client_as
from autotuner.adapters.control_plane_budget import (
    ACCOUNT_VARIABLE,
    EXPIRES,
    GRANTS,
    KEY,
    RATE_VARIABLE,
    STATE,
    TABLE_VARIABLE,
    UNAVAILABLE_FOR_S,
    UNCOUNTED_OPERATIONS,
    WRITE_ATTEMPTS,
    SharedBudget,
    budget_key,
)
from autotuner_local.control_plane import shared_quota_calls
from autotuner_local.runtime import InProcessRuntime
from autotuner_local.stack import LOCAL_ACCOUNT, LocalStack
from tests.emulator import MakeTarget, run_tuning

TABLE = "control-plane-budget"
KEY_A = budget_key("111122223333", "us-east-1")


class FrozenTime:
    """The budget's clock, moved only by the test; every pause and back-off is recorded, none is slept."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.pauses: list[float] = []
        self.backoffs: list[float] = []
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        with self._lock:
            self.pauses.append(seconds)

    def backoff(self, seconds: float) -> None:
        with self._lock:
            self.backoffs.append(seconds)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenTime:
    time = FrozenTime(1_000.0)
    monkeypatch.setattr(control_plane_budget, "wall_clock", lambda: time.now)
    monkeypatch.setattr(control_plane_budget, "pause", time.pause)
    monkeypatch.setattr(control_plane_budget, "backoff", time.backoff)
    return time


def create_table() -> None:
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def stored(key: str) -> dict[str, Any]:
    return boto3.client("dynamodb").get_item(TableName=TABLE, Key={KEY: {"S": key}})["Item"]


def test_threads_sharing_the_budget_get_turns_no_faster_than_the_rate(
    runtime: InProcessRuntime, frozen: FrozenTime
) -> None:
    create_table()
    processes = [SharedBudget(TABLE, rate=10, seed=seed) for seed in range(4)]  # each its own client and state
    granted: list[float] = []
    lock = threading.Lock()

    def caller(budget: SharedBudget) -> None:
        for _ in range(5):
            turn = frozen.now + budget.acquire(KEY_A)
            with lock:
                granted.append(turn)

    threads = [threading.Thread(target=caller, args=(budget,)) for budget in processes for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # All 40 asked at once: one turn every 0.1 s, none shared, none skipped.
    assert sorted(granted) == pytest.approx([1_000.0 + 0.1 * n for n in range(40)])
    assert int(stored(KEY_A)[GRANTS]["N"]) == 40


def test_a_call_that_wakes_up_past_half_its_turn_takes_a_new_one_and_one_within_it_goes(
    runtime: InProcessRuntime, frozen: FrozenTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Turns bound the rate only if calls go in them: a process starved of CPU that oversleeps its turn would
    otherwise send its call among the next turns' calls (the emulator showed 23 in one second at 10/s)."""
    create_table()
    budget = SharedBudget(TABLE, rate=10, seed=0)
    oversleep = [0.2, 0.04]  # the first wake-up is two turns late, the next within half a turn

    def sleep_late(seconds: float) -> None:
        frozen.now += seconds + oversleep.pop(0)

    monkeypatch.setattr(control_plane_budget, "pause", sleep_late)
    monkeypatch.setattr(control_plane_budget, "late_turns", control_plane_budget.LATE_TURNS)  # the emulator's is off
    budget.acquire(KEY_A)  # the first turn: at once
    late = budget.acquire(KEY_A)  # its turn at 1000.1; woke at 1000.3, so it took the next free one, at once
    frozen.now += 0.06  # the next caller arrives at 1000.36: its turn is 1000.4
    on_time = budget.acquire(KEY_A)  # woke 0.04 s late, within half a turn: it goes

    assert late == pytest.approx(0.1)
    assert on_time == pytest.approx(0.04)
    assert frozen.now == pytest.approx(1_000.44)
    assert int(stored(KEY_A)[GRANTS]["N"]) == 4, "the late call's first turn is spent, not given back"


def test_a_write_that_collides_takes_the_turn_after_the_one_it_found_taken(aws: None, frozen: FrozenTime) -> None:
    create_table()
    other = SharedBudget(TABLE, rate=4, dynamodb=boto3.client("dynamodb"))
    theirs: list[float] = []
    db = boto3.client("dynamodb")

    def interleave(**_: Any) -> None:
        if not theirs:  # the other caller's own write passes through its own client, not this hook
            theirs.append(frozen.now + other.acquire(KEY_A))

    db.meta.events.register("before-call.dynamodb.PutItem", interleave)
    mine = frozen.now + SharedBudget(TABLE, rate=4, dynamodb=db, seed=1).acquire(KEY_A)

    assert theirs == [1_000.0]
    assert mine == 1_000.25, "the turn after the one the other caller took just before this caller's write"
    assert frozen.backoffs == [], "the failed write returned the state: the retry goes at once"
    assert frozen.pauses == [0.25], "then the wait for its turn"
    assert int(stored(KEY_A)[GRANTS]["N"]) == 2


def test_writes_that_keep_colliding_pace_that_call_in_this_process(
    aws: None, frozen: FrozenTime, caplog: pytest.LogCaptureFixture
) -> None:
    create_table()
    other = SharedBudget(TABLE, rate=4, dynamodb=boto3.client("dynamodb"))
    db = boto3.client("dynamodb")

    def interleave(**_: Any) -> None:
        other.acquire(KEY_A)  # before every write of this caller's: its read is always stale

    db.meta.events.register("before-call.dynamodb.PutItem", interleave)
    budget = SharedBudget(TABLE, rate=4, dynamodb=db, seed=1)

    with caplog.at_level(logging.WARNING, logger=control_plane_budget.__name__):
        assert budget.acquire(KEY_A) == 0.0  # this process's own bucket: its first call goes at once
    assert f"{WRITE_ATTEMPTS} writes in a row collided" in caplog.text
    assert len(frozen.backoffs) == WRITE_ATTEMPTS - 2, "a jittered back-off before every retry but the first"
    assert all(0 <= b <= 0.2 for b in frozen.backoffs)
    assert len(frozen.pauses) == WRITE_ATTEMPTS - 1, "only the other caller waited (for its turns after its first)"
    assert int(stored(KEY_A)[GRANTS]["N"]) == WRITE_ATTEMPTS, "only the other caller's turns were stored"


def test_a_missing_table_never_fails_the_call_and_the_process_paces_itself(
    aws: None, frozen: FrozenTime, caplog: pytest.LogCaptureFixture
) -> None:
    budget = SharedBudget(TABLE, rate=10)
    with caplog.at_level(logging.WARNING, logger=control_plane_budget.__name__):
        waits = [budget.acquire(KEY_A) for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.1, 0.2]), "this process's own bucket, at the same rate"
    assert caplog.text.count("unavailable (ResourceNotFoundException") == 1, "one warning, not one per call"
    assert f"pacing this process alone for {UNAVAILABLE_FOR_S:.0f} s" in caplog.text

    create_table()
    frozen.now += UNAVAILABLE_FOR_S
    budget.acquire(KEY_A)
    assert int(stored(KEY_A)[GRANTS]["N"]) == 1, "once the while is over, the table is tried again"


def test_a_lambda_client_takes_its_turns_under_its_account_and_region_but_not_for_get_function(
    aws: None, frozen: FrozenTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_table()
    monkeypatch.setenv(TABLE_VARIABLE, TABLE)
    monkeypatch.setenv(RATE_VARIABLE, "5")
    monkeypatch.setenv(ACCOUNT_VARIABLE, "111122223333")
    own = lambda_client("eu-west-1")
    for _ in range(3):
        own.list_functions()
    with pytest.raises(own.exceptions.ResourceNotFoundException):
        own.get_function(FunctionName="ghost")  # its own 100/s quota: no turn taken

    elsewhere = lambda_client_as("arn:aws:iam::444455556666:role/tuning", "run-1", "eu-west-1")
    elsewhere.list_functions()

    assert int(stored(budget_key("111122223333", "eu-west-1"))[GRANTS]["N"]) == 3
    assert float(stored(budget_key("111122223333", "eu-west-1"))[STATE]["N"]) == pytest.approx(1_000.6)
    assert int(stored(budget_key("444455556666", "eu-west-1"))[GRANTS]["N"]) == 1
    assert frozen.pauses == pytest.approx([0.2, 0.4]), "the own account's second and third calls waited their turn"


def test_without_a_budget_table_configured_calls_are_not_held(
    aws: None, frozen: FrozenTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TABLE_VARIABLE, raising=False)
    for _ in range(3):
        lambda_client("eu-west-1").list_functions()
    assert frozen.pauses == []


@pytest.mark.slow
def test_every_control_plane_call_of_a_tuning_run_takes_a_turn_in_the_stacks_budget(
    stack: LocalStack, make_target: MakeTarget, runtime: InProcessRuntime
) -> None:
    arn = make_target("resize", memory_mb=1024)
    run = run_tuning(stack, {"lambdaARN": arn, "num": 5, "powerValues": [128, 512], "autoOptimize": True})
    assert run.status == "SUCCEEDED", run.cause

    # GetPolicy has a 15/s quota of its own; the budget paces it too, so that Plans starting together keep under it.
    get_policy = [d for d in runtime.authorizations if d.action == "lambda:GetPolicy"]
    counted = shared_quota_calls(runtime.authorizations) + get_policy
    assert {c.function_name.split("-")[-2] for c in counted} >= {"PlanFunction", "PrepareFunction", "CleanupFunction"}
    counted_operations = {c.action.removeprefix("lambda:") for c in counted}
    assert not counted_operations & UNCOUNTED_OPERATIONS, "the emulator's shared quota is the budget's"
    lambda_actions = {d.action.removeprefix("lambda:") for d in runtime.authorizations}
    assert {"InvokeFunction", "GetFunction"} <= lambda_actions - counted_operations, "made, not counted"
    item = boto3.client("dynamodb").get_item(
        TableName=stack.tables["ControlPlaneBudgetTable"], Key={KEY: {"S": budget_key(LOCAL_ACCOUNT, stack.region)}}
    )["Item"]
    assert int(item[GRANTS]["N"]) == len(counted), "one turn per control-plane call the handlers sent"
    assert float(item[EXPIRES]["N"]) > float(item[STATE]["N"]), "an idle key expires"

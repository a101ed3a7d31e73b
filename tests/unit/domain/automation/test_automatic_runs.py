"""The input an automatic run (an alarm's re-tune, a fleet member's run) starts with: a stored profile only, never
the target, trigger or saveProfile of an input."""

from typing import Any

from autotuner.domain.automation.alarms import WatchedFunction
from autotuner.domain.automation.automatic_runs import (
    applies_to_alias,
    automatic_input,
    no_profile_reason,
    profile_of_input,
)
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.inputs.tuning_input import Trigger, TriggerSource, parse_tuning_input

ORDERS_ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
ORDERS = FunctionRef(partition="aws", region="eu-west-1", account="123456789012", name="orders")
ALARM = Trigger(source=TriggerSource.ALARM, alarm_name="orders-p95", metric="Duration", threshold=1000)


def test_the_run_starts_from_the_profile_with_the_function_and_the_trigger() -> None:
    profile: dict[str, Any] = {"num": 20, "strategy": "speed", "powerValues": [512, 1024]}
    started = automatic_input(WatchedFunction(function=ORDERS), profile, ALARM)
    assert started["lambdaARN"] == "arn:aws:lambda:eu-west-1:123456789012:function:orders"
    assert (started["num"], started["strategy"], started["powerValues"]) == (20, "speed", [512, 1024])
    assert started["trigger"]["source"] == "alarm"
    assert (started["trigger"]["alarmName"], started["trigger"]["threshold"]) == ("orders-p95", 1000)


def test_the_alarm_alias_qualifies_the_function_the_run_tunes() -> None:
    started = automatic_input(WatchedFunction(function=ORDERS, alias="live"), {}, ALARM)
    assert started["lambdaARN"] == "arn:aws:lambda:eu-west-1:123456789012:function:orders:live"


def test_the_function_the_alarm_names_wins_over_one_a_profile_carries() -> None:
    profile = {"lambdaARN": "arn:aws:lambda:eu-west-1:123456789012:function:someone-else"}
    started = automatic_input(WatchedFunction(function=ORDERS), profile, ALARM)
    assert started["lambdaARN"] == str(ORDERS)
    assert profile["lambdaARN"].endswith(":someone-else")  # the stored profile is left as it was


def test_the_started_input_is_one_the_state_machine_accepts_and_carries_the_trigger() -> None:
    started = automatic_input(WatchedFunction(function=ORDERS, alias="live"), {"num": 10}, ALARM)
    tuning = parse_tuning_input(started)
    assert tuning.trigger == ALARM
    assert tuning.lambda_arn == "arn:aws:lambda:eu-west-1:123456789012:function:orders:live"


def test_a_run_applies_to_an_alias_only_when_it_applies_at_all_and_has_one() -> None:
    bare, aliased = WatchedFunction(function=ORDERS), WatchedFunction(function=ORDERS, alias="live")
    assert applies_to_alias({"autoOptimize": True}, aliased)
    assert applies_to_alias({"autoOptimize": True, "autoOptimizeAlias": "prod"}, bare)
    assert not applies_to_alias({"autoOptimize": True}, bare)
    assert not applies_to_alias({"autoOptimize": False, "autoOptimizeAlias": "prod"}, aliased)
    assert not applies_to_alias({}, aliased)


def test_a_profile_holds_the_input_as_given_but_the_target_the_trigger_and_save_profile() -> None:
    given = {
        "lambdaARN": ORDERS_ARN,
        "num": 5,
        "payload": {"id": 1},
        "saveProfile": True,
        "trigger": {"source": "alarm"},
    }
    assert profile_of_input(given) == {"num": 5, "payload": {"id": 1}}


def test_an_automatic_run_targets_the_watched_function_and_never_stores_a_profile() -> None:
    function = WatchedFunction(function=parse_function_arn(ORDERS_ARN), alias="live")
    profile = {"num": 5, "saveProfile": True, "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:other"}
    tuning_input = automatic_input(function, profile, Trigger(source=TriggerSource.SCHEDULE))
    assert tuning_input["lambdaARN"] == f"{ORDERS_ARN}:live"
    assert "saveProfile" not in tuning_input
    assert tuning_input["trigger"]["source"] == "schedule"


def test_the_reason_for_no_profile_names_an_older_versions_kept_input() -> None:
    assert no_profile_reason(False) == (
        "no stored tuning profile: store one with `autotuner profile set` or a run with saveProfile"
    )
    assert no_profile_reason(True).endswith("(the input of its last run, which an older version kept, is never "
                                            "used as one)")  # fmt: skip

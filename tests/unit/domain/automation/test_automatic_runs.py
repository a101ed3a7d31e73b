"""What an automatic run starts from: a stored profile only, never the target, trigger or saveProfile of an input."""

from autotuner.domain.automation.alarms import WatchedFunction
from autotuner.domain.automation.automatic_runs import automatic_input, no_profile_reason, profile_of_input
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.inputs.tuning_input import Trigger, TriggerSource

ORDERS = "arn:aws:lambda:us-east-1:123456789012:function:orders"


def test_a_profile_holds_the_input_as_given_but_the_target_the_trigger_and_save_profile() -> None:
    given = {"lambdaARN": ORDERS, "num": 5, "payload": {"id": 1}, "saveProfile": True, "trigger": {"source": "alarm"}}
    assert profile_of_input(given) == {"num": 5, "payload": {"id": 1}}


def test_an_automatic_run_targets_the_watched_function_and_never_stores_a_profile() -> None:
    function = WatchedFunction(function=parse_function_arn(ORDERS), alias="live")
    profile = {"num": 5, "saveProfile": True, "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:other"}
    tuning_input = automatic_input(function, profile, Trigger(source=TriggerSource.SCHEDULE))
    assert tuning_input["lambdaARN"] == f"{ORDERS}:live"
    assert "saveProfile" not in tuning_input
    assert tuning_input["trigger"]["source"] == "schedule"


def test_the_reason_for_no_profile_names_an_older_versions_kept_input() -> None:
    assert no_profile_reason(False) == (
        "no stored tuning profile: store one with `autotuner profile set` or a run with saveProfile"
    )
    assert no_profile_reason(True).endswith("(the input of its last run, which an older version kept, is never "
                                            "used as one)")  # fmt: skip

"""Fleet tuning's claim: a run for each tagged function with a profile and outside its cooldown, named so that
Step Functions takes it."""

from autotuner.domain.automation.automatic_runs import ProfileToStore
from autotuner.workflow.fleet import FleetClaim, FleetMember, claim_for_fleet
from tests.unit.workflow.memory_ports import MemoryRegistry, MemoryStarter, function_arn

ORDERS = function_arn("orders")
PROFILE = {"num": 5, "powerValues": [256, 512]}
STARTED_AT = "2026-11-27T10:05:00.123Z"  # $$.Execution.StartTime
NOW = 1_800_000_000.0
COOLDOWN_S = 3600.0
LEGACY = " (the input of its last run, which an older version kept, is never used as one)"


def claim(profiles: MemoryRegistry, arn: str = ORDERS) -> FleetClaim:
    return claim_for_fleet(
        FleetMember(functionArn=arn), profiles=profiles, cooldown_s=COOLDOWN_S, started_at=STARTED_AT
    )


def test_a_function_with_a_profile_is_claimed_and_its_run_can_be_started() -> None:
    profiles = MemoryRegistry(clock=lambda: NOW)
    profiles.set_user_profile(ORDERS, PROFILE)

    claimed = claim(profiles)

    assert (claimed.start, claimed.function_arn, claimed.reason) == (True, ORDERS, "")
    assert claimed.input == {
        **PROFILE,
        "lambdaARN": ORDERS,
        "trigger": {
            "source": "schedule",
            "alarmName": None,
            "reason": "scheduled fleet tuning",
            "time": STARTED_AT,
            "metric": None,
            "statistic": None,
            "threshold": None,
            "constraint": None,
        },  # no alarm's figures
    }
    assert profiles.auto_claims[ORDERS] == (f"fleet-{STARTED_AT}", NOW + COOLDOWN_S)
    starter = MemoryStarter("arn:aws:states:us-east-1:123456789012:stateMachine:tuner")
    assert starter.start(claimed.input, claimed.name).endswith(":fleet-orders-2026-11-27T1005"), "a valid name"


def test_a_profile_a_run_stored_with_save_profile_serves() -> None:
    profiles = MemoryRegistry(clock=lambda: NOW - 2 * COOLDOWN_S)
    stored = ProfileToStore(profile={"num": 8}, stored_by="input saveProfile of execution run-1")
    profiles.record_run(ORDERS, 512, "arn:aws:states:us-east-1:123456789012:execution:tuner:run-1", stored)
    profiles.clock = lambda: NOW
    assert claim(profiles).input["num"] == 8


def test_a_function_without_a_stored_profile_is_not_tuned_and_not_claimed_whatever_its_last_run() -> None:
    profiles = MemoryRegistry(clock=lambda: NOW - 2 * COOLDOWN_S)
    profiles.record_run(ORDERS, 512, "arn:aws:states:us-east-1:123456789012:execution:tuner:one-off")
    profiles.legacy_run_inputs.add(function_arn("resize"))  # an older version kept its last run's input
    profiles.clock = lambda: NOW
    for arn, legacy in ((ORDERS, ""), (function_arn("resize"), LEGACY), (function_arn("billing"), "")):
        claimed = claim(profiles, arn)
        assert (claimed.start, claimed.reason) == (
            False,
            "no stored tuning profile: store one with `autotuner profile set` or a run with saveProfile" + legacy,
        )
        assert (claimed.name, claimed.input) == ("", {})
    assert profiles.auto_claims == {}


def test_a_function_tuned_within_the_cooldown_or_claimed_already_is_not_tuned() -> None:
    profiles = MemoryRegistry(clock=lambda: NOW)
    profiles.set_user_profile(ORDERS, PROFILE)
    profiles.set_user_profile(function_arn("resize"), PROFILE)
    profiles.record_run(function_arn("resize"), 256, "arn:aws:states:us-east-1:123456789012:execution:t:1")
    assert claim(profiles).start

    for arn in (ORDERS, function_arn("resize")):
        again = claim(profiles, arn)
        assert (again.start, again.reason) == (False, "tuned or claimed within the cooldown, or a run is in progress")

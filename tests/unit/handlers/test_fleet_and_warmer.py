"""Fleet tuning's two handlers, fed what the fleet state machine gives them, and the warmer on its schedule."""

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.handlers import fleet, warmer
from tests.conftest import load_event
from tests.unit.handlers.conftest import STARTED_AT, Deployment, emitted_metrics
from tests.unit.handlers.states import FLEET, resolve, retried_errors
from tests.unit.workflow.memory_ports import MemoryFunction, function_arn

CONTEXT = {
    "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:fleet:nightly", "StartTime": STARTED_AT}
}
PROFILE = {"num": 5, "powerValues": [256, 512]}


def fleet_of(deployment: Deployment, *names: str, tag: str = "autotuner:tune") -> None:
    for name in names:
        deployment.world.functions.add(MemoryFunction(function_arn(name), tags={tag: "true"}))


def claims(deployment: Deployment, listed: dict[str, Any]) -> list[dict[str, Any]]:
    """Each TuneEach iteration's Claim, with what the Map's ItemSelector gives it."""
    selector = FLEET["TuneEach"]["ItemSelector"]
    return [
        deployment.call(fleet.claim_handler, resolve(selector, listed, {**CONTEXT, "Map": {"Item": {"Value": member}}}))
        for member in listed["functions"]
    ]


def test_the_fleet_is_every_function_with_the_tag_and_each_with_a_profile_is_started(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet_of(deployment, "resize", "billing")
    fleet_of(deployment, "reports", tag="team")
    deployment.world.registry.set_user_profile(function_arn("resize"), PROFILE)

    listed = deployment.call(fleet.list_handler, resolve(FLEET["ListFleet"]["Parameters"], {}, CONTEXT))
    claimed = claims(deployment, listed)

    assert listed == {
        "functions": [{"functionArn": function_arn("billing")}, {"functionArn": function_arn("resize")}],
        "maxConcurrency": 4,
        "startedAt": STARTED_AT,
    }
    billing, resize = claimed
    assert (billing["start"], resize["start"]) == (False, True)
    skipped = resolve(FLEET["NotTuned"]["Parameters"], billing, CONTEXT)
    assert skipped == {
        "outcome": "skipped",
        "functionArn": function_arn("billing"),
        "reason": "no stored tuning profile: store one with `autotuner profile set` or a run with saveProfile",
    }
    tune = resolve(FLEET["Tune"]["Parameters"], resize, CONTEXT)
    deployment.starter.start(tune["Input"], tune["Name"])  # Step Functions takes the name and the input
    assert deployment.starter.started[tune["Name"]]["trigger"]["source"] == "schedule"
    assert emitted_metrics(capsys.readouterr().out) == {"FleetFunctions": 2, "FleetSkipped": 1}


def test_listing_without_a_start_time_stamps_the_list_now(deployment: Deployment) -> None:
    listed = deployment.call(fleet.list_handler, {})
    stamped = datetime.strptime(listed["startedAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(stamped.timestamp() - time.time()) < 5


def test_a_profiles_table_that_cannot_be_read_fails_the_claim_by_a_name_it_retries(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet_of(deployment, "resize")
    listed = deployment.call(fleet.list_handler, resolve(FLEET["ListFleet"]["Parameters"], {}, CONTEXT))
    monkeypatch.setenv("PROFILES_TABLE", "autotuner-ProfilesTable-gone")
    with pytest.raises(AwsError) as raised:
        claims(deployment, listed)
    assert type(raised.value).__name__ in retried_errors(FLEET["Claim"])


def test_the_warmer_warms_tagged_and_listed_functions_and_reports_the_rest(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARM_TARGETS", "resize:2,checkout:0,ghost")
    deployment.world.functions.add(MemoryFunction(function_arn("resize")))
    deployment.world.functions.add(MemoryFunction(function_arn("api"), tags={"autotuner:warm": "3"}))
    deployment.world.functions.add(MemoryFunction(function_arn("batch"), tags={"autotuner:warm": "1"}, provisioned=2))

    result = deployment.call(warmer.handler, load_event("scheduled-event.json"))

    assert sorted(result["warmed"]) == [function_arn("api"), "resize"]
    assert result["skipped"] == {
        "checkout": "WarmTargets 'checkout:0': '0' is not a concurrency between 1 and 50",
        function_arn("batch"): "has 2 provisioned environments; a warmer would only add cost",
    }
    assert result["failed"] == {"ghost": "function ghost not found"}
    assert len(deployment.world.invoker.targets("api")) == 3
    assert emitted_metrics(capsys.readouterr().out) == {"Warmed": 2, "WarmSkipped": 2, "WarmFailed": 1}

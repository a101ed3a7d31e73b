"""The alarm subscriber: real EventBridge and SNS deliveries in, at most one run per function out, every skip
counted by its reason (a poison event is never raised, or it would be delivered again and again)."""

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.handlers import alarm
from autotuner.handlers.settings import MisconfiguredFunctionError
from autotuner_local.runtime import LocalContext
from tests.conftest import load_event
from tests.unit.handlers.conftest import MACHINE, Deployment, emitted_metrics
from tests.unit.workflow.scenario import TARGET

PROFILE = {"num": 5, "powerValues": [256, 512]}
ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:autotuner-orders-p95-duration"


@pytest.fixture
def profiled(deployment: Deployment) -> Deployment:
    deployment.world.registry.set_user_profile(TARGET, PROFILE)
    return deployment


@pytest.mark.parametrize("event_file", ["alarm-state-change.json", "alarm-via-sns.json"])
def test_an_alarm_starts_a_run_of_the_tuner_with_the_function_profile(
    profiled: Deployment, event_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = profiled.call(alarm.handler, load_event(event_file))

    [(name, tuning_input)] = profiled.starter.started.items()
    assert result == {"started": [f"{MACHINE.replace(':stateMachine:', ':execution:')}:{name}"], "skipped": []}
    assert {k: tuning_input[k] for k in ("num", "powerValues", "lambdaARN")} == {**PROFILE, "lambdaARN": TARGET}
    assert (tuning_input["trigger"]["source"], tuning_input["trigger"]["alarmName"]) == (
        "alarm",
        "autotuner-orders-p95-duration",
    )
    assert emitted_metrics(capsys.readouterr().out) == {"RetuneStarted": 1}


def test_the_cooldown_is_the_deployment_setting(profiled: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETUNE_COOLDOWN_HOURS", "0.5")
    profiled.call(alarm.handler, load_event("alarm-state-change.json"))
    again = profiled.call(alarm.handler, load_event("alarm-via-sns.json"))  # the same transition, through SNS
    assert again["skipped"][0]["reason"] == "was tuned or claimed within the last 0.5 h, or a run is in progress"


def test_the_duration_margin_and_the_canary_for_aliases_are_the_deployment_settings(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment.world.registry.set_user_profile(TARGET, {**PROFILE, "autoOptimize": True})
    monkeypatch.setenv("RETUNE_DURATION_MARGIN", "0.5")
    monkeypatch.setenv("RETUNE_THROUGH_CANARY", "false")
    deployment.call(alarm.handler, load_event("alarm-state-change-alias.json"))  # p95 Duration above 800 ms
    [tuning_input] = deployment.starter.started.values()
    assert tuning_input["lambdaARN"] == f"{TARGET}:live"
    assert tuning_input["constraints"] == {"maxP95DurationMs": 400.0}
    assert "canary" not in tuning_input


@pytest.mark.parametrize(
    ("event_file", "code", "reason"),
    [
        ("alarm-state-change-ok.json", "NotInAlarm", "is OK; only ALARM re-tunes"),
        ("alarm-state-change-not-lambda.json", "NoFunction", "watches no Lambda function (metric namespaces: AWS/EC2)"),
        ("alarm-via-sns-truncated.json", "Malformed", "could not be read as an alarm state change ("),
        ("scheduled-event.json", "NotAnAlarm", "is a 'Scheduled Event' event, not an alarm state change"),
    ],
)
def test_an_event_that_cannot_start_a_run_is_skipped_and_counted_not_raised(
    profiled: Deployment, event_file: str, code: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = profiled.call(alarm.handler, load_event(event_file))

    [skipped] = result["skipped"]
    assert (result["started"], skipped["code"]) == ([], code)
    assert skipped["reason"].startswith(reason)
    assert profiled.starter.started == {}
    assert emitted_metrics(capsys.readouterr().out) == {f"RetuneSkipped{code}": 1}


def test_the_alarm_prefix_is_the_deployment_setting(profiled: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETUNE_ALARM_PREFIX", "ops-")
    result = profiled.call(alarm.handler, load_event("alarm-state-change.json"))
    assert [s["code"] for s in result["skipped"]] == ["NotOptedIn"]


def test_an_alarm_opted_in_by_tag_has_its_tags_read(profiled: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETUNE_ALARM_PREFIX", "")
    monkeypatch.setenv("RETUNE_ALARM_TAG", "autotuner:retune")
    profiled.alarms.tags_of[ALARM_ARN] = {"autotuner:retune": "true"}
    result = profiled.call(alarm.handler, load_event("alarm-state-change.json"))
    assert (len(result["started"]), profiled.alarms.tags_read) == (1, [ALARM_ARN])


@pytest.mark.parametrize("event_file", ["alarm-state-change.json", "alarm-via-sns.json"])
def test_an_alarm_cloudwatch_does_not_hold_starts_nothing(
    profiled: Deployment, event_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    profiled.alarms.alarms.clear()
    result = profiled.call(alarm.handler, load_event(event_file))
    assert (result["started"], [s["code"] for s in result["skipped"]]) == ([], ["AlarmNotFound"])
    assert profiled.alarms.described == ["autotuner-orders-p95-duration"]
    assert emitted_metrics(capsys.readouterr().out) == {"RetuneSkippedAlarmNotFound": 1}


def test_only_the_alarms_of_the_subscribers_own_account_and_region_are_read(profiled: Deployment) -> None:
    """Where the subscriber runs (its function ARN) is where the alarms it acts on are."""
    context = LocalContext("handler", "$LATEST", "arn:aws:lambda:eu-west-1:123456789012:function:sub", 256, 60)
    result = alarm.handler(load_event("alarm-state-change.json"), context)
    assert [s["code"] for s in result["skipped"]] == ["NotHere"]
    assert profiled.alarms.described == []


def test_a_run_that_cannot_start_is_raised_for_a_retry_and_leaves_no_claim(profiled: Deployment) -> None:
    profiled.starter.failure = AwsError("starting a tuning run: ServiceUnavailable")
    with pytest.raises(AwsError, match="ServiceUnavailable"):
        profiled.call(alarm.handler, load_event("alarm-state-change.json"))
    assert profiled.world.registry.auto_claims == {}


def test_the_subscriber_needs_the_tuner_state_machine(profiled: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUNER_STATE_MACHINE_ARN")
    with pytest.raises(MisconfiguredFunctionError, match="TUNER_STATE_MACHINE_ARN: Field required"):
        profiled.call(alarm.handler, load_event("alarm-state-change.json"))
    assert profiled.world.registry.auto_claims == {}

"""Each function's settings read the variables template.yaml sets, by their names, and a missing one is named."""

from collections.abc import Iterator

import pytest

from autotuner.domain.costs.pricing import Architecture
from autotuner.handlers.alarm import AlarmSubscriberFunctionSettings
from autotuner.handlers.analyze import AnalyzeFunctionSettings
from autotuner.handlers.apply import ApplyFunctionSettings
from autotuner.handlers.cleanup import CleanupFunctionSettings
from autotuner.handlers.fleet import FleetClaimFunctionSettings, FleetListFunctionSettings
from autotuner.handlers.measure import MeasureFunctionSettings
from autotuner.handlers.notify import NotifyFunctionSettings, ReportFailureFunctionSettings
from autotuner.handlers.plan import PlanFunctionSettings
from autotuner.handlers.prepare import PrepareFunctionSettings
from autotuner.handlers.settings import FunctionSettings, MisconfiguredFunctionError, forget_settings
from autotuner.handlers.warmer import WarmerFunctionSettings

TOPIC = "arn:aws:sns:us-east-1:123456789012:results"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:tuner"
PATTERN = "arn:aws:lambda:us-east-1:123456789012:function:*"
TUNING = {"POWER_VALUES": "128, 512,1024", "MAX_MEMORY_MB": "3008"}
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/autotuner/5b6c7d8e-0000-4000-8000-9a8b7c6d5e4f"
SCOPE = {"TARGET_FUNCTION_ARN_PATTERN": PATTERN, "STACK_ID": STACK_ID}

# Each model with an environment as the template gives its function, and what it reads from it.
CASES: list[tuple[type[FunctionSettings], dict[str, str], dict[str, object]]] = [
    (
        PlanFunctionSettings,
        {**TUNING, **SCOPE, "MAX_RUN_SECONDS": "600", "TUNER_ARCHITECTURE": "x86_64", "RUNS_TABLE": "runs",
         "PROFILES_TABLE": "profiles", "TUNER_ACCOUNT_ID": "123456789012", "TARGET_ACCOUNT_ROLE_NAME": "tuner-target",
         "TARGET_ACCOUNT_IDS": "210987654321,333344445555", "MAX_RUN_BUDGET_USD": "10", "MAX_RUN_INVOCATIONS": "5000",
         "ALLOW_AUTO_APPLY": "false", "ALLOW_ARCHITECTURE_SWITCH": "true", "MEASURE_RESERVED_CONCURRENCY": "20"},
        {"power_values": [128, 512, 1024], "max_memory_mb": 3008, "max_run_seconds": 600, "stack_id": STACK_ID,
         "tuner_architecture": Architecture.X86_64, "target_function_arn_pattern": PATTERN, "runs_table": "runs",
         "profiles_table": "profiles", "throttle_base_delay_ms": 200,
         "tuner_account": "123456789012", "target_account_role_name": "tuner-target",
         "target_account_ids": ["210987654321", "333344445555"], "max_run_budget_usd": 10.0,
         "max_run_invocations": 5000, "allow_auto_apply": False, "allow_architecture_switch": True,
         "measure_reserved_concurrency": 20},
    ),
    (PrepareFunctionSettings, {"RUNS_TABLE": "runs"}, {"runs_table": "runs"}),
    (
        MeasureFunctionSettings,
        {"THROTTLE_BASE_DELAY_MS": "50", "MEASUREMENTS_TABLE": "measurements"},
        {"throttle_base_delay_ms": 50, "measurements_table": "measurements"},
    ),
    (AnalyzeFunctionSettings, {"MEASUREMENTS_TABLE": "measurements"}, {"measurements_table": "measurements"}),
    (ApplyFunctionSettings, {"RUNS_TABLE": "runs"}, {"runs_table": "runs"}),
    (
        CleanupFunctionSettings,
        {"RUNS_TABLE": "runs", "PROFILES_TABLE": "profiles"},
        {"runs_table": "runs", "profiles_table": "profiles"},
    ),
    (
        NotifyFunctionSettings,
        {"RESULTS_TOPIC_ARN": TOPIC, "VISUALIZATION_URL": "https://example.com/", "PROFILES_TABLE": "profiles"},
        {"results_topic_arn": TOPIC, "visualization_url": "https://example.com/", "profiles_table": "profiles"},
    ),
    (
        ReportFailureFunctionSettings,
        {"RESULTS_TOPIC_ARN": TOPIC, "RUNS_TABLE": "runs"},
        {"results_topic_arn": TOPIC, "runs_table": "runs"},
    ),
    (
        AlarmSubscriberFunctionSettings,
        {**TUNING, **SCOPE, "TUNER_STATE_MACHINE_ARN": MACHINE, "RETUNE_ALARM_PREFIX": "autotuner-",
         "RETUNE_ALARM_TAG": "", "RETUNE_COOLDOWN_HOURS": "6", "PROFILES_TABLE": "profiles",
         "RETUNE_DURATION_MARGIN": "0.8", "RETUNE_THROUGH_CANARY": "true"},
        {"tuner_state_machine_arn": MACHINE, "retune_alarm_prefix": "autotuner-", "retune_alarm_tag": "",
         "retune_cooldown_hours": 6, "profiles_table": "profiles", "power_values": [128, 512, 1024],
         "retune_duration_margin": 0.8, "retune_through_canary": True},
    ),
    (
        FleetListFunctionSettings,
        {"FLEET_TAG": "autotuner:tune", "FLEET_CONCURRENCY": "2", "STACK_ID": STACK_ID},
        {"fleet_tag": "autotuner:tune", "fleet_concurrency": 2, "stack_id": STACK_ID},
    ),
    (
        FleetClaimFunctionSettings,
        {"RETUNE_COOLDOWN_HOURS": "1.5", "PROFILES_TABLE": "profiles"},
        {"retune_cooldown_hours": 1.5, "profiles_table": "profiles"},
    ),
    (
        WarmerFunctionSettings,
        {"WARM_TAG": "autotuner:warm", "WARM_TARGETS": "api:2", "STACK_ID": STACK_ID},
        {"warm_tag": "autotuner:warm", "warm_targets": "api:2", "stack_id": STACK_ID},
    ),
]  # fmt: skip
IDS = [model.__name__ for model, _, _ in CASES]


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    forget_settings()
    yield
    forget_settings()


def required_variables(model: type[FunctionSettings]) -> list[str]:
    return [str(field.validation_alias) for field in model.model_fields.values() if field.is_required()]


@pytest.mark.parametrize(("model", "environment", "expected"), CASES, ids=IDS)
def test_settings_read_the_template_variable_names(
    model: type[FunctionSettings], environment: dict[str, str], expected: dict[str, object]
) -> None:
    read = model.from_environment(environment | {"UNRELATED": "ignored"})
    assert {name: getattr(read, name) for name in expected} == expected


@pytest.mark.parametrize(("model", "environment", "expected"), CASES, ids=IDS)
def test_a_missing_required_variable_fails_naming_it(
    model: type[FunctionSettings], environment: dict[str, str], expected: dict[str, object]
) -> None:
    assert required_variables(model), f"{model.__name__} has nothing the template must set"
    for variable in required_variables(model):
        without = {name: value for name, value in environment.items() if name != variable}
        with pytest.raises(MisconfiguredFunctionError, match=rf"{model.__name__}: {variable}: Field required"):
            model.from_environment(without)


def test_an_empty_table_name_is_refused_at_once() -> None:
    with pytest.raises(MisconfiguredFunctionError, match="RUNS_TABLE: String should have at least 1 character"):
        PrepareFunctionSettings.from_environment({"RUNS_TABLE": ""})


def test_every_invalid_value_is_named() -> None:
    environment = CASES[0][1] | {"POWER_VALUES": "128,lots", "MAX_MEMORY_MB": "64", "TARGET_ACCOUNT_IDS": "12,x"}
    with pytest.raises(MisconfiguredFunctionError) as raised:
        PlanFunctionSettings.from_environment(environment)
    assert "POWER_VALUES: Value error" in str(raised.value)
    assert "MAX_MEMORY_MB: Input should be greater than or equal to 128" in str(raised.value)
    assert "TARGET_ACCOUNT_IDS: Value error, each account id is 12 digits" in str(raised.value)


def test_settings_are_read_once_per_function_until_the_environment_is_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNS_TABLE", "first")
    monkeypatch.setenv("PROFILES_TABLE", "profiles")
    first = PrepareFunctionSettings.current()
    monkeypatch.setenv("RUNS_TABLE", "second")
    assert PrepareFunctionSettings.current() is first, "read at the first invocation, not at each"
    assert CleanupFunctionSettings.current().runs_table == "second", "each function has its own settings"
    forget_settings()
    assert PrepareFunctionSettings.current().runs_table == "second"


def test_a_misconfigured_function_fails_on_its_first_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESULTS_TOPIC_ARN", raising=False)
    monkeypatch.setenv("RUNS_TABLE", "runs")
    with pytest.raises(MisconfiguredFunctionError, match="RESULTS_TOPIC_ARN: Field required"):
        ReportFailureFunctionSettings.current()

"""Every variable a function's settings require is one template.yaml sets for that function (Globals included):
a deployment from the template can never fail its first invocation for a missing setting."""

from pathlib import Path

import pytest

from autotuner.handlers.alarm import AlarmSubscriberFunctionSettings
from autotuner.handlers.apply import ApplyFunctionSettings
from autotuner.handlers.canary import CheckCanaryFunctionSettings
from autotuner.handlers.cleanup import CleanupFunctionSettings
from autotuner.handlers.fleet import FleetClaimFunctionSettings, FleetListFunctionSettings
from autotuner.handlers.measure import MeasureFunctionSettings
from autotuner.handlers.notify import NotifyFunctionSettings, ReportFailureFunctionSettings
from autotuner.handlers.plan import PlanFunctionSettings
from autotuner.handlers.prepare import PrepareFunctionSettings
from autotuner.handlers.savings_widget import SavingsWidgetFunctionSettings
from autotuner.handlers.settings import FunctionSettings
from autotuner.handlers.traffic import CheckTrafficFunctionSettings, RouteCandidateFunctionSettings
from autotuner.handlers.warmer import WarmerFunctionSettings
from autotuner_local.template import function_properties, load_template, resources_of_type

TEMPLATE = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")

# The settings each handler reads (None: it reads none).
HANDLER_SETTINGS: dict[str, type[FunctionSettings] | None] = {
    "autotuner.handlers.plan.handler": PlanFunctionSettings,
    "autotuner.handlers.prepare.handler": PrepareFunctionSettings,
    "autotuner.handlers.measure.handler": MeasureFunctionSettings,
    "autotuner.handlers.analyze.handler": None,
    "autotuner.handlers.apply.handler": ApplyFunctionSettings,
    "autotuner.handlers.canary.handler": CheckCanaryFunctionSettings,
    "autotuner.handlers.traffic.route_handler": RouteCandidateFunctionSettings,
    "autotuner.handlers.traffic.check_handler": CheckTrafficFunctionSettings,
    "autotuner.handlers.cleanup.handler": CleanupFunctionSettings,
    "autotuner.handlers.notify.handler": NotifyFunctionSettings,
    "autotuner.handlers.notify.failure_handler": ReportFailureFunctionSettings,
    "autotuner.handlers.alarm.handler": AlarmSubscriberFunctionSettings,
    "autotuner.handlers.fleet.list_handler": FleetListFunctionSettings,
    "autotuner.handlers.fleet.claim_handler": FleetClaimFunctionSettings,
    "autotuner.handlers.warmer.handler": WarmerFunctionSettings,
    "autotuner.handlers.savings_widget.handler": SavingsWidgetFunctionSettings,
}


def test_every_function_of_the_template_has_its_handler_settings_listed() -> None:
    handlers = {str(function_properties(TEMPLATE, f)["Handler"]) for f in FUNCTIONS}
    assert handlers == set(HANDLER_SETTINGS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_template_sets_every_variable_a_function_requires(function: str) -> None:
    properties = function_properties(TEMPLATE, function)
    model = HANDLER_SETTINGS[str(properties["Handler"])]
    if model is None:
        return
    required = {str(f.validation_alias) for f in model.model_fields.values() if f.is_required()}
    missing = required - set(properties["Environment"]["Variables"])
    assert not missing, f"{function} runs {properties['Handler']}, whose settings require {sorted(missing)}"


MODELS: list[type[FunctionSettings]] = [model for model in HANDLER_SETTINGS.values() if model is not None]


@pytest.mark.parametrize("model", MODELS, ids=[model.__name__ for model in MODELS])
def test_each_function_has_its_own_settings_model(model: type[FunctionSettings]) -> None:
    """Cached per model: two functions sharing one would share one function's values in the emulator's process."""
    users = [handler for handler, used in HANDLER_SETTINGS.items() if used is model]
    assert len(users) == 1, f"{model.__name__} serves {users}"
    assert model.__name__ in {f"{f}Settings" for f in FUNCTIONS}, "named after its function in template.yaml"

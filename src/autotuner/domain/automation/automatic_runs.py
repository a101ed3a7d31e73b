"""What an automatic run (an alarm's re-tune, a fleet member's run) starts with: the function's stored profile, the
function as the alarm or the fleet names it, and why the run starts."""

from typing import Any

from autotuner.domain.automation.alarms import WatchedFunction
from autotuner.domain.inputs.tuning_input import Trigger


def automatic_input(function: WatchedFunction, profile: dict[str, Any], trigger: Trigger) -> dict[str, Any]:
    """The state machine input of an automatic run: the profile, the function (and alarm's alias), the trigger."""
    return {**profile, "lambdaARN": str(function.target), "trigger": trigger.model_dump(mode="json")}


def applies_to_alias(tuning_input: dict[str, Any], function: WatchedFunction) -> bool:
    """Whether the run would apply its choice to an alias (the profile's, or the one the alarm watches)."""
    return bool(tuning_input.get("autoOptimize")) and bool(tuning_input.get("autoOptimizeAlias") or function.alias)

"""What an automatic run (an alarm's re-tune, a fleet member's run) starts with: the function's stored profile, the
function as the alarm or the fleet names it, and why the run starts.

A profile is stored only when the operator asks: ``saveProfile: true`` in a run's input (the input as given, once
the run succeeds), or ``autotuner profile set`` / ``autotuner tune --save-profile``. A run's input is never kept
otherwise, so a one-off run (and its payload) sets nothing that later automatic runs do.
"""

from typing import Any

from pydantic import BaseModel, Field

from autotuner.domain.automation.alarms import WatchedFunction
from autotuner.domain.inputs.tuning_input import Trigger

STORED_BY_CLI = "autotuner profile set"
# Never part of a profile: the target and the trigger are the automatic run's own, and an automatic run stores none.
NOT_IN_A_PROFILE = frozenset({"lambdaARN", "trigger", "saveProfile"})


class ProfileToStore(BaseModel):
    """A profile about to be stored, and through what (kept beside it, with the time, as ``storedBy``)."""

    profile: dict[str, Any]
    stored_by: str = Field(min_length=1)


def profile_of_input(given: dict[str, Any]) -> dict[str, Any]:
    """The part of an input that a profile holds: everything but the target, the trigger and ``saveProfile``."""
    return {key: value for key, value in given.items() if key not in NOT_IN_A_PROFILE}


def no_profile_reason(legacy_run_input: bool) -> str:
    """Why an automatic run of a function does not start: no stored profile (and what to do)."""
    reason = "no stored tuning profile: store one with `autotuner profile set` or a run with saveProfile"
    if legacy_run_input:
        reason += " (the input of its last run, which an older version kept, is never used as one)"
    return reason


def stored_by_run(execution_id: str) -> str:
    return f"input saveProfile of execution {execution_id}"


def automatic_input(function: WatchedFunction, profile: dict[str, Any], trigger: Trigger) -> dict[str, Any]:
    """The state machine input of an automatic run: the profile, the function (and alarm's alias), the trigger."""
    return {**profile_of_input(profile), "lambdaARN": str(function.target), "trigger": trigger.model_dump(mode="json")}


def applies_to_alias(tuning_input: dict[str, Any], function: WatchedFunction) -> bool:
    """Whether the run would apply its choice to an alias (the profile's, or the one the alarm watches)."""
    return bool(tuning_input.get("autoOptimize")) and bool(tuning_input.get("autoOptimizeAlias") or function.alias)

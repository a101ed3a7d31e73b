"""Scheduled fleet tuning: every function carrying the fleet tag, re-tuned with its profile. The state machine
fans the list out (a distributed Map, so the fleet's size is not bounded by one Lambda run) and waits for each
run, which bounds how many run at once."""

from typing import Any

from pydantic import BaseModel, Field

from autotuner.domain.automation.alarms import WatchedFunction
from autotuner.domain.automation.automatic_runs import automatic_input, no_profile_reason
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.inputs.tuning_input import Trigger, TriggerSource
from autotuner.workflow.ports import Profiles


class FleetMember(BaseModel):
    function_arn: str = Field(alias="functionArn")


class FleetListRequest(BaseModel):
    started_at: str | None = Field(default=None, alias="startedAt")


class FleetClaimRequest(BaseModel):
    member: FleetMember
    started_at: str = Field(alias="startedAt")


class FleetClaim(BaseModel):
    start: bool
    function_arn: str = Field(serialization_alias="functionArn")
    reason: str = ""
    name: str = ""
    input: dict[str, Any] = Field(default_factory=dict)


def claim_for_fleet(member: FleetMember, *, profiles: Profiles, cooldown_s: float, started_at: str) -> FleetClaim:
    function = WatchedFunction(function=parse_function_arn(member.function_arn))
    stored = profiles.get(member.function_arn)
    profile = stored.profile if stored is not None else None
    if stored is None or profile is None:
        reason = no_profile_reason(stored is not None and stored.legacy_run_input)
        return FleetClaim(start=False, function_arn=member.function_arn, reason=reason)
    claimant = f"fleet-{started_at}"
    if not profiles.claim_automatic(member.function_arn, cooldown_s=cooldown_s, claimant=claimant):
        reason = "tuned or claimed within the cooldown, or a run is in progress"
        return FleetClaim(start=False, function_arn=member.function_arn, reason=reason)
    trigger = Trigger(source=TriggerSource.SCHEDULE, reason="scheduled fleet tuning", time=started_at)
    name = f"fleet-{function.name}-{started_at.replace(':', '').replace('.', '')[:15]}"[:80]
    return FleetClaim(
        start=True, function_arn=member.function_arn, name=name, input=automatic_input(function, profile, trigger)
    )

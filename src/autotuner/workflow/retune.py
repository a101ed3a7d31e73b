"""Re-tuning when an alarm fires: from an alarm state change to at most one new run per function.

Every event that cannot start a run is skipped with a specific reason, never raised: EventBridge and SNS would
otherwise deliver a poison event again and again. Only AWS faults (which a retry may cure) propagate.
"""

import fnmatch
import hashlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from autotuner.domain.alarms import AlarmChange, WatchedFunction, opted_in, watched_functions
from autotuner.domain.contracts import Trigger, TriggerSource, TuningDefaults, parse_tuning_input
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.scope import is_stack_function
from autotuner.workflow.ports import Profiles, Starter


class RetuneSettings(BaseModel):
    alarm_name_prefix: str = "autotuner-"
    alarm_tag_key: str = ""
    cooldown_s: float = 6 * 3600
    target_arn_pattern: str = "*"
    stack_name: str = ""
    defaults: TuningDefaults = Field(default_factory=TuningDefaults)


class Skipped(BaseModel):
    subject: str
    reason: str
    code: str = Field(description="a short name for the metric dimension")


class RetuneResult(BaseModel):
    started: list[str] = Field(default_factory=list, description="execution ARNs")
    skipped: list[Skipped] = Field(default_factory=list)


def retune(
    change: AlarmChange,
    settings: RetuneSettings,
    *,
    profiles: Profiles,
    starter: Starter,
    alarm_tags: Callable[[str], dict[str, str]],
) -> RetuneResult:
    result = RetuneResult()
    alarm = f"alarm {change.alarm_name}"
    if change.state != "ALARM":
        result.skipped.append(
            Skipped(subject=alarm, reason=f"is {change.state}; only ALARM re-tunes", code="NotInAlarm")
        )
        return result
    tags = alarm_tags(change.alarm_arn) if settings.alarm_tag_key else None
    if not opted_in(change.alarm_name, tags, name_prefix=settings.alarm_name_prefix, tag_key=settings.alarm_tag_key):
        result.skipped.append(Skipped(subject=alarm, reason=_not_opted_in(settings), code="NotOptedIn"))
        return result
    functions = watched_functions(change)
    if not functions:
        namespaces = sorted({m.namespace for m in change.metrics}) or ["none (a composite alarm?)"]
        reason = f"watches no Lambda function (metric namespaces: {', '.join(namespaces)})"
        result.skipped.append(Skipped(subject=alarm, reason=reason, code="NoFunction"))
        return result
    for function in functions:
        outcome = _start_one(change, function, settings, profiles=profiles, starter=starter)
        if isinstance(outcome, Skipped):
            result.skipped.append(outcome)
        else:
            result.started.append(outcome)
    return result


def _start_one(
    change: AlarmChange, function: WatchedFunction, settings: RetuneSettings, *, profiles: Profiles, starter: Starter
) -> str | Skipped:
    subject = f"function {function.name}"
    if not fnmatch.fnmatchcase(function.function_arn, settings.target_arn_pattern):
        reason = f"is outside the functions this deployment may tune ({settings.target_arn_pattern})"
        return Skipped(subject=subject, reason=reason, code="OutsidePattern")
    if is_stack_function(function.name, settings.stack_name):
        return Skipped(subject=subject, reason="is one of this tuner's own functions", code="OwnFunction")
    stored = profiles.get(function.function_arn)
    profile = stored.profile if stored is not None else None
    if profile is None:
        reason = "has no tuning profile: tune it once, or store one with `autotuner profile set`"
        return Skipped(subject=subject, reason=reason, code="NoProfile")
    tuning_input = automatic_input(function, profile, _trigger(change))
    try:
        parse_tuning_input(tuning_input, settings.defaults)
    except InvalidInputError as error:
        return Skipped(subject=subject, reason=f"has an invalid profile: {error}", code="InvalidProfile")
    claimant = _claimant(change, function)
    if not profiles.claim_automatic(function.function_arn, cooldown_s=settings.cooldown_s, claimant=claimant):
        hours = settings.cooldown_s / 3600
        reason = f"was tuned or claimed within the last {hours:g} h, or a run is in progress"
        return Skipped(subject=subject, reason=reason, code="Cooldown")
    try:
        return starter.start(tuning_input, f"alarm-{function.name}-{claimant}"[:80])
    except Exception:
        profiles.release_automatic(function.function_arn, claimant)  # let the next alarm try again
        raise


def automatic_input(function: WatchedFunction, profile: dict[str, Any], trigger: Trigger) -> dict[str, Any]:
    """The state machine input of an automatic run: the profile, the function (and alarm's alias), the trigger."""
    arn = f"{function.function_arn}:{function.alias}" if function.alias else function.function_arn
    return {**profile, "lambdaARN": arn, "trigger": trigger.model_dump(mode="json")}


def _trigger(change: AlarmChange) -> Trigger:
    return Trigger(source=TriggerSource.ALARM, alarm_name=change.alarm_name, reason=change.reason, time=change.time)


def _claimant(change: AlarmChange, function: WatchedFunction) -> str:
    """Stable for one alarm transition: the same event delivered twice claims under the same name."""
    digest = hashlib.sha256(f"{change.alarm_arn}|{change.time}|{function.function_arn}".encode()).hexdigest()
    return digest[:12]


def _not_opted_in(settings: RetuneSettings) -> str:
    ways = []
    if settings.alarm_name_prefix:
        ways.append(f"its name does not start with {settings.alarm_name_prefix!r}")
    if settings.alarm_tag_key:
        ways.append(f"it has no tag {settings.alarm_tag_key}=true")
    return "is not opted in: " + " and ".join(ways or ["re-tuning by alarm is switched off"])

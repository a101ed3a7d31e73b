"""Re-tuning when an alarm fires: from an alarm state change to at most one new run per function.

A message (EventBridge's or SNS's) only names an alarm: anyone allowed to publish to the topic could write the
rest. The alarm is read from CloudWatch, in the tuner's own account and region, and only an alarm that exists
there, is in ALARM now and is opted in re-tunes; the functions it watches, its metric, statistic, threshold and
state-change time are CloudWatch's, never the message's.

Every event that cannot start a run is skipped with a specific reason, never raised: EventBridge and SNS would
otherwise deliver a poison event again and again. Only AWS faults (which a retry may cure) propagate.
"""

import fnmatch
import hashlib
from typing import Any

from pydantic import BaseModel, Field

from autotuner.domain.automation.alarm_semantics import (
    DEFAULT_DURATION_MARGIN,
    AlarmMeaning,
    alarm_meaning,
    count_failures,
    merged_constraints,
    with_failure_evidence,
)
from autotuner.domain.automation.alarms import AlarmChange, WatchedFunction, opted_in, watched_functions
from autotuner.domain.automation.automatic_runs import applies_to_alias, automatic_input, no_profile_reason
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.inputs.arn import parse_arn
from autotuner.domain.inputs.scope import is_stack_function
from autotuner.domain.inputs.tuning_input import Trigger, TriggerSource, TuningDefaults, parse_tuning_input
from autotuner.workflow.ports import AlarmSource, FunctionLogs, FunctionTags, Profiles, Starter

RECENT_LOGS_S = 3600  # how far back an Errors alarm looks for time-outs and out-of-memory endings
MAX_ALARM_NAME = 255  # CloudWatch's limit


class RetuneSettings(BaseModel):
    account: str = Field(pattern=r"^\d{12}$", description="the tuner's account: only its alarms re-tune")
    region: str = Field(min_length=1, description="the tuner's region: only its alarms re-tune")
    alarm_name_prefix: str = "autotuner-"
    alarm_tag_key: str = ""
    cooldown_s: float = 6 * 3600
    target_arn_pattern: str = "*"
    stack_id: str = Field(default="", description="the tuner's own stack, whose functions are never re-tuned")
    defaults: TuningDefaults = Field(default_factory=TuningDefaults)
    duration_margin: float = Field(default=DEFAULT_DURATION_MARGIN, gt=0, le=1)
    canary_for_aliases: bool = Field(default=True, description="profiles applied to an alias go through a canary")


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
    alarms: AlarmSource,
    function_tags: FunctionTags,
    logs: FunctionLogs | None = None,
) -> RetuneResult:
    result = RetuneResult()
    checked = _checked_at_source(change, settings, alarms)
    if isinstance(checked, Skipped):
        result.skipped.append(checked)
        return result
    alarm = f"alarm {checked.alarm_name}"
    functions = watched_functions(checked)
    if not functions:
        namespaces = sorted({m.namespace for m in checked.metrics}) or ["none (a composite alarm?)"]
        reason = f"watches no Lambda function (metric namespaces: {', '.join(namespaces)})"
        result.skipped.append(Skipped(subject=alarm, reason=reason, code="NoFunction"))
        return result
    meaning = alarm_meaning(checked, duration_margin=settings.duration_margin)
    for function in functions:
        outcome = _start_one(
            checked, meaning, function, settings, profiles=profiles, starter=starter, function_tags=function_tags,
            logs=logs,
        )  # fmt: skip
        if isinstance(outcome, Skipped):
            result.skipped.append(outcome)
        else:
            result.started.append(outcome)
    return result


def _checked_at_source(change: AlarmChange, settings: RetuneSettings, alarms: AlarmSource) -> AlarmChange | Skipped:
    """The alarm's state change as CloudWatch holds it, when the alarm is one this deployment acts on: in its
    account and region, existing, in ALARM now, opted in. Of the message, only the alarm's name and ARN count."""
    subject = f"alarm {change.alarm_name}"
    if change.state != "ALARM":  # what the message says of itself is enough to do nothing
        return Skipped(subject=subject, reason=f"is {change.state}; only ALARM re-tunes", code="NotInAlarm")
    here = f"account {settings.account}, {settings.region}"
    if not _is_here(change.alarm_arn, settings):
        reason = f"is not an alarm of this deployment's account and region ({here})"
        return Skipped(subject=subject, reason=reason, code="NotHere")
    named = 0 < len(change.alarm_name) <= MAX_ALARM_NAME and change.alarm_arn.endswith(f":alarm:{change.alarm_name}")
    alarm = alarms.alarm(change.alarm_name) if named else None  # a name CloudWatch cannot hold is not asked about
    if alarm is None or alarm.arn != change.alarm_arn:
        reason = f"does not exist in CloudWatch ({here}); a message about it starts nothing"
        return Skipped(subject=subject, reason=reason, code="AlarmNotFound")
    if alarm.state != "ALARM":
        reason = f"is {alarm.state or 'in no state'} in CloudWatch now; only ALARM re-tunes"
        return Skipped(subject=subject, reason=reason, code="NotInAlarm")
    tags = alarms.tags(alarm.arn) if settings.alarm_tag_key else None
    if not opted_in(alarm.name, tags, name_prefix=settings.alarm_name_prefix, tag_key=settings.alarm_tag_key):
        return Skipped(subject=subject, reason=_not_opted_in(settings), code="NotOptedIn")
    return alarm.as_change()


def _is_here(alarm_arn: str, settings: RetuneSettings) -> bool:
    try:
        arn = parse_arn(alarm_arn, service="cloudwatch")
    except ValueError:
        return False
    return (arn.account, arn.region) == (settings.account, settings.region) and arn.resource.startswith("alarm:")


def _start_one(
    change: AlarmChange,
    meaning: AlarmMeaning,
    function: WatchedFunction,
    settings: RetuneSettings,
    *,
    profiles: Profiles,
    starter: Starter,
    function_tags: FunctionTags,
    logs: FunctionLogs | None,
) -> str | Skipped:
    profile = _profile_in_scope(function, settings, profiles, function_tags)
    if isinstance(profile, Skipped):
        return profile
    if meaning.needs_failure_evidence:
        endings = logs.recent_endings(function.function, RECENT_LOGS_S) if logs else []
        meaning = with_failure_evidence(meaning, count_failures(endings))
    if meaning.skip_code is not None:
        return Skipped(subject=f"alarm {change.alarm_name}", reason=meaning.skip_reason or "", code=meaning.skip_code)
    tuning_input = automatic_input(function, profile, _trigger(change, meaning))
    tuning_input["constraints"] = merged_constraints(profile.get("constraints"), meaning.constraints)
    if settings.canary_for_aliases and applies_to_alias(tuning_input, function) and "canary" not in tuning_input:
        tuning_input["canary"] = {}  # the default window: 10% of the traffic for 30 minutes, checked every minute
    subject = f"function {function.name}"
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


def _profile_in_scope(
    function: WatchedFunction, settings: RetuneSettings, profiles: Profiles, function_tags: FunctionTags
) -> dict[str, Any] | Skipped:
    """The function's profile, when the function is one this deployment may tune and has one."""
    subject = f"function {function.name}"
    if not fnmatch.fnmatchcase(function.function_arn, settings.target_arn_pattern):
        reason = f"is outside the functions this deployment may tune ({settings.target_arn_pattern})"
        return Skipped(subject=subject, reason=reason, code="OutsidePattern")
    tags = function_tags(function.function_arn)
    if tags is None:  # nobody can tell whether it is one of the tuner's own: refused, as Plan refuses it
        reason = "has tags the tuner could not read (lambda:ListTags), so it may be one of the tuner's own functions"
        return Skipped(subject=subject, reason=reason, code="OwnFunction")
    if is_stack_function(tags, settings.stack_id):
        return Skipped(subject=subject, reason="is one of this tuner's own functions", code="OwnFunction")
    stored = profiles.get(function.function_arn)
    if stored is None or stored.profile is None:
        reason = "has " + no_profile_reason(stored is not None and stored.legacy_run_input)
        return Skipped(subject=subject, reason=reason, code="NoProfile")
    return stored.profile


def _trigger(change: AlarmChange, meaning: AlarmMeaning) -> Trigger:
    return Trigger(source=TriggerSource.ALARM, alarm_name=change.alarm_name, reason=change.reason, time=change.time,
                   metric=meaning.metric, statistic=change.statistic, threshold=change.threshold,
                   constraint=meaning.constraint)  # fmt: skip


def _claimant(change: AlarmChange, function: WatchedFunction) -> str:
    """Stable for one alarm transition (CloudWatch's time of it): the same transition delivered twice, or through
    EventBridge and SNS both, claims under the same name."""
    digest = hashlib.sha256(f"{change.alarm_arn}|{change.time}|{function.function_arn}".encode()).hexdigest()
    return digest[:12]


def _not_opted_in(settings: RetuneSettings) -> str:
    ways = []
    if settings.alarm_name_prefix:
        ways.append(f"its name does not start with {settings.alarm_name_prefix!r}")
    if settings.alarm_tag_key:
        ways.append(f"it has no tag {settings.alarm_tag_key}=true")
    return "is not opted in: " + " and ".join(ways or ["re-tuning by alarm is switched off"])

"""Starts a re-tune when an opted-in CloudWatch alarm goes into ALARM (via EventBridge, or via an SNS topic): the
message names the alarm, CloudWatch says what it is (workflow/retune.py)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, ValidationError

from autotuner.domain.automation.alarms import (
    AlarmChange,
    AlarmStateChangeDetail,
    SnsAlarmMessage,
    from_eventbridge,
    from_sns,
)
from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import (
    ProfilesTableSetting,
    RetuneCooldownSetting,
    TargetScopeSettings,
    TunerStateMachineSetting,
    TuningDefaultsSettings,
)
from autotuner.workflow.retune import RetuneResult, RetuneSettings, Skipped, retune

ALARM_DETAIL_TYPE = "CloudWatch Alarm State Change"


class AlarmSubscriberFunctionSettings(
    TuningDefaultsSettings, TargetScopeSettings, RetuneCooldownSetting, ProfilesTableSetting, TunerStateMachineSetting
):
    retune_alarm_prefix: str = Field(validation_alias="RETUNE_ALARM_PREFIX")
    retune_alarm_tag: str = Field(validation_alias="RETUNE_ALARM_TAG")
    retune_duration_margin: float = Field(validation_alias="RETUNE_DURATION_MARGIN", gt=0, le=1)
    retune_through_canary: bool = Field(validation_alias="RETUNE_THROUGH_CANARY")


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AlarmSubscriberFunctionSettings.current()
    here = parse_function_arn(context.invoked_function_arn)  # only this account's and region's alarms re-tune
    changes, result = read_alarm_changes(event)
    for change in changes:
        outcome = retune(
            change,
            RetuneSettings(
                account=here.account,
                region=here.region,
                alarm_name_prefix=settings.retune_alarm_prefix,
                alarm_tag_key=settings.retune_alarm_tag,
                cooldown_s=settings.cooldown_s,
                target_arn_pattern=settings.target_function_arn_pattern,
                stack_id=settings.stack_id,
                defaults=settings.defaults,
                duration_margin=settings.retune_duration_margin,
                canary_for_aliases=settings.retune_through_canary,
            ),
            profiles=wiring.profiles(settings.profiles_table),
            starter=wiring.tuner_executions(settings.tuner_state_machine_arn),
            alarms=wiring.alarms(settings.retune_alarm_prefix, settings.retune_alarm_tag),
            function_tags=wiring.function_tags,
            logs=wiring.function_logs(),
        )
        result.started += outcome.started
        result.skipped += outcome.skipped
    for skipped in result.skipped:
        logger.warning("not re-tuning", extra={"subject": skipped.subject, "reason": skipped.reason})
        metrics.add_metric(name=f"RetuneSkipped{skipped.code}", unit="Count", value=1)
    if result.started:
        logger.info("re-tuning started", extra={"executions": result.started})
        metrics.add_metric(name="RetuneStarted", unit="Count", value=len(result.started))
    return result.model_dump(mode="json")


def read_alarm_changes(event: Any) -> tuple[list[AlarmChange], RetuneResult]:
    """Alarm changes in an EventBridge or SNS event; anything else is a skipped, not a failed, event."""
    # Imported on the first event: Powertools' envelopes package builds the models of every event source it knows.
    from aws_lambda_powertools.utilities.parser import parse
    from aws_lambda_powertools.utilities.parser.envelopes import EventBridgeEnvelope, SnsEnvelope
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    result = RetuneResult()
    try:
        if isinstance(event, dict) and "Records" in event:
            messages = parse(event=event, model=SnsAlarmMessage, envelope=SnsEnvelope)
            return [from_sns(m) for m in messages or [] if isinstance(m, SnsAlarmMessage)], result
        envelope = parse(event=event, model=EventBridgeModel)
        if envelope.detail_type != ALARM_DETAIL_TYPE or not envelope.resources:
            reason = f"is a {envelope.detail_type!r} event, not an alarm state change"
            result.skipped.append(Skipped(subject="event", reason=reason, code="NotAnAlarm"))
            return [], result
        detail = parse(event=event, model=AlarmStateChangeDetail, envelope=EventBridgeEnvelope)
        if not isinstance(detail, AlarmStateChangeDetail):
            raise TypeError("the event has no alarm detail")
        return [from_eventbridge(detail, alarm_arn=envelope.resources[0], time=envelope.time)], result
    except (ValidationError, ValueError, TypeError) as error:
        reason = f"could not be read as an alarm state change ({str(error).splitlines()[0]})"
        result.skipped.append(Skipped(subject="event", reason=reason, code="Malformed"))
        return [], result

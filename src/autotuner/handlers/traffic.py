from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from autotuner.domain.traffic.window import Verdict
from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import MeasurementsTableSetting, RunsTableSetting
from autotuner.workflow.traffic import TrafficRouteRequest, route_candidate
from autotuner.workflow.traffic_check import SETTLE_S, TrafficCheckRequest, TrafficPorts, check_traffic


class RouteCandidateFunctionSettings(RunsTableSetting):
    pass


class CheckTrafficFunctionSettings(RunsTableSetting, MeasurementsTableSetting):
    retune_alarm_prefix: str = Field(validation_alias="RETUNE_ALARM_PREFIX")
    retune_alarm_tag: str = Field(validation_alias="RETUNE_ALARM_TAG")
    # CloudWatch Logs takes seconds to ingest a call's lines: each check reads up to this long ago. The emulator,
    # which writes them at once, sets 0.
    log_settle_seconds: float = Field(default=SETTLE_S, validation_alias="LOG_SETTLE_SECONDS", ge=0)


@observed
def route_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = RouteCandidateFunctionSettings.current()
    request = TrafficRouteRequest.model_validate(event)
    control = wiring.function_control(request.plan.function, request.plan.target_role)
    check = route_candidate(
        request,
        control,
        wiring.change_guard(settings.runs_table, request.plan.execution_id, control),
        memory_mb=context.memory_limit_in_mb,
    )
    metrics.add_metric(name="TrafficCandidatesRouted", unit="Count", value=1)
    return check.model_dump(mode="json")


@observed
def check_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = CheckTrafficFunctionSettings.current()
    request = TrafficCheckRequest.model_validate(event)
    control = wiring.function_control(request.plan.function, request.plan.target_role)
    ports = TrafficPorts(
        logs=wiring.production_logs(),
        watch=wiring.alarms(settings.retune_alarm_prefix, settings.retune_alarm_tag),
        control=control,
        guard=wiring.change_guard(settings.runs_table, request.execution_id, control),
        records=wiring.run_records(settings.runs_table),
        store=wiring.measurements(settings.measurements_table),
    )
    document = check_traffic(request, ports, memory_mb=context.memory_limit_in_mb, settle_s=settings.log_settle_seconds)
    check = document.traffic_check
    if check is not None and check.verdict is not Verdict.WATCHING:
        logger.info("traffic window ended", extra={"ended": check.ended, "next": check.next_memory_mb})
        metrics.add_metric(name="TrafficWindowsEnded", unit="Count", value=1)
    return document.state()

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.handlers import wiring
from autotuner.handlers.observability import logger, metrics, observed
from autotuner.handlers.settings import MeasurementsTableSetting
from autotuner.workflow.analyze import AnalyzeRequest, analyze_round


class AnalyzeFunctionSettings(MeasurementsTableSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AnalyzeFunctionSettings.current()
    store = wiring.measurements(settings.measurements_table)
    document = analyze_round(AnalyzeRequest.model_validate(event), store, memory_mb=context.memory_limit_in_mb)
    analysis = document.analysis
    logger.info("decision", extra={"reason": analysis.decision.reason if analysis.decision else None})
    metrics.add_metric(name="SizesMeasured", unit="Count", value=len(analysis.candidates))
    return document.state()

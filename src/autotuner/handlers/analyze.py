from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.handlers.observability import logger, observed
from autotuner.workflow.analyze import AnalyzeRequest, analyze_round


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    document = analyze_round(AnalyzeRequest.model_validate(event))
    decision = document.analysis.decision
    logger.info("decision", extra={"reason": decision.reason if decision else None})
    return document.state()

"""The savings dashboard's custom widget: CloudWatch calls it with the viewer's credentials and shows the HTML it
returns (the markdown of WIDGET_DOCUMENTATION when the console asks to describe the widget)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from autotuner.handlers import wiring
from autotuner.handlers.observability import observed
from autotuner.handlers.settings import TunerStateMachineSetting
from autotuner.reports.savings import WIDGET_DOCUMENTATION, render_savings_html
from autotuner.workflow.savings import SavingsWidgetRequest, read_savings


class SavingsWidgetFunctionSettings(TunerStateMachineSetting):
    pass


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> str:
    settings = SavingsWidgetFunctionSettings.current()
    request = SavingsWidgetRequest.model_validate(event)
    if request.describe:
        return WIDGET_DOCUMENTATION
    history = wiring.tuner_executions(settings.tuner_state_machine_arn)
    return render_savings_html(read_savings(history, wiring.invocation_counts(), limit=request.limit))

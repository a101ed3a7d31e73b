"""What every handler does before its step: read its settings (a misconfigured function fails at once, before it
reads the event or touches anything), then read its event (an unreadable one fails naming the fields)."""

import pytest

from autotuner.handlers import (
    alarm,
    analyze,
    apply,
    cleanup,
    fleet,
    measure,
    notify,
    plan,
    prepare,
    savings_widget,
    warmer,
)
from autotuner.handlers.observability import UnreadableDocumentError
from autotuner.handlers.settings import MisconfiguredFunctionError
from tests.unit.handlers.conftest import Deployment, Handler

# Each handler, and a variable the template sets for its function alone or among a few.
CONFIGURED: list[tuple[Handler, str, str]] = [
    (plan.handler, "PlanFunctionSettings", "MAX_RUN_SECONDS"),
    (prepare.handler, "PrepareFunctionSettings", "RUNS_TABLE"),
    (measure.handler, "MeasureFunctionSettings", "THROTTLE_BASE_DELAY_MS"),
    (apply.handler, "ApplyFunctionSettings", "RUNS_TABLE"),
    (cleanup.handler, "CleanupFunctionSettings", "PROFILES_TABLE"),
    (notify.handler, "NotifyFunctionSettings", "VISUALIZATION_URL"),
    (notify.failure_handler, "ReportFailureFunctionSettings", "RESULTS_TOPIC_ARN"),
    (alarm.handler, "AlarmSubscriberFunctionSettings", "TUNER_STATE_MACHINE_ARN"),
    (fleet.list_handler, "FleetListFunctionSettings", "FLEET_CONCURRENCY"),
    (fleet.claim_handler, "FleetClaimFunctionSettings", "RETUNE_COOLDOWN_HOURS"),
    (warmer.handler, "WarmerFunctionSettings", "WARM_TAG"),
    (savings_widget.handler, "SavingsWidgetFunctionSettings", "TUNER_STATE_MACHINE_ARN"),
]


@pytest.mark.parametrize(("handler", "model", "variable"), CONFIGURED, ids=[f"{m}-{v}" for _, m, v in CONFIGURED])
def test_a_missing_variable_fails_the_first_invocation_before_the_event_is_read(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, handler: Handler, model: str, variable: str
) -> None:
    monkeypatch.delenv(variable)
    with pytest.raises(MisconfiguredFunctionError, match=rf"^{model}: {variable}: Field required$"):
        deployment.call(handler, {"not": "an event of any step"})


# Each handler that reads a document of the workflow, and the fields an empty one lacks.
DOCUMENTS: list[tuple[Handler, str]] = [
    (plan.handler, "PlanRequest: input: Field required; executionId: Field required"),
    (prepare.handler, "PrepareRequest: plan: Field required; round: Field required"),
    (measure.handler, "MeasureRequest: measure: Field required; batches: Field required"),
    (analyze.handler, "AnalyzeRequest: plan: Field required; round: Field required; analysis: Field required; "
                      "prepared: Field required; measurements: Field required"),
    (apply.handler, "ApplyRequest: plan: Field required; analysis: Field required"),
    (cleanup.handler, "CleanupRequest: executionId: Field required"),
    (notify.handler, "NotifyRequest: plan: Field required; analysis: Field required; cleanup: Field required"),
    (notify.failure_handler, "FailureRequest: executionId: Field required"),
    (fleet.claim_handler, "FleetClaimRequest: member: Field required; startedAt: Field required"),
]  # fmt: skip


@pytest.mark.parametrize(("handler", "problems"), DOCUMENTS, ids=[p.split(":")[0] for _, p in DOCUMENTS])
def test_a_document_a_step_cannot_read_fails_naming_every_missing_field(
    deployment: Deployment, handler: Handler, problems: str
) -> None:
    with pytest.raises(UnreadableDocumentError) as raised:
        deployment.call(handler, {})
    assert str(raised.value) == problems
    assert deployment.world.function.changes == []
    assert deployment.world.invoker.calls == []

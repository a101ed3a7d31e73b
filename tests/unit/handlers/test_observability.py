"""The handlers' Powertools wrapper keeps the caller's payload out of the logs, whatever the environment asks."""

from typing import Any

import pytest

from autotuner.handlers.observability import UnreadableDocumentError, observed
from autotuner.workflow.measure import MeasureRequest
from autotuner_local.runtime import LocalContext

SECRET = "4111111111111111"


def test_an_observed_handler_never_logs_its_event_or_result(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")  # Powertools would log every event with this

    @observed
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"payload": event["payload"]}

    context = LocalContext("orders", "$LATEST", "arn:aws:lambda:us-east-1:123456789012:function:orders", 256, 30)
    assert handler({"payload": {"cardNumber": SECRET}}, context) == {"payload": {"cardNumber": SECRET}}
    assert SECRET not in capfd.readouterr().out


def test_a_document_a_step_cannot_read_fails_without_quoting_its_values() -> None:
    @observed
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return MeasureRequest.model_validate(event).model_dump()

    context = LocalContext("measure", "$LATEST", "arn:aws:lambda:us-east-1:123456789012:function:measure", 256, 30)
    with pytest.raises(UnreadableDocumentError) as raised:
        handler({"plan": {"tuning": {"payload": {"cardNumber": SECRET}}}, "batches": SECRET}, context)
    assert "MeasureRequest: " in str(raised.value)
    assert "batches: " in str(raised.value)
    assert SECRET not in str(raised.value)
    assert raised.value.__cause__ is None

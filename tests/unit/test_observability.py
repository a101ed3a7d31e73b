"""The handlers' Powertools wrapper keeps the caller's payload out of the logs, whatever the environment asks."""

from typing import Any

import pytest

from autotuner.handlers.observability import observed
from autotuner.local.runtime import LocalContext

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

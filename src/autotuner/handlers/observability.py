"""The one place that creates Powertools' Logger, Tracer and Metrics (configured by environment, see Globals)."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def observed(handler: Handler) -> Handler:
    """A Lambda entry point with the request's context in every log line, a trace, and its metrics flushed.

    Events and results carry the caller's payload, which stays private: neither is logged nor traced, whatever
    POWERTOOLS_LOGGER_LOG_EVENT or POWERTOOLS_TRACER_CAPTURE_RESPONSE say."""
    traced: Handler = tracer.capture_lambda_handler(metrics.log_metrics(handler), capture_response=False)
    logged: Handler = logger.inject_lambda_context(traced, log_event=False)
    return logged

"""The one place that creates Powertools' Logger, Tracer and Metrics (configured by environment, see Globals)."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def observed(handler: Handler) -> Handler:
    """A Lambda entry point with the request's context in every log line, a trace, and its metrics flushed."""
    traced: Handler = tracer.capture_lambda_handler(metrics.log_metrics(handler))
    logged: Handler = logger.inject_lambda_context(traced)
    return logged

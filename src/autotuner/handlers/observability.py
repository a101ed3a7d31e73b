"""The one place that creates Powertools' Logger, Tracer and Metrics (configured by environment, see Globals)."""

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from pydantic import ValidationError

from autotuner.domain.errors import problems_without_values

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# A Lambda entry point: the event, the context, and what it returns (a document; the widget's HTML).
type Handler[R] = Callable[[dict[str, Any], Any], R]


class UnreadableDocumentError(Exception):
    """A step was given a document it cannot read: a fault of the workflow, not of the input. Its message names
    the fields and what is wrong with them, never their values (the document carries the caller's payload)."""


def observed[R](handler: Handler[R]) -> Handler[R]:
    """A Lambda entry point with the request's context in every log line, a trace, and its metrics flushed.

    Events and results carry the caller's payload, which stays private: neither is logged nor traced, whatever
    POWERTOOLS_LOGGER_LOG_EVENT or POWERTOOLS_TRACER_CAPTURE_RESPONSE say."""
    traced: Handler[R] = tracer.capture_lambda_handler(
        metrics.log_metrics(_without_values(handler)), capture_response=False
    )
    logged: Handler[R] = logger.inject_lambda_context(traced, log_event=False)
    return logged


def _without_values[R](handler: Handler[R]) -> Handler[R]:
    """pydantic's message quotes the values it rejected; the failure's cause, logs and trace must not."""

    @functools.wraps(handler)
    def reading_documents(event: dict[str, Any], context: Any) -> R:
        try:
            return handler(event, context)
        except ValidationError as error:
            problems = problems_without_values(error, whole="document")
            raise UnreadableDocumentError(f"{error.title}: {problems}") from None

    return reading_documents

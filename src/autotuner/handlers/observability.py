"""The one place that creates Powertools' Logger, Tracer and Metrics (configured by environment, see Globals).

The Tracer is created on a handler's first call, not at import: creating it imports the X-Ray SDK, whose recorder
builds a botocore session and client as it is imported (about 300 ms of CPU here). The same first call creates the
handler's boto3 clients, which then share the botocore modules it imported."""

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging.logger import Logger
from aws_lambda_powertools.metrics import Metrics
from pydantic import ValidationError

from autotuner.domain.errors import problems_without_values

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

logger = Logger()
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
    traced = _traced_from_first_call(metrics.log_metrics(_without_values(handler)))
    logged: Handler[R] = logger.inject_lambda_context(traced, log_event=False)
    return logged


@functools.cache
def tracer() -> "Tracer":
    from aws_lambda_powertools.tracing import Tracer

    return Tracer()


def _traced_from_first_call[R](handler: Handler[R]) -> Handler[R]:
    """``handler`` in a trace, the Tracer (and the X-Ray SDK) created when it is first called."""
    traced: list[Handler[R]] = []

    @functools.wraps(handler)
    def tracing(event: dict[str, Any], context: Any) -> R:
        if not traced:
            traced.append(tracer().capture_lambda_handler(handler, capture_response=False))
        return traced[0](event, context)

    return tracing


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

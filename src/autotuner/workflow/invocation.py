"""One invocation of the target as the reference tool defines it: pre-processor, target, post-processor."""

from typing import Self

from pydantic import BaseModel

from autotuner.domain.errors import DomainError
from autotuner.domain.inputs.arn import function_name_of
from autotuner.domain.measuring.lambda_logs import InvocationReport, decode_log_result, parse_log_tail
from autotuner.domain.measuring.measurement import InvocationFailure, classify
from autotuner.domain.measuring.target_text import shown_error_type, where_its_words_are
from autotuner.domain.run.documents import MeasureSpec
from autotuner.workflow.ports import Invoker


class ProcessorFailedError(DomainError):
    """A pre- or post-processor raised; the run stops, since every size would fail alike."""


class InvocationOutcome(BaseModel):
    report: InvocationReport | None
    failure: InvocationFailure | None


class InvocationRunner:
    def __init__(
        self,
        invoker: Invoker,
        *,
        allowed_exceptions: list[str],
        pre_processor_arn: str | None = None,
        post_processor_arn: str | None = None,
    ) -> None:
        self._invoker = invoker
        self._allowed = allowed_exceptions
        self._pre = pre_processor_arn
        self._post = post_processor_arn

    @classmethod
    def for_measuring(cls, spec: MeasureSpec, invoker: Invoker) -> Self:
        """The runner a run's input asks for: its allowed exceptions and its processors."""
        return cls(
            invoker,
            allowed_exceptions=spec.allowed_exceptions,
            pre_processor_arn=spec.pre_processor_arn,
            post_processor_arn=spec.post_processor_arn,
        )

    def run(self, function: str, payload: str) -> InvocationOutcome:
        """Invoke ``function`` (``name:alias``) once and read what the platform reported."""
        if self._pre:
            produced = self._call_processor(self._pre, payload.encode(), "preProcessorARN")
            if produced not in (b"", b"null"):
                payload = produced.decode()
        result = self._invoker.invoke(function, payload.encode())
        if self._post:
            self._call_processor(self._post, result.payload, "postProcessorARN")
        tail = decode_log_result(result.log_tail_base64) if result.log_tail_base64 else ""
        report = parse_log_tail(tail) if tail or result.error_type is None else None
        failure = classify(report, result.error_type, self._allowed)
        return InvocationOutcome(report=report, failure=failure)

    def _call_processor(self, arn: str, payload: bytes, field: str) -> bytes:
        result = self._invoker.invoke(arn, payload)
        if result.error_type is not None:  # its type, never its words (domain/measuring/target_text.py)
            shown = shown_error_type(result.error_type) or "an error"
            raise ProcessorFailedError(
                f"{field}: {arn} raised {shown}; {where_its_words_are(f'/aws/lambda/{function_name_of(arn)}')}"
            )
        return result.payload


def payload_for(payloads: list[str], schedule: list[int] | None, index: int) -> str:
    """The encoded payload of invocation ``index``."""
    return payloads[schedule[index % len(schedule)]] if schedule else payloads[0]

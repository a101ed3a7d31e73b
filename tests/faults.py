"""Faults on the tuner's own AWS calls, as a bad day in AWS brings them: throttles, 5xx, update conflicts, dropped
connections, calls that took effect but whose response never arrived ("lost": botocore's retry gets through), and
record writes that took effect but whose answer never reaches the step at all ("unanswered": every retry of it in
that invocation of the step times out too, so only Step Functions' retry of the step can find the write done).

The injector stands in for moto's request stubber (botocore's before-send hook), so every fault passes through
botocore's real retry logic and the adapters' own, exactly as a fault from AWS would. Calls are attributed to the
tuner Lambda whose handler makes them (the emulator's IAM principal); calls from tests and from the Step
Functions engine are never faulted.
"""

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

from autotuner.adapters.clients import control_plane_config, forget_clients
from autotuner_local.authorization import CURRENT_PRINCIPAL

KINDS = ("throttle", "server", "conflict", "connection", "lost", "unanswered")
RECORD_WRITES = ("dynamodb.UpdateItem", "dynamodb.PutItem")  # the run records, the lock, profiles, measurements
_RETRIES: dict[str, Any] = control_plane_config().retries  # type: ignore[attr-defined]  # botocore sets Config's fields
BOTOCORE_ATTEMPTS = int(_RETRIES["total_max_attempts"])  # of one call, within one invocation of a step
# What each service answers, by fault: (HTTP status, error code). Lambda's ResourceConflictException is what its
# mutating calls and invocations answer while an update is in progress; reads and other services never do.
ANSWERS: dict[str, dict[str, tuple[int, str]]] = {
    "throttle": {"lambda": (429, "TooManyRequestsException"), "dynamodb": (400, "ThrottlingException"),
                 "sns": (400, "Throttling")},
    "server": {"lambda": (500, "ServiceException"), "dynamodb": (500, "InternalServerError"),
               "sns": (500, "InternalError")},
    "conflict": {"lambda": (409, "ResourceConflictException")},
}  # fmt: skip
LAMBDA_READS = ("Get", "List")


@dataclass(frozen=True)
class Fault:
    step: str  # the stack's function, by logical id: "PrepareFunction"
    call: str  # "lambda.UpdateFunctionConfiguration"
    occurrence: int  # 1-based, counted over the whole run
    kind: str

    def __str__(self) -> str:
        return f"{self.kind} on {self.step} {self.call} #{self.occurrence}"


def applies(kind: str, call: str) -> bool:
    """Whether AWS can answer ``call`` with this fault at all."""
    service, operation = call.split(".", 1)
    if kind == "unanswered":
        return call in RECORD_WRITES
    if kind == "conflict":
        return service == "lambda" and not operation.startswith(LAMBDA_READS)
    return kind in {"connection", "lost"} or service in ANSWERS[kind]


@dataclass
class FaultInjector:
    stack_name: str
    fault: Fault | None = None
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    injected: list[Fault] = field(default_factory=list)
    unanswered: tuple[object, tuple[str, str], int] | None = None  # (invocation, call, retries left unanswered)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, fault: Fault | None) -> None:
        with self._lock:
            self.fault, self.calls, self.injected, self.unanswered = fault, Counter(), [], None

    def __call__(self, event_name: str, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
        principal = CURRENT_PRINCIPAL.get()
        if principal is not None:
            _, service, operation = event_name.split(".", 2)
            step = principal.logical_id or principal.function_name
            key = (step, f"{service.lower()}.{operation}{_budget_suffix(request)}")
            with self._lock:
                self.calls[key] += 1
                fault = self.fault
                hit = fault is not None and (fault.step, fault.call, fault.occurrence) == (*key, self.calls[key])
                if hit and fault is not None:
                    self.injected.append(fault)
                    if fault.kind == "unanswered":  # the same invocation's retries of the call go unanswered too
                        self.unanswered = (principal, key, BOTOCORE_ATTEMPTS - 1)
                elif self._still_unanswered(principal, key):
                    raise EndpointConnectionError(endpoint_url=request.url)
            if hit and fault is not None:
                answer: AWSResponse = _answer(fault.kind, service.lower(), event_name, request, kwargs)
                return answer
        return botocore_stubber(event_name, request, **kwargs)

    def _still_unanswered(self, principal: object, key: tuple[str, str]) -> bool:
        """Whether this call is a retry, in the same invocation of the step, of a write left unanswered."""
        if self.unanswered is None:
            return False
        invocation, call, left = self.unanswered
        if invocation is not principal or call != key or left <= 0:
            return False
        self.unanswered = (invocation, call, left - 1)
        return True


BUDGET_TABLE = b"ControlPlaneBudgetTable"  # in the physical name the emulator gives the stack's budget table
BUDGET = ":budget"


def _budget_suffix(request: AWSPreparedRequest) -> str:
    """The control-plane budget's reads and writes are calls of their own: counted with the run records' and the
    lock's, they would take the first and last occurrences of those, and never be record writes themselves."""
    body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
    return BUDGET if BUDGET_TABLE in body else ""


def _answer(kind: str, service: str, event_name: str, request: AWSPreparedRequest, kwargs: dict[str, Any]) -> Any:
    if kind == "connection":
        raise EndpointConnectionError(endpoint_url=request.url)
    if kind in {"lost", "unanswered"}:
        botocore_stubber(event_name, request, **kwargs)  # AWS did it; the answer is lost on the way back
        raise ReadTimeoutError(endpoint_url=request.url)
    status, code = ANSWERS[kind][service]
    headers = HTTPHeaders()
    if service == "sns":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected {kind}</Message>"
                "</Error><RequestId>fault</RequestId></ErrorResponse>")  # fmt: skip
        headers["Content-Type"] = "text/xml"
    else:
        body = json.dumps({"__type": code, "message": f"injected {kind}"})
        headers["x-amzn-ErrorType"] = code
        headers["Content-Type"] = "application/x-amz-json-1.0"
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


@contextmanager
def injecting(stack_name: str) -> Iterator[FaultInjector]:
    """Stand in for moto's stubber on every client created from now on."""
    injector = FaultInjector(stack_name)
    position = BUILTIN_HANDLERS.index(("before-send", botocore_stubber))
    BUILTIN_HANDLERS[position] = ("before-send", injector)
    forget_clients()
    try:
        yield injector
    finally:
        BUILTIN_HANDLERS[position] = ("before-send", botocore_stubber)
        forget_clients()

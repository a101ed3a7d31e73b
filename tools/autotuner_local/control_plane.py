"""Lambda's control-plane request quotas in the emulator, and a clock to measure them on (opt-in).

Lambda allows 15 control-plane requests a second per account and region across every API but invocations,
GetFunction (100 a second of its own) and GetPolicy (15 of its own); the 15 cannot be raised. moto serves any
rate. With a ``ControlPlaneQuota`` installed (``InProcessRuntime(control_plane_quota=...)``), a Lambda request
over its quota in any sliding one-second window is answered as Lambda answers it: HTTP 429
TooManyRequestsException, reason CallerRateLimitExceeded, which botocore's retry modes classify as throttling.
Every request is recorded (when, which operation, throttled or not), so a benchmark can count calls a second.

The window is measured on an ``EmulatorClock``: virtual time = real time elapsed * ``scale``. The emulator is
slower than AWS; a scale above 1 makes its calls as dense in virtual time as they would be in AWS. The product's
shared control-plane budget must read the same clock, so the quota gives it this one while installed.
"""

import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from unittest import mock
from urllib.parse import unquote

from botocore import endpoint
from botocore.retries import bucket
from moto.awslambda import urls as lambda_urls
from moto.awslambda.responses import LambdaResponse
from moto.core.utils import camelcase_to_underscores, method_names_from_class

from autotuner.adapters import control_plane_budget
from autotuner_local.authorization import AuthorizationDecision

CONTROL_PLANE = "control-plane"  # the shared quota's name in the recording
# APIs with a quota of their own, apart from the shared one; invocations have none of these (concurrency instead).
OWN_QUOTAS = {"GetFunction": 100, "GetPolicy": 15}
UNLIMITED = frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"})
SHARED_RATE = 15  # requests per second, per account and region
WINDOW_S = 1.0
ACCOUNT_SETTINGS = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
THROTTLED_BODY = '{"Reason":"CallerRateLimitExceeded","Type":"User","message":"Rate exceeded"}'


def shared_quota_calls(decisions: Sequence[AuthorizationDecision]) -> list[AuthorizationDecision]:
    """The Lambda calls on the shared quota that handlers made and their roles allowed, from the emulator's
    authorizations: once per call, however often botocore sent it. ListTags is GetFunction's own check of
    whether the caller may see the tags it returns, not a request of its own."""
    return [
        d
        for d in decisions
        if d.allowed
        and d.action.startswith("lambda:")
        and d.action.removeprefix("lambda:") not in {*OWN_QUOTAS, "InvokeFunction", "ListTags"}
    ]


class EmulatorClock:
    """Virtual time: the real time elapsed since the clock started, times ``scale``, counted from the real epoch
    time it started at (so it reads like ``time.time()``, which a budget shared between Lambdas needs)."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, not {scale}")
        self.scale = scale
        self._started_real = time.monotonic()
        self._started_epoch = time.time()

    def elapsed(self) -> float:
        """Virtual seconds since the clock started."""
        return (time.monotonic() - self._started_real) * self.scale

    def now(self) -> float:
        """Virtual epoch seconds (a ``time.time()`` on this clock)."""
        return self._started_epoch + self.elapsed()

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of virtual time."""
        time.sleep(max(0.0, seconds) / self.scale)


@dataclass(frozen=True)
class ControlPlaneRequest:
    """One Lambda API request the emulator answered (virtual seconds since the clock started)."""

    at: float
    operation: str
    quota: str  # CONTROL_PLANE, or the operation's own quota (GetFunction, GetPolicy)
    account: str
    region: str
    throttled: bool
    function: str = ""  # the name of the function the request is about, if it is about one


@dataclass
class ControlPlaneQuota:
    """Sliding-window quotas: more than ``rate`` admitted requests in any ``WINDOW_S`` of virtual time, per quota,
    account and region, and the request is throttled (a throttled request takes no place in the window)."""

    clock: EmulatorClock = field(default_factory=EmulatorClock)
    rate: int = SHARED_RATE
    requests: list[ControlPlaneRequest] = field(default_factory=list)
    _admitted: dict[tuple[str, str, str], deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self, operation: str, account: str, region: str, function: str = "") -> bool:
        """Record the request; False: it is over its quota and must be throttled."""
        if operation in UNLIMITED:
            return True
        quota = operation if operation in OWN_QUOTAS else CONTROL_PLANE
        limit = OWN_QUOTAS.get(operation, self.rate)
        with self._lock:
            now = self.clock.elapsed()
            admitted = self._admitted.setdefault((quota, account, region), deque())
            while admitted and admitted[0] <= now - WINDOW_S:
                admitted.popleft()
            throttled = len(admitted) >= limit
            if not throttled:
                admitted.append(now)
            self.requests.append(ControlPlaneRequest(now, operation, quota, account, region, throttled, function))
        return not throttled

    def recorded(self, quota: str = CONTROL_PLANE) -> list[ControlPlaneRequest]:
        with self._lock:
            return [r for r in self.requests if r.quota == quota]

    @contextmanager
    def installed(self) -> Iterator["ControlPlaneQuota"]:
        """Enforce the quotas on every Lambda request the emulator serves, and give the product's control-plane
        budget this clock, when the product has one."""
        with ExitStack() as patches:
            patches.enter_context(mock.patch.object(LambdaResponse, "call_action", _throttling(self)))
            # GetAccountSettings counts too, though moto does not serve it: routed here (in-process requests), it
            # is counted and answered as moto answers it otherwise.
            patches.enter_context(mock.patch.dict(lambda_urls.url_paths, {ACCOUNT_SETTINGS: LambdaResponse.dispatch}))
            if self.clock.scale != 1:  # botocore's retry backoff and adaptive limiter wait on the same clock
                for owner, name, replacement in _botocore_on(self.clock):
                    patches.enter_context(mock.patch.object(owner, name, replacement))
            patches.enter_context(mock.patch.object(control_plane_budget, "wall_clock", self.clock.now))
            patches.enter_context(mock.patch.object(control_plane_budget, "pause", self.clock.sleep))
            # A turn lasts 1/rate on this clock, as in AWS: a call that wakes up too late takes a new one.
            patches.enter_context(
                mock.patch.object(control_plane_budget, "late_turns", control_plane_budget.LATE_TURNS)
            )
            yield self


def _botocore_on(clock: EmulatorClock) -> list[tuple[Any, str, Any]]:
    """botocore's retry sleeps (endpoint) and its adaptive rate limiter (bucket: clock, and the waits it computes in
    that clock's seconds) on the emulator's clock."""
    sleep_amount = vars(bucket.TokenBucket)["_sleep_amount"]  # private: botocore's stubs do not declare it

    def real_sleep_amount(token_bucket: Any, amount: float) -> float:
        return float(sleep_amount(token_bucket, amount)) / clock.scale

    return [
        (endpoint, "time", SimpleNamespace(sleep=clock.sleep)),
        (bucket.Clock, "current_time", lambda _self: clock.now()),
        (bucket.Clock, "sleep", lambda _self, seconds: clock.sleep(seconds)),
        (bucket.TokenBucket, "_sleep_amount", real_sleep_amount),
    ]


def _throttling(quota: ControlPlaneQuota) -> Any:
    original = LambdaResponse.call_action
    served = set(method_names_from_class(LambdaResponse))

    def call_action(response: LambdaResponse) -> Any:
        account, region = str(response.current_account), str(response.region)
        action = response._get_action()
        if quota.admit(action, account, region, function_named(response.path)):
            if camelcase_to_underscores(action) not in served:
                return 404, {}, "Not yet implemented"  # as moto answers what it does not route
            return original(response)
        headers = {
            "status": 429,
            "Content-Type": "application/json",
            "x-amzn-ErrorType": "TooManyRequestsException",
            "Retry-After": "1",
        }
        return 429, headers, THROTTLED_BODY

    return call_action


def function_named(path: str) -> str:
    """The function a request's path names (/2015-03-31/functions/<name, ARN or partial ARN>/..., or the
    function's ARN after /tags/), by name; empty if it names none."""
    unquoted = unquote(path)
    _, found, rest = unquoted.partition("/functions/")
    if not found:
        _, found, rest = unquoted.partition("/tags/")
    reference = rest.split("/")[0] if found else ""
    parts = reference.split(":")
    if reference.startswith("arn:"):
        return parts[6] if len(parts) > 6 else ""
    return parts[2] if len(parts) > 2 else parts[0]  # account:function:name, name:qualifier or name


@dataclass(frozen=True)
class RateSummary:
    """What a recording says about the calls on one quota: counts, and rates in calls per virtual second."""

    calls: int
    throttled: int
    duration_s: float
    mean_per_s: float
    peak_per_s: int  # the most requests (admitted or not) in any window of WINDOW_S
    peak_admitted_per_s: int

    @classmethod
    def of(cls, requests: Sequence[ControlPlaneRequest], duration_s: float | None = None) -> "RateSummary":
        times = sorted(r.at for r in requests)
        span = duration_s if duration_s is not None else (times[-1] - times[0] if times else 0.0)
        admitted = sorted(r.at for r in requests if not r.throttled)
        return cls(
            calls=len(times),
            throttled=len(times) - len(admitted),
            duration_s=span,
            mean_per_s=len(times) / span if span > 0 else 0.0,
            peak_per_s=peak_in_window(times),
            peak_admitted_per_s=peak_in_window(admitted),
        )


def peak_in_window(ordered_times: Sequence[float], window_s: float = WINDOW_S) -> int:
    """The most of the (sorted) times in any half-open window (t - window_s, t]."""
    peak, first = 0, 0
    for last, at in enumerate(ordered_times):
        while ordered_times[first] <= at - window_s:
            first += 1
        peak = max(peak, last - first + 1)
    return peak

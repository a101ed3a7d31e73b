"""Pacing calls to AWS: retry delays with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"),
a token bucket (at most ``rate`` calls per second on average, bursts up to ``burst``; the clock and the sleep
are injected, so it is deterministic under test), and the same limit as a rule over one shared number, for a
budget that many processes share through a store (see ``schedule_call``)."""

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass


def full_jitter_delays(base_s: float, cap_s: float, attempts: int, rng: random.Random) -> Iterator[float]:
    """Delays before retries 1..attempts-1: uniform in [0, min(cap, base * 2**n)]."""
    for n in range(attempts - 1):
        yield rng.uniform(0, min(cap_s, base_s * 2**n))


class TokenBucket:
    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate, self._burst = rate, float(burst)
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting as long as needed; returns how long it waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate
            self._tokens -= 1  # may go negative: the debt is what the wait pays back
        if wait:
            self._sleep(wait)
        return wait


@dataclass(frozen=True)
class ScheduledCall:
    go_at: float  # when the call may be sent (never before the ``now`` it was asked at)
    tat: float  # the theoretical arrival time to store for the next caller


def schedule_call(tat: float | None, now: float, rate: float, burst: int) -> ScheduledCall:
    """The generic cell rate algorithm (GCRA, ITU-T I.371) in its virtual-scheduling form, made a scheduler: a call
    that arrives early waits instead of being refused.

    The shared state is one number, the theoretical arrival time ``tat``: when the next call would be due if calls
    came exactly every ``T = 1/rate`` seconds. A call asked at ``now`` may go at ``max(now, tat - (burst - 1)·T)``
    and moves the state to ``max(tat, now) + T``. So every grant pushes ``tat`` on by at least ``T`` and no call
    goes earlier than ``(burst - 1)·T`` before the ``tat`` it read: of the calls granted, at most
    ``burst + rate·W`` go in any window of ``W`` seconds, whatever order the callers' clocks read them in. A state
    left in the past (an idle key) is worth no more than ``burst`` calls at once: no credit, and no debt, carries
    over. ``tat`` None: nobody has called yet."""
    if rate <= 0 or burst < 1:
        raise ValueError("rate must be positive and burst at least 1")
    interval = 1 / rate
    due = now if tat is None else max(tat, now)
    return ScheduledCall(go_at=max(now, due - (burst - 1) * interval), tat=due + interval)

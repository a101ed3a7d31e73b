"""Pacing calls to AWS: retry delays with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"),
and a token bucket (at most ``rate`` calls per second on average, bursts up to ``burst``; the clock and the sleep
are injected, so it is deterministic under test)."""

import random
import threading
from collections.abc import Callable, Iterator


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

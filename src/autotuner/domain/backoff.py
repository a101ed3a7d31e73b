"""Retry delays: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter")."""

import random
from collections.abc import Iterator


def full_jitter_delays(base_s: float, cap_s: float, attempts: int, rng: random.Random) -> Iterator[float]:
    """Delays before retries 1..attempts-1: uniform in [0, min(cap, base * 2**n)]."""
    for n in range(attempts - 1):
        yield rng.uniform(0, min(cap_s, base_s * 2**n))

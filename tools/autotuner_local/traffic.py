"""Production's calls, emulated: a thread invoking a function's alias at a steady rate, each call with a payload from
a mix (how much work an emulated target's call does, drawn per call), as the people calling it would: never through a
tuner's role. What the function served is what this counts; a traffic run must add nothing to it."""

import json
import random
import threading
import time
from types import TracebackType
from typing import Self

import boto3

WORK_MIX = (0.6, 1.4)  # the calls' work, uniform over this range: a mix no single payload represents


class TrafficGenerator:
    def __init__(self, function_name: str, alias: str, *, per_second: float, seed: int = 0) -> None:
        self.target = f"{function_name}:{alias}"
        self.per_second = per_second
        self.calls = 0
        self.failed = 0
        self._rng = random.Random(f"traffic:{seed}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"traffic-{self.target}", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def wait_for(self, calls: int, timeout_s: float = 120) -> None:
        """Until the generator has made ``calls`` calls (a baseline for a run to read)."""
        deadline = time.monotonic() + timeout_s
        while self.calls < calls:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise TimeoutError(f"{self.target} got {self.calls} of {calls} calls")
            time.sleep(0.01)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        client = boto3.client("lambda")
        interval = 1 / self.per_second
        next_at = time.monotonic()
        while not self._stop.is_set():
            payload = {"work": round(self._rng.uniform(*WORK_MIX), 3)}
            response = client.invoke(FunctionName=self.target, Payload=json.dumps(payload).encode())
            self.calls += 1
            self.failed += int("FunctionError" in response)
            next_at += interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

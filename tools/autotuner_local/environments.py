"""The tuner's execution environments, as far as its boto3 clients go (opt-in).

In AWS each concurrent invocation of a function runs in an execution environment of its own, reused by later
invocations, and each environment creates its own boto3 clients: their retry state (botocore's adaptive mode
slows a client down once it has been throttled) is that environment's alone. Here one process serves every
invocation, and ``autotuner.adapters.clients`` keeps one client per service for the whole process, so one
throttled call would slow every run down together, like a budget the product does not have. With
``clients_apart``, each handler call takes an idle environment of its function (or a new one, as Lambda scales
out) and gets that environment's clients.
"""

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from unittest import mock

from autotuner.adapters import clients

_ENVIRONMENT: ContextVar[str] = ContextVar("handler_environment", default="")


class HandlerEnvironments:
    """Which environment each handler call runs in: an idle one of its function's, else a new one."""

    def __init__(self) -> None:
        self._idle: dict[str, list[int]] = {}
        self._created: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def entered(self, function_name: str) -> Iterator[str]:
        with self._lock:
            idle = self._idle.setdefault(function_name, [])
            number = idle.pop() if idle else self._created.get(function_name, 0)
            self._created[function_name] = max(self._created.get(function_name, 0), number + 1)
        token = _ENVIRONMENT.set(f"{function_name}#{number}")
        try:
            yield _ENVIRONMENT.get()
        finally:
            _ENVIRONMENT.reset(token)
            with self._lock:
                self._idle[function_name].append(number)

    def created(self) -> dict[str, int]:
        """How many environments each function has had."""
        with self._lock:
            return dict(self._created)


@contextmanager
def clients_apart() -> Iterator[None]:
    """Each environment creates and keeps its own clients (outside a handler call: the process's, as before)."""
    with mock.patch.object(clients, "_client", _per_environment(clients._client.__wrapped__)):
        clients.forget_clients()
        try:
            yield
        finally:
            clients.forget_clients()


def _per_environment(create: Callable[..., Any]) -> Any:
    @functools.cache
    def in_environment(_environment: str, *args: Any) -> Any:
        return create(*args)

    def client(*args: Any) -> Any:
        return in_environment(_ENVIRONMENT.get(), *args)

    client.cache_clear = in_environment.cache_clear  # type: ignore[attr-defined]  # forget_clients calls it
    return client

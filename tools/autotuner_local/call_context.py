"""What one handler call sees as its own, while many calls share this process: its environment variables and the
worker threads it starts.

In AWS each function runs in its own execution environment. Here one process serves every function at once
(Map iterations run in parallel), so a function's variables cannot go into ``os.environ`` itself: the next call
would read them, and a concurrent one would overwrite them. Instead each call's variables sit in a context
variable that ``os.environ`` consults first, and they end with the call.
"""

import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar, copy_context
from types import MappingProxyType
from typing import Any

_NOTHING: Mapping[str, str] = MappingProxyType({})
_CALL_ENVIRONMENT: ContextVar[Mapping[str, str]] = ContextVar("call_environment", default=_NOTHING)


class _EnvironWithCallLayer(os._Environ[str]):
    """``os.environ`` with the current call's variables laid over it (reads only: writes go to the process)."""

    def __getitem__(self, key: str) -> str:
        layer = _CALL_ENVIRONMENT.get()
        return layer[key] if key in layer else super().__getitem__(key)

    def __iter__(self) -> Iterator[str]:
        layer = _CALL_ENVIRONMENT.get()
        yield from layer
        yield from (key for key in super().__iter__() if key not in layer)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        return dict(self)


@contextmanager
def call_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """For the duration of one handler call (and the pool threads it starts), ``os.environ`` shows these too."""
    token = _CALL_ENVIRONMENT.set(MappingProxyType({**_CALL_ENVIRONMENT.get(), **variables}))
    try:
        yield
    finally:
        _CALL_ENVIRONMENT.reset(token)


@contextmanager
def calls_kept_apart() -> Iterator[None]:
    """Install, as one unit, what ``call_environment`` and per-call context variables rely on."""
    with ExitStack() as undo:
        original_class = type(os.environ)
        os.environ.__class__ = _EnvironWithCallLayer
        undo.callback(setattr, os.environ, "__class__", original_class)
        original_submit = ThreadPoolExecutor.submit
        setattr(ThreadPoolExecutor, "submit", _submit_in_callers_context(original_submit))  # noqa: B010
        undo.callback(setattr, ThreadPoolExecutor, "submit", original_submit)
        yield


def _submit_in_callers_context(submit: Callable[..., Future[Any]]) -> Callable[..., Future[Any]]:
    """A thread does not inherit its starter's context variables; a task submitted to a pool runs here in a copy
    of the submitter's, so a handler's worker threads act as that handler (as they do in one Lambda)."""

    def submit_with_context(pool: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return submit(pool, copy_context().run, fn, *args, **kwargs)

    return submit_with_context

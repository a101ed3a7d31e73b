"""A decorator for your own Python Lambda handlers: answer the autotuner's warm-up pings at once.

    from autotuner.warmup import answers_warmups

    @answers_warmups
    def handler(event, context):
        ...

A warm-up event ({"autotuner": "warmup", ...}) returns {"warmed": true} before your handler runs. When the warmer
asks for several environments at once, each ping waits a moment so that the invocations overlap and Lambda keeps
that many environments warm.
"""

import functools
import time
from collections.abc import Callable
from typing import Any, overload

from autotuner.domain.automation.warmup_ping import is_warmup  # standard library only, as this module

OVERLAP_DELAY_S = 0.075


@overload
def answers_warmups[Handler: Callable[..., Any]](handler: Handler) -> Handler: ...
@overload
def answers_warmups[Handler: Callable[..., Any]](*, delay_s: float = ...) -> Callable[[Handler], Handler]: ...
def answers_warmups[Handler: Callable[..., Any]](
    handler: Handler | None = None, *, delay_s: float = OVERLAP_DELAY_S
) -> Handler | Callable[[Handler], Handler]:
    def decorate(function: Handler) -> Handler:
        @functools.wraps(function)
        def wrapper(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
            if is_warmup(event):
                if int(event.get("concurrency", 1)) > 1:
                    time.sleep(delay_s)
                return {"warmed": True}
            return function(event, context, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate(handler) if handler is not None else decorate

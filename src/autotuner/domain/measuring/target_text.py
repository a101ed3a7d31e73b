"""What of a target's own words may reach the operator's channels: failure causes, a run's output and warnings,
its notifications, the CLI.

A function under tuning writes its error message, its error type and its log lines itself: printed in a cause or
a notification, they would let it write into the operator's inbox ("click http://… to fix"). They stay in the
function's own log group. What the tuner prints of them is an error type's class name, when it reads as one, and
the request id, which says where in that log group to look.
"""

import re

_CLASS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,63}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def shown_error_type(error_type: str | None) -> str | None:
    """The class name of an error type (``java.lang.OutOfMemoryError``: ``OutOfMemoryError``; Go's
    ``*fmt.wrapError``: ``wrapError``) when it reads as one, else None. The name alone, never a dotted path: an
    error type ``evil.com`` must not reach an inbox as a link."""
    if not error_type:
        return None
    name = error_type.removeprefix("*").rsplit(".", 1)[-1]
    return name if _CLASS_NAME.match(name) else None


def shown_request_id(request_id: str | None) -> str | None:
    """A request id as Lambda writes them (letters, digits and dashes), else None."""
    return request_id if request_id and _REQUEST_ID.match(request_id) else None


def where_its_words_are(log_group: str, request_id: str | None = None) -> str:
    """Where the operator reads what the target said: its log group, and the request there."""
    request = f", request {request_id}" if request_id else ""
    return f"the function's messages and logs are in log group {log_group}{request}"

"""A function's recent log events that show how its invocations ended, from CloudWatch Logs (its default log
group, /aws/lambda/<name>)."""

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from autotuner.adapters.clients import client
from autotuner.adapters.errors import ACCESS_DENIED_CODES, AccessDeniedError, AwsError, describe, is_code
from autotuner.domain.inputs.arn import FunctionRef

# One filter per way an ending is written: text REPORT lines, JSON platform.report records, the time-out line.
ENDING_FILTERS = ("REPORT", '"platform.report"', '"Task timed out"')
EVENTS_PER_FILTER = 1000  # a sample large enough to tell whether time-outs or OOM happen at all


class CloudWatchFunctionLogs:
    def __init__(self, logs: Any = None, *, clock: Callable[[], float] = time.time) -> None:
        """``logs``: a CloudWatch Logs client (the project pins no type stubs for it)."""
        self._logs = logs
        self._clock = clock

    def recent_endings(self, function: FunctionRef, seconds: int) -> list[str]:
        api = self._logs or client("logs", function.region)
        group = f"/aws/lambda/{function.name}"
        start_ms = int((self._clock() - seconds) * 1000)
        messages: list[str] = []
        for pattern in ENDING_FILTERS:
            try:
                events = api.filter_log_events(
                    logGroupName=group, startTime=start_ms, filterPattern=pattern, limit=EVENTS_PER_FILTER
                )["events"]
            except ClientError as error:
                if is_code(error, "ResourceNotFoundException"):
                    return []  # never invoked, or logging elsewhere: no evidence of time-outs or OOM
                what = f"reading the logs of {function.name}"
                if is_code(error, *ACCESS_DENIED_CODES):
                    raise AccessDeniedError(f"{what}: access denied ({describe(error)})") from error
                raise AwsError(f"{what}: {describe(error)}") from error
            messages += [str(event["message"]) for event in events if "message" in event]
        return messages

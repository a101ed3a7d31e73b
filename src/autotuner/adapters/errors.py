"""Errors the adapters raise, translated from AWS error codes into what a user can act on.

Their class names reach Step Functions as error names, so Retry and Catch can match them.
"""

from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

# Raised here, caught by the workflow (which must not import adapters): it lives in the domain.
from autotuner.domain.errors import TargetNotFoundError

__all__ = ["AwsError", "TargetNotFoundError"]  # and the classes below


class AwsError(Exception):
    """Base: an AWS call failed in a way the message explains."""


class AccessDeniedError(AwsError):
    pass


class WriteUnconfirmedError(AwsError):
    """A write whose answer never came back after botocore's retries (the connection dropped or timed out, or the
    service answered 5xx): it may have taken effect. Step Functions retries the step, which finds its own write
    done: every write here accepts its writer's own earlier write."""


class TargetThrottledError(AwsError):
    pass


class UpdateConflictError(AwsError):
    pass


class TargetUnavailableError(AwsError):
    """Lambda kept answering an invocation with 5xx errors or dropped connections, after retries."""


class TargetStateError(AwsError):
    """The function is in a state (Failed, Pending too long) in which it cannot be tuned."""


class PayloadNotFoundError(AwsError):
    pass


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_code(error: BaseException, *codes: str) -> bool:
    return isinstance(error, ClientError) and error_code(error) in codes


def describe(error: ClientError) -> str:
    details: Any = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}"


NO_ANSWER = (BotocoreConnectionError, HTTPClientError)  # refused, dropped or timed-out connections


def write_failed(error: ClientError | BotocoreConnectionError | HTTPClientError, what: str) -> AwsError:
    """What a failed write means: unconfirmed when it may have taken effect, else what AWS said."""
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if status < 500:
            return AwsError(f"{what}: {describe(error)}")
    text = describe(error) if isinstance(error, ClientError) else str(error)
    return WriteUnconfirmedError(f"{what}: no answer after retries ({text}); it may have taken effect")


THROTTLING_CODES = ("TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded")
NOT_FOUND_CODES = ("ResourceNotFoundException", "NotFoundException", "NoSuchKey", "NoSuchBucket", "404")
ACCESS_DENIED_CODES = ("AccessDeniedException", "AccessDenied", "403", "UnauthorizedOperation")

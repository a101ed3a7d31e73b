"""Errors the adapters raise, translated from AWS error codes into what a user can act on.

Their class names reach Step Functions as error names, so Retry and Catch can match them.
"""

from typing import Any

from botocore.exceptions import ClientError

# Raised here, caught by the workflow (which must not import adapters): it lives in the domain.
from autotuner.domain.errors import TargetNotFoundError

__all__ = ["AwsError", "TargetNotFoundError"]  # and the classes below


class AwsError(Exception):
    """Base: an AWS call failed in a way the message explains."""


class AccessDeniedError(AwsError):
    pass


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


THROTTLING_CODES = ("TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded")
NOT_FOUND_CODES = ("ResourceNotFoundException", "NotFoundException", "NoSuchKey", "NoSuchBucket", "404")
ACCESS_DENIED_CODES = ("AccessDeniedException", "AccessDenied", "403", "UnauthorizedOperation")

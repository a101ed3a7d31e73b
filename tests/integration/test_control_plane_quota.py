"""Lambda's control-plane quota in the emulator (opt-in): over 15 requests a second, Lambda's own 429, which
botocore classifies as throttling; GetFunction and invocations are outside the shared quota."""

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

from autotuner_local.control_plane import CONTROL_PLANE, ControlPlaneQuota, EmulatorClock
from autotuner_local.runtime import InProcessRuntime
from tests.emulator import MakeTarget

# A virtual second lasts 1,000 real ones: a burst of calls always falls in one window.
SLOW_CLOCK = 0.001
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def burst(operation: str, count: int) -> list[ClientError | None]:
    client = boto3.client("lambda", config=NO_RETRIES)
    answers: list[ClientError | None] = []
    for _ in range(count):
        try:
            getattr(client, operation)(FunctionName="orders")
            answers.append(None)
        except ClientError as error:
            answers.append(error)
    return answers


def test_a_burst_of_twenty_control_plane_calls_has_five_throttled_as_lambda_throttles(
    aws: None, make_target: MakeTarget
) -> None:
    make_target("orders", "io-bound")  # created before the quota: setting up is not counted
    quota = ControlPlaneQuota(EmulatorClock(scale=SLOW_CLOCK))

    with InProcessRuntime(quiet=True, control_plane_quota=quota).installed():
        answers = burst("get_function_configuration", 20)
        described = burst("get_function", 20)

    errors = [error for error in answers if error is not None]
    assert len(errors) == 5, [e.response["Error"] for e in errors]
    assert answers[:15] == [None] * 15
    response = errors[0].response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert (response["Error"]["Code"], response["Error"]["Message"]) == ("TooManyRequestsException", "Rate exceeded")
    assert response.get("Reason") == "CallerRateLimitExceeded"
    assert ThrottledRetryableChecker().is_retryable(RetryContext(attempt_number=1, parsed_response=response))
    assert described == [None] * 20, "GetFunction has its own quota (100 a second)"
    recorded = quota.recorded(CONTROL_PLANE)
    assert [(r.operation, r.throttled) for r in recorded] == [("GetFunctionConfiguration", i >= 15) for i in range(20)]
    assert [r.throttled for r in quota.recorded("GetFunction")] == [False] * 20


def test_invocations_are_not_control_plane_calls(aws: None, make_target: MakeTarget) -> None:
    make_target("orders", "io-bound")
    quota = ControlPlaneQuota(EmulatorClock(scale=SLOW_CLOCK))

    with InProcessRuntime(quiet=True, control_plane_quota=quota).installed():
        assert burst("invoke", 20) == [None] * 20
        assert burst("list_versions_by_function", 16)[-1] is not None

    assert [r.operation for r in quota.recorded()] == ["ListVersionsByFunction"] * 16


def test_without_the_quota_the_emulator_serves_any_rate(aws: None, make_target: MakeTarget) -> None:
    make_target("orders", "io-bound")

    with InProcessRuntime(quiet=True).installed() as runtime:
        assert burst("get_function_configuration", 20) == [None] * 20
    assert runtime.control_plane_quota is None

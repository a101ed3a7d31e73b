"""boto3 clients, created once per process (a Lambda's cold start) and per region and endpoint."""

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_stepfunctions import SFNClient

# Control-plane calls: botocore's adaptive mode retries throttling (429) and 5xx with jittered backoff, and
# slows this client down by itself once throttled (Lambda allows 15 control-plane requests/s per account).
CONTROL_PLANE = Config(retries={"mode": "adaptive", "total_max_attempts": 8}, connect_timeout=5, read_timeout=60)
# Invocations: the adapter retries throttles itself (with its own backoff, counted and reported); a target
# may run up to 900 s.
INVOKE = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=905)


@cache
def _client(service: str, region: str | None, endpoint: str | None, config: Config) -> Any:
    session: Any = boto3.session.Session()
    return session.client(service, region_name=region, endpoint_url=endpoint, config=config)


def client(service: str, region: str | None = None, config: Config = CONTROL_PLANE) -> Any:
    # AWS_ENDPOINT_URL is part of the key so that a local emulator started later gets its own clients.
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"), config)


def lambda_client(region: str | None = None, *, for_invoke: bool = False) -> "LambdaClient":
    return client("lambda", region, INVOKE if for_invoke else CONTROL_PLANE)  # type: ignore[no-any-return]


def sns_client(region: str | None = None) -> "SNSClient":
    return client("sns", region)  # type: ignore[no-any-return]


def s3_client(region: str | None = None) -> "S3Client":
    return client("s3", region)  # type: ignore[no-any-return]


def stepfunctions_client(region: str | None = None) -> "SFNClient":
    return client("stepfunctions", region)  # type: ignore[no-any-return]


def forget_clients() -> None:
    """Drop cached clients (tests that start a fresh emulator)."""
    _client.cache_clear()

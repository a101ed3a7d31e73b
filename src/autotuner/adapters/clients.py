"""boto3 clients, created once per process (a Lambda's cold start) and per region and endpoint; and clients that
act in another account through a role assumed there, created once per role session.

boto3 and botocore are imported on the first client, not when this module is: importing them costs about 180 ms of
CPU, which a handler's import (its Lambda's cold start) would otherwise pay before any event, and every adapter
imports this module."""

import os
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from autotuner.domain.inputs.arn import parse_arn
from autotuner.domain.search.batching import MAX_PARALLEL_INVOCATIONS

if TYPE_CHECKING:
    import boto3
    import botocore.session
    from botocore.config import Config
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_stepfunctions import SFNClient


@cache
def control_plane_config() -> "Config":
    """Control-plane calls: botocore's adaptive mode retries throttling (429) and 5xx with jittered backoff, and
    slows this client down by itself once throttled (Lambda allows 15 control-plane requests/s per account)."""
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "total_max_attempts": 8}, connect_timeout=5, read_timeout=60)


@cache
def invoke_config() -> "Config":
    """Invocations: the adapter retries throttles itself (with its own backoff, counted and reported); a target
    may run up to 900 s. A Measure task keeps up to 50 invocations in flight (a parallel batch, or up to 40 serial
    batches at once): a connection each, where botocore keeps 10 by default."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=905,
        max_pool_connections=MAX_PARALLEL_INVOCATIONS,
    )


@cache
def _client(service: str, region: str | None, endpoint: str | None, config: "Config") -> Any:
    import boto3.session

    session: Any = boto3.session.Session(botocore_session=_botocore_session())
    return _paced(session.client(service, region_name=region, endpoint_url=endpoint, config=config), account=None)


def _paced(created: Any, *, account: str | None) -> Any:
    """A Lambda client's control-plane calls wait for their turn in the budget the stack's Lambdas share (see
    adapters/control_plane_budget.py); ``account``: the one its calls act in (None: the stack's own)."""
    if created.meta.service_model.service_name == "lambda":
        from autotuner.adapters.control_plane_budget import pace_lambda_calls

        pace_lambda_calls(created.meta.events, created.meta.region_name, account)
    return created


def _botocore_session() -> "botocore.session.Session":
    """A new botocore session reading botocore's data (endpoints, service models) through the process's one
    loader: a session of its own reads and parses that JSON again for its first client (50-100 ms of CPU here
    per client, against 10-20 ms with the loader shared, on every cold start)."""
    import botocore.session

    session = botocore.session.get_session()
    session.register_component("data_loader", _shared_data_loader())
    return session


@cache
def _shared_data_loader() -> Any:
    import botocore.session

    return botocore.session.get_session().get_component("data_loader")


def client(service: str, region: str | None = None, config: "Config | None" = None) -> Any:
    # AWS_ENDPOINT_URL is part of the key so that a local emulator started later gets its own clients.
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"), config or control_plane_config())


def lambda_client(region: str | None = None, *, for_invoke: bool = False) -> "LambdaClient":
    return client("lambda", region, invoke_config() if for_invoke else control_plane_config())  # type: ignore[no-any-return]


ASSUMED_ROLE_SECONDS = 3600  # botocore renews the credentials 15 minutes before they expire
ROLE_SESSIONS_KEPT = 16  # a warm Lambda serves a few runs at a time; older runs' sessions are let go


def lambda_client_as(
    role_arn: str, session_name: str, region: str | None, *, external_id: str = "", for_invoke: bool = False
) -> "LambdaClient":
    """A Lambda client acting as ``role_arn`` (in the target's account), assumed presenting ``external_id`` (none
    when empty). The role is assumed at once, so a role that cannot be assumed fails here (a botocore ClientError
    from STS), before any call for the target."""
    config = invoke_config() if for_invoke else control_plane_config()
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    session = _role_session(role_arn, session_name, external_id, endpoint)
    return _client_in_session(session, "lambda", region, endpoint, config, account=account_of_role(role_arn))  # type: ignore[no-any-return]


def account_of_role(role_arn: str) -> str:
    """The account whose control-plane budget the role's calls spend (its ARN names it; STS checked the ARN)."""
    return parse_arn(role_arn, service="iam").account


@lru_cache(maxsize=ROLE_SESSIONS_KEPT)
def _role_session(role_arn: str, session_name: str, external_id: str, _endpoint: str | None) -> "boto3.session.Session":
    """A session whose credentials are the role's, assumed with this function's own credentials and renewed
    before they expire; one per run (the session name names it), shared by the run's calls in this process.
    The endpoint is part of the key, so that a local emulator started later gets its own sessions."""
    import boto3.session
    from botocore.credentials import RefreshableCredentials

    sts = client("sts")

    def assume() -> dict[str, str]:
        presented = {"ExternalId": external_id} if external_id else {}
        credentials = sts.assume_role(
            RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=ASSUMED_ROLE_SECONDS, **presented
        )["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    core = _botocore_session()
    # botocore's way to give a session refreshable credentials (boto3 sessions take only static keys).
    core._credentials = RefreshableCredentials.create_from_metadata(  # type: ignore[attr-defined]
        assume(), assume, "sts-assume-role"
    )
    return boto3.session.Session(botocore_session=core)


@lru_cache(maxsize=4 * ROLE_SESSIONS_KEPT)
def _client_in_session(
    session: "boto3.session.Session",
    service: str,
    region: str | None,
    endpoint: str | None,
    config: "Config",
    *,
    account: str,
) -> Any:
    created = session.client(service, region_name=region, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
    return _paced(created, account=account)


def sns_client(region: str | None = None) -> "SNSClient":
    return client("sns", region)  # type: ignore[no-any-return]


def s3_client(region: str | None = None) -> "S3Client":
    return client("s3", region)  # type: ignore[no-any-return]


def stepfunctions_client(region: str | None = None) -> "SFNClient":
    return client("stepfunctions", region)  # type: ignore[no-any-return]


def forget_clients() -> None:
    """Drop cached clients (tests that start a fresh emulator)."""
    from autotuner.adapters.control_plane_budget import forget_budgets

    forget_budgets()
    _client.cache_clear()
    _role_session.cache_clear()
    _client_in_session.cache_clear()

"""The target function's control plane and invocations: every Lambda API call the workflow makes."""

import contextlib
import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, HTTPClientError, WaiterError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from autotuner.adapters.clients import lambda_client, lambda_client_as
from autotuner.adapters.errors import (
    ACCESS_DENIED_CODES,
    NOT_FOUND_CODES,
    THROTTLING_CODES,
    AccessDeniedError,
    AwsError,
    TargetNotFoundError,
    TargetStateError,
    TargetThrottledError,
    TargetUnavailableError,
    UpdateConflictError,
    describe,
    is_code,
)
from autotuner.adapters.function_code import CodeStaging, download_code, elf_headers
from autotuner.domain.advice.concurrency import AccountConcurrency
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.errors import CodeChangedError, TargetAccountUnreachableError, TargetChangedError
from autotuner.domain.inputs.arn import FunctionRef, parse_function_reference
from autotuner.domain.inputs.portability import DIRECT_UPLOAD_LIMIT_BYTES
from autotuner.domain.inputs.scope import ROLE_TEMPLATE, AssumedRole
from autotuner.domain.measuring.log_events import TEXT
from autotuner.domain.pacing import full_jitter_delays
from autotuner.domain.run.documents import FunctionConfiguration
from autotuner.domain.run.record import AliasSnapshot
from autotuner.domain.traffic.configuration import fingerprint
from autotuner.workflow.ports import InvocationResult, VersionInfo

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.type_defs import AliasRoutingConfigurationTypeDef

Sleep = Callable[[float], None]


def _translate(error: ClientError, what: str) -> Exception:
    if is_code(error, *NOT_FOUND_CODES):
        return TargetNotFoundError(f"{what}: not found ({describe(error)})")
    if is_code(error, *ACCESS_DENIED_CODES):
        return AccessDeniedError(
            f"{what}: access denied ({describe(error)}); check the TargetFunctionArnPattern parameter of the stack"
        )
    if is_code(error, *THROTTLING_CODES):
        return TargetThrottledError(f"{what}: throttled ({describe(error)})")
    if is_code(error, "PreconditionFailedException"):
        return CodeChangedError(f"{what}: the function changed since it was read, and nothing was changed over it")
    if is_code(error, "ResourceConflictException"):
        return UpdateConflictError(f"{what}: another update is in progress ({describe(error)})")
    return AwsError(f"{what}: {describe(error)}")


def target_lambda_client(
    region: str | None, through: AssumedRole | None, *, external_id: str = "", for_invoke: bool = False
) -> "LambdaClient":
    """The Lambda client for a target: the tuner's own, or one acting as the role in the target's account
    (assumed presenting ``external_id``)."""
    if through is None:
        return lambda_client(region, for_invoke=for_invoke)
    try:
        return lambda_client_as(
            through.role_arn, through.session_name, region, external_id=external_id, for_invoke=for_invoke
        )
    except ClientError as error:
        account = through.role_arn.split(":")[4]
        raise TargetAccountUnreachableError(
            f"the tuner cannot assume the role {through.role_arn} ({describe(error)}); deploy {ROLE_TEMPLATE} in "
            f"account {account} with this tuner's TargetAccountTrustedRoleArns and TargetAccountExternalId (its "
            "role name is the stack's TargetAccountRoleName)"
        ) from error


class LambdaFunction:
    """Control-plane operations on one function, each waiting until Lambda has finished applying it."""

    def __init__(
        self,
        arn: FunctionRef,
        client: "LambdaClient | None" = None,
        *,
        through: AssumedRole | None = None,
        external_id: str = "",
        sleep: Sleep = time.sleep,
        conflict_attempts: int = 8,
        rng: random.Random | None = None,
        staging_bucket: str = "",
        direct_upload_limit: int = DIRECT_UPLOAD_LIMIT_BYTES,
    ) -> None:
        self.arn = arn
        self._client = client or target_lambda_client(arn.region, through, external_id=external_id)
        self._sleep = sleep
        self._conflict_attempts = conflict_attempts
        self._rng = rng or random.Random()
        self._staging_bucket = staging_bucket
        self._direct_upload_limit = direct_upload_limit

    @property
    def name(self) -> str:
        return self.arn.unqualified

    def configuration(self, qualifier: str | None = None) -> FunctionConfiguration:
        try:
            raw = self._client.get_function_configuration(FunctionName=self.name, **_qualifier(qualifier))
        except ClientError as error:
            raise _translate(error, f"function {self.arn.name} in {self.arn.region}") from error
        return _configuration(raw)

    def configuration_and_tags(self) -> tuple[FunctionConfiguration, dict[str, str] | None]:
        """GetFunction: $LATEST's configuration and the function's tags. Lambda returns the tags only to a caller
        allowed lambda:ListTags, and says so in TagsError otherwise (then: None)."""
        try:
            raw = self._client.get_function(FunctionName=self.name)
        except ClientError as error:
            raise _translate(error, f"function {self.arn.name} in {self.arn.region}") from error
        tags = None if raw.get("TagsError") else dict(raw.get("Tags") or {})
        return _configuration(raw["Configuration"]), tags

    def wait_until_updated(self) -> None:
        """Wait for LastUpdateStatus to leave InProgress (an update in flight makes the next one fail)."""
        try:
            self._client.get_waiter("function_updated_v2").wait(
                FunctionName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 300}
            )
        except WaiterError as error:
            raise TargetStateError(f"function {self.arn.name} did not finish updating: {error}") from error

    def update(self, *, memory_mb: int, description: str, timeout_s: int | None = None) -> None:
        """Set memory and description (and the timeout, when given) on $LATEST and wait until it is applied."""
        changes: dict[str, Any] = {"MemorySize": memory_mb, "Description": description}
        if timeout_s is not None:
            changes["Timeout"] = timeout_s
        self._with_conflict_retry(
            lambda: self._client.update_function_configuration(FunctionName=self.name, **changes),
            f"updating {self.arn.name} to {memory_mb} MB",
        )
        self.wait_until_updated()

    def native_binaries(self) -> dict[str, bytes]:
        """The ELF headers of $LATEST's package, by path (downloaded and checked against its CodeSha256)."""
        raw = self._get_latest()
        return elf_headers(download_code(raw["Code"]["Location"], raw["Configuration"]["CodeSha256"]))

    def copy_code(self, *, code_sha256: str, architecture: Architecture) -> None:
        """Upload $LATEST's own code again for ``architecture`` and wait until it is applied: the bytes GetFunction
        serves, only when they are ``code_sha256`` (checked again after the download), directly up to Lambda's
        limit, else through the staging bucket. The upload names the revision it read (RevisionId), so a deployment
        landing in between makes Lambda refuse it rather than have its code overwritten."""
        raw = self._get_latest()
        found, revision = raw["Configuration"]["CodeSha256"], raw["Configuration"].get("RevisionId")
        if found != code_sha256:
            raise CodeChangedError(
                f"$LATEST's code is {found}, not {code_sha256} as the run found it: another deployment changed it, "
                "and nothing was uploaded over it"
            )
        package = download_code(raw["Code"]["Location"], found)
        staging = (
            CodeStaging(self._staging_bucket, self.arn.region) if len(package) > self._direct_upload_limit else None
        )
        if staging is not None and not self._staging_bucket:
            raise AwsError(f"{self.arn.name}'s code is above the direct-upload limit and no staging bucket is named")
        key = staging.put(package) if staging is not None else None
        code: dict[str, Any] = {"S3Bucket": self._staging_bucket, "S3Key": key} if key else {"ZipFile": package}
        if revision:
            code["RevisionId"] = revision
        try:
            try:
                self._with_conflict_retry(
                    lambda: self._client.update_function_code(
                        FunctionName=self.name, Architectures=[architecture.value], **code
                    ),
                    f"uploading {self.arn.name}'s code for {architecture.value}",
                )
            except CodeChangedError:
                # A retry of an upload that landed but whose answer was lost names a revision the upload replaced:
                # that is our own upload, not another deployment, when Lambda now holds exactly what it sent.
                if not self._holds(code_sha256, architecture):
                    raise
            self.wait_until_updated()
        finally:
            if staging is not None and key is not None:
                with contextlib.suppress(AwsError):  # the bucket's lifecycle rule expires what is left
                    staging.delete(key)

    def _holds(self, code_sha256: str, architecture: Architecture) -> bool:
        current = self.configuration()
        return (current.code_sha256, current.architecture) == (code_sha256, architecture)

    def _get_latest(self) -> Any:
        try:
            return self._client.get_function(FunctionName=self.name)
        except ClientError as error:
            raise _translate(error, f"function {self.arn.name} in {self.arn.region}") from error

    def layer_architectures(self, layer_arn: str) -> list[str] | None:
        """A layer version's CompatibleArchitectures; None when it cannot be read (GetLayerVersion, by the layer's
        ARN and the version number the version ARN ends with)."""
        layer, _, number = layer_arn.rpartition(":")
        if not layer or not number.isdigit():
            return None
        try:
            raw = self._client.get_layer_version(LayerName=layer, VersionNumber=int(number))
        except ClientError:
            return None
        return list(raw.get("CompatibleArchitectures") or [])

    def invoke_principals(self) -> list[str]:
        """The service principals the function's resource policy lets invoke it (none without a policy)."""
        try:
            policy = json.loads(self._client.get_policy(FunctionName=self.name)["Policy"])
        except ClientError as error:
            if is_code(error, *NOT_FOUND_CODES):
                return []
            raise _translate(error, f"reading the resource policy of {self.arn.name}") from error
        principals: list[str] = []
        for statement in policy.get("Statement", []):
            principal = statement.get("Principal")
            service = principal.get("Service") if isinstance(principal, dict) else None
            principals += [service] if isinstance(service, str) else list(service or [])
        return sorted(set(principals))

    def reserved_concurrency(self) -> int | None:
        try:
            raw = self._client.get_function_concurrency(FunctionName=self.name)
        except ClientError as error:
            raise _translate(error, f"reading the reserved concurrency of {self.arn.name}") from error
        reserved = raw.get("ReservedConcurrentExecutions")
        return int(reserved) if reserved is not None else None

    def account_concurrency(self) -> AccountConcurrency:
        """The account's concurrency in the function's region (GetAccountSettings)."""
        try:
            raw = self._client.get_account_settings()
        except ClientError as error:
            raise _translate(error, f"reading the account settings in {self.arn.region}") from error
        limit = raw.get("AccountLimit", {})
        unreserved = limit.get("UnreservedConcurrentExecutions")
        return AccountConcurrency(
            limit=int(limit["ConcurrentExecutions"]), unreserved=int(unreserved) if unreserved is not None else None
        )

    def publish_version(self, description: str, code_sha256: str | None = None) -> VersionInfo:
        """Publish $LATEST and wait until the version can be invoked (SnapStart versions take a while).
        ``code_sha256``: publish only if $LATEST's code is still that (Lambda refuses otherwise)."""
        expected: dict[str, Any] = {"CodeSha256": code_sha256} if code_sha256 else {}
        try:
            raw = self._with_conflict_retry(
                lambda: self._client.publish_version(FunctionName=self.name, Description=description, **expected),
                f"publishing a version of {self.arn.name}",
            )
        except CodeChangedError as error:  # PreconditionFailedException: only a CodeSha256 given can fail so
            raise TargetChangedError(
                f"lambdaARN: the code of {self.arn.name}'s $LATEST is no longer {code_sha256}; nothing was published"
            ) from error
        version = str(raw["Version"])
        if raw.get("State", "Active") != "Active":
            try:
                self._client.get_waiter("published_version_active").wait(
                    FunctionName=self.name, Qualifier=version, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
                )
            except WaiterError as error:
                raise TargetStateError(
                    f"version {version} of {self.arn.name} did not become active: {error}"
                ) from error
        return VersionInfo(version=version, description=raw.get("Description", ""))

    def point_alias(self, alias: str, version: str) -> None:
        """Create ``alias`` at ``version``, or move it there if it exists."""
        exists = self.alias_version(alias) is not None
        try:
            if exists:
                self._client.update_alias(FunctionName=self.name, Name=alias, FunctionVersion=version)
            else:
                self._client.create_alias(FunctionName=self.name, Name=alias, FunctionVersion=version)
        except ClientError as error:
            # A retried create whose first response was lost finds the alias it created ("already exists"):
            # whatever the error, an alias that now points where it should is done.
            if self.alias_version(alias) == version:
                return
            raise _translate(error, f"pointing alias {alias} at version {version}") from error

    def alias_version(self, alias: str) -> str | None:
        return self.alias_snapshot(alias).version

    def alias_snapshot(self, alias: str) -> AliasSnapshot:
        """The alias's version and routing weights as they are now (version None: no such alias)."""
        try:
            raw = self._client.get_alias(FunctionName=self.name, Name=alias)
        except ClientError as error:
            if is_code(error, *NOT_FOUND_CODES):
                return AliasSnapshot(name=alias)
            raise _translate(error, f"reading alias {alias}") from error
        weights = (raw.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return AliasSnapshot(name=alias, version=str(raw["FunctionVersion"]), routing=dict(weights))

    def restore_alias(self, snapshot: AliasSnapshot) -> None:
        """Put an alias back exactly as ``snapshot`` holds it: its version and routing, or gone if it was."""
        current = self.alias_snapshot(snapshot.name)
        if current == snapshot:
            return
        if snapshot.version is None:
            self.delete_alias(snapshot.name)
            return
        routing: AliasRoutingConfigurationTypeDef = {"AdditionalVersionWeights": snapshot.routing}
        try:
            if current.version is None:
                self._client.create_alias(
                    FunctionName=self.name, Name=snapshot.name, FunctionVersion=snapshot.version, RoutingConfig=routing
                )
            else:
                self._client.update_alias(
                    FunctionName=self.name, Name=snapshot.name, FunctionVersion=snapshot.version, RoutingConfig=routing
                )
        except ClientError as error:
            raise _translate(error, f"restoring alias {snapshot.name} to version {snapshot.version}") from error

    def aliases(self) -> dict[str, str]:
        """Every alias of the function and the version it points at."""
        pages = self._pages("list_aliases", "Aliases")
        return {alias["Name"]: str(alias["FunctionVersion"]) for alias in pages}

    def versions(self) -> list[VersionInfo]:
        return [
            VersionInfo(version=str(v["Version"]), description=v.get("Description", ""))
            for v in self._pages("list_versions_by_function", "Versions")
            if v["Version"] != "$LATEST"
        ]

    def _pages(self, operation: str, key: str) -> list[Any]:
        # List operations take the plain name: some emulators do not accept an ARN there.
        paginator = self._client.get_paginator(operation)  # type: ignore[call-overload]
        try:
            return [item for page in paginator.paginate(FunctionName=self.arn.name) for item in page[key]]
        except ClientError as error:
            raise _translate(error, f"listing {key.lower()} of {self.arn.name}") from error

    def delete_alias(self, alias: str) -> None:
        """Delete ``alias``; deleting one that is already gone is not an error (Lambda's DeleteAlias is
        idempotent), so callers that know which aliases exist need no extra read."""
        self._delete(lambda: self._client.delete_alias(FunctionName=self.name, Name=alias))

    def delete_version(self, version: str) -> bool:
        if not version.isdigit():
            raise ValueError(f"refusing to delete {version!r}: only numbered versions are deleted")
        return self._delete(lambda: self._client.delete_function(FunctionName=self.name, Qualifier=version))

    def _delete(self, call: Callable[[], Any]) -> bool:
        try:
            self._with_conflict_retry(call, f"deleting from {self.arn.name}")
        except TargetNotFoundError:
            return False
        return True

    def _with_conflict_retry(self, call: Callable[[], Any], what: str) -> Any:
        """Run a control-plane call, waiting out ResourceConflictException (an update still in progress)."""
        delays = full_jitter_delays(1.0, 20.0, self._conflict_attempts, self._rng)
        while True:
            try:
                return call()
            except ClientError as error:
                if not is_code(error, "ResourceConflictException"):
                    raise _translate(error, what) from error
                delay = next(delays, None)
                if delay is None:
                    raise _translate(error, what) from error
                self._sleep(delay)
                self.wait_until_updated()


def resolve_function_arn(name_or_arn: str, region: str | None = None, client: "LambdaClient | None" = None) -> str:
    """The ARN of a function given by name or ARN (qualifier kept), checking that it exists."""
    reference = parse_function_reference(name_or_arn)
    # A full ARN is asked about as given (Lambda then checks its qualifier too and answers with it); a name or
    # partial ARN without its qualifier, which is put back on the answer.
    full_arn = reference.arn
    lookup, qualifier = (str(full_arn), None) if full_arn is not None else (reference.unqualified, reference.qualifier)
    api = client or lambda_client(region)
    try:
        arn = str(api.get_function_configuration(FunctionName=lookup)["FunctionArn"])
    except ClientError as error:
        raise _translate(error, f"function {name_or_arn}") from error
    return f"{arn}:{qualifier}" if qualifier else arn


def _qualifier(qualifier: str | None) -> dict[str, str]:
    return {"Qualifier": qualifier} if qualifier else {}


def _configuration(raw: Any) -> FunctionConfiguration:
    architectures = raw.get("Architectures") or ["x86_64"]
    logging = raw.get("LoggingConfig") or {}
    return FunctionConfiguration(
        function_arn=raw["FunctionArn"],
        memory_mb=int(raw["MemorySize"]),
        description=raw.get("Description", ""),
        timeout_s=int(raw.get("Timeout", 3)),
        architecture=Architecture(architectures[0]),
        ephemeral_storage_mb=int(raw.get("EphemeralStorage", {}).get("Size", 512)),
        code_sha256=raw.get("CodeSha256", ""),
        runtime=raw.get("Runtime"),
        package_type=raw.get("PackageType", "Zip"),
        state=raw.get("State"),
        last_update_status=raw.get("LastUpdateStatus"),
        snap_start=raw.get("SnapStart", {}).get("ApplyOn") == "PublishedVersions",
        layers=[str(layer["Arn"]) for layer in raw.get("Layers") or []],
        code_size_bytes=int(raw.get("CodeSize") or 0),
        log_group=str(logging.get("LogGroup") or ""),
        log_format=logging.get("LogFormat") or TEXT,
        fingerprint=fingerprint(raw),
    )


class LambdaInvoker:
    """Synchronous invocations with the log tail, retrying throttles with jittered exponential backoff."""

    def __init__(
        self,
        region: str | None,
        client: "LambdaClient | None" = None,
        *,
        through: AssumedRole | None = None,
        external_id: str = "",
        sleep: Sleep = time.sleep,
        throttle_attempts: int = 8,
        base_delay_s: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client or target_lambda_client(region, through, external_id=external_id, for_invoke=True)
        self._sleep = sleep
        self._attempts = throttle_attempts
        self._base_delay_s = base_delay_s
        self._rng = rng or random.Random()
        self.throttles = 0

    def invoke(self, function: str, payload: bytes) -> InvocationResult:
        """Invoke ``function`` (a name or ARN, qualified as ``name:alias`` since emulators ignore Qualifier)."""
        delays = full_jitter_delays(self._base_delay_s, 10.0, self._attempts, self._rng)
        while True:
            try:
                response = self._client.invoke(
                    FunctionName=function, Payload=payload, LogType="Tail", InvocationType="RequestResponse"
                )
                break
            except (ClientError, HTTPClientError, BotocoreConnectionError) as error:
                if isinstance(error, ClientError) and not _transient(error):
                    raise _translate(error, f"invoking {function}") from error
                throttled = is_code(error, *THROTTLING_CODES)
                self.throttles += int(throttled)
                delay = next(delays, None)
                if delay is None:
                    raise _gave_up(function, error, self._attempts, throttled=throttled) from error
                self._sleep(delay)
        body = response["Payload"].read()
        return InvocationResult(
            log_tail_base64=response.get("LogResult", ""),
            error_type=_function_error_type(response.get("FunctionError"), body),
            payload=body,
        )


def _transient(error: Exception) -> bool:
    """Errors of the platform, not of the target: throttles, update conflicts, Lambda's 5xx, and a connection
    that failed or timed out. The invocation is repeated; at worst a size gets one more measurement."""
    if not isinstance(error, ClientError):
        return True
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    # ResourceConflictException: the function is still being updated (Pending); it becomes invocable shortly.
    return is_code(error, *THROTTLING_CODES, "ResourceConflictException") or status >= 500


def _gave_up(function: str, error: Exception, attempts: int, *, throttled: bool) -> Exception:
    what = describe(error) if isinstance(error, ClientError) else str(error)
    if throttled:
        return TargetThrottledError(
            f"invoking {function}: still throttled after {attempts} attempts ({what}); lower maxConcurrency, use "
            "serial invocations, or raise the function's reserved concurrency"
        )
    return TargetUnavailableError(f"invoking {function}: Lambda kept failing after {attempts} attempts ({what})")


def _function_error_type(function_error: str | None, body: bytes) -> str | None:
    """The error type of a failed invocation (the payload's errorType, else Lambda's Unhandled/Handled); its
    errorMessage is the target's own text and is left unread."""
    if not function_error:
        return None
    try:
        parsed = json.loads(body or b"{}")
    except json.JSONDecodeError:
        return function_error
    error_type = parsed.get("errorType") if isinstance(parsed, dict) else None
    return str(error_type) if error_type else function_error

"""In-memory implementations of the workflow's ports (src/autotuner/workflow/ports.py).

Each behaves as the service behind the real adapter does, for what the workflow uses: Lambda's versions, aliases
and REPORT lines; the run records' conditional writes (adapters/run_records.py); the profiles table's run lock.
They stand in for the services, not for boto3, so the steps and the handlers can be unit-tested in milliseconds;
the adapters themselves stay tested against moto.
"""

import base64
import json
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from autotuner.adapters.errors import AwsError, PayloadNotFoundError, UpdateConflictError, WriteUnconfirmedError
from autotuner.adapters.executions import ExecutionAlreadyStartedError
from autotuner.adapters.profiles import StoredProfile
from autotuner.domain.advice.concurrency import AccountConcurrency, Traffic
from autotuner.domain.automation.alarms import AlarmChange, AlarmDefinition
from autotuner.domain.automation.automatic_runs import STORED_BY_CLI, ProfileToStore, profile_of_input
from autotuner.domain.automation.canary import VersionFigures
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.errors import CodeChangedError, TargetChangedError, TargetNotFoundError
from autotuner.domain.inputs.arn import FunctionRef, function_name_of, parse_function_arn, parse_function_reference
from autotuner.domain.inputs.scope import AssumedRole
from autotuner.domain.measuring.lambda_logs import InvocationReport, InvocationStatus, format_report_line
from autotuner.domain.measuring.log_events import LogEvent, LogRead, VersionLogs
from autotuner.domain.measuring.measurement import BatchMeasurement
from autotuner.domain.run.documents import CleanupReport, FunctionConfiguration
from autotuner.domain.run.output import LATEST, AppliedChange
from autotuner.domain.run.record import AliasSnapshot, Intent, RunRecord
from autotuner.domain.traffic.configuration import fingerprint
from autotuner.workflow.ports import InvocationResult, VersionInfo

ACCOUNT = "123456789012"
REGION = "us-east-1"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


# ---- Lambda's control plane -------------------------------------------------------------------------------


@dataclass
class PublishedVersion:
    number: str
    description: str
    configuration: FunctionConfiguration  # $LATEST's, as it was when published
    environment: dict[str, str] = field(default_factory=dict)  # $LATEST's variables, as they were


class MemoryFunction:
    """One function: $LATEST, numbered versions (a number is never reused, even after its version is deleted)
    and aliases with routing weights. Any operation can be made to fail, or to run something first, on demand."""

    def __init__(
        self,
        arn: str,
        *,
        memory_mb: int = 1024,
        description: str = "",
        timeout_s: int = 30,
        code_sha256: str = "code-1",
        state: str = "Active",
        last_update_status: str = "Successful",
        exists: bool = True,
        tags: dict[str, str] | None = None,
        tags_readable: bool = True,
        provisioned: int | None = 0,
        architecture: Architecture = Architecture.X86_64,
        package_type: str = "Zip",
        layers: dict[str, list[str] | None] | None = None,
        binaries: dict[str, bytes] | None = None,
        code_size_bytes: int = 1024,
        runtime: str | None = "python3.13",
    ) -> None:
        self.arn = parse_function_arn(arn)
        self.exists = exists  # a handle on a function that does not exist fails every call, as Lambda does
        self.tags = dict(tags or {})
        self.tags_readable = tags_readable  # False: Lambda returns no tags (the caller lacks lambda:ListTags)
        self.provisioned = provisioned  # provisioned environments on any alias or version; None: unreadable
        self.latest = FunctionConfiguration(
            function_arn=self.arn.unqualified,
            memory_mb=memory_mb,
            description=description,
            timeout_s=timeout_s,
            code_sha256=code_sha256,
            state=state,
            last_update_status=last_update_status,
            architecture=architecture,
            package_type=package_type,
            layers=sorted(layers or {}),
            code_size_bytes=code_size_bytes,
            runtime=runtime,
        )
        self.environment: dict[str, str] = {}  # $LATEST's environment variables
        self.layer_table: dict[str, list[str] | None] = dict(layers or {})  # GetLayerVersion's answers
        self.binaries = dict(binaries or {})  # the ELF headers of the package, by path
        self.principals: list[str] = []  # the resource policy's service principals
        self.reserved: int | None = None
        self.account: AccountConcurrency | None = AccountConcurrency(limit=1000, unreserved=900)
        self.downloads = 0
        self.published: dict[str, PublishedVersion] = {}
        self.alias_table: dict[str, AliasSnapshot] = {}
        self.changes: list[str] = []  # every change made, in order
        self.waits = 0
        self._last_number = 0
        self._before: dict[str, list[Callable[[], object]]] = defaultdict(list)

    # -- test controls --

    def fail(self, operation: str, error: Exception, *, times: int = 1) -> None:
        """The next ``times`` calls of ``operation`` raise ``error`` without changing anything."""

        def raise_error() -> None:
            raise error

        self._before[operation] += [raise_error] * times

    def before_next(self, operation: str, action: Callable[[], object]) -> None:
        """Run ``action`` just before the next call of ``operation`` (e.g. a clean-up closing the record)."""
        self._before[operation].append(action)

    def deploy_code(self, code_sha256: str) -> None:
        self.latest = self.latest.model_copy(update={"code_sha256": code_sha256})

    def set_environment(self, variables: dict[str, str]) -> None:
        """UpdateFunctionConfiguration of $LATEST's environment variables (another deployment, in a test)."""
        self.environment = dict(variables)
        self.changes.append(f"environment {sorted(variables)}")

    # -- FunctionControl --

    def configuration(self, qualifier: str | None = None) -> FunctionConfiguration:
        """As the adapter reads GetFunctionConfiguration, with the fingerprint of every field it compares."""
        self._hooks("configuration")
        if qualifier is None or qualifier == LATEST:
            return _fingerprinted(self.latest, self.environment)
        number = self.alias_table[qualifier].version if qualifier in self.alias_table else qualifier
        version = self.published.get(number or "")
        if version is None:
            raise TargetNotFoundError(f"function {self.arn.name}:{qualifier} in {self.arn.region}: not found")
        found = version.configuration.model_copy(
            update={"function_arn": self.arn.qualified(version.number), "description": version.description}
        )
        return _fingerprinted(found, version.environment)

    def configuration_and_tags(self) -> tuple[FunctionConfiguration, dict[str, str] | None]:
        configuration = self.configuration()
        return configuration, dict(self.tags) if self.tags_readable else None

    def wait_until_updated(self) -> None:
        self._hooks("wait_until_updated")
        self.waits += 1
        self.latest = self.latest.model_copy(update={"last_update_status": "Successful", "state": "Active"})

    def update(self, *, memory_mb: int, description: str, timeout_s: int | None = None) -> None:
        self._hooks("update")
        changed: dict[str, object] = {"memory_mb": memory_mb, "description": description}
        if timeout_s is not None:
            changed["timeout_s"] = timeout_s
        self.latest = self.latest.model_copy(update=changed)
        self.changes.append(f"update {memory_mb} MB {description!r}" + (f" {timeout_s} s" if timeout_s else ""))

    def native_binaries(self) -> dict[str, bytes]:
        self._hooks("native_binaries")
        self.downloads += 1
        return dict(self.binaries)

    def copy_code(self, *, code_sha256: str, architecture: Architecture) -> None:
        """UpdateFunctionCode with $LATEST's own bytes for ``architecture``, refused for bytes the run did not find."""
        self._hooks("copy_code")
        if self.latest.code_sha256 != code_sha256:
            raise CodeChangedError(f"$LATEST's code is {self.latest.code_sha256}, not {code_sha256}")
        self.latest = self.latest.model_copy(update={"architecture": architecture})
        self.changes.append(f"code {code_sha256} on {architecture.value}")

    def layer_architectures(self, layer_arn: str) -> list[str] | None:
        self._hooks("layer_architectures")
        return self.layer_table.get(layer_arn)

    def invoke_principals(self) -> list[str]:
        self._hooks("invoke_principals")
        return list(self.principals)

    def reserved_concurrency(self) -> int | None:
        self._hooks("reserved_concurrency")
        return self.reserved

    def account_concurrency(self) -> AccountConcurrency:
        self._hooks("account_concurrency")
        if self.account is None:
            raise AwsError("GetAccountSettings: not implemented")
        return self.account

    def publish_version(self, description: str, code_sha256: str | None = None) -> VersionInfo:
        """Lambda publishes nothing when $LATEST is unchanged since the last version: it returns that version; with
        ``code_sha256``, nothing when $LATEST's code is other (PreconditionFailedException)."""
        self._hooks("publish_version")
        if code_sha256 is not None and code_sha256 != self.latest.code_sha256:
            raise TargetChangedError(f"$LATEST's code is {self.latest.code_sha256}, not {code_sha256}")
        if self.published:
            newest = self.published[max(self.published, key=int)]
            if (newest.configuration, newest.environment) == (self.latest, self.environment):
                return VersionInfo(version=newest.number, description=newest.description)
        self._last_number += 1
        number = str(self._last_number)
        self.published[number] = PublishedVersion(number, description, self.latest.model_copy(), dict(self.environment))
        self.changes.append(f"publish {number} ({self.latest.memory_mb} MB)")
        return VersionInfo(version=number, description=description)

    def point_alias(self, alias: str, version: str) -> None:
        """Create the alias, or move it; UpdateAlias without RoutingConfig leaves the routing as it was."""
        self._hooks("point_alias")
        self._require_version(version)
        routing = self.alias_table[alias].routing if alias in self.alias_table else {}
        self.alias_table[alias] = AliasSnapshot(name=alias, version=version, routing=dict(routing))
        self.changes.append(f"alias {alias} -> {version}")

    def alias_version(self, alias: str) -> str | None:
        return self.alias_snapshot(alias).version

    def alias_snapshot(self, alias: str) -> AliasSnapshot:
        self._hooks("alias_snapshot")
        found = self.alias_table.get(alias)
        return found.model_copy(deep=True) if found else AliasSnapshot(name=alias)

    def restore_alias(self, snapshot: AliasSnapshot) -> None:
        self._hooks("restore_alias")
        if snapshot.version is None:
            self.delete_alias(snapshot.name)
            return
        for version in (snapshot.version, *snapshot.routing):  # Lambda routes only to versions that exist
            self._require_version(version)
        self.alias_table[snapshot.name] = snapshot.model_copy(deep=True)
        self.changes.append(f"alias {snapshot.name} -> {snapshot.version} routing {snapshot.routing}")

    def aliases(self) -> dict[str, str]:
        self._hooks("aliases")
        return {name: alias.version for name, alias in self.alias_table.items() if alias.version is not None}

    def versions(self) -> list[VersionInfo]:
        self._hooks("versions")
        return [VersionInfo(version=v.number, description=v.description) for v in self.published.values()]

    def delete_alias(self, alias: str) -> None:
        """Idempotent, as DeleteAlias is."""
        self._hooks("delete_alias")
        if self.alias_table.pop(alias, None) is not None:
            self.changes.append(f"delete alias {alias}")

    def delete_version(self, version: str) -> bool:
        """False when already gone; Lambda refuses to delete a version an alias routes to."""
        self._hooks("delete_version")
        if not version.isdigit():
            raise ValueError(f"refusing to delete {version!r}: only numbered versions are deleted")
        if version not in self.published:
            return False
        users = [a.name for a in self.alias_table.values() if a.version == version or version in a.routing]
        if users:
            raise UpdateConflictError(f"deleting version {version}: aliases {users} point to it")
        del self.published[version]
        self.changes.append(f"delete version {version}")
        return True

    def _require_version(self, version: str) -> None:
        if version not in self.published:
            raise TargetNotFoundError(f"version {version} of {self.arn.name}: not found")

    def _hooks(self, operation: str) -> None:
        if not self.exists:
            raise TargetNotFoundError(f"function {self.arn.name} in {self.arn.region}: not found")
        pending = self._before[operation]
        if pending:
            pending.pop(0)()


def _fingerprinted(configuration: FunctionConfiguration, environment: dict[str, str]) -> FunctionConfiguration:
    """``configuration`` with the fingerprint the adapter takes of GetFunctionConfiguration's answer, which carries
    Environment only when the function has variables."""
    raw: dict[str, Any] = {
        "FunctionArn": configuration.function_arn,
        "MemorySize": configuration.memory_mb,
        "Description": configuration.description,
        "Timeout": configuration.timeout_s,
        "Architectures": [configuration.architecture.value],
        "EphemeralStorage": {"Size": configuration.ephemeral_storage_mb},
        "CodeSha256": configuration.code_sha256,
        "Runtime": configuration.runtime,
        "PackageType": configuration.package_type,
        "State": configuration.state,
        "LastUpdateStatus": configuration.last_update_status,
        "SnapStart": {"ApplyOn": "PublishedVersions" if configuration.snap_start else "None"},
        "Layers": [{"Arn": layer} for layer in configuration.layers],
        "CodeSize": configuration.code_size_bytes,
        "LoggingConfig": {"LogGroup": configuration.log_group_name, "LogFormat": configuration.log_format},
    }
    if environment:
        raw["Environment"] = {"Variables": dict(environment)}
    return configuration.model_copy(update={"fingerprint": fingerprint(raw)})


class Functions:
    """Every function of the account, by unqualified ARN: what ``function_for`` / ``control_for`` resolve."""

    def __init__(self, *functions: MemoryFunction) -> None:
        self.by_arn = {f.arn.unqualified: f for f in functions}
        self.reached_through: dict[str, AssumedRole | None] = {}

    def add(self, function: MemoryFunction) -> MemoryFunction:
        self.by_arn[function.arn.unqualified] = function
        return function

    def __call__(self, arn: FunctionRef, through: AssumedRole | None = None) -> MemoryFunction:
        """A handle on the function, as LambdaFunction is: a missing one fails only when it is read. ``through``
        is kept, so tests see which role a step reached it through."""
        self.reached_through[arn.unqualified] = through
        return self.existing(arn)

    def existing(self, arn: FunctionRef) -> MemoryFunction:
        found = self.by_arn.get(arn.unqualified)
        return found if found is not None else MemoryFunction(arn.unqualified, exists=False)

    def named(self, function: str) -> FunctionRef:
        """As Lambda reads FunctionName: a name or a partial ARN is a function of the caller's account and region."""
        reference = parse_function_reference(function)
        return reference.arn or FunctionRef(
            partition="aws",
            region=REGION,
            account=reference.account or ACCOUNT,
            name=reference.name,
            qualifier=reference.qualifier,
        )


# ---- Lambda's invocations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    function: str  # as invoked: an ARN, qualified or not
    memory_mb: int
    payload: bytes
    architecture: Architecture = Architecture.X86_64


@dataclass(frozen=True)
class Reply:
    """How one invocation ends: a success, a raised error, a timeout or running out of memory."""

    duration_ms: float
    error_type: str | None = None
    error_message: str = ""
    status: InvocationStatus = InvocationStatus.SUCCESS
    max_memory_used_mb: int = 80
    payload: bytes = b'{"ok": true}'


Respond = Callable[[Invocation], Reply]


def cpu_bound(duration_at_1024_ms: float = 400.0) -> Respond:
    """A function twice as fast at twice the memory."""
    return lambda call: Reply(duration_ms=duration_at_1024_ms * 1024 / call.memory_mb)


def steady(duration_ms: float) -> Respond:
    """A function that takes as long at any memory size."""
    return lambda _: Reply(duration_ms=duration_ms)


def raising(error_type: str, message: str, *, when: Callable[[Invocation], bool] = lambda _: True) -> Respond:
    """Raises ``error_type`` for the invocations ``when`` selects, else answers as ``cpu_bound`` does."""
    normal = cpu_bound()
    return lambda call: Reply(10.0, error_type=error_type, error_message=message) if when(call) else normal(call)


class MemoryInvoker:
    """Invokes the functions of ``functions`` synchronously with LogType=Tail: the log tail, base64, ends with the
    REPORT line Lambda writes, and each version's first invocation is a cold start."""

    def __init__(self, functions: Functions, respond: Respond | None = None, *, init_ms: float = 250.0) -> None:
        self.functions = functions
        self.respond: Respond = respond or cpu_bound()
        self.calls: list[Invocation] = []
        self.throttles = 0
        self._init_ms = init_ms
        self._warm: set[str] = set()
        self._lock = threading.Lock()  # Measure invokes from a thread pool for parallel runs

    def invoke(self, function: str, payload: bytes) -> InvocationResult:
        arn = self.functions.named(function)
        configuration = self.functions.existing(arn).configuration(arn.qualifier)
        call = Invocation(
            function=function,
            memory_mb=configuration.memory_mb,
            payload=payload,
            architecture=configuration.architecture,
        )
        reply = self.respond(call)
        with self._lock:
            self.calls.append(call)
            number = len(self.calls)
            cold = configuration.function_arn not in self._warm
            self._warm.add(configuration.function_arn)
        timed_out = reply.status is InvocationStatus.TIMEOUT
        report = InvocationReport(
            request_id=f"request-{number}",
            duration_ms=configuration.timeout_s * 1000 if timed_out else reply.duration_ms,
            billed_duration_ms=math.ceil(configuration.timeout_s * 1000 if timed_out else reply.duration_ms),
            memory_size_mb=configuration.memory_mb,
            max_memory_used_mb=min(reply.max_memory_used_mb, configuration.memory_mb),
            init_duration_ms=self._init_ms if cold else None,
            status=reply.status,
            error_type=reply.error_type if reply.status is not InvocationStatus.SUCCESS else None,
        )
        lines = [f"START RequestId: {report.request_id} Version: {configuration.function_arn.rsplit(':', 1)[-1]}"]
        if timed_out:
            lines.append(f"{report.request_id} Task timed out after {configuration.timeout_s:.2f} seconds")
        if reply.error_message:  # what the function logs of its error, as the runtimes do
            lines.append(f"[ERROR] {reply.error_type}: {reply.error_message}")
        lines += [f"END RequestId: {report.request_id}", format_report_line(report), ""]
        tail = base64.b64encode("\n".join(lines).encode()).decode()
        error_type = "Sandbox.Timedout" if timed_out else reply.error_type
        if error_type is None:
            return InvocationResult(log_tail_base64=tail, payload=reply.payload)
        body = json.dumps({"errorType": error_type, "errorMessage": reply.error_message}).encode()
        return InvocationResult(log_tail_base64=tail, error_type=error_type, payload=body)

    def targets(self, name: str) -> list[Invocation]:
        """The invocations of function ``name`` (any qualifier, however it was named)."""
        return [c for c in self.calls if function_name_of(c.function) == name]


# ---- the run records (DynamoDB) -----------------------------------------------------------------------------


@dataclass
class _StoredRecord:
    record: RunRecord | None  # None: the closed stub a clean-up leaves for a run that never wrote its record
    closed: bool


class MemoryRunRecords:
    """adapters/run_records.py's conditional writes: once closed, a record takes no more intents or changes. A
    write can be made to take effect and lose its answer (the adapter then raises WriteUnconfirmedError)."""

    def __init__(self) -> None:
        self._items: dict[str, _StoredRecord] = {}
        self.unanswered: set[str] = set()  # operations whose next write takes effect but is not answered

    def _answered(self, operation: str) -> None:
        if operation in self.unanswered:
            self.unanswered.discard(operation)
            raise WriteUnconfirmedError(f"{operation}: no answer after retries; it may have taken effect")

    def open(self, record: RunRecord) -> bool:
        stored = self._items.get(record.execution_id)
        if stored is not None and stored.closed:
            return False
        written = record.model_copy(deep=True)
        if stored is not None and stored.record is not None:  # a retried Plan: what later steps wrote stays
            written.applied, written.cleanup = stored.record.applied, stored.record.cleanup
        self._items[record.execution_id] = _StoredRecord(written, closed=False)
        return True

    def note_intent(self, execution_id: str, intent: Intent) -> bool:
        record = self._open_record(execution_id)
        if record is None:
            return False
        record.intents.append(intent.model_copy())
        self._answered("note_intent")
        return True

    def still_open(self, execution_id: str) -> bool:
        is_open = self._open_record(execution_id) is not None
        self._answered("still_open")
        return is_open

    def record_applied(self, execution_id: str, applied: AppliedChange) -> bool:
        record = self._open_record(execution_id)
        if record is None:
            return False
        record.applied = applied.model_copy()
        self._answered("record_applied")
        return True

    def close(self, execution_id: str) -> RunRecord | None:
        stored = self._items.setdefault(execution_id, _StoredRecord(None, closed=True))
        stored.closed = True
        return self._as_read(stored)

    def save_cleanup(self, execution_id: str, report: CleanupReport) -> None:
        stored = self._items.get(execution_id)
        if stored is not None and stored.record is not None:
            stored.record.cleanup = report.model_copy(deep=True)

    def read(self, execution_id: str) -> RunRecord | None:
        stored = self._items.get(execution_id)
        return self._as_read(stored) if stored is not None else None

    def pending_cleanups(self) -> list[str]:
        """Records opened whose clean-up has not completed (the table's sparse index)."""
        return [
            execution
            for execution, stored in self._items.items()
            if stored.record is not None and not (stored.record.cleanup and stored.record.cleanup.complete)
        ]

    def _open_record(self, execution_id: str) -> RunRecord | None:
        stored = self._items.get(execution_id)
        return stored.record if stored is not None and not stored.closed else None

    @staticmethod
    def _as_read(stored: _StoredRecord) -> RunRecord | None:
        """A copy, as a read from a table is: the caller's changes do not reach the stored record."""
        if stored.record is None:
            return None
        return stored.record.model_copy(deep=True, update={"closed": stored.closed})


# ---- the profiles table: run lock and profiles --------------------------------------------------------------


@dataclass
class RecordedRun:
    power: int | None
    execution: str
    at: float = 0.0


class MemoryRegistry:
    """The profiles table (adapters/profiles.py): one run at a time per function (a lock that expires), the last
    successful run of each, the profiles operators store, and the claims of automatic runs with their cooldown."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.locks: dict[str, tuple[str, float]] = {}  # function ARN -> (execution, until)
        self.runs: dict[str, RecordedRun] = {}
        self.profiles: dict[str, StoredProfile] = {}  # function ARN -> what `get` reads of its stored profile
        self.legacy_run_inputs: set[str] = set()  # items an older version wrote a lastRunInput into
        self.auto_claims: dict[str, tuple[str, float]] = {}  # function ARN -> (claimant, until)
        self.record_failure: Exception | None = None
        self.clock = clock

    def claim_run(self, function_arn: str, execution: str, until: float) -> str | None:
        held = self.locks.get(function_arn)
        if held is not None and held[1] >= self.clock() and held[0] != execution:
            return held[0]
        self.locks[function_arn] = (execution, until)
        return None

    def release_run(self, function_arn: str, execution: str) -> bool:
        held = self.locks.get(function_arn)
        if held is None or held[0] != execution:
            return False
        del self.locks[function_arn]
        return True

    def record_run(
        self, function_arn: str, power: int | None, execution: str, profile: ProfileToStore | None = None
    ) -> None:
        if self.record_failure is not None:
            raise self.record_failure
        self.runs[function_arn] = RecordedRun(power, execution, at=self.clock())
        self.legacy_run_inputs.discard(function_arn)  # the adapter's write removes lastRunInput
        if profile is not None:
            self.set_user_profile(function_arn, profile.profile, stored_by=profile.stored_by)

    def set_user_profile(self, function_arn: str, profile: dict[str, Any], *, stored_by: str = STORED_BY_CLI) -> None:
        self.profiles[function_arn] = StoredProfile(
            function_arn=function_arn, profile=profile_of_input(profile), stored_at=self.clock(), stored_by=stored_by
        )

    def get(self, function_arn: str) -> StoredProfile | None:
        run = self.runs.get(function_arn)
        stored = self.profiles.get(function_arn)
        legacy = function_arn in self.legacy_run_inputs
        if run is None and stored is None and not legacy:
            return None
        read = stored.model_copy(deep=True) if stored is not None else StoredProfile(function_arn=function_arn)
        return read.model_copy(
            update={
                "legacy_run_input": legacy,
                "last_run_at": run.at if run is not None else None,
                "last_run_power": run.power if run is not None else None,
                "last_run_execution": run.execution if run is not None else None,
            }
        )

    def claim_automatic(self, function_arn: str, *, cooldown_s: float, claimant: str) -> bool:
        """The conditional write's conditions: a profile, no live claim, no run ended within the cooldown, no run
        in progress."""
        now = self.clock()
        claim = self.auto_claims.get(function_arn)
        lock = self.locks.get(function_arn)
        run = self.runs.get(function_arn)
        if (
            function_arn not in self.profiles
            or (claim is not None and claim[1] >= now)
            or (run is not None and run.at >= now - cooldown_s)
            or (lock is not None and lock[1] >= now)
        ):
            return False
        self.auto_claims[function_arn] = (claimant, now + cooldown_s)
        return True

    def release_automatic(self, function_arn: str, claimant: str) -> None:
        claim = self.auto_claims.get(function_arn)
        if claim is not None and claim[0] == claimant:
            del self.auto_claims[function_arn]


# ---- SNS, S3, CloudWatch ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    subject: str
    message: str
    attributes: dict[str, str]


@dataclass
class MemoryNotifier:
    published: list[Published] = field(default_factory=list)
    failure: Exception | None = None

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        if self.failure is not None:
            raise self.failure
        self.published.append(Published(subject, message, dict(attributes)))
        return f"message-{len(self.published)}"


@dataclass
class MemoryInvocationCounts:
    """The Sum of the AWS/Lambda Invocations metric by unqualified ARN, for the functions in ``counts`` (the others
    have no datapoints); the windows asked for."""

    counts: dict[str, int] = field(default_factory=dict)
    failure: Exception | None = None
    windows: list[int] = field(default_factory=list)

    def invocations(self, functions: list[FunctionRef], days: int) -> dict[str, int]:
        if self.failure is not None:
            raise self.failure
        self.windows.append(days)
        return {f.unqualified: self.counts[f.unqualified] for f in functions if f.unqualified in self.counts}


@dataclass(frozen=True)
class MemoryRun:
    """An execution of the tuner state machine as Step Functions describes it."""

    arn: str
    status: str
    started: datetime
    stopped: datetime | None = None
    output: dict[str, Any] | None = None


@dataclass
class MemoryRunHistory:
    """The state machine's executions, newest first: as with ListExecutions, a listing carries no output (only
    describing an execution does); the executions described, in order."""

    runs: list[MemoryRun] = field(default_factory=list)
    described: list[str] = field(default_factory=list)

    def recent(self, limit: int) -> list[MemoryRun]:
        return [replace(run, output=None) for run in self.runs[:limit]]

    def describe(self, execution_arn: str) -> MemoryRun:
        self.described.append(execution_arn)
        return next(run for run in self.runs if run.arn == execution_arn)


@dataclass
class MemoryPayloads:
    """S3 objects by URI, already parsed as the real source parses them (JSON, else text)."""

    objects: dict[str, object] = field(default_factory=dict)

    def fetch(self, uri: str) -> object:
        if uri not in self.objects:
            raise PayloadNotFoundError(f"payloadS3: {uri} does not exist (NoSuchKey)")
        return self.objects[uri]


@dataclass
class MemoryDurations:
    """The Maximum of the AWS/Lambda Duration metric over the days asked; None: no datapoints."""

    max_ms: float | None = None
    asked: list[tuple[str, int]] = field(default_factory=list)

    def max_duration_ms(self, function: FunctionRef, days: int) -> float | None:
        self.asked.append((function.unqualified, days))
        return self.max_ms


@dataclass
class MemoryTraffic:
    """A function's traffic over the days asked (CloudWatch's Invocations and ConcurrentExecutions); None: none."""

    found: Traffic | None = None
    failure: Exception | None = None
    asked: list[tuple[str, int]] = field(default_factory=list)

    def traffic(self, function: FunctionRef, days: int) -> Traffic | None:
        self.asked.append((function.unqualified, days))
        if self.failure is not None:
            raise self.failure
        return self.found


@dataclass
class MemoryAlarms:
    """CloudWatch's alarms of the tuner's account and region (DescribeAlarms by name) and their tags."""

    alarms: dict[str, AlarmDefinition] = field(default_factory=dict)
    tags_of: dict[str, dict[str, str]] = field(default_factory=dict)
    described: list[str] = field(default_factory=list)
    tags_read: list[str] = field(default_factory=list)

    def put(self, alarm: AlarmDefinition, tags: dict[str, str] | None = None) -> AlarmDefinition:
        self.alarms[alarm.name] = alarm
        if tags is not None:
            self.tags_of[alarm.arn] = dict(tags)
        return alarm

    def alarm(self, name: str) -> AlarmDefinition | None:
        self.described.append(name)
        found = self.alarms.get(name)
        return found.model_copy(deep=True) if found is not None else None

    def tags(self, alarm_arn: str) -> dict[str, str]:
        self.tags_read.append(alarm_arn)
        return dict(self.tags_of.get(alarm_arn, {}))


def alarm_as_cloudwatch_holds(change: AlarmChange) -> AlarmDefinition:
    """The alarm a (genuine) state change message is about, as DescribeAlarms describes it."""
    return AlarmDefinition(
        name=change.alarm_name, arn=change.alarm_arn, state=change.state, reason=change.reason, updated=change.time,
        metrics=list(change.metrics), statistic=change.statistic, threshold=change.threshold,
    )  # fmt: skip


@dataclass
class MemoryCanaryWatch:
    """What a canary check reads in CloudWatch: the opted-in alarms in ALARM, and each version's figures."""

    in_alarm: list[str] = field(default_factory=list)
    figures: dict[str, VersionFigures] = field(default_factory=dict)  # version -> its figures

    def alarms_in_alarm(self, function: FunctionRef) -> list[str]:
        return list(self.in_alarm)

    def version_figures(self, function: FunctionRef, alias: str, version: str, since_epoch_s: float) -> VersionFigures:
        return self.figures.get(version, VersionFigures(version=version, invocations=0, errors=0, throttles=0))


@dataclass
class MemoryFunctionLogs:
    """A function's recent log events (REPORT lines, the runtime's time-out lines), by function name."""

    messages: dict[str, list[str]] = field(default_factory=dict)
    asked: list[tuple[str, int]] = field(default_factory=list)

    def recent_endings(self, function: FunctionRef, seconds: int) -> list[str]:
        self.asked.append((function.unqualified, seconds))
        return list(self.messages.get(function.name, []))


@dataclass
class MemoryProductionLogs:
    """adapters/production_logs.py over a function's log groups: each version's REPORT lines, as Lambda writes them
    into the streams named with the version. A read takes the events of [since_ms, until_ms), oldest first; one that
    reaches ``cap`` covers the stretch up to its last millisecond (whose events the next read takes), as the
    adapter's does. A missing group or version reads as no calls."""

    events: dict[tuple[str, str], list[LogEvent]] = field(default_factory=dict)  # (group, version) -> events
    reads: list[tuple[str, int, int]] = field(default_factory=list)  # (version, since_ms, until_ms) of each read

    def put(self, log_group: str, version: str, at_s: float, report: InvocationReport) -> None:
        """A call of ``version`` that ended at ``at_s``, logged as its text REPORT line."""
        self.put_line(log_group, version, at_s, format_report_line(report))

    def put_line(self, log_group: str, version: str, at_s: float, message: str) -> None:
        logged = self.events.setdefault((log_group, version), [])
        logged.append(LogEvent(timestamp_ms=int(at_s * 1000), message=message))
        logged.sort(key=lambda e: e.timestamp_ms)

    def read(self, where: VersionLogs, since_ms: int, until_ms: int, cap: int) -> LogRead:
        self.reads.append((where.version, since_ms, until_ms))
        logged = self.events.get((where.log_group, where.version), [])
        found = [e for e in logged if since_ms <= e.timestamp_ms < until_ms]
        covered = until_ms
        if len(found) > cap and found[cap - 1].timestamp_ms > since_ms:
            covered = found[cap - 1].timestamp_ms
            found = [e for e in found if e.timestamp_ms < covered]
        size = sum(len(e.message.encode()) for e in found)
        return LogRead(events=found, covered_until_ms=covered, requests=1, bytes=size)


@dataclass
class MemoryMeasurements:
    """adapters/measurements.py: each batch's measurement under (execution, key), read back in key order."""

    items: dict[tuple[str, str], BatchMeasurement] = field(default_factory=dict)

    def save(self, execution_id: str, key: str, measurement: BatchMeasurement) -> None:
        self.items[(execution_id, key)] = measurement.model_copy(deep=True)

    def load(self, execution_id: str) -> list[BatchMeasurement]:
        return [
            m.model_copy(deep=True) for (execution, _), m in sorted(self.items.items()) if execution == execution_id
        ]


# ---- Step Functions, the tagging API ------------------------------------------------------------------------

# What Step Functions refuses in an execution name: whitespace, brackets, wildcards, punctuation, control characters.
_FORBIDDEN_IN_NAMES = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


@dataclass
class MemoryStarter:
    """StartExecution: names are 1 to 80 characters Step Functions accepts, and unique per state machine."""

    state_machine_arn: str
    started: dict[str, dict[str, Any]] = field(default_factory=dict)  # execution name -> input
    failure: Exception | None = None

    def start(self, tuning_input: dict[str, Any], name: str) -> str:
        if self.failure is not None:
            raise self.failure
        if not 1 <= len(name) <= 80 or _FORBIDDEN_IN_NAMES.search(name):
            raise AwsError(f"starting {name!r}: InvalidName")
        if name in self.started:
            raise ExecutionAlreadyStartedError(f"a run named {name} already exists")
        self.started[name] = json.loads(json.dumps(tuning_input))  # what Step Functions keeps is JSON
        machine = self.state_machine_arn.rsplit(":", 1)[-1]
        return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}"


@dataclass
class MemoryDirectory:
    """The functions of ``functions`` by tag (the tagging API), and their provisioned concurrency."""

    functions: Functions
    tag_failure: Exception | None = None

    def tagged(self, key: str) -> dict[str, str]:
        if self.tag_failure is not None:
            raise self.tag_failure
        return {arn: f.tags[key] for arn, f in self.functions.by_arn.items() if f.exists and key in f.tags}

    def provisioned_concurrency(self, function: str) -> int | None:
        found = self.functions(self.functions.named(function))
        if not found.exists:
            raise AwsError(f"function {found.arn.name} not found")
        return found.provisioned

"""What the workflow needs from the outside world; the adapters provide it (and moto stands behind them in tests).

The domain's types here are for type checking only: every step imports this module, and importing them all would
load the models of every other step into each step's Lambda (its cold start)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from datetime import datetime

    from autotuner.domain.advice.concurrency import AccountConcurrency, Traffic
    from autotuner.domain.automation.alarms import AlarmDefinition
    from autotuner.domain.automation.automatic_runs import ProfileToStore
    from autotuner.domain.automation.canary import VersionFigures
    from autotuner.domain.costs.pricing import Architecture
    from autotuner.domain.inputs.arn import FunctionRef
    from autotuner.domain.inputs.scope import AssumedRole
    from autotuner.domain.measuring.log_events import LogRead, VersionLogs
    from autotuner.domain.measuring.measurement import BatchMeasurement
    from autotuner.domain.run.documents import CleanupReport, FunctionConfiguration
    from autotuner.domain.run.output import AppliedChange
    from autotuner.domain.run.record import AliasSnapshot, Intent, RunRecord


class VersionInfo(BaseModel):
    version: str
    description: str = ""


class InvocationResult(BaseModel):
    """What an invocation answered. The target's error message is not read at all: it is the target's own text,
    which never reaches the operator's channels (domain/measuring/target_text.py)."""

    log_tail_base64: str
    error_type: str | None = None
    payload: bytes = b""


class FunctionControl(Protocol):
    """Control-plane operations on the target function."""

    def configuration(self, qualifier: str | None = None) -> FunctionConfiguration: ...
    def configuration_and_tags(self) -> tuple[FunctionConfiguration, dict[str, str] | None]:
        """$LATEST's configuration and the function's tags (None: Lambda did not return them), in one read."""
        ...

    def wait_until_updated(self) -> None: ...
    def update(self, *, memory_mb: int, description: str, timeout_s: int | None = None) -> None: ...
    def native_binaries(self) -> dict[str, bytes]:
        """The first bytes of every ELF file in $LATEST's zip package, by path."""
        ...

    def copy_code(self, *, code_sha256: str, architecture: Architecture) -> None:
        """Upload $LATEST's own code again for ``architecture`` and wait until done; CodeChangedError, with nothing
        uploaded, when $LATEST's code is not ``code_sha256`` or changes before the upload lands."""
        ...

    def layer_architectures(self, layer_arn: str) -> list[str] | None: ...
    def invoke_principals(self) -> list[str]: ...
    def reserved_concurrency(self) -> int | None: ...
    def account_concurrency(self) -> AccountConcurrency: ...
    def publish_version(self, description: str, code_sha256: str | None = None) -> VersionInfo: ...
    def point_alias(self, alias: str, version: str) -> None: ...
    def alias_version(self, alias: str) -> str | None: ...
    def alias_snapshot(self, alias: str) -> AliasSnapshot: ...
    def restore_alias(self, snapshot: AliasSnapshot) -> None: ...
    def aliases(self) -> dict[str, str]: ...
    def versions(self) -> list[VersionInfo]: ...
    def delete_alias(self, alias: str) -> None: ...
    def delete_version(self, version: str) -> bool: ...


class Invoker(Protocol):
    throttles: int

    def invoke(self, function: str, payload: bytes) -> InvocationResult: ...


# A function's tags by its ARN, read in the tuner's own account (None: they could not be read).
FunctionTags = Callable[[str], dict[str, str] | None]

# A target's control plane and its invoker, reached through the role in its account (None: the tuner's own role).
type FunctionsFor = Callable[[FunctionRef, AssumedRole | None], FunctionControl]
type InvokerFor = Callable[[str, AssumedRole | None], Invoker]  # the target's region


class PayloadSource(Protocol):
    def fetch(self, uri: str) -> object: ...


class DurationHistory(Protocol):
    """What a function's invocations took lately (CloudWatch's AWS/Lambda Duration metric)."""

    def max_duration_ms(self, function: FunctionRef, days: int) -> float | None: ...


class TrafficHistory(Protocol):
    """A function's calls and concurrency over the last days (CloudWatch); None: no datapoints."""

    def traffic(self, function: FunctionRef, days: int) -> Traffic | None: ...


class InvocationCounts(Protocol):
    """How often functions were invoked (CloudWatch's Invocations metric); a function the metric has no
    datapoints of is left out."""

    def invocations(self, functions: list[FunctionRef], days: int) -> dict[str, int]: ...


class PastRun(Protocol):
    """A tuning run (Step Functions execution) as the history reads it; ``output`` only once described."""

    @property
    def arn(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def started(self) -> datetime: ...
    @property
    def stopped(self) -> datetime | None: ...
    @property
    def output(self) -> dict[str, Any] | None: ...


class RunHistory(Protocol):
    """The tuner state machine's recent executions (newest first), and one execution with its output."""

    def recent(self, limit: int) -> Sequence[PastRun]: ...
    def describe(self, execution_arn: str) -> PastRun: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str: ...


class RunRegistry(Protocol):
    """One run at a time per function, the last successful run, and a profile its input asked to store (the
    profiles table)."""

    def claim_run(self, function_arn: str, execution: str, until: float) -> str | None: ...
    def release_run(self, function_arn: str, execution: str) -> bool: ...
    def record_run(
        self, function_arn: str, power: int | None, execution: str, profile: ProfileToStore | None = None
    ) -> None: ...


class StoredProfileView(Protocol):
    """What the workflow reads of a function's stored profile: only one an operator stored is ever there; an input
    an older version kept of the last run (``legacy_run_input``) is not one."""

    @property
    def profile(self) -> dict[str, Any] | None: ...
    @property
    def legacy_run_input(self) -> bool: ...


class Profiles(Protocol):
    """Tuning profiles and the claims of automatic runs (the profiles table)."""

    def get(self, function_arn: str) -> StoredProfileView | None: ...
    def claim_automatic(self, function_arn: str, *, cooldown_s: float, claimant: str) -> bool: ...
    def release_automatic(self, function_arn: str, claimant: str) -> None: ...


class Starter(Protocol):
    """Starts a tuning execution."""

    def start(self, tuning_input: dict[str, Any], name: str) -> str: ...


class Directory(Protocol):
    """Finds functions by tag and reads their provisioned concurrency (the warmer)."""

    def tagged(self, key: str) -> dict[str, str]: ...
    def provisioned_concurrency(self, function: str) -> int | None: ...


class RunRecords(Protocol):
    """The run record of each execution (what the target was, what the run set out to change)."""

    def open(self, record: RunRecord) -> bool: ...
    def note_intent(self, execution_id: str, intent: Intent) -> bool: ...
    def still_open(self, execution_id: str) -> bool: ...
    def record_applied(self, execution_id: str, applied: AppliedChange) -> bool: ...
    def close(self, execution_id: str) -> RunRecord | None: ...
    def save_cleanup(self, execution_id: str, report: CleanupReport) -> None: ...
    def read(self, execution_id: str) -> RunRecord | None: ...


class PendingCleanups(Protocol):
    """The runs whose record holds no completed clean-up, and whether each one's execution still runs."""

    def pending_cleanups(self) -> list[str]: ...


# An execution's status by its ARN (None: Step Functions does not know it).
ExecutionStatus = Callable[[str], str | None]


class MeasurementStore(Protocol):
    """The run's own storage of what each Measure task measured (expiring), so that no invocation's report
    crosses the state machine's state."""

    def save(self, execution_id: str, key: str, measurement: BatchMeasurement) -> None: ...
    def load(self, execution_id: str) -> list[BatchMeasurement]: ...


class CanaryWatch(Protocol):
    """What a canary check reads: the alarms the stack watches for a function, and each version's metrics."""

    def alarms_in_alarm(self, function: FunctionRef) -> list[str]: ...
    def version_figures(
        self, function: FunctionRef, alias: str, version: str, since_epoch_s: float
    ) -> VersionFigures: ...


class AlarmSource(Protocol):
    """CloudWatch's own account of an alarm, in the tuner's account and region: what re-tuning acts on, whatever
    a message says the alarm is."""

    def alarm(self, name: str) -> AlarmDefinition | None: ...
    def tags(self, alarm_arn: str) -> dict[str, str]: ...


class FunctionLogs(Protocol):
    """A function's recent log events that can show how its invocations ended (REPORT lines, time-outs)."""

    def recent_endings(self, function: FunctionRef, seconds: int) -> list[str]: ...


class ProductionLogs(Protocol):
    """A version's production calls from its function's log group (the endings of each: REPORT lines), oldest
    first, up to about ``cap`` events a stream prefix (a read that reaches it covers less, and says where it
    stopped)."""

    def read(self, where: VersionLogs, since_ms: int, until_ms: int, cap: int) -> LogRead: ...

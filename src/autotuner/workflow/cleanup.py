"""Clean up a run from its run record alone: delete every alias and version the run created (and only those),
put an alias it moved back as it was, and leave $LATEST as it was or at the applied choice (its code and
architecture too, when the run uploaded it for another: its CodeSha256 read back as the record holds it); then
release the run lock. The same code serves the successful path, every failure path and the janitor of stopped
executions; it is idempotent, and what it reports about the function is what it read back afterwards."""

import time

from pydantic import Field

from autotuner.domain.camel import CamelModel
from autotuner.domain.run.documents import CleanupReport
from autotuner.domain.run.naming import is_run_alias, is_run_version
from autotuner.domain.run.output import LATEST
from autotuner.domain.run.record import NO_RECORD, RunRecord
from autotuner.workflow.code_switch import CodeChangedError, restore_code
from autotuner.workflow.ports import (
    ExecutionStatus,
    FunctionControl,
    FunctionsFor,
    PendingCleanups,
    RunRecords,
    RunRegistry,
)

NO_CHANGE = "the run record holds no change to the function"


class CleanupRequest(CamelModel):
    execution_id: str


def clean_up_run(
    execution_id: str,
    records: RunRecords,
    control_for: FunctionsFor,
    registry: RunRegistry | None,
    *,
    again: bool = False,
) -> CleanupReport:
    """Close the run's record and undo what it did. ``again``: a step that changed the target after a clean-up
    had closed the record undoes that change, even though the record says the clean-up is complete."""
    started = time.monotonic()
    record = records.close(execution_id)
    if record is None:
        return CleanupReport(skipped=NO_RECORD, complete=True)
    if record.cleanup is not None and record.cleanup.complete and not again:
        return record.cleanup
    report = CleanupReport()
    if record.changed_target or again:
        # In another account, through the role the run record names (the account is the recorded ARN's).
        control = control_for(record.function, record.target_role)
        _undo_changes(control, record, report)
    else:
        report.skipped = NO_CHANGE
    if registry is not None:  # only once the function is as it should be may another run start
        registry.release_run(record.function.unqualified, execution_id)  # a lock not (or no longer) ours stays as it is
        report.lock_released = True
    report.complete = True
    report.elapsed_ms = (time.monotonic() - started) * 1000
    records.save_cleanup(execution_id, report)
    return report


def _undo_changes(control: FunctionControl, record: RunRecord, report: CleanupReport) -> None:
    _settle_alias(control, record, report)
    _restore_code(control, record, report)
    aliases = control.aliases()
    for name in sorted(aliases):
        if is_run_alias(name, record.run_id):
            control.delete_alias(name)
            report.deleted_aliases.append(name)
    still_aliased = {version for name, version in aliases.items() if not is_run_alias(name, record.run_id)}
    for version in control.versions():
        if not is_run_version(version.description, record.run_id):
            continue
        if version.version in still_aliased:
            report.kept_versions.append(version.version)  # the applied alias points at it
        elif control.delete_version(version.version):
            report.deleted_versions.append(version.version)
    _restore_latest(control, record, report)


def _settle_alias(control: FunctionControl, record: RunRecord, report: CleanupReport) -> None:
    """The alias an apply moves ends at the applied version if the record holds one, else as it was found. An alias
    no step of the run set out to move is left as it is now: another deployment may have moved it since Plan (a
    traffic run refuses to route then), and putting it back would undo that deployment."""
    snapshot = record.alias
    if snapshot is None:
        return
    applied = record.applied
    if not any(intent.alias == snapshot.name for intent in record.intents):
        pass  # as it is now
    elif applied is not None and applied.target == snapshot.name and applied.version is not None:
        if control.alias_version(snapshot.name) != applied.version:
            control.point_alias(snapshot.name, applied.version)
    elif control.alias_snapshot(snapshot.name) != snapshot:
        control.restore_alias(snapshot)
        report.restored_alias = snapshot.name
    report.alias_name = snapshot.name
    report.final_alias_version = control.alias_version(snapshot.name)


def _restore_code(control: FunctionControl, record: RunRecord, report: CleanupReport) -> None:
    """$LATEST's code as the record found it, on its architecture (or the applied one), when the run uploaded it."""
    if not record.switched_code or not record.original_code_sha256 or record.original_architecture is None:
        return
    applied = record.applied
    on_latest = applied is not None and applied.target == LATEST and applied.architecture is not None
    wanted = applied.architecture if on_latest and applied is not None else record.original_architecture
    assert wanted is not None
    control.wait_until_updated()
    try:
        report.restored_code = restore_code(control, architecture=wanted, code_sha256=record.original_code_sha256)
    except CodeChangedError as error:
        report.code_note = str(error)
    current = control.configuration()
    report.final_architecture, report.final_code_sha256 = current.architecture, current.code_sha256


def _restore_latest(control: FunctionControl, record: RunRecord, report: CleanupReport) -> None:
    applied = record.applied
    on_latest = applied is not None and applied.target == LATEST
    wanted = applied.memory_mb if applied is not None and on_latest else record.original_memory_mb
    timeout = (
        applied.timeout_s if applied is not None and on_latest and applied.timeout_s else record.original_timeout_s
    )
    control.wait_until_updated()
    current = control.configuration()
    found = (current.memory_mb, current.description, current.timeout_s)
    if found != (wanted, record.original_description, timeout or current.timeout_s):
        control.update(memory_mb=wanted, description=record.original_description, timeout_s=timeout)
        report.restored_memory_mb = wanted if current.memory_mb != wanted else None
        report.restored_description = current.description != record.original_description
        current = control.configuration()
    report.final_memory_mb = current.memory_mb
    report.final_description_is_original = current.description == record.original_description
    report.final_timeout_s = current.timeout_s


class SweepReport(CamelModel):
    """What an hourly sweep did with the runs whose record holds no completed clean-up."""

    cleaned: list[str] = Field(default_factory=list, description="ended executions, now cleaned up")
    running: list[str] = Field(default_factory=list, description="still running: their own workflow cleans up")
    failed: dict[str, str] = Field(default_factory=dict, description="execution -> why its clean-up failed")


class SweepFailedError(Exception):
    """Some ended runs could not be cleaned up; raised after the others were, so that the sweep's own failure is
    retried and, failing again, lands in the dead-letter queue whose alarm tells the operator."""


def sweep_ended_runs(
    pending: PendingCleanups,
    status_of: ExecutionStatus,
    records: RunRecords,
    control_for: FunctionsFor,
    registry: RunRegistry | None,
) -> SweepReport:
    """The janitor's safety net: every run whose record holds no completed clean-up and whose execution ended (or
    is unknown to Step Functions) is cleaned up from its record, as the janitor would have. A running execution is
    left to its own workflow."""
    report = SweepReport()
    for execution_id in pending.pending_cleanups():
        if status_of(execution_id) == "RUNNING":
            report.running.append(execution_id)
            continue
        try:
            clean_up_run(execution_id, records, control_for, registry)
        except Exception as error:  # one run's failure must not keep the sweep from the others
            report.failed[execution_id] = f"{type(error).__name__}: {error}"
        else:
            report.cleaned.append(execution_id)
    return report


EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"
ENDED_OUTSIDE_THE_WORKFLOW = frozenset({"ABORTED", "TIMED_OUT", "FAILED"})


class ExecutionStatusChange(CamelModel):
    """The detail of Step Functions' status-change event, which the janitor receives through EventBridge."""

    execution_arn: str
    state_machine_arn: str
    status: str


def janitor_execution(change: ExecutionStatusChange) -> str | None:
    """The execution the janitor cleans up after: one that ended without (or despite) its own clean-up. A FAILED
    run normally cleaned up already; its record then says so and the janitor repeats nothing."""
    return change.execution_arn if change.status in ENDED_OUTSIDE_THE_WORKFLOW else None

"""Clean up: delete every alias and version the run created (and only those); leave $LATEST as it was, or at the
applied choice. Idempotent: it runs on success and on every failure path, possibly twice."""

import time

from autotuner.domain.camel import CamelModel
from autotuner.domain.contracts import AppliedChange
from autotuner.domain.run import CleanupReport, Plan
from autotuner.domain.sweep import is_run_alias, is_run_version
from autotuner.workflow.apply import LATEST
from autotuner.workflow.ports import FunctionControl, RunRegistry


class CleanupRequest(CamelModel):
    plan: Plan | None = None
    applied: AppliedChange | None = None


def clean_up(
    request: CleanupRequest, control: FunctionControl | None, registry: RunRegistry | None = None
) -> CleanupReport:
    started = time.monotonic()
    plan = request.plan
    if plan is None or control is None:
        return CleanupReport(skipped="the run failed while planning, before anything was changed")
    report = CleanupReport()
    aliases = control.aliases()
    for name in sorted(aliases):
        if is_run_alias(name, plan.run_id):
            control.delete_alias(name)
            report.deleted_aliases.append(name)
    still_aliased = {version for name, version in aliases.items() if not is_run_alias(name, plan.run_id)}
    for version in control.versions():
        if not is_run_version(version.description, plan.run_id):
            continue
        if version.version in still_aliased:
            report.kept_versions.append(version.version)  # the applied alias points at it
        elif control.delete_version(version.version):
            report.deleted_versions.append(version.version)
    _restore(control, plan, request.applied, report)
    if registry is not None:  # only once the function is back as it should be may another run start
        registry.release_run(plan.function_arn, plan.execution_id)
    report.elapsed_ms = (time.monotonic() - started) * 1000
    return report


def _restore(control: FunctionControl, plan: Plan, applied: AppliedChange | None, report: CleanupReport) -> None:
    original = plan.original
    wanted_memory = applied.memory_mb if applied is not None and applied.target == LATEST else original.memory_mb
    control.wait_until_updated()
    current = control.configuration()
    if (current.memory_mb, current.description) != (wanted_memory, original.description):
        control.update(memory_mb=wanted_memory, description=original.description)
        report.restored_memory_mb = wanted_memory if current.memory_mb != wanted_memory else None
        report.restored_description = current.description != original.description
    report.final_memory_mb = wanted_memory

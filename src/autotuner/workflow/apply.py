"""Apply: put the chosen memory on $LATEST, or on an alias through a new version (then $LATEST back).

The change is recorded as an intent first and kept only once the run record holds it; a clean-up that closed the
record meanwhile makes this step undo it (see workflow/guard.py)."""

import time

from autotuner.domain.camel import CamelModel
from autotuner.domain.contracts import LATEST, AppliedChange
from autotuner.domain.run import Analysis, Plan
from autotuner.domain.run_naming import version_description
from autotuner.domain.run_record import Intent
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import FunctionControl


class ApplyRequest(CamelModel):
    plan: Plan
    analysis: Analysis


class NothingToApplyError(Exception):
    pass


def apply_choice(request: ApplyRequest, control: FunctionControl, guard: ChangeGuard) -> AppliedChange:
    started = time.monotonic()
    plan = request.plan
    decision = request.analysis.decision
    if decision is None or decision.chosen_memory_mb is None:
        raise NothingToApplyError("no configuration was chosen, so none can be applied")
    memory = decision.chosen_memory_mb
    target = plan.apply_alias or LATEST
    guard.intend(
        Intent(step="apply", action=f"apply {memory} MB to {target}", memory_mb=memory, alias=plan.apply_alias)
    )
    if plan.apply_alias is None:
        control.update(memory_mb=memory, description=plan.original.description)
        change = AppliedChange(target=LATEST, memory_mb=memory, previous_memory_mb=plan.original.memory_mb)
    else:
        change = _apply_to_alias(control, plan, plan.apply_alias, memory)
    change.elapsed_ms = (time.monotonic() - started) * 1000
    guard.keep(change)
    return change


def _apply_to_alias(control: FunctionControl, plan: Plan, alias: str, memory: int) -> AppliedChange:
    previous_version = control.alias_version(alias)
    previous_memory = control.configuration(previous_version).memory_mb if previous_version else plan.original.memory_mb
    description = version_description(plan.run_id, memory, "apply")
    control.update(memory_mb=memory, description=description)
    try:
        published = control.publish_version(description)
        control.point_alias(alias, published.version)
    finally:
        control.update(memory_mb=plan.original.memory_mb, description=plan.original.description)
    return AppliedChange(target=alias, memory_mb=memory, previous_memory_mb=previous_memory, version=published.version)

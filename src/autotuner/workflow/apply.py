"""Apply: put the chosen memory on $LATEST, or on an alias through a new version (then $LATEST back).

The change is recorded as an intent first and kept only once the run record holds it; a clean-up that closed the
record meanwhile makes this step undo it (see workflow/guard.py). A retried Apply (the answer to its write was
lost) reads the record first: a change it holds is returned as done, and the alias it moves is the one Plan
found, not one an earlier attempt may have moved already."""

import time

from autotuner.domain.automation.canary import CanaryWindow
from autotuner.domain.camel import CamelModel
from autotuner.domain.run.documents import Analysis, Plan
from autotuner.domain.run.naming import version_description
from autotuner.domain.run.output import LATEST, AppliedChange
from autotuner.domain.run.record import AliasSnapshot, Intent
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
    record = guard.record()
    if record.applied is not None:  # kept by an earlier attempt whose answer was lost: found done
        return record.applied
    target = plan.apply_alias or LATEST
    how = "start a canary of" if plan.tuning.canary is not None else "apply"
    guard.intend(
        Intent(step="apply", action=f"{how} {memory} MB to {target}", memory_mb=memory, alias=plan.apply_alias)
    )
    if plan.apply_alias is None:
        control.update(memory_mb=memory, description=plan.original.description)
        change = AppliedChange(target=LATEST, memory_mb=memory, previous_memory_mb=plan.original.memory_mb)
    else:
        found = record.alias.version if record.alias is not None else control.alias_version(plan.apply_alias)
        change = _apply_to_alias(control, plan, plan.apply_alias, memory, found)
    change.elapsed_ms = (time.monotonic() - started) * 1000
    if change.canary is None:
        guard.keep(change)
    else:  # not kept yet: until the canary is promoted, every clean-up puts the alias back as the record holds it
        guard.confirm(f"routed {change.canary.config.weight:.0%} of alias {target} to version {change.version}")
    return change


def _apply_to_alias(
    control: FunctionControl, plan: Plan, alias: str, memory: int, previous_version: str | None
) -> AppliedChange:
    previous_memory = control.configuration(previous_version).memory_mb if previous_version else plan.original.memory_mb
    description = version_description(plan.run_id, memory, "apply")
    control.update(memory_mb=memory, description=description)
    canary: CanaryWindow | None = None
    try:
        published = control.publish_version(description)
        if plan.tuning.canary is not None and previous_version is not None:
            canary = CanaryWindow(
                alias=alias, new_version=published.version, old_version=previous_version,
                config=plan.tuning.canary, started_epoch_s=time.time(),
            )  # fmt: skip
            # The old version stays the alias's main one; the new one takes its weight of the traffic.
            routed = {published.version: plan.tuning.canary.weight}
            control.restore_alias(AliasSnapshot(name=alias, version=previous_version, routing=routed))
        else:
            control.point_alias(alias, published.version)
    finally:
        control.update(memory_mb=plan.original.memory_mb, description=plan.original.description)
    return AppliedChange(
        target=alias, memory_mb=memory, previous_memory_mb=previous_memory, version=published.version, canary=canary
    )

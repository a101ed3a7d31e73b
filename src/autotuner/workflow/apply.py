"""Apply: put the chosen memory on $LATEST, or on an alias through a new version (then $LATEST back); with it the
chosen architecture when the input lets the run switch it (applyArchitecture: the code uploaded again for it), and
the recommended timeout when the input asks for it (applyTimeout).

The change is recorded as an intent first and kept only once the run record holds it; a clean-up that closed the
record meanwhile makes this step undo it (see workflow/guard.py). A retried Apply (the answer to its write was
lost) reads the record first: a change it holds is returned as done, and the alias it moves is the one Plan
found, not one an earlier attempt may have moved already."""

import time

from autotuner.domain.automation.canary import DURATION_TOLERANCE_GIVEN, CanaryConfig, CanaryWindow
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.errors import TargetChangedError
from autotuner.domain.run.documents import Analysis, Plan
from autotuner.domain.run.naming import version_description
from autotuner.domain.run.output import LATEST, AppliedChange
from autotuner.domain.run.record import AliasSnapshot, Intent
from autotuner.workflow.code_switch import restore_code, switch_latest
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
    architecture = switching_to(plan, request.analysis)
    timeout = applied_timeout(plan, request.analysis)
    target = plan.apply_alias or LATEST
    how = "start a canary of" if plan.tuning.canary is not None else "apply"
    what = (
        f"{memory} MB" + (f" on {architecture.value}" if architecture else "") + (f", {timeout} s" if timeout else "")
    )
    guard.intend(Intent(step="apply", action=f"{how} {what} to {target}", memory_mb=memory, alias=plan.apply_alias))
    if plan.apply_alias is None:
        if architecture is not None:
            switch_latest(control, plan, guard, architecture, "apply")
        control.update(memory_mb=memory, description=plan.original.description, timeout_s=timeout)
        change = AppliedChange(
            target=LATEST,
            memory_mb=memory,
            previous_memory_mb=plan.original.memory_mb,
            architecture=architecture,
            previous_architecture=plan.original.architecture if architecture else None,
            timeout_s=timeout,
            previous_timeout_s=plan.original.timeout_s if timeout else None,
        )
    elif plan.traffic is not None:
        change = _promote_measured(control, plan, request.analysis, memory)
    else:
        found = record.alias.version if record.alias is not None else control.alias_version(plan.apply_alias)
        change = _apply_to_alias(
            control, plan, guard, alias=plan.apply_alias, memory=memory, previous_version=found,
            architecture=architecture, timeout=timeout, analysis=request.analysis,
        )  # fmt: skip
    change.elapsed_ms = (time.monotonic() - started) * 1000
    if change.canary is None:
        guard.keep(change)
    else:  # not kept yet: until the canary is promoted, every clean-up puts the alias back as the record holds it
        guard.confirm(f"routed {change.canary.config.weight:.0%} of alias {target} to version {change.version}")
    return change


def switching_to(plan: Plan, analysis: Analysis) -> Architecture | None:
    """The architecture Apply switches the function to: the chosen one, only when the input lets it switch."""
    chosen = analysis.architecture
    if not plan.tuning.apply_architecture or chosen is None or chosen is plan.original.architecture:
        return None
    return chosen


def applied_timeout(plan: Plan, analysis: Analysis) -> int | None:
    """The recommended timeout, when the input asks to apply it and it differs from the function's."""
    advice = analysis.timeout
    if not plan.tuning.apply_timeout or advice is None or not advice.change:
        return None
    return advice.recommended_s


def _apply_to_alias(
    control: FunctionControl,
    plan: Plan,
    guard: ChangeGuard,
    *,
    alias: str,
    memory: int,
    previous_version: str | None,
    architecture: Architecture | None,
    timeout: int | None,
    analysis: Analysis,
) -> AppliedChange:
    previous = control.configuration(previous_version) if previous_version else plan.original
    lane = architecture.value if architecture is not None else None
    description = version_description(plan.run_id, memory, "apply", architecture=lane)
    canary: CanaryWindow | None = None
    try:
        if architecture is not None:
            switch_latest(control, plan, guard, architecture, "apply")
        control.update(memory_mb=memory, description=description, timeout_s=timeout)
        published = control.publish_version(description)
        if plan.tuning.canary is not None and previous_version is not None:
            slowdown = _sweep_slowdown(analysis, memory, previous.memory_mb)
            config = _tolerating_measured_slowdown(plan, plan.tuning.canary, slowdown)
            canary = CanaryWindow(
                alias=alias, new_version=published.version, old_version=previous_version,
                config=config, started_epoch_s=time.time(),
            )  # fmt: skip
            # The old version stays the alias's main one; the new one takes its weight of the traffic.
            routed = {published.version: config.weight}
            control.restore_alias(AliasSnapshot(name=alias, version=previous_version, routing=routed))
        else:
            control.point_alias(alias, published.version)
    finally:
        original = plan.original
        if architecture is not None:
            restore_code(control, architecture=original.architecture, code_sha256=original.code_sha256)
        control.update(
            memory_mb=original.memory_mb,
            description=original.description,
            timeout_s=original.timeout_s if timeout is not None else None,
        )
    return AppliedChange(
        target=alias,
        memory_mb=memory,
        previous_memory_mb=previous.memory_mb,
        version=published.version,
        canary=canary,
        architecture=architecture,
        previous_architecture=previous.architecture if architecture else None,
        timeout_s=timeout,
        previous_timeout_s=previous.timeout_s if timeout else None,
    )


def _promote_measured(control: FunctionControl, plan: Plan, analysis: Analysis, memory: int) -> AppliedChange:
    """A traffic run's choice is the very version its window measured on production: that version takes the alias
    through the canary (nothing is published; $LATEST is not touched)."""
    traffic = plan.traffic
    assert traffic is not None
    version = analysis.published_versions.get(memory)
    if version is None:
        raise NothingToApplyError(f"{memory} MB has no version this run measured on traffic, so none can be applied")
    found = control.alias_snapshot(traffic.alias)
    if found != AliasSnapshot(name=traffic.alias, version=traffic.version):
        raise TargetChangedError(
            f"lambdaARN: alias {traffic.alias} changed since the run began (it points to version {found.version}, "
            f"routing {found.routing or 'nothing else'}); nothing was applied"
        )
    config = plan.tuning.canary
    change = AppliedChange(
        target=traffic.alias, memory_mb=memory, previous_memory_mb=traffic.memory_mb, version=version
    )
    if config is None:
        control.restore_alias(AliasSnapshot(name=traffic.alias, version=version))
        return change
    config = _tolerating_measured_slowdown(plan, config, _traffic_slowdown(analysis, memory))
    window = CanaryWindow(
        alias=traffic.alias,
        new_version=version,
        old_version=traffic.version,
        config=config,
        started_epoch_s=time.time(),
    )
    routed = {version: config.weight}
    control.restore_alias(AliasSnapshot(name=traffic.alias, version=traffic.version, routing=routed))
    return change.model_copy(update={"canary": window})


def _tolerating_measured_slowdown(plan: Plan, config: CanaryConfig, slowdown: float | None) -> CanaryConfig:
    """The canary rolls back a version whose p95 is ``durationTolerance`` above the old one's; a cheaper size may be
    slower by design, by as much as the run measured: unless the input set ``canary.durationTolerance`` itself, the
    tolerance is widened to that (at most 10, the field's own limit)."""
    if slowdown is None or DURATION_TOLERANCE_GIVEN in plan.given_fields:
        return config
    widened = min(10.0, slowdown * (1 + config.duration_tolerance) - 1)
    if widened <= config.duration_tolerance:
        return config
    return config.model_copy(update={"duration_tolerance": widened})


def _traffic_slowdown(analysis: Analysis, memory: int) -> float | None:
    """The chosen version's p95 over the current one's, as its window on production measured them."""
    trial = next((t for t in reversed(analysis.trials) if t.memory_mb == memory and t.comparison is not None), None)
    if trial is None or trial.comparison is None or trial.comparison.current_p95_ms <= 0:
        return None
    return trial.comparison.candidate_p95_ms / trial.comparison.current_p95_ms


def _sweep_slowdown(analysis: Analysis, memory: int, previous_mb: int) -> float | None:
    """The chosen size's median duration over the alias's current size's, both as the run measured them; else the
    ratio of the cost curve's durations at the two sizes (it is fitted to every size measured); None when neither
    is known. Medians, not p95s: a sweep measures a size a few times, so its p95 is about its slowest call, and one
    slow call at the chosen size would widen the tolerance the canary checks p95s with far past the slowdown."""
    measured = {c.memory_mb: c.duration_ms for c in analysis.candidates if c.warm_invocations and c.duration_ms}
    chosen, current = measured.get(memory), measured.get(previous_mb)
    if chosen is not None and current is not None and current.median > 0:
        return chosen.median / current.median
    curve = analysis.curve
    if curve is None or not curve.fits:
        return None
    before = curve.terms.median_duration_ms(previous_mb)
    return curve.terms.median_duration_ms(memory) / before if before > 0 else None

"""Prepare: one version and alias per memory size, one update at a time, then $LATEST back as it was. Each is
recorded as an intent before it is made (see workflow/guard.py). A run measuring another architecture publishes its
sizes from $LATEST's code uploaded again for it (workflow/code_switch.py), the function's own architecture first."""

import time
from itertools import groupby

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.run.documents import AliasSpec, Plan, Prepared, PreparedAlias, Round
from autotuner.domain.run.naming import is_run_alias, is_run_version, version_description
from autotuner.domain.run.record import Intent
from autotuner.workflow.code_switch import restore_code, switch_latest
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import FunctionControl


class PrepareRequest(CamelModel):
    plan: Plan
    round: Round


class UnexpectedVersionError(Exception):
    """Lambda returned a version the run did not create (its configuration matched an existing one)."""


def prepare_round(request: PrepareRequest, control: FunctionControl, guard: ChangeGuard) -> Prepared:
    started = time.monotonic()
    plan, round_ = request.plan, request.round
    retired = [alias for alias in round_.retire if _retire(control, alias, plan.run_id)]
    if plan.lanes:  # a Prepare that died between an upload and its restore left $LATEST on the other architecture
        _restore_latest(control, plan)
    existing = control.aliases()  # a retried Prepare finds what the first attempt created
    prepared: list[PreparedAlias] = []
    deployed = plan.original.architecture
    try:
        ordered = sorted(round_.prepare, key=lambda spec: _lane_order(spec, deployed))
        for architecture, specs in groupby(ordered, key=lambda spec: _lane(spec, deployed)):
            missing = [spec for spec in specs if spec.alias not in existing]
            if architecture is not deployed and missing:
                switch_latest(control, plan, guard, architecture, "prepare")
            for spec in missing:
                prepared.append(_prepared(control, plan, guard, spec))
        prepared += [
            PreparedAlias(
                alias=spec.alias, version=existing[spec.alias], memory_mb=spec.memory_mb, architecture=spec.architecture
            )
            for spec in round_.prepare
            if spec.alias in existing
        ]
    finally:
        _restore_latest(control, plan)
    prepared.sort(key=lambda alias: (alias.memory_mb, alias.alias))
    return Prepared(aliases=prepared, retired=retired, elapsed_ms=(time.monotonic() - started) * 1000)


def _lane(spec: AliasSpec, deployed: Architecture) -> Architecture:
    return spec.architecture or deployed


def _lane_order(spec: AliasSpec, deployed: Architecture) -> tuple[bool, str, int, str]:
    """The function's own architecture first (no upload), then the others, each by size."""
    lane = _lane(spec, deployed)
    return lane is not deployed, lane.value, spec.memory_mb, spec.alias


def _prepared(control: FunctionControl, plan: Plan, guard: ChangeGuard, spec: AliasSpec) -> PreparedAlias:
    action = f"publish {spec.memory_mb} MB behind alias {spec.alias}"
    guard.intend(Intent(step="prepare", action=action, memory_mb=spec.memory_mb, alias=spec.alias))
    version = _publish(control, plan, spec)
    guard.confirm(f"published {spec.memory_mb} MB behind alias {spec.alias}")
    return PreparedAlias(alias=spec.alias, version=version, memory_mb=spec.memory_mb, architecture=spec.architecture)


def _publish(control: FunctionControl, plan: Plan, spec: AliasSpec) -> str:
    # A description unique to this alias makes the configuration differ from every existing version, so
    # publish_version always creates a new one (Lambda returns the latest version when nothing changed).
    memory_mb, alias = spec.memory_mb, spec.alias
    lane = spec.architecture.value if spec.architecture is not None else None
    description = f"{version_description(plan.run_id, memory_mb, architecture=lane)} ({alias})"
    control.update(memory_mb=memory_mb, description=description)
    published = control.publish_version(description)
    if not is_run_version(published.description, plan.run_id):
        raise UnexpectedVersionError(
            f"publishing {memory_mb} MB returned version {published.version} ({published.description!r}), "
            "which this run did not create; is another deployment changing the function?"
        )
    control.point_alias(alias, published.version)
    return published.version


def _restore_latest(control: FunctionControl, plan: Plan) -> None:
    original = plan.original
    if plan.lanes:
        restore_code(control, architecture=original.architecture, code_sha256=original.code_sha256)
    current = control.configuration()
    if (current.memory_mb, current.description) != (original.memory_mb, original.description):
        control.update(memory_mb=original.memory_mb, description=original.description)


def _retire(control: FunctionControl, alias: str, run_id: str) -> bool:
    """Delete a run alias the search no longer needs, and its version."""
    if not is_run_alias(alias, run_id):
        raise ValueError(f"refusing to retire {alias!r}: not an alias of run {run_id}")
    version = control.alias_version(alias)
    if version is None:
        return False  # a retried Prepare already retired it
    control.delete_alias(alias)
    control.delete_version(version)
    return True

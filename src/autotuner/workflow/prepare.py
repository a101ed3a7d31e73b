"""Prepare: one version and alias per memory size, one update at a time, then $LATEST back as it was. Each is
recorded as an intent before it is made (see workflow/guard.py)."""

import time

from autotuner.domain.camel import CamelModel
from autotuner.domain.run.documents import Plan, Prepared, PreparedAlias, Round
from autotuner.domain.run.naming import is_run_alias, is_run_version, version_description
from autotuner.domain.run.record import Intent
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
    existing = control.aliases()  # a retried Prepare finds what the first attempt created
    prepared: list[PreparedAlias] = []
    try:
        for spec in sorted(round_.prepare, key=lambda s: (s.memory_mb, s.alias)):
            version = existing.get(spec.alias)
            if version is None:
                action = f"publish {spec.memory_mb} MB behind alias {spec.alias}"
                guard.intend(Intent(step="prepare", action=action, memory_mb=spec.memory_mb, alias=spec.alias))
                version = _publish(control, plan, spec.memory_mb, spec.alias)
                guard.confirm(f"published {spec.memory_mb} MB behind alias {spec.alias}")
            prepared.append(PreparedAlias(alias=spec.alias, version=version, memory_mb=spec.memory_mb))
    finally:
        _restore_latest(control, plan)
    return Prepared(aliases=prepared, retired=retired, elapsed_ms=(time.monotonic() - started) * 1000)


def _publish(control: FunctionControl, plan: Plan, memory_mb: int, alias: str) -> str:
    # A description unique to this alias makes the configuration differ from every existing version, so
    # publish_version always creates a new one (Lambda returns the latest version when nothing changed).
    description = f"{version_description(plan.run_id, memory_mb)} ({alias})"
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
    current = control.configuration()
    original = plan.original
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

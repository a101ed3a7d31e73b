"""RouteCandidate: publish the next candidate of a traffic run (the alias's version at another memory size, byte for
byte otherwise) and route ``traffic.weight`` of the alias's calls to it. Each change is recorded as an intent first
(see workflow/guard.py); a clean-up from the run record routes the alias back and deletes what was published."""

import time
from collections.abc import Callable

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import gb_seconds
from autotuner.domain.errors import TargetChangedError
from autotuner.domain.run.documents import Plan
from autotuner.domain.run.naming import is_run_version, version_description
from autotuner.domain.run.record import AliasSnapshot, Intent
from autotuner.domain.traffic.configuration import differences, differences_in_words
from autotuner.domain.traffic.plan import TrafficPlan
from autotuner.domain.traffic.window import TrafficCheck, TrafficWindow, Verdict, wait_seconds
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import FunctionControl


class TrafficRouteRequest(CamelModel):
    plan: Plan
    traffic_check: TrafficCheck


class NoTrafficRunError(Exception):
    """The document holds no traffic run, or no candidate to route (the state machine routes one only then)."""


def route_candidate(
    request: TrafficRouteRequest,
    control: FunctionControl,
    guard: ChangeGuard,
    *,
    memory_mb: int,
    clock: Callable[[], float] = time.time,
) -> TrafficCheck:
    started = time.monotonic()
    plan, check = request.plan, request.traffic_check
    traffic, memory = plan.traffic, check.next_memory_mb
    if traffic is None or memory is None:
        raise NoTrafficRunError("RouteCandidate needs a traffic run and the candidate to route")
    number = check.window.number + 1 if check.window is not None else 1
    description = f"{version_description(plan.run_id, memory)} (candidate {number})"
    # A retried RouteCandidate finds what its first attempt published, and checks it as the first attempt would have.
    version = next((v.version for v in control.versions() if v.description == description), None)
    if version is not None:
        _check_published(control, traffic, version, memory)
    else:
        _alias_as_found(control, traffic)  # before publishing: a refused route leaves nothing to delete
        guard.intend(Intent(step="prepare", action=f"publish {memory} MB as candidate {number}", memory_mb=memory))
        version = _publish(control, plan, traffic, memory, description)
        guard.confirm(f"published {memory} MB as candidate {number}")
    _route(control, guard, traffic, version)
    now = clock()
    window = TrafficWindow(
        number=number, memory_mb=memory, version=version, current_version=traffic.version, started_epoch_s=now,
        read_until_epoch_s=now, route_gb_seconds=gb_seconds((time.monotonic() - started) * 1000, memory_mb),
    )  # fmt: skip
    weight = traffic.options.weight
    return TrafficCheck(
        verdict=Verdict.WATCHING,
        reason=f"{weight:.0%} of alias {traffic.alias} routed to {memory} MB (version {version})",
        window=window,
        wait_seconds=wait_seconds(window, traffic.options, traffic.baseline.calls_per_hour, now),
    )


def _publish(control: FunctionControl, plan: Plan, traffic: TrafficPlan, memory: int, description: str) -> str:
    """$LATEST at ``memory``, published only with the alias's version's code, checked field by field against that
    version once published (and deleted unless it matches); then $LATEST back as it was."""
    latest = control.configuration()
    _same_or_refuse(control, traffic, latest.fingerprint, "$LATEST", "nothing was published")
    try:
        control.update(memory_mb=memory, description=description)
        published = control.publish_version(description, code_sha256=traffic.code_sha256)
    finally:
        # $LATEST back as found, where it is still as this step set it: a memory size another deployment set
        # meanwhile is that deployment's (the run's description, its mark, always goes).
        original = plan.original
        current = control.configuration()
        if current.description == description:
            kept = original.memory_mb if current.memory_mb == memory else current.memory_mb
            control.update(memory_mb=kept, description=original.description)
    if not is_run_version(published.description, plan.run_id):
        raise TargetChangedError(
            f"lambdaARN: publishing {memory} MB returned version {published.version} ({published.description!r}), "
            "which this run did not create; is another deployment changing the function?"
        )
    _check_published(control, traffic, published.version, memory)
    return published.version


def _check_published(control: FunctionControl, traffic: TrafficPlan, version: str, memory: int) -> None:
    """The published candidate, field by field against the alias's version; deleted unless it matches."""
    found = control.configuration(version)
    if found.memory_mb == memory and not differences(_alias_version(control, traffic), found.fingerprint):
        return
    control.delete_version(version)
    _same_or_refuse(control, traffic, found.fingerprint, f"version {version}", "it was deleted")
    raise TargetChangedError(f"lambdaARN: version {version} has {found.memory_mb} MB, not {memory} MB; it was deleted")


def _alias_version(control: FunctionControl, traffic: TrafficPlan) -> dict[str, str]:
    """The fingerprint of the version the alias ran when the run began, read now (a version never changes): no
    document of the run carries one (a hash of a guessable setting could be reversed)."""
    return control.configuration(traffic.version).fingerprint


def _same_or_refuse(
    control: FunctionControl, traffic: TrafficPlan, fingerprint: dict[str, str], what: str, done: str
) -> None:
    found = differences(_alias_version(control, traffic), fingerprint)
    if found:
        words = differences_in_words(found, ours=what, theirs=f"version {traffic.version}")
        raise TargetChangedError(
            f"lambdaARN: the function changed since the run began: {words}; {done}, and the alias routes nothing to it"
        )


def _alias_as_found(control: FunctionControl, traffic: TrafficPlan) -> None:
    """The alias as the run found it (its version alone), else TargetChangedError: another deployment moved it."""
    found = control.alias_snapshot(traffic.alias)
    if found != AliasSnapshot(name=traffic.alias, version=traffic.version):
        raise TargetChangedError(
            f"lambdaARN: alias {traffic.alias} changed since the run began (it points to version {found.version}, "
            f"routing {found.routing or 'nothing else'}); the run routes nothing to it"
        )


def _route(control: FunctionControl, guard: ChangeGuard, traffic: TrafficPlan, version: str) -> None:
    """The alias as the run found it, with ``weight`` routed to the candidate; refused if it changed meanwhile."""
    routed = AliasSnapshot(name=traffic.alias, version=traffic.version, routing={version: traffic.options.weight})
    if control.alias_snapshot(traffic.alias) == routed:
        return  # a retry: done already
    _alias_as_found(control, traffic)
    action = f"route {traffic.options.weight:.0%} of alias {traffic.alias} to version {version}"
    guard.intend(Intent(step="traffic", action=action, alias=traffic.alias))
    control.restore_alias(routed)
    guard.confirm(f"routed {traffic.options.weight:.0%} of alias {traffic.alias} to version {version}")

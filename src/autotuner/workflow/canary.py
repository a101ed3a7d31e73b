"""CheckCanary: one check of a canary's window, made after each of the state machine's Waits.

Each check reads the alarms the stack watches for the function and both versions' metrics behind the alias since
the canary started. At the first sign the new version is worse, the alias is put back exactly as the run record
holds it; once every check of the window was quiet, the alias moves to the new version. Either change goes
through the run's guard, so a clean-up that closed the record meanwhile wins (and a stopped canary rolls back).
"""

from autotuner.domain.automation.canary import CanaryCheck, CanaryWindow, Verdict, judge
from autotuner.domain.camel import CamelModel
from autotuner.domain.errors import RunStoppedError
from autotuner.domain.run.documents import Plan
from autotuner.domain.run.output import AppliedChange
from autotuner.domain.run.record import AliasSnapshot, Intent
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import CanaryWatch, FunctionControl, RunRecords


class CanaryCheckRequest(CamelModel):
    execution_id: str
    plan: Plan
    applied: AppliedChange
    canary_check: CanaryCheck | None = None


class NoCanaryError(Exception):
    """The document holds no canary to check (the state machine enters CheckCanary only after one started)."""


def check_canary(
    request: CanaryCheckRequest,
    watch: CanaryWatch,
    control: FunctionControl,
    guard: ChangeGuard,
    records: RunRecords,
) -> CanaryCheck:
    window = request.applied.canary
    if window is None:
        raise NoCanaryError("Apply started no canary, so there is none to check")
    checks = (request.canary_check.checks if request.canary_check is not None else 0) + 1
    function = request.plan.function
    alarms = watch.alarms_in_alarm(function)
    new = watch.version_figures(function, window.alias, window.new_version, window.started_epoch_s)
    old = watch.version_figures(function, window.alias, window.old_version, window.started_epoch_s)
    promoted = guard.record().applied is not None  # by an earlier attempt of this check, whose answer was lost
    if promoted:
        verdict, reason = Verdict.PROMOTED, "promoted by an earlier attempt of this check, as the run record holds"
    else:
        verdict, reason = judge(window, checks, alarms, new, old)
    check = CanaryCheck(verdict=verdict, reason=reason, checks=checks, window=window, alarms_in_alarm=alarms,
                        new=new, old=old)  # fmt: skip
    if verdict is Verdict.ROLLED_BACK:
        _roll_back(request.execution_id, window, control, guard, records)
    elif verdict is Verdict.PROMOTED and not promoted:
        _promote(request.applied, window, control, guard)
    if verdict is not Verdict.WATCHING:
        found = control.alias_snapshot(window.alias)
        check.alias_version, check.alias_routing = found.version, found.routing
    return check


def _roll_back(
    execution_id: str, window: CanaryWindow, control: FunctionControl, guard: ChangeGuard, records: RunRecords
) -> None:
    """The alias as the run record holds it, not as the document says it was: the record is what clean-up trusts."""
    record = records.read(execution_id)
    if record is None or record.alias is None:
        raise RunStoppedError("the run record holds no alias to roll back to; clean-up restores what it holds")
    snapshot = record.alias
    guard.intend(Intent(step="apply", action=f"roll back alias {window.alias} to version {snapshot.version}",
                        alias=window.alias))  # fmt: skip
    control.restore_alias(snapshot)
    guard.confirm(f"rolled alias {window.alias} back to version {snapshot.version}")


def _promote(applied: AppliedChange, window: CanaryWindow, control: FunctionControl, guard: ChangeGuard) -> None:
    guard.intend(Intent(step="apply", action=f"promote version {window.new_version} on alias {window.alias}",
                        memory_mb=applied.memory_mb, alias=window.alias))  # fmt: skip
    control.restore_alias(AliasSnapshot(name=window.alias, version=window.new_version, routing={}))
    guard.keep(applied)  # from here on, every clean-up keeps the alias at the new version

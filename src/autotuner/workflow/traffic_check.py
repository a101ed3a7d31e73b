"""CheckTraffic: one check of a traffic run's window, made after each of the state machine's Waits.

Each check reads both versions' calls since the last one, over the same stretch of time (each version's REPORT lines,
from the function's log group), stores them in the run's measurements table, and reads the alarms the stack watches
and both versions' metrics behind the alias. At the first sign the candidate is worse the alias is put back exactly
as the run record holds it, in this same step; once the candidate has its calls (or the run's time is up) too. Then
every window so far is folded into the decision, and the search names the next candidate or ends. The alias changes
only through the run's guard, so a clean-up that closed the record meanwhile wins."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import gb_seconds
from autotuner.domain.errors import RunStoppedError
from autotuner.domain.measuring.log_events import LoggedCall, VersionLogs
from autotuner.domain.run.documents import Analysis, Plan, RunDocument
from autotuner.domain.run.record import Intent
from autotuner.domain.traffic.baseline import ProductionFigures, hours_per_candidate, lowest_size
from autotuner.domain.traffic.deciding import TrafficDecision, decide_on_traffic
from autotuner.domain.traffic.plan import TrafficPlan
from autotuner.domain.traffic.search import NextCandidate, SearchBounds, next_candidate
from autotuner.domain.traffic.trial import (
    CANDIDATE,
    CURRENT,
    Trial,
    by_window,
    for_decision,
    on_one_footing,
    paired_comparison,
    slice_of,
)
from autotuner.domain.traffic.window import (
    Tally,
    TrafficCheck,
    TrafficWindow,
    Verdict,
    WindowEnd,
    judge,
    wait_seconds,
)
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import CanaryWatch, FunctionControl, MeasurementStore, ProductionLogs, RunRecords
from autotuner.workflow.production import version_calls

SETTLE_S = 60.0  # CloudWatch Logs takes seconds to ingest a call's lines; a check reads up to this long ago
CANDIDATE_READ_CAP = 20_000  # events a read takes per stream prefix
CURRENT_READS_PER_CANDIDATE_CALL = 40  # the current version's calls read for each of the candidate's, at least...
MIN_CURRENT_READ = 2_000  # ... this many
CANDIDATE_KEEP = 5_000  # calls stored per check and version (a random sample beyond; counts stay whole)
CURRENT_KEEP = 2_000
DEFAULT_RESAMPLES = 1000
CURVE_RESAMPLES = 200


class TrafficCheckRequest(CamelModel):
    execution_id: str
    plan: Plan
    analysis: Analysis
    traffic_check: TrafficCheck


class NoTrafficWindowError(Exception):
    """CheckTraffic was entered without a traffic run's window (the state machine enters it only after a route)."""


@dataclass(frozen=True)
class TrafficPorts:
    logs: ProductionLogs
    watch: CanaryWatch
    control: FunctionControl
    guard: ChangeGuard
    records: RunRecords
    store: MeasurementStore


class Billing(NamedTuple):
    """When this check's Lambda started, and its memory: what Lambda bills it for."""

    started: float
    memory_mb: int


def check_traffic(
    request: TrafficCheckRequest,
    ports: TrafficPorts,
    *,
    memory_mb: int,
    settle_s: float = SETTLE_S,
    clock: Callable[[], float] = time.time,
    resamples: int = DEFAULT_RESAMPLES,
) -> RunDocument:
    billing = Billing(time.monotonic(), memory_mb)
    plan, check = request.plan, request.traffic_check
    traffic, window = plan.traffic, check.window
    if traffic is None or window is None:
        raise NoTrafficWindowError("CheckTraffic needs a traffic run with a candidate routed")
    now = clock()
    window = _read(ports, request.execution_id, plan, traffic, window, upto_s=now - settle_s)
    alarms = ports.watch.alarms_in_alarm(plan.function)
    mine = ports.watch.version_figures(plan.function, traffic.alias, window.version, window.started_epoch_s)
    theirs = ports.watch.version_figures(plan.function, traffic.alias, window.current_version, window.started_epoch_s)
    end, reason = judge(
        window, alarms=alarms, candidate_metrics=mine, current_metrics=theirs,
        reference=_baseline_tally(traffic.baseline).plus(window.current), options=traffic.options, now_s=now,
        deadline_s=traffic.deadline_epoch_s,
    )  # fmt: skip
    if end is None:
        analysis = _counted(request.analysis, billing, routes=0)
        pace = wait_seconds(window, traffic.options, traffic.baseline.calls_per_hour, now)
        watching = TrafficCheck(verdict=Verdict.WATCHING, reason=reason, window=window, wait_seconds=pace,
                                alarms_in_alarm=alarms)  # fmt: skip
        return RunDocument(plan=plan, analysis=analysis, traffic_check=watching)
    _route_back(ports, request.execution_id, traffic)
    return _fold(request, ports, window, (end, reason), alarms, now=now, billing=billing, resamples=resamples)


def _read(
    ports: TrafficPorts, execution_id: str, plan: Plan, traffic: TrafficPlan, window: TrafficWindow, *, upto_s: float
) -> TrafficWindow:
    """Both versions' calls from where the last check stopped: the candidate's first, then the current version's
    over the same stretch (a read that reaches its cap shortens the stretch for both, and the next check goes on
    from there). Each version's slice is stored; the window keeps the counts."""
    since = window.read_until_epoch_s
    checked = window.model_copy(update={"checks": window.checks + 1})
    if upto_s <= since:
        return checked

    def where(version: str) -> VersionLogs:
        return VersionLogs(function=plan.function, log_group=traffic.log_group, log_format=traffic.log_format,
                           version=version)  # fmt: skip

    mine = version_calls(ports.logs, where(window.version), since_s=since, until_s=upto_s, cap=CANDIDATE_READ_CAP)
    cap = max(MIN_CURRENT_READ, CURRENT_READS_PER_CANDIDATE_CALL * len(mine.calls))
    theirs = version_calls(ports.logs, where(window.current_version), since_s=since, until_s=mine.covered_until_s,
                           cap=cap)  # fmt: skip
    until = min(mine.covered_until_s, theirs.covered_until_s)
    my_calls = _before(mine.calls, until)
    their_calls = _before(theirs.calls, until)
    key = f"{int(since * 1000):015d}"
    for role, memory, calls, keep in (
        (CANDIDATE, window.memory_mb, my_calls, CANDIDATE_KEEP),
        (CURRENT, traffic.memory_mb, their_calls, CURRENT_KEEP),
    ):
        if calls:
            stored = slice_of(window.number, role, memory, [c.report for c in calls], keep=keep,
                              seed=f"{execution_id}:{role}:{key}")  # fmt: skip
            ports.store.save(execution_id, f"window-{window.number:02d}#{role}#{key}", stored)
    reads = checked.reads.plus(mine.read.requests, len(mine.read.events), mine.read.bytes)
    reads = reads.plus(theirs.read.requests, len(theirs.read.events), theirs.read.bytes)
    return checked.model_copy(
        update={
            "read_until_epoch_s": until,
            "candidate": checked.candidate.add([c.report for c in my_calls]),
            "current": checked.current.add([c.report for c in their_calls]),
            "reads": reads,
        }
    )


def _before(calls: list[LoggedCall], until_s: float) -> list[LoggedCall]:
    return [c for c in calls if c.timestamp_ms < until_s * 1000]


def _baseline_tally(baseline: ProductionFigures) -> Tally:
    return Tally(calls=baseline.calls, errors=baseline.errors, timeouts=baseline.timeouts,
                 out_of_memory=baseline.out_of_memory)  # fmt: skip


def _route_back(ports: TrafficPorts, execution_id: str, traffic: TrafficPlan) -> None:
    """The alias as the run record holds it (its version and routing as found), not as the document says: the record
    is what clean-up trusts."""
    record = ports.records.read(execution_id)
    if record is None or record.alias is None:
        raise RunStoppedError("the run record holds no alias to route back; clean-up restores what it holds")
    snapshot = record.alias
    action = f"route alias {traffic.alias} back to version {snapshot.version} alone"
    ports.guard.intend(Intent(step="traffic", action=action, alias=traffic.alias))
    ports.control.restore_alias(snapshot)
    ports.guard.confirm(f"routed alias {traffic.alias} back to version {snapshot.version}")


def _fold(
    request: TrafficCheckRequest,
    ports: TrafficPorts,
    window: TrafficWindow,
    ending: tuple[WindowEnd, str],
    alarms: list[str],
    *,
    now: float,
    billing: Billing,
    resamples: int,
) -> RunDocument:
    """Every window so far into the decision, the ended one as a trial; then the next candidate, or the end."""
    plan = request.plan
    traffic = plan.traffic
    assert traffic is not None
    end, reason = ending
    tuning = plan.tuning
    seed = int(plan.run_id[:8], 16)
    windows = by_window(ports.store.load(request.execution_id))
    sizes, scales = on_one_footing(windows, trim_fraction=tuning.trim_fraction)
    this = windows.get(window.number, {})
    comparison = None
    if CANDIDATE in this and CURRENT in this:
        comparison = paired_comparison(this[CANDIDATE], this[CURRENT], plan.pricing, trim_fraction=tuning.trim_fraction,
                                       seed=seed ^ window.number)  # fmt: skip
    trial = Trial(
        number=window.number, memory_mb=window.memory_mb, version=window.version,
        started_epoch_s=window.started_epoch_s, ended_epoch_s=window.read_until_epoch_s, checks=window.checks,
        ended=end, reason=reason, candidate=window.candidate, current=window.current, comparison=comparison,
        scale=scales.get(window.number, 1.0), reads=window.reads,
    )  # fmt: skip
    trials = [*request.analysis.trials, trial]
    routed_back = {t.memory_mb: t.reason for t in trials if t.ended is WindowEnd.ROLLED_BACK}
    decided = decide_on_traffic(
        tuning, [for_decision(m) for m in sizes], routed_back=routed_back, current_mb=traffic.memory_mb,
        bounds=traffic.bounds, pricing=plan.pricing, timeout_ms=plan.original.timeout_s * 1000, applies=plan.applies,
        seed=seed, resamples=resamples, curve_resamples=min(resamples, CURVE_RESAMPLES),
    )  # fmt: skip
    following = _following(plan, trials, decided, end, now)
    verdict = Verdict.NEXT if following.memory_mb is not None else Verdict.DONE
    notes = [*request.analysis.notes, f"Candidate {trial.number}, {trial.memory_mb} MB: {_told(trial)}."]
    after = f"Candidate {trial.number + 1}" if following.memory_mb is not None else f"Stopped after {len(trials)}"
    notes.append(f"{after}: {following.reason}.")
    analysis = _counted(request.analysis, billing, routes=1, route_gb_s=window.route_gb_seconds).model_copy(
        update={
            "candidates": decided.candidates,
            "decision": decided.decision,
            "curve": decided.curve,
            "complete": verdict is Verdict.DONE,
            "trials": trials,
            "notes": notes,
            "published_versions": {**request.analysis.published_versions, window.memory_mb: window.version},
        }
    )
    check = TrafficCheck(verdict=verdict, reason=following.reason, next_memory_mb=following.memory_mb, window=window,
                         ended=end, alarms_in_alarm=alarms)  # fmt: skip
    return RunDocument(plan=plan, analysis=analysis, traffic_check=check)


def _following(plan: Plan, trials: list[Trial], decided: TrafficDecision, end: WindowEnd, now: float) -> NextCandidate:
    """The next candidate: none once the run's time is up, or too short for another candidate's calls."""
    traffic = plan.traffic
    assert traffic is not None
    if end is WindowEnd.OUT_OF_TIME:
        return NextCandidate(memory_mb=None, reason=f"the run reached traffic.maxHours ({traffic.max_hours:g} h)")
    left_h = (traffic.deadline_epoch_s - now) / 3600
    each_h = hours_per_candidate(traffic.baseline, traffic.options)
    if each_h > left_h:
        return NextCandidate(
            memory_mb=None,
            reason=f"no time for another candidate (about {each_h:.2g} h each at the alias's pace, "
            f"{left_h:.2g} h left)",
        )
    lowest = lowest_size(traffic.baseline, plan.tuning.constraints, plan.original.timeout_s, decided.candidates)
    bounds = SearchBounds(lowest_mb=min(lowest, traffic.bounds.highest_mb), highest_mb=traffic.bounds.highest_mb)
    return next_candidate(
        decided.candidates, tried=[t.memory_mb for t in trials], chosen_mb=decided.decision.chosen_memory_mb,
        bounds=bounds, curve=decided.curve, max_candidates=traffic.options.max_candidates,
    )  # fmt: skip


def _told(trial: Trial) -> str:
    compared = f"; {trial.comparison.describe()}" if trial.comparison is not None else ""
    return f"{trial.ended.value}, {trial.reason}{compared}"


def _counted(analysis: Analysis, billing: Billing, *, routes: int, route_gb_s: float = 0.0) -> Analysis:
    """This check's Lambda (and, when its window ends, the RouteCandidate that opened it) in the run's own cost."""
    own = gb_seconds((time.monotonic() - billing.started) * 1000, billing.memory_mb)
    return analysis.model_copy(
        update={
            "tuner_gb_seconds": analysis.tuner_gb_seconds + own + route_gb_s,
            "tuner_invocations": analysis.tuner_invocations + 1 + routes,
        }
    )

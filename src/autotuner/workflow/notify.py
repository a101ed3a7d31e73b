"""Notify: the run's output, published to the results topic; and, on the failure path, the failure in words."""

import contextlib
import json
import time
from typing import Any

from pydantic import ConfigDict, Field

from autotuner.domain.advice.advise import Surroundings, advise
from autotuner.domain.advice.concurrency import TRAFFIC_DAYS
from autotuner.domain.advice.model import Advice
from autotuner.domain.automation.automatic_runs import ProfileToStore, profile_of_input, stored_by_run
from autotuner.domain.automation.canary import CanaryCheck, Verdict
from autotuner.domain.automation.savings_ledger import INVOCATION_WINDOW_DAYS, monthly_saving
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import gb_seconds
from autotuner.domain.costs.run_cost import lambdas_after_analyze, run_cost, transitions
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.measuring.target_text import where_its_words_are
from autotuner.domain.run.documents import Analysis, CleanupReport, Failure, Lane, Plan, StepError
from autotuner.domain.run.output import (
    LATEST,
    AppliedChange,
    OtherArchitecture,
    Outcome,
    SearchSummary,
    TrafficSummary,
    TuningOutput,
    build_output,
    curve_summary,
    traffic_summary,
)
from autotuner.domain.run.record import NO_RECORD, RunRecord
from autotuner.domain.run.verdict import failed_verdict, verdict
from autotuner.reports.failure import code_line
from autotuner.reports.text import failure_subject, subject, summary
from autotuner.workflow.ports import InvocationCounts, Notifier, RunRegistry, TrafficHistory


class NotifyRequest(CamelModel):
    plan: Plan
    analysis: Analysis
    applied: AppliedChange | None = None
    canary_check: CanaryCheck | None = None
    cleanup: CleanupReport


def finish(
    request: NotifyRequest,
    notifier: Notifier | None,
    *,
    visualization_base_url: str,
    memory_mb: int,
    registry: RunRegistry | None = None,
    invocation_counts: InvocationCounts | None = None,
    traffic: TrafficHistory | None = None,
) -> TuningOutput:
    started = time.monotonic()
    plan, analysis = request.plan, request.analysis
    assert analysis.decision is not None, "Analyze always decides"
    canary = request.canary_check
    rolled_back = canary is not None and canary.verdict is Verdict.ROLLED_BACK
    applied = None if rolled_back else request.applied  # a rolled-back canary left nothing applied
    checks = canary.checks if canary is not None else 0
    steps_gb_s = (request.applied.gb_seconds if request.applied else 0.0) + request.cleanup.gb_seconds
    on_traffic = plan.traffic is not None  # production's calls: the tuner invoked nothing, and pays for none
    cost = run_cost(
        target_invocations=0 if on_traffic else analysis.invocations + plan.preflight_invocations,
        target_cost=0.0 if on_traffic else sum(c.total_cost for c in analysis.all_candidates) + plan.preflight_cost,
        tuner_gb_seconds=analysis.tuner_gb_seconds
        + steps_gb_s
        + gb_seconds((time.monotonic() - started) * 1000, memory_mb),
        tuner_invocations=analysis.tuner_invocations + lambdas_after_analyze(request.applied is not None, checks),
        tuner_architecture=plan.tuner.architecture,
        transition_count=transitions(
            analysis.rounds,
            analysis.tasks,
            request.applied is not None,
            checks,
            single_task_rounds=analysis.single_task_rounds,
            prepares=analysis.prepares,
            candidates=len(analysis.trials),
            traffic_checks=sum(t.checks for t in analysis.trials),
        ),
        prices=plan.pricing.prices,
    )
    output = build_output(
        plan.tuning,
        analysis.candidates,
        analysis.decision,
        current_memory_mb=plan.current_memory_mb,
        run_cost=cost,
        visualization_base_url=visualization_base_url,
        region=plan.function.region,
        applied=applied,
        warnings=plan.warnings,
        search=SearchSummary(
            mode=plan.tuning.search,
            rounds=analysis.rounds,
            invocations=analysis.invocations,
            log=analysis.notes,
            # The last round's curve: the one the decision was made with.
            curve=curve_summary(analysis.curve, plan.pricing_for(analysis.architecture).curve_pricing)
            if analysis.curve is not None
            else None,
        ),
        baseline=_deployed_lane(plan, analysis).candidates if analysis.architecture is not None else None,
    )
    output.architecture = analysis.architecture
    output.architecture_choice = analysis.architecture_choice
    output.other_architectures = [_other(lane) for lane in analysis.other_lanes if lane.architecture is not None]
    output.canary = canary
    output.traffic = _traffic(plan, analysis)
    if rolled_back:
        output.outcome = Outcome.ROLLED_BACK
    output.warnings += _read_back_differs(applied, request.cleanup)
    if any(candidate.failure_reason for candidate in output.candidates):
        where = where_its_words_are(plan.original.log_group_name)
        output.warnings.append(f"some sizes failed: {where} (each failed size names its first failed request)")
    monthly_invocations = _monthly_invocations(output, invocation_counts, plan.function)
    output.advice = _advice(
        plan, analysis, output, applied=applied, traffic=traffic, monthly_invocations=monthly_invocations
    )
    if registry is not None and not plan.tuning.dry_run:  # a dry run tunes nothing worth repeating
        _record_run(registry, plan, output)
    output.verdict = verdict(output)
    if notifier is not None:
        try:
            notifier.publish(
                subject(output, plan.function.name),
                summary(output, plan.function.name) + "\n\nResult (JSON):\n" + output.model_dump_json(indent=2),
                _attributes(plan.function.name, output.outcome.value, output.trigger.source.value),
            )
        except Exception as error:  # the tuning itself succeeded; a lost e-mail must not undo it
            output.warnings.append(f"the notification could not be published: {error}")
    return output


def _traffic(plan: Plan, analysis: Analysis) -> TrafficSummary | None:
    traffic = plan.traffic
    if traffic is None:
        return None
    reads = traffic.baseline_reads
    for trial in analysis.trials:
        reads = reads.plus(trial.reads.requests, trial.reads.events, trial.reads.bytes)
    return traffic_summary(alias=traffic.alias, version=traffic.version, weight=traffic.options.weight,
                           baseline=traffic.baseline, trials=analysis.trials, reads=reads)  # fmt: skip


def _monthly_invocations(output: TuningOutput, counts: InvocationCounts | None, function: FunctionRef) -> int | None:
    """The function's invocations of the last 30 days, and the monthly saving they make of the savings."""
    if counts is None:
        return None
    try:
        # No datapoints (Lambda publishes the metric only when the function is invoked): the saving is unknown.
        invocations = counts.invocations([function], INVOCATION_WINDOW_DAYS).get(function.unqualified)
    except Exception as error:  # the tuning itself succeeded; only the monthly figure is missing
        output.warnings.append(f"the monthly saving could not be worked out: {error}")
        return None
    if output.savings is not None:
        output.savings.monthly = monthly_saving(output.savings, invocations)
    return invocations


def _advice(
    plan: Plan,
    analysis: Analysis,
    output: TuningOutput,
    *,
    applied: AppliedChange | None,
    traffic: TrafficHistory | None,
    monthly_invocations: int | None,
) -> Advice:
    """Architecture, timeout and concurrency advice, from the run and the function's traffic."""
    notes = [f"advice: {note}" for note in plan.facts.notes]
    read = None
    if traffic is not None:
        try:
            read = traffic.traffic(plan.function, TRAFFIC_DAYS)
        except Exception as error:  # the tuning itself succeeded; only the concurrency advice is missing
            notes.append(f"concurrency: the function's traffic could not be read: {error}")
    chosen = next((c for c in analysis.candidates if c.memory_mb == output.power), None)
    return advise(
        chosen,
        deployed=plan.original.architecture,
        architecture=analysis.architecture or plan.original.architecture,
        prices=plan.pricing.prices,
        surroundings=Surroundings(
            runtime=plan.original.runtime,
            package_type=plan.original.package_type,
            reserved_concurrency=plan.facts.reserved_concurrency,
            account=plan.facts.account_concurrency,
            traffic=read,
            monthly_invocations=monthly_invocations,
            notes=notes,
        ),
        choice=analysis.architecture_choice,
        refused=plan.refused_architectures,
        timeout=analysis.timeout,
        applied_architecture=applied is not None and applied.architecture is not None,
        applied_timeout=applied is not None and applied.timeout_s is not None,
    )


def _deployed_lane(plan: Plan, analysis: Analysis) -> Lane:
    lanes = analysis.lanes()
    return next((lane for lane in lanes if lane.architecture in {None, plan.original.architecture}), lanes[0])


def _other(lane: Lane) -> OtherArchitecture:
    assert lane.architecture is not None
    decision = lane.decision
    chosen_mb = decision.chosen_memory_mb if decision is not None else None
    chosen = next((c for c in lane.candidates if c.memory_mb == chosen_mb), None)
    return OtherArchitecture(
        architecture=lane.architecture,
        power=chosen_mb,
        cost=chosen.cost_estimate if chosen is not None and chosen.cost is not None else None,
        duration=chosen.duration_estimate if chosen is not None and chosen.duration_ms is not None else None,
        reason=decision.reason if decision is not None else "",
        candidates=sorted(lane.candidates, key=lambda c: c.memory_mb),
    )


def _read_back_differs(applied: AppliedChange | None, cleanup: CleanupReport) -> list[str]:
    """What the output says was applied must be what clean-up read back from the function afterwards."""
    if applied is None:
        return []
    if applied.target == LATEST and cleanup.final_memory_mb != applied.memory_mb:
        return [f"read back after clean-up, the function has {cleanup.final_memory_mb} MB, not {applied.memory_mb} MB"]
    if applied.target == LATEST:
        found = cleanup.final_architecture
        if applied.architecture is not None and found is not None and found is not applied.architecture:
            return [f"read back after clean-up, the function runs on {found}, not {applied.architecture}"]
        timeout = cleanup.final_timeout_s
        if applied.timeout_s is not None and timeout != applied.timeout_s:
            return [f"read back after clean-up, the function's timeout is {timeout} s, not {applied.timeout_s} s"]
    if applied.target != LATEST and cleanup.final_alias_version != applied.version:
        where = cleanup.final_alias_version or "no version"
        return [f"read back after clean-up, alias {applied.target} points to {where}, not version {applied.version}"]
    return []


def _record_run(registry: RunRegistry, plan: Plan, output: TuningOutput) -> None:
    """The run's end (the cooldown of automatic runs starts from it) and, only when its input says
    ``saveProfile``, its input as the function's profile."""
    profile = profile_of(plan) if plan.tuning.save_profile else None
    try:
        registry.record_run(plan.function.unqualified, output.power, plan.execution_id, profile)
    except Exception as error:  # the run itself succeeded; only the cooldown (and the asked-for profile) miss it
        stored = " nor its input stored as the function's profile" if profile is not None else ""
        output.warnings.append(f"this run's end could not be recorded{stored}: {error}")
        return
    output.profile_stored = profile is not None


def profile_of(plan: Plan) -> ProfileToStore:
    """The profile a ``saveProfile`` run stores: the fields it was given (not its defaults, which may change),
    without the target and the trigger. Kept as field names in the plan so that a large payload is not carried
    through the state machine twice."""
    dumped = plan.tuning.model_dump(mode="json", by_alias=True)
    given = {k: dumped[k] for k in plan.given_fields if k in dumped}
    if isinstance(given.get("canary"), dict):  # its own fields too: a default kept would be frozen as if given
        given["canary"] = {k: v for k, v in given["canary"].items() if f"canary.{k}" in plan.given_fields}
    return ProfileToStore(profile=profile_of_input(given), stored_by=stored_by_run(plan.execution_id))


class FailedRun(CamelModel):
    """What the failure path reads of the execution's document: only what Step Functions' Catch wrote there, and
    the raw input when Plan failed (it carries no plan then). Everything about the function comes from the record."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    error: StepError | None = None
    cleanup_error: StepError | None = None
    input: Any = None


class FailureRequest(CamelModel):
    execution_id: str
    document: FailedRun = Field(default_factory=FailedRun)


def describe_failure(request: FailureRequest, record: RunRecord | None, notifier: Notifier | None) -> Failure:
    """The failure in words (not a stack trace), published too. What it says about the function is what clean-up
    read back, as the run record holds it."""
    document = request.document
    error = document.error or StepError(Error="Unknown", Cause="the run failed without an error record")
    message = _sentence(_words(error)) + " " + _end_state(record, document.cleanup_error)
    failure = Failure(error=error.error, message=message)
    name = record.function.name if record is not None else _named_function(document.input)
    if notifier is not None:
        # The failure itself is what the execution reports; a notification that cannot be sent changes nothing.
        body = f"{failed_verdict(failure.error, _left_with(record, document.cleanup_error))}\n\n"
        body += f"{failure.error}: {failure.message}"
        with contextlib.suppress(Exception):
            notifier.publish(failure_subject(name), body, _attributes(name, "failed"))
    return failure


def _end_state(record: RunRecord | None, cleanup_error: StepError | None) -> str:
    if record is None and cleanup_error is None:
        return f"Nothing was changed ({NO_RECORD})."
    cleanup = record.cleanup if record is not None else None
    if record is None or cleanup is None or not cleanup.complete:
        why = f" ({_words(cleanup_error)})" if cleanup_error is not None else ""
        return (
            f"Clean-up did not finish{why}; the janitor retries it when the execution ends. Check the function's "
            "aliases and versions if this persists."
        )
    if cleanup.skipped:
        return f"Nothing was changed ({cleanup.skipped})."
    return _read_back(record, cleanup) + (
        " This run no longer holds the function's run lock." if cleanup.lock_released else ""
    )


def _left_with(record: RunRecord | None, cleanup_error: StepError | None) -> str:
    """What the function was left with, in a few words, for the verdict (the message says it in full)."""
    cleanup = record.cleanup if record is not None else None
    if (record is None and cleanup_error is None) or (cleanup is not None and cleanup.complete and cleanup.skipped):
        return "nothing was changed"
    if record is None or cleanup is None or not cleanup.complete:
        return "clean-up did not finish: check the function's aliases and versions"
    return f"read back, the function has {cleanup.final_memory_mb} MB ({_which_memory(record, cleanup)})"


def _which_memory(record: RunRecord, cleanup: CleanupReport) -> str:
    memory = cleanup.final_memory_mb
    if memory == record.original_memory_mb:
        return "its memory before the run"
    if record.applied is not None and memory == record.applied.memory_mb:
        return "the applied choice"
    return f"neither its original {record.original_memory_mb} MB nor an applied choice"


def _read_back(record: RunRecord, cleanup: CleanupReport) -> str:
    memory, which = cleanup.final_memory_mb, _which_memory(record, cleanup)
    text = (
        f"Clean-up removed {len(cleanup.deleted_aliases)} aliases and {len(cleanup.deleted_versions)} versions; read "
        f"back afterwards, {record.function.name} has {memory} MB ({which})"
    )
    if cleanup.final_description_is_original:
        text += " and its original description"
    if cleanup.alias_name is not None:
        where = cleanup.final_alias_version or "nothing (the alias does not exist)"
        text += f", and alias {cleanup.alias_name} points to {where}"
    code = code_line(cleanup)
    return text + "." + (f" {code}" if code else "")


def _named_function(raw_input: object) -> str:
    """The function a failed Plan was asked to tune, if the input names one that is a valid ARN."""
    arn = raw_input.get("lambdaARN") if isinstance(raw_input, dict) else None
    if isinstance(arn, str):
        with contextlib.suppress(ValueError):
            return parse_function_arn(arn).name
    return "an unnamed function"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _words(error: StepError) -> str:
    """A Lambda error's Cause is a JSON document with errorMessage; other causes are already text."""
    try:
        cause = json.loads(error.cause)
    except (json.JSONDecodeError, TypeError):
        return error.cause or error.error
    if isinstance(cause, dict) and cause.get("errorMessage"):
        return str(cause["errorMessage"])
    return error.cause or error.error


def _attributes(function_name: str, outcome: str, trigger: str = "") -> dict[str, str]:
    """SNS message attributes, for subscription filter policies."""
    return {"function": function_name, "outcome": outcome, "trigger": trigger}

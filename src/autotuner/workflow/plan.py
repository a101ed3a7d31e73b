"""Plan: validate the input, read the target, try the payload, estimate the cost. Nothing is changed here."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from autotuner.domain.automation.canary import canary_problems
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.money import usd
from autotuner.domain.costs.pricing import Architecture, gb_seconds, prices_for_region
from autotuner.domain.costs.run_cost import (
    DURATION_HISTORY_DAYS,
    ESTIMATED_ALIAS_MS,
    ESTIMATED_STEP_MS,
    RunCost,
    duration_bound,
    estimate_target_cost,
    lambdas_after_analyze,
    lambdas_in_run,
    run_cost,
    transitions,
)
from autotuner.domain.decision.scoring import PricingContext
from autotuner.domain.errors import (
    BudgetExceededError,
    InvalidInputError,
    RunInProgressError,
    RunStoppedError,
    TargetAccountUnreachableError,
    TargetNotFoundError,
)
from autotuner.domain.inputs.arn import FunctionRef, parse_function_arn
from autotuner.domain.inputs.ceilings import (
    Budget,
    RunCeilings,
    architecture_switch_problems,
    invocation_problems,
    over_budget_message,
    run_budget,
    within_ceilings,
)
from autotuner.domain.inputs.payload import InlinePayload
from autotuner.domain.inputs.portability import (
    ArchitectureRefusal,
    layer_problems,
    native_binary_problems,
    upload_problems,
)
from autotuner.domain.inputs.scope import (
    AssumedRole,
    account_problems,
    own_function_problems,
    processor_problems,
    target_problems,
    target_role,
)
from autotuner.domain.inputs.traffic import TrafficOptions
from autotuner.domain.inputs.tuning_input import (
    MAX_BATCHES_PER_ROUND,
    SearchMode,
    TuningDefaults,
    TuningInput,
    given_fields,
    read_tuning_input,
)
from autotuner.domain.measuring.lambda_logs import InvocationReport
from autotuner.domain.measuring.log_events import VersionLogs, default_log_group
from autotuner.domain.measuring.target_text import where_its_words_are
from autotuner.domain.run.documents import (
    Analysis,
    FunctionConfiguration,
    MeasureSpec,
    Plan,
    RunDocument,
    TunerPricing,
)
from autotuner.domain.run.naming import run_id_for
from autotuner.domain.run.record import AliasSnapshot, Intent, RunRecord
from autotuner.domain.search.batching import invocations_per_batch
from autotuner.domain.traffic.baseline import (
    ProductionFigures,
    hours_per_candidate,
    lowest_size,
    production_figures,
    too_little_traffic,
)
from autotuner.domain.traffic.configuration import differences, differences_in_words
from autotuner.domain.traffic.plan import TrafficPlan, run_hours
from autotuner.domain.traffic.search import SearchBounds, first_candidate
from autotuner.domain.traffic.window import LogReads, TrafficCheck, Verdict
from autotuner.workflow import rounds
from autotuner.workflow.invocation import InvocationRunner
from autotuner.workflow.ports import (
    DurationHistory,
    FunctionControl,
    FunctionsFor,
    Invoker,
    InvokerFor,
    PayloadSource,
    ProductionLogs,
    RunRecords,
    RunRegistry,
)
from autotuner.workflow.production import version_calls
from autotuner.workflow.target_facts import read_target_facts


class PlanRequest(CamelModel):
    input: object
    execution_id: str
    started_at: str | None = None


class PlanSettings(CamelModel):
    defaults: TuningDefaults = Field(default_factory=TuningDefaults)
    target_arn_pattern: str = "*"
    stack_id: str = Field(default="", description="the tuner's own stack: its functions are never tuned or invoked")
    tuner: TunerPricing = Field(default_factory=TunerPricing)
    max_run_seconds: int | None = None
    tuner_account: str | None = Field(default=None, description="None: every target is reached with own role")
    target_account_role_name: str = Field(default="", description="the role assumed in other accounts")
    target_account_ids: list[str] = Field(default_factory=list, description="the only other accounts it may reach")
    ceilings: RunCeilings = Field(default_factory=RunCeilings, description="the operator's, whatever the input asks")
    code_staging_bucket: str = Field(default="", description="for packages above Lambda's direct-upload limit")


def plan_run(
    request: PlanRequest,
    settings: PlanSettings,
    *,
    function_for: FunctionsFor,
    invoker_for: InvokerFor,
    payloads: PayloadSource,
    records: RunRecords,
    registry: RunRegistry | None = None,
    durations: DurationHistory | None = None,
    logs: ProductionLogs | None = None,
    clock: Callable[[], float] = time.time,
) -> RunDocument:
    started = time.monotonic()
    read = read_tuning_input(request.input, settings.defaults)
    tuning, ceiling_warnings = within_ceilings(read.tuning, settings.ceilings)
    budget, budget_warnings = run_budget(tuning, settings.ceilings)
    function = tuning.function
    _check_allowed(tuning, settings)
    run_id = run_id_for(request.execution_id)
    through = target_role(function, settings.tuner_account, settings.target_account_role_name, run_id)
    control = _reach_target(function, through, function_for)
    original = _read_target(control, settings.stack_id)
    _check_state(original, control)
    warnings = [*read.warnings, *ceiling_warnings, *budget_warnings]
    traffic_alias = _traffic_alias(tuning, control) if tuning.on_traffic else None  # named before the canary's
    if traffic_alias is None:
        warnings += _alias_warnings(tuning, function, control, original)
    _check_canary(tuning, control)
    _check_processors(tuning, lambda arn: function_for(arn, through), settings.stack_id)
    lanes, refused = _architecture_lanes(
        tuning,
        original,
        control,
        settings.ceilings,
        staging_bucket=bool(settings.code_staging_bucket),
        cross_account=through is not None,
    )
    warnings += [f"architectures: {refusal.describe()}" for refusal in refused]

    prices = prices_for_region(function.region, tuning.prices)
    pricing = PricingContext(
        region=function.region,
        architecture=original.architecture,
        prices=prices,
        ephemeral_storage_mb=original.ephemeral_storage_mb,
    )
    if traffic_alias is not None:
        on_traffic = TrafficRun(request, settings, tuning, run_id, through, control, original, pricing, budget)
        return _start_on_traffic(
            on_traffic, traffic_alias, logs=logs, warnings=warnings, clock=clock, records=records,
            registry=registry, started=started,
        )  # fmt: skip
    payload = tuning.payload_model.resolve(payloads.fetch)
    deadline = _deadline(request.started_at, settings.max_run_seconds)
    measure = _measure_spec(request, tuning, through, payload, deadline)
    per_batch = invocations_per_batch(original.timeout_s, tuning.sleep_between_runs_ms, tuning.parallel_invocation)
    probes = len(payload.encoded())  # _preflight invokes once per distinct payload
    opening, opening_reason = rounds.first(
        tuning, original.memory_mb, run_id=run_id, per_batch=per_batch, preflight_invocations=probes,
        lanes=list(lanes) or [None],
    )  # fmt: skip
    sizes = sorted({b.memory_mb for b in opening.batches})
    _check_batches(len(opening.batches), per_batch, original.timeout_s)
    lane_count = max(1, len(lanes))
    too_many = invocation_problems(
        len(sizes) * lane_count, _invocations_per_size(tuning, sizes, original.memory_mb, lane_count), probes,
        settings.ceilings,
    )  # fmt: skip
    if too_many:
        raise InvalidInputError(too_many)

    def estimate_from(reports: list[InvocationReport]) -> RunCost:
        return _estimate(tuning=tuning, sizes=sizes, tasks=len(opening.tasks), preflight=reports,
                         original=original, pricing=pricing, tuner=settings.tuner, lanes=lanes)  # fmt: skip

    if budget is not None:  # a refused run never invokes the target: first a bound, before the probe
        recent_max_ms = durations.max_duration_ms(function, DURATION_HISTORY_DAYS) if durations else None
        bound = duration_bound(recent_max_ms, original.timeout_s)
        _refuse_over_budget(budget, estimate_from([_at_bound(bound.billed_ms, original)]), sizes,
                            before_probe=f"each taken at {bound.basis}")  # fmt: skip
    preflight = _preflight(measure, payload, invoker_for(function.region, through), original.log_group_name)
    estimate = estimate_from(preflight)
    if budget is not None:
        _refuse_over_budget(budget, estimate, sizes)
    facts = read_target_facts(control, function, durations)
    plan = Plan(
        run_id=run_id,
        execution_id=request.execution_id,
        started_at=request.started_at,
        tuning=tuning,
        given_fields=given_fields(request.input),
        function=function.model_copy(update={"qualifier": None}),
        target_role=through,
        original=original,
        pricing=pricing,
        tuner=settings.tuner,
        per_batch=per_batch,
        applies=tuning.applies,
        apply_alias=tuning.apply_alias,
        estimate=estimate,
        measure=measure,
        preflight_cost=sum(pricing.cost(r) for r in preflight),
        preflight_invocations=len(preflight),
        warnings=warnings,
        lanes=lanes,
        refused_architectures=refused,
        facts=facts,
    )
    _open_record(records, plan, control)  # nothing above changed anything; from here on, the record says what
    if registry is not None:
        _claim(registry, plan)
    analysis = Analysis(
        tuner_gb_seconds=gb_seconds((time.monotonic() - started) * 1000, settings.tuner.memory_mb),
        tuner_invocations=1,
        notes=[opening_reason],
    )
    return RunDocument(plan=plan, round=opening, analysis=analysis)


def _measure_spec(
    request: PlanRequest,
    tuning: TuningInput,
    through: AssumedRole | None,
    payload: InlinePayload,
    deadline: float | None,
) -> MeasureSpec:
    """What each Measure task receives: the input's own payloads encoded once; an S3 payload by its location, so
    that its content stays out of the execution's history as it always has."""
    return MeasureSpec(
        execution_id=request.execution_id,
        function=tuning.function.model_copy(update={"qualifier": None}),
        target_role=through,
        payloads=None if tuning.payload_s3 is not None else payload.encoded(),
        payload_s3=tuning.payload_s3,
        payload_schedule=payload.schedule(tuning.num),
        parallel_invocation=tuning.parallel_invocation,
        sleep_between_runs_ms=tuning.sleep_between_runs_ms,
        allowed_exceptions=tuning.allowed_exceptions,
        pre_processor_arn=tuning.pre_processor_arn,
        post_processor_arn=tuning.post_processor_arn,
        max_concurrency=tuning.max_concurrency,
        deadline_epoch_s=deadline,
    )


def _open_record(records: RunRecords, plan: Plan, control: FunctionControl) -> None:
    """The run record, before the run's first change (the lock): the target as found, and the alias an applied
    choice would move, with its routing, so that any clean-up can put it back exactly."""
    record = RunRecord(
        execution_id=plan.execution_id,
        run_id=plan.run_id,
        function=plan.function,
        target_role=plan.target_role,
        original_memory_mb=plan.original.memory_mb,
        original_description=plan.original.description,
        original_timeout_s=plan.original.timeout_s,
        original_architecture=plan.original.architecture,
        original_code_sha256=plan.original.code_sha256,
        alias=control.alias_snapshot(plan.apply_alias) if _moves_alias(plan) and plan.apply_alias else None,
        intents=[Intent(step="plan", action="claim the run lock")],
    )
    if not records.open(record):
        raise RunStoppedError("the run was stopped while planning; nothing was changed")


def _start_on_traffic(
    on_traffic: "TrafficRun",
    alias: AliasSnapshot,
    *,
    logs: ProductionLogs | None,
    warnings: list[str],
    clock: Callable[[], float],
    records: RunRecords,
    registry: RunRegistry | None,
    started: float,
) -> RunDocument:
    if logs is None:
        raise RuntimeError("a traffic run reads the function's logs: Plan needs its ProductionLogs")
    document = on_traffic.plan(alias, logs, warnings, clock())
    assert document.plan is not None
    _open_record(records, document.plan, on_traffic.control)  # nothing above changed anything
    if registry is not None:
        _claim(registry, document.plan)
    document.analysis.tuner_gb_seconds = gb_seconds((time.monotonic() - started) * 1000, document.plan.tuner.memory_mb)
    return document


def _moves_alias(plan: Plan) -> bool:
    """A run that may apply to an alias, or routes its traffic (a traffic run, whether or not it applies)."""
    return plan.applies or plan.traffic is not None


LOCK_WITHOUT_DEADLINE_S = 24 * 3600
LOCK_MARGIN_S = 900  # clean-up and notification after the measuring deadline


def _claim(registry: RunRegistry, plan: Plan) -> None:
    deadline = plan.measure.deadline_epoch_s or time.time() + LOCK_WITHOUT_DEADLINE_S
    canary = plan.tuning.canary.duration_seconds if plan.tuning.canary is not None and plan.applies else 0
    holder = registry.claim_run(plan.function.unqualified, plan.execution_id, deadline + LOCK_MARGIN_S + canary)
    if holder is not None:
        raise RunInProgressError(
            f"lambdaARN: another tuning run of {plan.function.name} is in progress ({holder}); wait for it to end"
        )


def _deadline(started_at: str | None, max_run_seconds: int | None) -> float | None:
    if max_run_seconds is None:
        return None
    start = datetime.fromisoformat(started_at).timestamp() if started_at else time.time()
    return start + max_run_seconds


def _check_allowed(tuning: TuningInput, settings: PlanSettings) -> None:
    """The target and its processors are within the deployment's reach (its pattern, and an account it names);
    checked before any of them is read, the payload fetched or anything invoked (whether one is the tuner's own is
    known once its tags are read, before anything is invoked)."""
    target = tuning.function
    pattern = settings.target_arn_pattern
    problems = target_problems("lambdaARN", target, pattern)
    problems += account_problems(
        "lambdaARN", target, settings.tuner_account, settings.target_account_role_name, settings.target_account_ids
    )
    problems += canary_account_problems(tuning, settings.tuner_account)
    problems += traffic_account_problems(tuning, settings.tuner_account)
    for field, arn in (("preProcessorARN", tuning.pre_processor_arn), ("postProcessorARN", tuning.post_processor_arn)):
        if arn is not None:
            problems += processor_problems(field, parse_function_arn(arn), target, pattern)
    if problems:
        raise InvalidInputError(problems)


def canary_account_problems(tuning: TuningInput, tuner_account: str | None) -> list[str]:
    """A canary is judged on CloudWatch alarms and metrics, which the tuner reads in its own account only (and
    its CheckCanary function assumes no role): a target elsewhere would be judged on no data and promoted blind."""
    target = tuning.function
    if tuning.canary is None or not tuning.applies or tuner_account is None or target.account == tuner_account:
        return []
    return [
        f"canary: {target.unqualified} is in account {target.account}, whose alarms and metrics this tuner "
        f"(account {tuner_account}) cannot watch; apply without a canary, or deploy a tuner in that account"
    ]


def traffic_account_problems(tuning: TuningInput, tuner_account: str | None) -> list[str]:
    """A traffic run is guarded on the alarms and metrics of the tuner's own account (as a canary is), and reads
    the target's logs with the tuner's own role: a target elsewhere is refused."""
    target = tuning.function
    if not tuning.on_traffic or tuner_account is None or target.account == tuner_account:
        return []
    return [
        f"measure: a traffic run tunes functions of the tuner's own account ({tuner_account}), whose alarms, metrics "
        f"and logs guard it; {target.unqualified} is in account {target.account}: deploy a tuner there"
    ]


def _check_batches(batches: int, per_batch: int, timeout_s: int) -> None:
    """A round's batches are listed in the state machine's state: refuse, before anything is changed, a round
    with more of them than that state holds."""
    if batches <= MAX_BATCHES_PER_ROUND:
        return
    raise InvalidInputError(
        [
            f"num: this run needs {batches} batches of invocations in one round (the target's timeout of "
            f"{timeout_s} s lets one batch make {per_batch} invocations); at most {MAX_BATCHES_PER_ROUND} fit a run; "
            "lower num or the number of sizes, or lower the function's timeout"
        ]
    )


def _reach_target(function: FunctionRef, through: AssumedRole | None, function_for: FunctionsFor) -> FunctionControl:
    """The target's control plane; in another account, through its role, which the tuner must be able to assume."""
    try:
        return function_for(function, through)
    except TargetAccountUnreachableError as error:  # named by field, as every refusal is
        raise TargetAccountUnreachableError(f"lambdaARN: {error}") from error


def _read_target(control: FunctionControl, stack_id: str) -> FunctionConfiguration:
    """The target as found, refused if it is one of the tuner's own functions (by its stack-id tag)."""
    try:
        original, tags = control.configuration_and_tags()
    except TargetNotFoundError as error:  # the same error, so that it is named as every refusal is: by field
        raise TargetNotFoundError(f"lambdaARN: {error}") from error
    problems = own_function_problems("lambdaARN", parse_function_arn(original.function_arn), tags, stack_id)
    if problems:
        raise InvalidInputError(problems)
    return original


def _check_state(original: FunctionConfiguration, control: FunctionControl) -> None:
    if original.state == "Failed" or original.last_update_status == "Failed":
        raise InvalidInputError(
            [f"lambdaARN: the function is in state {original.state}/{original.last_update_status}; fix it first"]
        )
    if original.last_update_status == "InProgress" or original.state == "Pending":
        control.wait_until_updated()


def _alias_warnings(
    tuning: TuningInput, function: FunctionRef, control: FunctionControl, original: FunctionConfiguration
) -> list[str]:
    """Applying to an alias publishes $LATEST's code; refuse when the alias runs different code."""
    alias = tuning.apply_alias
    if alias is None:
        return []
    version = control.alias_version(alias)
    if version is None:
        if function.alias is not None:
            raise InvalidInputError([f"lambdaARN: alias {alias!r} does not exist on {function.name}"])
        return [f"alias {alias!r} does not exist yet; applying will create it"]
    aliased = control.configuration(version)
    if aliased.code_sha256 == original.code_sha256:
        return []
    message = (
        f"alias {alias!r} points to version {version}, whose code differs from $LATEST; the run measures $LATEST's code"
    )
    if tuning.applies:
        raise InvalidInputError(
            [f"autoOptimizeAlias: {message}, so applying would also deploy $LATEST's code to the alias"]
        )
    return [message]


def _check_canary(tuning: TuningInput, control: FunctionControl) -> None:
    if tuning.canary is None or not tuning.applies or tuning.apply_alias is None:
        return
    alias = control.alias_snapshot(tuning.apply_alias)
    problems = canary_problems(alias.name, alias.version, alias.routing)
    if problems:
        raise InvalidInputError(problems)


def _check_processors(
    tuning: TuningInput, function_for: Callable[[FunctionRef], FunctionControl], stack_id: str
) -> None:
    """The processors exist and are not the tuner's own functions (``_check_allowed`` has checked that they are
    within reach): read, not invoked."""
    for field, arn in (("preProcessorARN", tuning.pre_processor_arn), ("postProcessorARN", tuning.post_processor_arn)):
        if arn is None:
            continue
        processor = parse_function_arn(arn)
        try:
            _, tags = function_for(processor).configuration_and_tags()
        except TargetNotFoundError as error:  # a throttle or a denied read is not bad input: it stays what it is
            raise InvalidInputError([f"{field}: {error}"]) from error
        problems = own_function_problems(field, processor, tags, stack_id)
        if problems:
            raise InvalidInputError(problems)


def _architecture_lanes(
    tuning: TuningInput,
    original: FunctionConfiguration,
    control: FunctionControl,
    ceilings: RunCeilings,
    *,
    staging_bucket: bool,
    cross_account: bool,
) -> tuple[list[Architecture], list[ArchitectureRefusal]]:
    """The architectures the run measures (the deployed one first; none: its own only), and those asked for that
    its code cannot switch to, each with why. Read only: the package is downloaded, nothing is changed."""
    others = [a for a in tuning.architectures or [] if a is not original.architecture]
    if not others:
        return [], []
    if problems := architecture_switch_problems(original.architecture, others, ceilings):
        raise InvalidInputError(problems)
    headers: dict[str, bytes] | None = None
    accepted: list[Architecture] = []
    refused: list[ArchitectureRefusal] = []
    for architecture in others:
        if original.package_type != "Zip":
            reasons = [f"a {original.package_type} function: only zip packages are uploaded again for another one"]
        else:
            reasons = upload_problems(
                original.code_size_bytes, staging_bucket=staging_bucket, cross_account=cross_account
            )
            reasons += layer_problems({arn: control.layer_architectures(arn) for arn in original.layers}, architecture)
            if not reasons:
                headers = control.native_binaries() if headers is None else headers
                reasons = native_binary_problems(headers, architecture)
        if reasons:
            refused.append(ArchitectureRefusal(architecture=architecture, reasons=reasons))
        else:
            accepted.append(architecture)
    return ([original.architecture, *accepted] if accepted else []), refused


def _at_bound(billed_ms: int, original: FunctionConfiguration) -> InvocationReport:
    """Stands in for the probe's report in the estimate made before probing."""
    return InvocationReport(
        request_id="duration-bound",
        duration_ms=billed_ms,
        billed_duration_ms=billed_ms,
        memory_size_mb=original.memory_mb,
        max_memory_used_mb=0,
    )


def _refuse_over_budget(
    budget: Budget, estimate: RunCost, sizes: list[int], *, before_probe: str | None = None
) -> None:
    if estimate.total <= budget.amount_usd:
        return
    counted = f"{estimate.target_invocations} invocations of {len(sizes)} sizes"
    basis = f" before invoking the function ({counted}, {before_probe})" if before_probe else f" ({counted})"
    raise BudgetExceededError(over_budget_message(budget, estimate.total, basis))


def _preflight(
    measure: MeasureSpec, payload: InlinePayload, invoker: Invoker, log_group: str
) -> list[InvocationReport]:
    """One invocation per distinct payload, at the current configuration: a payload the target rejects fails
    the run here, before anything is changed. The refusal says how it failed and where the function's own words
    about it are, never those words."""
    runner = InvocationRunner.for_measuring(measure, invoker)
    reports: list[InvocationReport] = []
    for index, encoded in enumerate(payload.encoded()):
        outcome = runner.run(measure.function.unqualified, encoded)  # $LATEST: the code the run measures
        if (failure := outcome.failure) is not None:
            raise InvalidInputError(
                [f"{payload.field_of(index)}: the function at its current configuration {failure.describe()}; "
                 f"{where_its_words_are(log_group, failure.request_id)}"]
            )  # fmt: skip
        if outcome.report is not None:
            reports.append(outcome.report)
    return reports


def _estimate(
    *,
    tuning: TuningInput,
    sizes: list[int],
    tasks: int,
    preflight: list[InvocationReport],
    original: FunctionConfiguration,
    pricing: PricingContext,
    tuner: TunerPricing,
    lanes: list[Architecture],
) -> RunCost:
    """Each architecture's sizes at its own price (the run measures every size on each)."""
    warm = [r for r in preflight if not r.is_cold_start] or preflight
    billed = max((r.billed_duration_ms for r in warm), default=original.timeout_s * 1000)
    init = max((r.init_duration_ms or 0.0 for r in preflight), default=0.0)
    lane_count = max(1, len(lanes))
    per_size = _invocations_per_size(tuning, sizes, original.memory_mb, lane_count)
    cold_starts = per_size if tuning.only_cold_starts else 1
    target = sum(
        estimate_target_cost(
            sizes,
            per_size,
            observed_billed_ms=billed,
            observed_memory_mb=original.memory_mb,
            cold_start_ms=init,
            cold_starts_per_size=cold_starts,
            prices=pricing.prices,
            architecture=architecture,
            ephemeral_storage_mb=original.ephemeral_storage_mb,
        )
        for architecture in (lanes or [pricing.architecture])
    )
    aliases = len(sizes) * cold_starts * lane_count
    # An upper bound: a Measure task runs its batches at once, so its Lambda waits for the longest, not the sum.
    invoking_ms = len(sizes) * per_size * lane_count * (billed + tuning.sleep_between_runs_ms)
    return run_cost(
        target_invocations=len(sizes) * per_size * lane_count,
        target_cost=target,
        tuner_gb_seconds=gb_seconds(
            invoking_ms + aliases * ESTIMATED_ALIAS_MS + 6 * ESTIMATED_STEP_MS, tuner.memory_mb
        ),
        tuner_invocations=lambdas_in_run(1, tasks, applied=True),  # an upper bound: as if applied
        tuner_architecture=tuner.architecture,
        transition_count=transitions(1, tasks, tuning.applies, single_task_rounds=int(tasks == 1)),
        prices=pricing.prices,
    )


def _invocations_per_size(tuning: TuningInput, sizes: list[int], current_memory_mb: int, lanes: int = 1) -> int:
    """What the estimate assumes each size gets (on each architecture): ``num``, or for the adaptive search a
    lane's whole invocation cap spread over the first round's sizes (later rounds add sizes but stay within it)."""
    if tuning.search is not SearchMode.ADAPTIVE:
        return tuning.num
    settings = rounds.adaptive_settings(tuning, current_memory_mb, 0, lanes=lanes)
    cap = settings.max_invocations or tuning.num * len(sizes)
    return math.ceil(cap / max(1, len(sizes)))


# ---- a traffic run ---------------------------------------------------------------------------------------------

BASELINE_CAP = 20_000  # REPORT lines read a stream prefix for the baseline: enough for its figures and its pace


def _traffic_alias(tuning: TuningInput, control: FunctionControl) -> AliasSnapshot:
    """The alias a traffic run shares, as found: it must exist, run a published version, and route nothing else."""
    alias = tuning.function.alias
    assert alias is not None, "read_tuning_input refuses a traffic run on an unaliased ARN"
    found = control.alias_snapshot(alias)
    name = tuning.function.name
    if found.version is None:
        raise InvalidInputError([f"lambdaARN: alias {alias!r} does not exist on {name}"])
    if found.version == "$LATEST":
        raise InvalidInputError(
            [
                f"lambdaARN: alias {alias!r} points to $LATEST; Lambda shares an alias's traffic between published "
                "versions only: publish a version and point the alias at it first"
            ]
        )
    if found.routing:
        weights = ", ".join(f"version {v} at {w:.0%}" for v, w in sorted(found.routing.items()))
        raise InvalidInputError(
            [
                f"lambdaARN: alias {alias!r} already routes traffic ({weights}): another deployment or run is "
                "shifting it; wait for it to end"
            ]
        )
    return found


@dataclass(frozen=True)
class TrafficRun:
    """Plan's part for a traffic run: after the checks every run gets, the alias's version, its baseline from the
    logs, the bounds of the search and its first candidate. Nothing is invoked; nothing is changed."""

    request: PlanRequest
    settings: PlanSettings
    tuning: TuningInput
    run_id: str
    through: AssumedRole | None
    control: FunctionControl
    original: FunctionConfiguration
    pricing: PricingContext
    budget: Budget | None

    def plan(self, alias: AliasSnapshot, logs: ProductionLogs, warnings: list[str], now: float) -> RunDocument:
        options = self.tuning.traffic_options
        assert alias.version is not None
        current = self._same_as_latest(alias.name, alias.version)
        hours, hour_warnings = run_hours(options, self.settings.max_run_seconds)
        figures, reads = self._baseline(logs, current, alias.version, options, now)
        refusal = too_little_traffic(figures, options, hours)
        if refusal is not None:
            raise InvalidInputError([refusal])
        bounds = self._bounds(figures, current)
        first = first_candidate(current.memory_mb, bounds)
        if first.memory_mb is None or first.memory_mb == current.memory_mb:
            raise InvalidInputError([f"traffic: no size other than {current.memory_mb} MB to try ({first.reason})"])
        estimate = self._estimate(figures, options, hours)
        self._within_budget(estimate)
        deadline = now + hours * 3600
        traffic = TrafficPlan(
            options=options, alias=alias.name, version=alias.version, memory_mb=current.memory_mb,
            code_sha256=current.code_sha256,
            log_group=current.log_group or default_log_group(self.tuning.function.name), log_format=current.log_format,
            baseline=figures, baseline_reads=reads, bounds=bounds, max_hours=hours, deadline_epoch_s=deadline,
        )  # fmt: skip
        plan = self._plan(traffic, estimate, [*warnings, *hour_warnings])
        analysis = Analysis(
            tuner_invocations=1,
            notes=[f"Baseline: {figures.describe()}.", f"Candidate 1: {first.reason}."],
        )
        check = TrafficCheck(verdict=Verdict.NEXT, reason=first.reason, next_memory_mb=first.memory_mb)
        return RunDocument(plan=plan, round=None, analysis=analysis, traffic_check=check)

    def _same_as_latest(self, alias: str, version: str) -> FunctionConfiguration:
        """The alias's version, refused unless $LATEST is that version at another memory size, byte for byte
        otherwise: every candidate is published from $LATEST."""
        current = self.control.configuration(version)
        found = differences(current.fingerprint, self.original.fingerprint)
        if current.code_sha256 != self.original.code_sha256 and "CodeSha256" not in found:
            found = sorted([*found, "CodeSha256"])
        if found:
            what = differences_in_words(found, ours=f"version {version}", theirs="$LATEST")
            raise InvalidInputError(
                [
                    f"lambdaARN: alias {alias!r} runs version {version}, and {what}. Each candidate is published "
                    f"from $LATEST, so it would not be version {version} at another size: make $LATEST version "
                    f"{version} again (or publish $LATEST and point the alias at it) first"
                ]
            )
        if current.state not in (None, "Active"):
            raise InvalidInputError([f"lambdaARN: version {version} is {current.state}; a candidate needs it Active"])
        return current

    def _baseline(
        self, logs: ProductionLogs, current: FunctionConfiguration, version: str, options: TrafficOptions, now: float
    ) -> tuple[ProductionFigures, LogReads]:
        since = now - options.baseline_hours * 3600
        group = current.log_group or default_log_group(self.tuning.function.name)
        where = VersionLogs(function=self.tuning.function, log_group=group, log_format=current.log_format,
                            version=version)  # fmt: skip
        read = version_calls(logs, where, since_s=since, until_s=now, cap=BASELINE_CAP)
        figures = production_figures(
            read.calls, version=version, memory_mb=current.memory_mb, since_epoch_s=since,
            until_epoch_s=read.covered_until_s, trim_fraction=self.tuning.trim_fraction, unreadable=read.unreadable,
            capped=read.covered_until_s < now,
        )  # fmt: skip
        reads = LogReads().plus(read.read.requests, len(read.read.events), read.read.bytes)
        return figures, reads

    def _bounds(self, figures: ProductionFigures, current: FunctionConfiguration) -> SearchBounds:
        lowest = lowest_size(figures, self.tuning.constraints, current.timeout_s)
        highest = self.tuning.max_memory_mb or figures.memory_mb
        if lowest > highest:
            raise InvalidInputError(
                [
                    f"traffic: production's calls leave no size to try: the margins need at least {lowest} MB "
                    f"({figures.describe()}), above maxMemoryMb {highest}"
                ]
            )
        return SearchBounds(lowest_mb=lowest, highest_mb=highest)

    def _estimate(self, figures: ProductionFigures, options: TrafficOptions, hours: float) -> RunCost:
        """An upper bound on the run's own cost (production pays for its calls, as it would without the run): a
        check every ``checkEverySeconds`` of each candidate's expected window, within the run's hours."""
        each_s = min(hours_per_candidate(figures, options), hours) * 3600
        per_candidate = math.ceil(each_s / options.check_every_seconds) + 1
        checks = min(options.max_candidates * per_candidate, options.most_checks)
        canary = self.tuning.canary.checks if self.tuning.canary is not None and self.tuning.applies else 0
        lambdas = 1 + options.max_candidates + checks + lambdas_after_analyze(self.tuning.applies, canary)
        return run_cost(
            target_invocations=0, target_cost=0.0,
            tuner_gb_seconds=gb_seconds(lambdas * ESTIMATED_STEP_MS, self.settings.tuner.memory_mb),
            tuner_invocations=lambdas,
            tuner_architecture=self.settings.tuner.architecture,
            transition_count=transitions(0, 0, self.tuning.applies, canary, single_task_rounds=0,
                                         candidates=options.max_candidates,
                                         traffic_checks=checks),
            prices=self.pricing.prices,
        )  # fmt: skip

    def _within_budget(self, estimate: RunCost) -> None:
        budget = self.budget
        if budget is None or estimate.total <= budget.amount_usd:
            return
        raise BudgetExceededError(
            f"{budget.field}: the run's own Lambdas and state transitions are estimated at up to {usd(estimate.total)} "
            f"({estimate.transitions:,} transitions), above the budget of {usd(budget.amount_usd)}; raise "
            "traffic.checkEverySeconds, or lower traffic.maxCandidates or traffic.maxHours"
        )

    def _plan(self, traffic: TrafficPlan, estimate: RunCost, warnings: list[str]) -> Plan:
        function = self.tuning.function.model_copy(update={"qualifier": None})
        return Plan(
            run_id=self.run_id,
            execution_id=self.request.execution_id,
            started_at=self.request.started_at,
            tuning=self.tuning,
            given_fields=given_fields(self.request.input),
            function=function,
            target_role=self.through,
            original=self.original,
            pricing=self.pricing,
            tuner=self.settings.tuner,
            per_batch=1,
            applies=self.tuning.applies,
            apply_alias=traffic.alias,
            estimate=estimate,
            measure=MeasureSpec(
                execution_id=self.request.execution_id,
                function=function,
                target_role=self.through,
                max_concurrency=1,
                deadline_epoch_s=traffic.deadline_epoch_s,
            ),
            warnings=warnings,
            traffic=traffic,
        )

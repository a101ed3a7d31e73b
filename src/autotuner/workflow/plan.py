"""Plan: validate the input, read the target, try the payload, estimate the cost. Nothing is changed here."""

import math
import time
from collections.abc import Callable
from datetime import datetime

from pydantic import Field

from autotuner.domain.automation.canary import canary_problems
from autotuner.domain.camel import CamelModel
from autotuner.domain.costs.pricing import Architecture, prices_for_region
from autotuner.domain.costs.run_cost import (
    DURATION_HISTORY_DAYS,
    ESTIMATED_ALIAS_MS,
    ESTIMATED_STEP_MS,
    RunCost,
    duration_bound,
    estimate_target_cost,
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
from autotuner.domain.inputs.tuning_input import (
    MAX_BATCHES_PER_ROUND,
    SearchMode,
    TuningDefaults,
    TuningInput,
    read_tuning_input,
)
from autotuner.domain.measuring.lambda_logs import InvocationReport
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
from autotuner.domain.run.record import Intent, RunRecord
from autotuner.domain.search.batching import invocations_per_batch
from autotuner.workflow import rounds
from autotuner.workflow.invocation import InvocationRunner
from autotuner.workflow.ports import (
    DurationHistory,
    FunctionControl,
    FunctionsFor,
    Invoker,
    InvokerFor,
    PayloadSource,
    RunRecords,
    RunRegistry,
)
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
    warnings = [
        *read.warnings,
        *ceiling_warnings,
        *budget_warnings,
        *_alias_warnings(tuning, function, control, original),
    ]
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
        given_fields=sorted(request.input) if isinstance(request.input, dict) else [],
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
        tuner_elapsed_ms=(time.monotonic() - started) * 1000, tuner_invocations=1, notes=[opening_reason]
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
        alias=control.alias_snapshot(plan.apply_alias) if plan.applies and plan.apply_alias else None,
        intents=[Intent(step="plan", action="claim the run lock")],
    )
    if not records.open(record):
        raise RunStoppedError("the run was stopped while planning; nothing was changed")


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
        tuner_elapsed_ms=invoking_ms + aliases * ESTIMATED_ALIAS_MS + 6 * ESTIMATED_STEP_MS,
        tuner_invocations=lambdas_in_run(1, tasks, applied=True),  # an upper bound: as if applied
        tuner_memory_mb=tuner.memory_mb,
        tuner_architecture=tuner.architecture,
        transition_count=transitions(1, tasks, tuning.applies),
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

"""Notify: the output (a lost profile or e-mail only warns), and a failure in words from what clean-up read back."""

import json

import pytest

from autotuner.domain.costs.money import usd
from autotuner.domain.errors import InvalidInputError
from autotuner.domain.run.documents import Analysis, CleanupReport, Plan, StepError
from autotuner.domain.run.output import LATEST, AppliedChange, Outcome, curve_summary
from autotuner.domain.run.record import AliasSnapshot
from autotuner.domain.run.verdict import verdict
from autotuner.workflow.notify import FailedRun, FailureRequest, NotifyRequest, describe_failure, finish, profile_of
from tests.unit.workflow.memory_ports import (
    Invocation,
    MemoryInvocationCounts,
    MemoryNotifier,
    Published,
    Reply,
    raising,
)
from tests.unit.workflow.scenario import EXECUTION, STEP_MEMORY_MB, SWEEP, TARGET, World

URL = "https://lambda-power-tuning.show/"
STOPPED = StepError(
    Error="RunStoppedError",
    Cause=json.dumps({"errorType": "RunStoppedError", "errorMessage": "the run was stopped while planning"}),
)


def tuned(world: World, tuning_input: dict[str, object]) -> NotifyRequest:
    """A whole run in memory: plan, prepare, measure, analyze, apply when asked, clean up."""
    plan, round_ = world.planned(tuning_input)
    analysis = world.measure_and_analyze(plan, round_, world.prepare(plan, round_))
    assert analysis.decision is not None
    chosen = analysis.decision.chosen_memory_mb
    assert chosen is not None
    applied = world.apply(plan, chosen) if plan.applies else None
    return NotifyRequest(plan=plan, analysis=analysis, applied=applied, cleanup=world.clean_up())


def test_a_finished_run_is_recorded_and_published_and_its_input_is_not_kept(world: World) -> None:
    request = tuned(world, {**SWEEP, "autoOptimize": True, "payload": {"card": "4111 1111 1111 1111"}})

    output = finish(
        request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB, registry=world.registry
    )

    assert (output.outcome, output.power, output.warnings) == (Outcome.APPLIED, world.function.latest.memory_mb, [])
    stored = world.registry.runs[TARGET]
    assert (stored.power, stored.execution) == (output.power, EXECUTION)
    assert world.registry.profiles == {}, "a one-off run is no profile, and its payload is kept nowhere"
    assert not output.profile_stored
    [message] = world.notifier.published
    assert message.subject.startswith(f"Autotuner: orders set to {output.power} MB")
    assert message.message.splitlines()[0] == verdict(output) == output.verdict  # the line to act on comes first
    assert message.message.startswith(f"Applied {output.power} MB to $LATEST (was 1024 MB) · ")
    assert message.attributes == {"function": "orders", "outcome": "applied", "trigger": "manual"}


def test_the_saving_is_worth_the_functions_invocations_of_the_last_30_days(world: World) -> None:
    request = tuned(world, {**SWEEP, "autoOptimize": True})
    counts = MemoryInvocationCounts({TARGET: 3_000_000})

    output = finish(
        request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB, invocation_counts=counts
    )

    assert counts.windows == [30]
    assert output.savings is not None
    assert output.savings.monthly is not None
    assert output.savings.monthly.invocations_last_30_days == 3_000_000
    monthly_usd = output.savings.monthly.usd
    assert monthly_usd is not None
    assert monthly_usd == pytest.approx(output.savings.savings_per_million * 3)
    [message] = world.notifier.published
    verb = "saves" if monthly_usd >= 0 else "costs"
    assert (
        f"Per month: {verb} {usd(abs(monthly_usd))} at the 3,000,000 invocations of the last 30 days "
        "(CloudWatch)." in message.message
    )
    assert f" {usd(abs(monthly_usd))} a month" in message.message.splitlines()[0]


def test_without_invocations_in_cloudwatch_the_monthly_saving_is_unknown_not_zero(world: World) -> None:
    request = tuned(world, {**SWEEP, "autoOptimize": True})
    output = finish(
        request,
        world.notifier,
        visualization_base_url=URL,
        memory_mb=STEP_MEMORY_MB,
        invocation_counts=MemoryInvocationCounts({}),
    )
    assert output.savings is not None
    assert output.savings.monthly is not None
    assert output.savings.monthly.usd is None
    assert output.savings.monthly.invocations_last_30_days is None
    [message] = world.notifier.published
    assert "Per month: unknown: CloudWatch has no Invocations of the function in the last 30 days" in message.message
    assert "$0" not in message.message.split("Per month:")[1].split("\n")[0]
    assert "per month unknown (CloudWatch counted no invocations" in message.message.splitlines()[0]


def test_a_monthly_saving_that_cannot_be_read_is_a_warning(world: World) -> None:
    request = tuned(world, SWEEP)
    counts = MemoryInvocationCounts(failure=RuntimeError("AccessDenied"))
    output = finish(
        request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB, invocation_counts=counts
    )
    assert output.warnings == ["the monthly saving could not be worked out: AccessDenied"]
    assert output.savings is not None
    assert output.savings.monthly is None
    assert "Per month" not in world.notifier.published[0].message


def test_a_run_asked_to_save_its_profile_stores_its_input_as_given_and_says_by_what(world: World) -> None:
    given = {**SWEEP, "autoOptimize": True, "payload": {"id": 7}, "saveProfile": True}
    request = tuned(world, given)
    world.registry.clock = lambda: 1_800_000_000.0

    output = finish(
        request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB, registry=world.registry
    )

    stored = world.registry.get(TARGET)
    assert stored is not None
    assert stored.profile == {"num": 5, "powerValues": [256, 512], "autoOptimize": True, "payload": {"id": 7}}
    assert stored.profile == profile_of(request.plan).profile
    assert (stored.stored_by, stored.stored_at) == (f"input saveProfile of execution {EXECUTION}", 1_800_000_000.0)
    assert output.profile_stored
    assert "Stored this run's input as the function's profile (saveProfile)" in world.notifier.published[0].message


def test_a_run_whose_end_cannot_be_recorded_is_a_warning(world: World) -> None:
    request = tuned(world, {**SWEEP, "saveProfile": True})
    world.registry.record_failure = RuntimeError("ProvisionedThroughputExceededException")
    output = finish(
        request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB, registry=world.registry
    )
    assert output.warnings == [
        "this run's end could not be recorded nor its input stored as the function's profile: "
        "ProvisionedThroughputExceededException"
    ]
    assert not output.profile_stored
    assert output.outcome is Outcome.RECOMMENDED
    assert len(world.notifier.published) == 1  # published all the same


def test_a_notification_that_cannot_be_published_is_a_warning(world: World) -> None:
    request = tuned(world, SWEEP)
    world.notifier.failure = RuntimeError("AuthorizationError")
    output = finish(
        request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB, registry=world.registry
    )
    assert output.warnings == ["the notification could not be published: AuthorizationError"]
    assert TARGET in world.registry.runs


def searched(world: World, tuning_input: dict[str, object]) -> NotifyRequest:
    """An adaptive run in memory, every round of it until Analyze says it is complete."""
    plan, round_ = world.planned(tuning_input)
    document = world.analyze(plan, round_, world.prepare(plan, round_))
    while not document.analysis.complete:
        assert document.round is not None
        document = world.analyze(plan, document.round, world.prepare(plan, document.round), document.analysis)
    return NotifyRequest(plan=plan, analysis=document.analysis, cleanup=world.clean_up())


def test_an_adaptive_run_carries_the_cost_curve_its_last_round_decided_with(world: World) -> None:
    request = searched(world, {"lambdaARN": TARGET})
    curve = request.analysis.curve
    assert curve is not None
    assert request.analysis.rounds > 1

    output = finish(request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB)

    assert output.search is not None
    assert output.search.curve is not None
    assert output.search.curve == curve_summary(curve, request.plan.pricing.curve_pricing)
    assert output.search.curve.fitted_sizes == curve.sizes
    measured = {c.memory_mb for c in output.candidates if c.warm_invocations}
    assert set(curve.sizes) <= measured
    assert '"curve": {' in world.notifier.published[0].message


def test_a_sweep_carries_no_cost_curve(world: World) -> None:
    output = finish(tuned(world, SWEEP), None, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB)
    assert output.search is not None
    assert output.search.curve is None
    assert output.model_dump(mode="json", by_alias=True)["search"]["curve"] is None


def test_a_dry_run_is_not_stored_as_a_profile(world: World) -> None:
    request = tuned(world, {**SWEEP, "dryRun": True})
    output = finish(request, None, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB, registry=world.registry)
    assert output.outcome is Outcome.DRY_RUN
    assert world.registry.runs == {}


def _read_back(plan: Plan, analysis: Analysis, applied: AppliedChange, cleanup: CleanupReport) -> list[str]:
    request = NotifyRequest(plan=plan, analysis=analysis, applied=applied, cleanup=cleanup)
    return finish(request, None, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB).warnings


def test_what_clean_up_read_back_must_match_what_was_applied(world: World) -> None:
    done = tuned(world, SWEEP)
    plan, analysis = done.plan, done.analysis
    on_latest = AppliedChange(target=LATEST, memory_mb=512, previous_memory_mb=1024)
    on_alias = AppliedChange(target="live", memory_mb=512, previous_memory_mb=1024, version="5")

    assert _read_back(plan, analysis, on_latest, CleanupReport(final_memory_mb=512)) == []
    assert _read_back(plan, analysis, on_latest, CleanupReport(final_memory_mb=1024)) == [
        "read back after clean-up, the function has 1024 MB, not 512 MB"
    ]
    assert _read_back(plan, analysis, on_alias, CleanupReport(alias_name="live", final_alias_version="5")) == []
    assert _read_back(plan, analysis, on_alias, CleanupReport(alias_name="live", final_alias_version="4")) == [
        "read back after clean-up, alias live points to 4, not version 5"
    ]
    assert _read_back(plan, analysis, on_alias, CleanupReport(alias_name="live")) == [
        "read back after clean-up, alias live points to no version, not version 5"
    ]


def failure(world: World, document: FailedRun) -> tuple[str, Published]:
    record = world.records.read(EXECUTION)
    result = describe_failure(FailureRequest(execution_id=EXECUTION, document=document), record, world.notifier)
    [message] = world.notifier.published
    first, details = message.message.split("\n\n")
    assert first.startswith(f"Failed: {result.error} · ")
    assert first.endswith(" · nothing saved · confidence: none (no choice was made)")
    assert details == f"{result.error}: {result.message}"
    return result.message, message


def test_a_failure_before_any_record_changed_nothing(world: World) -> None:
    message, published = failure(world, FailedRun(error=STOPPED, input={"lambdaARN": TARGET}))
    assert message == (
        "the run was stopped while planning. Nothing was changed (the run stopped before it recorded any change to "
        "make)."
    )
    assert (published.subject, published.attributes["outcome"]) == ("Autotuner: tuning orders failed", "failed")
    assert published.message.startswith("Failed: RunStoppedError · nothing was changed · ")


def test_a_failed_run_without_a_valid_arn_names_no_function(world: World) -> None:
    _, published = failure(world, FailedRun(input={"lambdaARN": "orders"}))
    assert published.subject == "Autotuner: tuning an unnamed function failed"


def test_a_clean_up_that_did_not_finish_says_so(world: World) -> None:
    plan, round_ = world.planned()
    world.prepare(plan, round_)  # no clean-up ran: the record holds none
    cleanup_error = StepError(Error="States.Timeout", Cause="the clean-up task timed out")
    message, published = failure(world, FailedRun(error=STOPPED, cleanup_error=cleanup_error))
    assert " · clean-up did not finish: check the function's aliases and versions · " in published.message
    assert message.endswith(
        "Clean-up did not finish (the clean-up task timed out); the janitor retries it when the execution ends. "
        "Check the function's aliases and versions if this persists."
    )


def test_a_run_that_changed_nothing_says_why(world: World) -> None:
    world.planned()
    world.clean_up()
    error = StepError(Error="InvalidInputError", Cause="payload: the function raised ValueError")
    message, _ = failure(world, FailedRun(error=error))
    assert message == (
        "payload: the function raised ValueError. Nothing was changed (the run record holds no change to the function)."
    )


def test_a_failure_after_an_applied_alias_reports_what_clean_up_read_back(world: World) -> None:
    world.function.publish_version("release 9")
    plan, round_ = world.planned({**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live"})
    world.prepare(plan, round_)
    applied = world.apply(plan, 512)
    world.clean_up()
    message, published = failure(world, FailedRun(error=StepError(Error="States.TaskFailed", Cause="")))
    assert published.message.startswith(
        "Failed: States.TaskFailed · read back, the function has 1024 MB (its memory before the run) · "
    )
    assert message == (
        "States.TaskFailed. Clean-up removed 3 aliases and 3 versions; read back afterwards, orders has 1024 MB (its "
        f"memory before the run) and its original description, and alias live points to {applied.version}. This "
        "run no longer holds the function's run lock."
    )


@pytest.mark.parametrize(
    ("final_memory_mb", "which"),
    [
        (512, "the applied choice"),
        (1024, "its memory before the run"),
        (2048, "neither its original 1024 MB nor an applied choice"),
    ],
)
def test_the_memory_read_back_is_named_for_what_it_is(world: World, final_memory_mb: int, which: str) -> None:
    plan, round_ = world.planned({**SWEEP, "autoOptimize": True})
    world.prepare(plan, round_)
    world.apply(plan, 512)
    world.clean_up()
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.cleanup is not None
    assert record.cleanup.final_memory_mb == 512
    read_back = record.model_copy(
        update={"cleanup": record.cleanup.model_copy(update={"final_memory_mb": final_memory_mb})}
    )

    described = describe_failure(FailureRequest(execution_id=EXECUTION), read_back, None)

    assert described.message.startswith("the run failed without an error record. Clean-up removed 3 aliases and 3")
    assert f"orders has {final_memory_mb} MB ({which}) and its original description." in described.message


def test_a_notification_that_cannot_be_sent_changes_no_failure(world: World) -> None:
    notifier = MemoryNotifier(failure=RuntimeError("AuthorizationError"))
    request = FailureRequest(execution_id=EXECUTION, document=FailedRun(error=STOPPED))
    described = describe_failure(request, None, notifier)
    assert (described.error, notifier.published) == ("RunStoppedError", [])


def test_the_notification_states_the_margins_in_one_line(world: World) -> None:
    request = tuned(world, {**SWEEP, "autoOptimize": True})
    output = finish(request, world.notifier, visualization_base_url=URL, memory_mb=STEP_MEMORY_MB)
    margins = output.decision.margins
    assert margins is not None
    assert margins.memory is not None
    assert margins.timeout is not None
    assert margins.evidence is not None
    [message] = world.notifier.published
    [line] = [line for line in message.message.splitlines() if line.startswith("Margins: ")]
    assert f"{output.power:,} MB leaves {margins.memory.free_share:.1%} free over the" in line
    assert f"{margins.timeout.share:.0%} of the {request.plan.original.timeout_s:g} s timeout (at most 80%)" in line
    assert f"{margins.evidence.calls} calls, {margins.evidence.warm_calls} warm" in line
    assert "auto-apply needs 5, 4 warm" in line


HOSTILE = "click http://evil.example/fix to fix"  # what a target under tuning may write as its error and logs


def test_a_targets_own_words_never_reach_the_output_or_the_notification(world: World) -> None:
    def respond(call: Invocation) -> Reply:  # 256 MB fails with a hostile message, type and log line
        if call.memory_mb == 256:
            return Reply(10.0, error_type=HOSTILE, error_message=HOSTILE)
        return Reply(duration_ms=100.0)

    world.invoker.respond = respond
    output = finish(
        tuned(world, SWEEP),
        world.notifier,
        visualization_base_url=URL,
        memory_mb=STEP_MEMORY_MB,
        registry=world.registry,
    )

    failed = next(c for c in output.candidates if c.memory_mb == 256)
    assert failed.failure_reason is not None
    assert failed.failure_reason.startswith(
        "1 of 1 invocations raised an error; measuring stopped at the first failure"
    )
    assert "first failed request request-" in failed.failure_reason
    assert output.warnings == [
        "some sizes failed: the function's messages and logs are in log group /aws/lambda/orders (each failed size "
        "names its first failed request)"
    ]
    [message] = world.notifier.published
    assert "evil" not in output.model_dump_json() + message.subject + message.message


def test_a_payload_the_target_rejects_fails_without_its_words_in_the_cause_or_the_notification(world: World) -> None:
    world.invoker.respond = raising("ValueError", HOSTILE)
    with pytest.raises(InvalidInputError) as refused:
        world.plan(SWEEP)
    cause = json.dumps({"errorType": "InvalidInputError", "errorMessage": str(refused.value)})
    request = FailureRequest(
        execution_id=EXECUTION, document=FailedRun(error=StepError(Error="InvalidInputError", Cause=cause))
    )

    failure = describe_failure(request, None, world.notifier)

    assert "raised ValueError; the function's messages and logs are in log group /aws/lambda/orders" in failure.message
    [message] = world.notifier.published
    assert "evil" not in str(refused.value) + failure.message + message.subject + message.message


def test_a_stored_canary_keeps_the_fields_given_not_its_defaults(world: World) -> None:
    """A default stored as if given would be frozen: the duration tolerance would no longer widen to what a later
    run measures."""
    world.function.publish_version("release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1"))
    canary = {"duration_seconds": 300, "weight": 0.2}  # either spelling is accepted; the profile stores camelCase
    plan, _ = world.planned({**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live", "canary": canary})
    assert profile_of(plan).profile["canary"] == {"durationSeconds": 300, "weight": 0.2}
